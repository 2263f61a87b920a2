"""The on-call user group (issue 14): per schedule, optionally, a Slack user group such as
`@platform-oncall` whose members are exactly who is on call now (every role). This module keeps its
rows; the Slack calls (`usergroups.*`) are `bot.notify.usergroup`.

- Picked in `/oncall edit` by its handle (`choose`); `bot.notify.usergroup.set_up` then finds it
  (disabled ones too: a disabled group is enabled again) or creates it, and sets its members. The
  edit reply says how that went.
- `claim` compares who is on call now with the members the bot last gave the group
  (`Schedule.usergroup_members`): Slack is called only when they differ. That runs every minute
  (handoffs, `bot.jobs`) and right after a swap, cover, undo, re-apply or time-off replacement
  (`bot.notify.swaps.reexport`, `bot.commands.drift`, `bot.notify.sync.sync_now`). With several
  replicas the compare-and-set on `usergroup_members` lets one of them call Slack.
- Slack cannot empty a group (`usergroups.users.update` refuses an empty list, see
  `bot/sandbox/slack_usergroups.py`): when nobody is on call the group keeps its last members until
  someone is, and the status says so. Disabling it instead would make `@handle` mention nobody and
  would need an admin-capable token to undo on restricted workspaces.
- Every outcome is kept in `Schedule.usergroup_status` (`ok: …`, `warning: …`, `error: …`), shown by
  `/oncall status`: a workspace where only admins may manage user groups (`permission_denied`) or a
  plan without them gets a clear sentence, never a silent failure.
- A setup that failed (or never finished) is tried again by the minute job once an hour (`setups_due`,
  `claim_setup`): the time of the last try is the status's `(last try …)` ending, and a compare-and-set
  on the status lets one replica try. No migration: the status already holds the outcome.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from bot.context import Context
from bot.services.errors import Field, FieldError
from bot.store import Member, Schedule, Shift, audit, session_scope

# the bot's rule for handles it creates or looks up: Slack's mention-name characters (lowercase
# letters, digits, `.`, `-`, `_`) and length (21), so what is typed is what `@` completes
HANDLE = re.compile(r"[a-z0-9][a-z0-9._-]{0,20}")
HANDLE_HINT = ("Up to 21 lowercase letters, digits, `.`, `-` or `_`, e.g. `platform-oncall` (without @). "
               "Leave empty for no group.")
RESTRICTED = frozenset({"permission_denied", "no_permission", "restricted_action", "not_allowed_token_type"})
SETUP_RETRY = timedelta(hours=1)  # a failed setup is tried again this often (the minute job)
_LAST_TRY = re.compile(r" \(tries again every hour; last try (\d{4}-\d\d-\d\d \d\d:\d\d) UTC\)$")
NO_PLAN = frozenset({"plan_upgrade_required", "paid_teams_only", "upgrade_required", "paid_only"})


def parse_handle(text: str | None) -> str | None:
    """The handle typed in the edit modal (None: no group); FieldError under the field when invalid."""
    handle = (text or "").strip().removeprefix("@").strip()
    if not handle:
        return None
    if not HANDLE.fullmatch(handle):
        raise FieldError(Field.USERGROUP, f"`{handle[:40]}` is not a handle Slack takes here. {HANDLE_HINT}")
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
                "everyone under Workspace settings → Permissions → User Groups; the bot then catches up by itself "
                "(saving the schedule in `/oncall edit` tries at once). Until then keep the group up to date by "
                "hand.")
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
        sched.usergroup_status = stamped(f"pending: setting up @{handle}…", ctx.clock()) if handle else None
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


def set_status(ctx: Context, schedule_id: int, status: str, **values: object) -> str:
    """Store the outcome (and any other column given); returns the status."""
    with session_scope(ctx.engine) as session:
        session.exec(update(Schedule).where(Schedule.id == schedule_id)
                     .values(usergroup_status=status[:1000], **values).execution_options(synchronize_session=False))
    return status


@dataclass(frozen=True)
class Setup:
    """What `set_up` looks for in Slack: the handle and the name a new group gets."""

    handle: str
    name: str


def to_set_up(ctx: Context, schedule_id: int) -> Setup | None:
    with session_scope(ctx.engine) as session:
        sched = session.get(Schedule, schedule_id)
        if sched is None or not sched.usergroup_handle:
            return None
        return Setup(sched.usergroup_handle, f"{sched.name} on-call"[:80])


def found(ctx: Context, schedule_id: int, handle: str, group_id: str) -> None:
    """The group exists in Slack (found or created): its members are set next."""
    set_status(ctx, schedule_id, f"pending: @{handle} found; setting its members…", usergroup_id=group_id,
               usergroup_members="")


def stamped(status: str, now: datetime) -> str:
    """A setup's status with the time of its try: the minute job tries again an hour later."""
    return f"{status} (tries again every hour; last try {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"


def last_try(status: str | None) -> datetime | None:
    """When a setup was last tried, from its status (None: not a setup waiting to be tried again)."""
    found = _LAST_TRY.search(status or "")
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC) if found else None


def setup_failed(ctx: Context, schedule_id: int, status: str, now: datetime) -> str:
    """Store why the setup failed, stamped for the hourly retry."""
    return set_status(ctx, schedule_id, stamped(status[:900], now))


