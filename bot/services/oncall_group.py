"""The on-call user group (issue 14): per schedule, optionally, a Slack user group such as
`@platform-oncall` whose members are exactly who is on call now (every role).

- Picked in `/oncall edit` by its handle (`choose`); `set_up` then finds it (`usergroups.list`,
  disabled ones too: a disabled group is enabled again) or creates it (`usergroups.create`), and
  sets its members. The edit reply says how that went.
- `refresh` compares who is on call now with the members the bot last gave the group
  (`Schedule.usergroup_members`) and calls `usergroups.users.update` only when they differ. It runs
  every minute (`add_usergroup_job`: handoffs) and right after a swap, cover, undo, re-apply or
  time-off replacement (`bot.services.swaps_flow.reexport`, `bot.services.drift`,
  `bot.services.resync`). With several replicas the compare-and-set on `usergroup_members` lets one
  of them call Slack.
- Slack cannot empty a group (`usergroups.users.update` refuses an empty list, see
  `bot/sandbox/slack_usergroups.py`): when nobody is on call the group keeps its last members until
  someone is, and the status says so. Disabling it instead would make `@handle` mention nobody and
  would need an admin-capable token to undo on restricted workspaces.
- Every outcome is kept in `Schedule.usergroup_status` (`ok: …`, `warning: …`, `error: …`), shown by
  `/oncall status`: a workspace where only admins may manage user groups (`permission_denied`) or a
  plan without them gets a clear sentence, never a silent failure.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import update
from sqlmodel import Session, select

from bot.context import Context
from bot.ids import FormBlock
from bot.services.errors import FieldError
from bot.store import Member, Schedule, Shift, audit, session_scope

log = logging.getLogger(__name__)
JOB_ID = "oncall-usergroups"
INTERVAL_SECONDS = 60
# the bot's rule for handles it creates or looks up: Slack's mention-name characters (lowercase
# letters, digits, `.`, `-`, `_`) and length (21), so what is typed is what `@` completes
HANDLE = re.compile(r"[a-z0-9][a-z0-9._-]{0,20}")
HANDLE_HINT = ("Up to 21 lowercase letters, digits, `.`, `-` or `_`, e.g. `platform-oncall` (without @). "
               "Leave empty for no group.")
RESTRICTED = frozenset({"permission_denied", "no_permission", "restricted_action", "not_allowed_token_type"})
NO_PLAN = frozenset({"plan_upgrade_required", "paid_teams_only", "upgrade_required", "paid_only"})
ClientFor = Callable[[str], WebClient | None]


def parse_handle(text: str | None) -> str | None:
    """The handle typed in the edit modal (None: no group); FieldError under the field when invalid."""
    handle = (text or "").strip().removeprefix("@").strip()
    if not handle:
        return None
    if not HANDLE.fullmatch(handle):
        raise FieldError(FormBlock.EDIT_USERGROUP, f"`{handle[:40]}` is not a handle Slack takes here. {HANDLE_HINT}")
    return handle


def holders_now(rows: Sequence[tuple[str, str | None]]) -> tuple[str, ...]:
    """Slack ids of who is on call from (role, slack id) of the shifts running now: primary first,
    each person once, people without a Slack account left out."""
    ordered = sorted(rows, key=lambda r: (r[0] != "primary", r[0]))
    return tuple(dict.fromkeys(uid for _, uid in ordered if uid))


def _current_holders(session: Session, schedule_id: int, now: datetime) -> tuple[str, ...]:
    rows = session.exec(
        select(Shift.role, Member.slack_user_id).join(Member, Member.id == Shift.member_id)
        .where(Shift.schedule_id == schedule_id, Shift.start <= now, Shift.end > now)
    ).all()
    return holders_now([(r, u) for r, u in rows])


def explain(error: str, handle: str) -> str:
    """Slack's refusal in words, with what to do."""
    if error in RESTRICTED:
        return (f"error: Slack refused to change @{handle} (`{error}`): on this workspace only admins may manage "
                "user groups, and a bot may only when that is open to everyone. Ask a Slack admin to allow "
                "everyone under Workspace settings → Permissions → User Groups, then save the schedule in "
                "`/oncall edit` again; until then keep the group up to date by hand.")
    if error in NO_PLAN:
        return f"error: this workspace's Slack plan has no user groups (`{error}`): they need a paid plan."
    if error == "missing_scope":
        return ("error: the bot lacks the `usergroups:read`/`usergroups:write` scopes: reinstall the app from "
                "manifest.yml.")
    if error == "no_such_subteam":
        return f"error: @{handle} was deleted in Slack: save the schedule in `/oncall edit` to create it again."
    return f"warning: Slack answered `{error}` for @{handle}; the bot tries again within a minute."


# ---------------------------------------------------------------- choosing (the edit modal)


def choose(ctx: Context, team_id: str, schedule_id: int, handle: str | None, actor: str) -> bool:
    """Store the handle picked in `/oncall edit`; True when it changed (then `set_up` runs). Turning
    the group off leaves it in Slack as it is."""
    with session_scope(ctx.engine) as session:
        sched = session.get(Schedule, schedule_id)
        if sched is None or sched.team_id != team_id or sched.usergroup_handle == handle:
            return False
        before = sched.usergroup_handle
        sched.usergroup_handle, sched.usergroup_id, sched.usergroup_members = handle, None, ""
        sched.usergroup_status = f"pending: setting up @{handle}…" if handle else None
        session.add(sched)
        audit.record(session, team_id, actor, "schedule.usergroup", schedule_id=schedule_id,
                     detail=f"@{handle}" if handle else f"off (was @{before})", at=ctx.clock())
        return True


