"""Tell people about replacements: a DM to each old and new holder, uncovered shifts to the channel."""

from __future__ import annotations

import logging
from collections import defaultdict

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.timeoff import MovedShift, OpenShift, ReplacementOutcome
from bot.views.away import dm_to_new_holder, dm_to_old_holder, uncovered_channel_message

log = logging.getLogger(__name__)


def _post(client: WebClient, channel: str, payload: dict) -> bool:
    try:
        client.chat_postMessage(channel=channel, **payload)
        return True
    except SlackApiError as exc:
        log.warning("could not post to %s: %s", channel, exc.response.get("error"))
        return False


def send_replacement_notices(client: WebClient, outcome: ReplacementOutcome, *, reason: str = "time off",
                             skip_channel: str | None = None) -> int:
    """DM both people of every moved shift, and post uncovered shifts to each schedule's channel
    (except `skip_channel`, where the requester already sees them). Returns messages sent."""
    old: dict[str, list[MovedShift]] = defaultdict(list)
    new: dict[str, list[MovedShift]] = defaultdict(list)
    for m in outcome.moved:
        if m.old.slack_user_id:
            old[m.old.slack_user_id].append(m)
        if m.new.slack_user_id:
            new[m.new.slack_user_id].append(m)
    sent = 0
    for user, moved in old.items():
        sent += _post(client, user, dm_to_old_holder(moved, reason))
    for user, moved in new.items():
        sent += _post(client, user, dm_to_new_holder(moved, reason))
    by_channel: dict[str, list[OpenShift]] = defaultdict(list)
    for o in outcome.uncovered:
        if o.channel_id and o.channel_id != skip_channel:
            by_channel[o.channel_id].append(o)
    for channel, shifts in by_channel.items():
        sent += _post(client, channel, uncovered_channel_message(shifts))
    return sent


def calendar_notices(client: WebClient, outcome: ReplacementOutcome) -> None:
    """What the periodic calendar refresh tells (`bot.services.calendar.refresh_calendar_feeds`'s `tell`)."""
    send_replacement_notices(client, outcome, reason="calendar time off")