@dataclass(frozen=True)
class SetupDue:
    schedule_id: int
    team_id: str
    status: str  # as read: the claim's compare-and-set value


def setups_due(ctx: Context, now: datetime) -> list[SetupDue]:
    """Schedules whose group is not set up and whose last try is an hour old or more."""
    with session_scope(ctx.engine) as session:
        rows = session.exec(select(Schedule.id, Schedule.team_id, Schedule.usergroup_status).where(
            Schedule.usergroup_handle.is_not(None), Schedule.usergroup_id.is_(None)).order_by(Schedule.id)).all()
    return [SetupDue(sid, team, status) for sid, team, status in rows
            if (tried := last_try(status)) is not None and now - tried >= SETUP_RETRY]


def claim_setup(ctx: Context, due: SetupDue, now: datetime) -> bool:
    """Take this retry (compare-and-set on the status read): of several replicas one gets it."""
    with session_scope(ctx.engine) as session:
        sched = session.get(Schedule, due.schedule_id)
        if sched is None or not sched.usergroup_handle:
            return False
        status = stamped(f"pending: trying again to set up @{sched.usergroup_handle}…", now)
        won = session.exec(update(Schedule).where(Schedule.id == due.schedule_id, Schedule.usergroup_id.is_(None),
                                                  Schedule.usergroup_status == due.status)
                           .values(usergroup_status=status).execution_options(synchronize_session=False))
        return won.rowcount == 1


def taken(handle: str, error: str) -> str:
    return (f"error: @{handle} is taken by a person or a channel (Slack: `{error}`): pick another handle in "
            "`/oncall edit`.")


def names_taken(name: str) -> str:
    return (f"error: Slack already has user groups named \"{name}\": rename one, or type the handle of the "
            "existing group in `/oncall edit`.")


def unreachable(handle: str) -> str:
    return f"warning: could not reach Slack to set up @{handle}."


# ---------------------------------------------------------------- keeping it current


@dataclass(frozen=True)
class Change:
    """A members change this replica claimed: Slack's group gets `holders` (it had `before`)."""

    schedule_id: int
    group_id: str
    handle: str
    before: str  # the members the bot last gave the group, comma-separated
    holders: tuple[str, ...]

    @property
    def members(self) -> str:
        return ",".join(sorted(self.holders))


def claim(ctx: Context, schedule_id: int, now: datetime) -> Change | str | None:
    """Who the group should hold now. A `Change` to send to Slack (claimed by compare-and-set: of
    several replicas, or a handoff and a swap at once, one gets it); a status already stored (nobody
    is on call); None when there is nothing to do."""
    with session_scope(ctx.engine) as session:
        sched = session.get(Schedule, schedule_id)
        if sched is None or not sched.usergroup_handle or not sched.usergroup_id:
            return None
        group_id, handle, before = sched.usergroup_id, sched.usergroup_handle, sched.usergroup_members
        if _resting(sched.usergroup_status, now):
            return None
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
        won = session.exec(update(Schedule).where(Schedule.id == schedule_id, Schedule.usergroup_members == before)
                           .values(usergroup_members=members).execution_options(synchronize_session=False))
        if won.rowcount != 1:
            return None
    return Change(schedule_id, group_id, handle, before, holders)


def updated(ctx: Context, change: Change, now: datetime) -> str:
    return set_status(ctx, change.schedule_id,
                      f"ok: @{change.handle} is {_people(change.members)} (updated {now:%Y-%m-%d %H:%M} UTC).")


STANDING = RESTRICTED | NO_PLAN | {"missing_scope"}  # refusals that stay until a person changes a setting


def _resting(status: str | None, now: datetime) -> bool:
    """A standing refusal tried less than an hour ago: the minute job leaves Slack alone until then."""
    tried = last_try(status)
    return bool(status) and status.startswith("error:") and tried is not None and now - tried < SETUP_RETRY


def failed(ctx: Context, change: Change, error: str | None, now: datetime) -> str:
    """Slack refused (`error`) or was not reached (None): the claim is given back, so the next round
    tries again (a standing refusal such as `permission_denied` an hour later: the status is stamped);
    a deleted group is looked up again when the schedule is saved."""
    status = (explain(error, change.handle) if error else
              f"warning: could not reach Slack to update @{change.handle}; the bot tries again within a minute.")
    if error in STANDING:
        status = stamped(status[:900], now)
    reset = {"usergroup_id": None} if error == "no_such_subteam" else {}
    with session_scope(ctx.engine) as session:
        session.exec(update(Schedule).where(Schedule.id == change.schedule_id,
                                            Schedule.usergroup_members == change.members)
                     .values(usergroup_members=change.before, usergroup_status=status, **reset)
                     .execution_options(synchronize_session=False))
    return status


def _people(members: str) -> str:
    return ", ".join(f"<@{u}>" for u in members.split(",") if u)


def with_groups(ctx: Context) -> list[tuple[int, str]]:
    """(schedule id, team id) of every schedule whose group exists in Slack."""
    with session_scope(ctx.engine) as session:
        return [(s.id, s.team_id) for s in session.exec(
            select(Schedule).where(Schedule.usergroup_id.is_not(None)).order_by(Schedule.id))]