@dataclass(frozen=True)
class GroupInfo:
    handle: str
    status: str | None


def group_of(ctx: Context, team_id: str, schedule_id: int) -> GroupInfo | None:
    with session_scope(ctx.engine) as session:
        sched = session.get(Schedule, schedule_id)
        if sched is None or sched.team_id != team_id or not sched.usergroup_handle:
            return None
        return GroupInfo(sched.usergroup_handle, sched.usergroup_status)


def _set_status(ctx: Context, schedule_id: int, status: str, **values: object) -> str:
    with session_scope(ctx.engine) as session:
        session.exec(update(Schedule).where(Schedule.id == schedule_id)
                     .values(usergroup_status=status[:1000], **values).execution_options(synchronize_session=False))
    return status


def set_up(ctx: Context, client: WebClient, schedule_id: int) -> str:
    """Find (enable) or create the schedule's group, then give it who is on call now. Returns the status."""
    with session_scope(ctx.engine) as session:
        sched = session.get(Schedule, schedule_id)
        if sched is None or not sched.usergroup_handle:
            return ""
        handle, name = sched.usergroup_handle, f"{sched.name} on-call"[:80]
    try:
        groups = client.usergroups_list(include_disabled=True).get("usergroups") or []
        found = next((g for g in groups if g.get("handle") == handle), None)
        if found is not None and found.get("date_delete"):
            client.usergroups_enable(usergroup=found["id"])
        if found is None:
            found = _create(client, name, handle)
            if isinstance(found, str):
                return _set_status(ctx, schedule_id, found)
    except SlackApiError as exc:
        return _set_status(ctx, schedule_id, explain(str(exc.response.get("error")), handle))
    except SlackClientError as exc:
        log.warning("could not reach Slack to set up user group @%s: %s", handle, exc)
        return _set_status(ctx, schedule_id, f"warning: could not reach Slack to set up @{handle}: save the "
                                             "schedule in `/oncall edit` again.")
    _set_status(ctx, schedule_id, f"pending: @{handle} found; setting its members…", usergroup_id=found["id"],
                usergroup_members="")
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
                return (f"error: @{handle} is taken by a person or a channel (Slack: `{error}`): pick another "
                        "handle in `/oncall edit`.")
            raise
    return (f"error: Slack already has user groups named \"{name}\": rename one, or type the handle of the "
            "existing group in `/oncall edit`.")


# ---------------------------------------------------------------- keeping it current


def refresh(ctx: Context, client: WebClient | None, schedule_id: int, now: datetime | None = None) -> str | None:
    """Give the group who is on call now when that changed; returns the new status (None: nothing to do)."""
    if client is None:
        return None
    now = now or ctx.clock()
    with session_scope(ctx.engine) as session:
        sched = session.get(Schedule, schedule_id)
        if sched is None or not sched.usergroup_handle or not sched.usergroup_id:
            return None
        group_id, handle, before = sched.usergroup_id, sched.usergroup_handle, sched.usergroup_members
        holders = _current_holders(session, schedule_id, now)
        members = ",".join(sorted(holders))
        if not holders:
            keeps = f"keeps {_people(before)}" if before else "gets its members"
            note = (f"warning: nobody is on call now; Slack cannot empty a user group, so @{handle} {keeps} "
                    "until the next shift starts.")
            if sched.usergroup_status == note:
                return None
            sched.usergroup_status = note
            session.add(sched)
            return note
        if members == before:
            return None
        # compare-and-set: of several replicas (or a handoff and a swap at once) one calls Slack
        won = session.exec(update(Schedule).where(Schedule.id == schedule_id, Schedule.usergroup_members == before)
                           .values(usergroup_members=members).execution_options(synchronize_session=False))
        if won.rowcount != 1:
            return None
    try:
        client.usergroups_users_update(usergroup=group_id, users=list(holders))
    except (SlackApiError, SlackClientError) as exc:
        error = str(exc.response.get("error")) if isinstance(exc, SlackApiError) else "unreachable"
        if error != "unreachable":
            log.info("usergroups.users.update of @%s refused: %s", handle, error)
        status = explain(error, handle) if error != "unreachable" else \
            f"warning: could not reach Slack to update @{handle}; the bot tries again within a minute."
        reset = {"usergroup_id": None} if error == "no_such_subteam" else {}
        with session_scope(ctx.engine) as session:  # let the next round try again
            session.exec(update(Schedule).where(Schedule.id == schedule_id, Schedule.usergroup_members == members)
                         .values(usergroup_members=before, usergroup_status=status, **reset)
                         .execution_options(synchronize_session=False))
        return status
    status = f"ok: @{handle} is {_people(members)} (updated {now:%Y-%m-%d %H:%M} UTC)."
    return _set_status(ctx, schedule_id, status)


def _people(members: str) -> str:
    return ", ".join(f"<@{u}>" for u in members.split(",") if u)


def refresh_all(ctx: Context, client_for: ClientFor) -> int:
    """The handoff job: every schedule with a group; returns how many groups were updated."""
    with session_scope(ctx.engine) as session:
        todo = [(s.id, s.team_id) for s in session.exec(
            select(Schedule).where(Schedule.usergroup_id.is_not(None)).order_by(Schedule.id))]
    changed = 0
    for schedule_id, team_id in todo:
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
