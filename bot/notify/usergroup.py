"""The on-call user group's Slack side (`usergroups.*`): set it up after `/oncall edit`, and give it
who is on call now after a handoff (every minute, `bot.jobs`) or a change of holder. The rows, the
compare-and-set claim and the outcome in words are `bot.services.oncall_group`.

Slack cannot empty a group (`usergroups.users.update` refuses an empty list, see
`bot/sandbox/slack_usergroups.py`): when nobody is on call the group keeps its last members.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.context import Context
from bot.services import oncall_group
from bot.services.oncall_group import Change

log = logging.getLogger(__name__)
JOB_ID = "oncall-usergroups"
INTERVAL_SECONDS = 60
ClientFor = Callable[[str], WebClient | None]


def set_up(ctx: Context, client: WebClient, schedule_id: int) -> str:
    """Find (enable) or create the schedule's group, then give it who is on call now. Returns the status;
    a failure's status is stamped, so the minute job tries again an hour later (`retry_setups`)."""
    target = oncall_group.to_set_up(ctx, schedule_id)
    if target is None:
        return ""
    handle, now = target.handle, ctx.clock()
    try:
        groups = client.usergroups_list(include_disabled=True).get("usergroups") or []
        found = next((g for g in groups if g.get("handle") == handle), None)
        if found is not None and found.get("date_delete"):
            client.usergroups_enable(usergroup=found["id"])
        if found is None:
            found = _create(client, target.name, handle)
            if isinstance(found, str):
                return oncall_group.setup_failed(ctx, schedule_id, found, now)
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        return oncall_group.setup_failed(ctx, schedule_id, oncall_group.explain(error, handle), now)
    except SlackClientError as exc:
        log.warning("could not reach Slack to set up user group @%s: %s", handle, exc)
        return oncall_group.setup_failed(ctx, schedule_id, oncall_group.unreachable(handle), now)
    oncall_group.found(ctx, schedule_id, handle, found["id"])
    return refresh(ctx, client, schedule_id) or ""


def _create(client: WebClient, name: str, handle: str) -> dict | str:
    """The new group, or the status explaining why there is none."""
    for attempt in (name, f"{name} (@{handle})"[:80]):
        try:
            return client.usergroups_create(name=attempt, handle=handle,
                                            description="Who is on call now (kept by the on-call bot)")["usergroup"]
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            if error == "name_already_exists":
                continue  # another group has the name: try a more specific one
            if error == "handle_already_exists":
                return oncall_group.taken(handle, error)
            raise
    return oncall_group.names_taken(name)


def refresh(ctx: Context, client: WebClient | None, schedule_id: int, now: datetime | None = None) -> str | None:
    """Give the group who is on call now when that changed; returns the new status (None: nothing to do)."""
    if client is None:
        return None
    now = now or ctx.clock()
    change = oncall_group.claim(ctx, schedule_id, now)
    if not isinstance(change, Change):
        return change
    try:
        client.usergroups_users_update(usergroup=change.group_id, users=list(change.holders))
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        log.info("usergroups.users.update of @%s refused: %s", change.handle, error)
        return oncall_group.failed(ctx, change, error, now)
    except SlackClientError:
        return oncall_group.failed(ctx, change, None, now)
    return oncall_group.updated(ctx, change, now)


def retry_setups(ctx: Context, client_for: ClientFor) -> int:
    """Set up again, once an hour, every group whose setup failed (e.g. `permission_denied` until an
    admin opens user groups to everyone); one replica tries each. Returns how many were tried."""
    now, tried = ctx.clock(), 0
    for due in oncall_group.setups_due(ctx, now):
        client = client_for(due.team_id)
        if client is None or not oncall_group.claim_setup(ctx, due, now):
            continue
        tried += 1
        try:
            set_up(ctx, client, due.schedule_id)
        except Exception:  # one workspace's trouble must not stop the others
            log.exception("setting up the user group of schedule %s again failed", due.schedule_id)
    return tried


def refresh_all(ctx: Context, client_for: ClientFor) -> int:
    """The handoff job: every schedule with a group (and, hourly, the setups that failed); returns how
    many groups were updated."""
    retry_setups(ctx, client_for)
    changed = 0
    for schedule_id, team_id in oncall_group.with_groups(ctx):
        try:
            if refresh(ctx, client_for(team_id), schedule_id) is not None:
                changed += 1
        except Exception:  # one workspace's trouble must not stop the others
            log.exception("refreshing the user group of schedule %s failed", schedule_id)
    return changed


def refresh_quietly(ctx: Context, client: WebClient | None, schedule_id: int) -> None:
    """After a change of holder (swap, cover, undo, re-apply, time off): errors are logged and kept in
    the status; the job tries again within a minute."""
    try:
        refresh(ctx, client, schedule_id)
    except Exception:
        log.exception("refreshing the user group of schedule %s failed", schedule_id)


def add_usergroup_job(scheduler, ctx: Context, client_for: ClientFor, seconds: int = INTERVAL_SECONDS) -> None:
    """Run `refresh_all` every minute on the sync scheduler (APScheduler): the handoffs."""
    scheduler.add_job(refresh_all, "interval", args=(ctx, client_for), seconds=seconds, id=JOB_ID,
                      max_instances=1, coalesce=True, misfire_grace_time=60, replace_existing=True)
