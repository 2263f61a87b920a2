"""App Home: build and publish each person's Home tab; re-publish when what it shows changes.

Other features call `publish_home(ctx, client, team_id, user_id)` for one person, or
`refresh_homes(ctx, client, team_id, user_ids)` after changing a schedule (it adds every
member of the workspace's schedules, whose "next shifts" may have changed).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import select

from bot.context import Context
from bot.services import lookup
from bot.services.auth import is_admin
from bot.services.directory import Directory
from bot.services.status import build_status, shifts_between
from bot.services.timeoff import list_time_off
from bot.store import Member, Schedule, session_scope
from bot.views.home import HomeModel, home_view

log = logging.getLogger(__name__)
MY_SHIFTS = 8
MY_TIME_OFF = 5
REFRESH_MAX = 200


def home_model(ctx: Context, team_id: str, user_id: str, admin: bool) -> HomeModel:
    now = ctx.clock()
    with session_scope(ctx.engine) as session:
        schedules = lookup.schedules(session, team_id)
        mine = []
        for sched in schedules:
            mine.extend(shifts_between(session, sched, now, MY_SHIFTS, slack_user_id=user_id))
        mine.sort(key=lambda s: s.start)
        return HomeModel(
            user_id=user_id,
            is_admin=admin,
            my_shifts=tuple(mine[:MY_SHIFTS]),
            my_time_off=tuple(list_time_off(session, team_id, user_id, now)[:MY_TIME_OFF]),
            schedules=tuple(build_status(session, s, now, shifts=0) for s in schedules),
            connections=len(lookup.connections(session, team_id)),
        )


def publish_home(ctx: Context, client: WebClient, team_id: str, user_id: str) -> None:
    """Render and publish one person's Home tab."""
    admin = is_admin(ctx, Directory(client), user_id)
    client.views_publish(user_id=user_id, view=home_view(home_model(ctx, team_id, user_id, admin)))


def refresh_homes(ctx: Context, client: WebClient, team_id: str, user_ids: Iterable[str] = ()) -> int:
    """Re-publish for `user_ids` and every member of the workspace's schedules; failures are logged."""
    with session_scope(ctx.engine) as session:
        members = session.exec(
            select(Member.slack_user_id).join(Schedule, Schedule.id == Member.schedule_id)
            .where(Schedule.team_id == team_id, Member.slack_user_id.is_not(None), Member.left_at.is_(None))
        ).all()
    return publish_homes(ctx, client, team_id, list(dict.fromkeys([*user_ids, *members]))[:REFRESH_MAX])


def publish_homes(ctx: Context, client: WebClient, team_id: str, user_ids: Iterable[str]) -> int:
    """Re-publish exactly these people's Home tabs; failures are logged. Returns how many worked."""
    done = 0
    for uid in user_ids:
        try:
            publish_home(ctx, client, team_id, uid)
            done += 1
        except SlackApiError as exc:
            log.warning("could not publish App Home for %s: %s", uid, exc.response.get("error"))
    return done
