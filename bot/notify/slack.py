"""`slack_notify(client)`: the `bot.events.Notify` that posts to Slack (failures logged, never raised)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.events import Delivered, DriftAlertChanged, Event, Notify, OutageBegan, OutageEnded
from bot.views.drift import drift_alert_message, outage_message, recovered_message

log = logging.getLogger(__name__)


def render(event: Event) -> dict:
    """The message payload (text + blocks) of an event."""
    if isinstance(event, DriftAlertChanged):
        return drift_alert_message(event.alert)
    if isinstance(event, OutageBegan):
        return outage_message(event.schedule_name, event.destination, event.since, event.error)
    if isinstance(event, OutageEnded):
        return recovered_message(event.schedule_name, event.destination)
    raise TypeError(f"no message for {type(event).__name__}")


def post(client: WebClient, channel: str, payload: dict, ts: str | None = None) -> Delivered | None:
    """Post `payload` to `channel`, or update the message `ts` there."""
    try:
        if ts:
            client.chat_update(channel=channel, ts=ts, **payload)
            return Delivered(channel, ts)
        resp = client.chat_postMessage(channel=channel, **payload)
        return Delivered(resp.get("channel") or channel, resp.get("ts"))
    except SlackApiError as exc:
        log.warning("message to %s: Slack said %s", channel, exc.response.get("error"))
        return None


def slack_notify(client: WebClient | None) -> Notify | None:
    """The `Notify` for a Slack client (None for none: nothing is told)."""
    if client is None:
        return None

    def notify(event: Event) -> Delivered | None:
        if not event.channel:
            return None
        ts = event.ts if isinstance(event, DriftAlertChanged) else None
        return post(client, event.channel, render(event), ts)

    return notify
