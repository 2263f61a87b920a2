"""Find connections and schedules by what people type: exact name, case-insensitive, or unique prefix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlmodel import Session, select

from bot.services.errors import UserError
from bot.store.models import Connection, Schedule

T = TypeVar("T", Connection, Schedule)


def _match(items: Sequence[T], name: str, what: str, usage: str) -> T:
    wanted = name.strip().lower()
    exact = [i for i in items if i.name.lower() == wanted]
    if len(exact) == 1:
        return exact[0]
    prefix = [i for i in items if i.name.lower().startswith(wanted)]
    if len(prefix) == 1:
        return prefix[0]
    known = ", ".join(f"`{i.name}`" for i in items)
    if not items:
        raise UserError(f"There is no {what} yet. {usage}")
    if len(prefix) > 1:
        raise UserError(f"`{name}` matches several {what}s: {', '.join(f'`{i.name}`' for i in prefix)}. Type the full name.")
    raise UserError(f"No {what} is called `{name}`. Known {what}s: {known}.")


def connections(session: Session, team_id: str) -> list[Connection]:
    return list(session.exec(select(Connection).where(Connection.team_id == team_id).order_by(Connection.name)))


def schedules(session: Session, team_id: str) -> list[Schedule]:
    return list(session.exec(select(Schedule).where(Schedule.team_id == team_id).order_by(Schedule.name)))


def find_connection(session: Session, team_id: str, name: str) -> Connection:
    return _match(connections(session, team_id), name, "connection", "Add one with `/oncall connect`.")


def find_schedule(session: Session, team_id: str, name: str) -> Schedule:
    return _match(schedules(session, team_id), name, "schedule", "Link one with `/oncall link`.")


def get_connection(session: Session, team_id: str, connection_id: int) -> Connection:
    conn = session.get(Connection, connection_id)
    if conn is None or conn.team_id != team_id:
        raise UserError("That connection no longer exists. See `/oncall connections`.")
    return conn


def get_schedule(session: Session, team_id: str, schedule_id: int) -> Schedule:
    sched = session.get(Schedule, schedule_id)
    if sched is None or sched.team_id != team_id:
        raise UserError("That schedule is no longer linked. See `/oncall status`.")
    return sched
