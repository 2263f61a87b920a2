"""App Home: build and publish each person's Home tab; re-publish when what it shows changes.

Other features call `publish_home(ctx, client, team_id, user_id)` for one person, or
`refresh_homes(ctx, client, team_id, user_ids)` after changing a schedule (it adds every
member of the workspace's schedules, whose "next shifts" may have changed).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, select

from bot.context import Context
from bot.services import background, workspace
from bot.services.auth import is_admin
from bot.services.directory import Directory
from bot.services.reminder_times import DEFAULT_OFFSETS
from bot.services.reminders import offsets_of
from bot.services.status import ScheduleStatus, ShiftLine, build_statuses
from bot.services.timeoff import Entry, time_off_of
from bot.store import Member, Schedule, Shift, session_scope
from bot.views.home import HomeModel, home_view

log = logging.getLogger(__name__)
MY_SHIFTS = 8
MY_TIME_OFF = 5
REFRESH_MAX = 200


@dataclass(frozen=True)
class TeamHome:
    """What the Home tabs of one workspace show, read once for many people."""

    schedules: tuple[ScheduleStatus, ...]
    connections: int
    shifts: dict[str, list[ShiftLine]]  # Slack user id -> their next shifts, soonest first
    time_off: dict[str, list[Entry]]
    reminders: dict[str, tuple[str, ...]] = field(default_factory=dict)  # stored offsets (absent: defaults)


def team_home(session: Session, team_id: str, user_ids: Sequence[str], now: datetime) -> TeamHome:
    """The workspace's schedules with their status, and these people's next shifts and time off:
    a fixed number of statements, whatever the number of people and schedules."""
    schedules = workspace.schedules(session, team_id)
    names = {s.id: s.name for s in schedules}
    mine: dict[str, list[ShiftLine]] = {u: [] for u in user_ids}
    if schedules and mine:
        rows = session.exec(
            select(Shift, Member).join(Member, Member.id == Shift.member_id)
            .where(Shift.schedule_id.in_(list(names)), Shift.end > now, Member.slack_user_id.in_(list(mine)))
            .order_by(Shift.start)
        )
        for shift, member in rows:
            lines = mine[member.slack_user_id]
            if len(lines) < MY_SHIFTS:
                lines.append(ShiftLine(names[shift.schedule_id], shift.role, shift.start, shift.end,
                                       member.name or member.email, member.slack_user_id))
    return TeamHome(
        schedules=tuple(build_statuses(session, schedules, now, shifts=0)),
        connections=len(workspace.connections(session, team_id)),
        shifts=mine,
        time_off=time_off_of(session, team_id, list(mine), now),
        reminders=offsets_of(session, team_id, list(mine)),
    )


def home_model(team: TeamHome, user_id: str, admin: bool) -> HomeModel:
    return HomeModel(
        user_id=user_id,
        is_admin=admin,
        my_shifts=tuple(team.shifts.get(user_id, ())),
        my_time_off=tuple(team.time_off.get(user_id, ())[:MY_TIME_OFF]),
        schedules=team.schedules,
        connections=team.connections,
        reminders=team.reminders.get(user_id, DEFAULT_OFFSETS),
    )


def publish_home(ctx: Context, client: WebClient, team_id: str, user_id: str) -> None:
    """Render and publish one person's Home tab (raises SlackApiError)."""
    with session_scope(ctx.engine) as session:
        team = team_home(session, team_id, [user_id], ctx.clock())
    _publish(ctx, client, team, user_id)


def _publish(ctx: Context, client: WebClient, team: TeamHome, user_id: str) -> None:
    admin = is_admin(ctx, Directory(client), user_id)
    client.views_publish(user_id=user_id, view=home_view(home_model(team, user_id, admin)))


def refresh_homes(ctx: Context, client: WebClient, team_id: str, user_ids: Iterable[str] = ()) -> int:
    """Re-publish for `user_ids` and every member of the workspace's schedules; failures are logged."""
    with session_scope(ctx.engine) as session:
        members = session.exec(
            select(Member.slack_user_id).join(Schedule, Schedule.id == Member.schedule_id)
            .where(Schedule.team_id == team_id, Member.slack_user_id.is_not(None), Member.left_at.is_(None))
        ).all()
    return publish_homes(ctx, client, team_id, list(dict.fromkeys([*user_ids, *members]))[:REFRESH_MAX])


def publish_homes(ctx: Context, client: WebClient, team_id: str, user_ids: Iterable[str]) -> int:
    """Re-publish exactly these people's Home tabs, built from one read of the workspace
    (`team_home`); failures are logged. Returns how many worked."""
    people = list(dict.fromkeys(user_ids))
    if not people:
        return 0
    with session_scope(ctx.engine) as session:
        team = team_home(session, team_id, people, ctx.clock())
    done = 0
    for uid in people:
        try:
            _publish(ctx, client, team, uid)
            done += 1
        except SlackApiError as exc:
            log.warning("could not publish App Home for %s: %s", uid, exc.response.get("error"))
    return done


def refresh_homes_later(ctx: Context, client: WebClient, team_id: str, user_ids: Iterable[str] = ()) -> None:
    """`refresh_homes` on the work pool (a listener must not send hundreds of Slack calls); when
    the pool is full the next change or sync round re-publishes."""
    people = list(user_ids)
    if not background.submit(lambda: refresh_homes(ctx, client, team_id, people), name="refresh App Home"):
        log.warning("the work pool is full: App Home of %s is refreshed at the next change", team_id)
