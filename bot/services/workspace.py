"""A workspace's connections and schedules: found by what people type (exact name, case-insensitive, or
unique prefix) or by an id a button carries, always within the asking workspace.

The `session` functions compose inside a service's transaction; `schedule_named`, `schedule_by_id`,
`connection_named`, `schedules_meant` and `shift_schedule_name` open a read of their own for commands and
buttons (commands call services; services own the sessions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.services.errors import Field, FieldError, UserError
from bot.store import session_scope
from bot.store.models import Connection, Destination, Schedule, Shift

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


def exported_by_other(session: Session, team_id: str, connection_id: int, provider_schedule_id: str,
                      schedule_id: int | None = None) -> Schedule | None:
    """The other bot schedule that already exports to this provider schedule, if any.

    Two bot schedules on one provider schedule would each delete the other's overrides beyond
    their marks and page whoever exported last, so a provider schedule has one owner.
    """
    query = (select(Schedule).join(Destination, Destination.schedule_id == Schedule.id)
             .where(Schedule.team_id == team_id, Destination.connection_id == connection_id,
                    Destination.provider_schedule_id == provider_schedule_id))
    if schedule_id is not None:
        query = query.where(Schedule.id != schedule_id)
    return session.exec(query).first()


def ensure_unshared(session: Session, team_id: str, field: Field, connection_id: int, provider_schedule_id: str,
                    label: str, schedule_id: int | None = None) -> None:
    """FieldError under `field` when another bot schedule already exports there."""
    owner = exported_by_other(session, team_id, connection_id, provider_schedule_id, schedule_id)
    if owner:
        raise FieldError(field, f"{label} already receives the shifts of `{owner.name}`: one provider schedule "
                                   "can follow only one bot schedule.")


def ensure_writable(session: Session, team_id: str, field: Field, connection_id: int, label: str) -> None:
    """FieldError under `field` when the connection's key is read-only: never a new destination."""
    conn = get_connection(session, team_id, connection_id)
    if conn.can_write is False:
        raise FieldError(field, f"The API key of `{conn.name}` is read-only, so the bot cannot export to {label}: "
                                   "pick a schedule of a read-write account.")


def schedule_named(engine: Engine, team_id: str, name: str) -> Schedule:
    with session_scope(engine) as session:
        return find_schedule(session, team_id, name)


def schedule_by_id(engine: Engine, team_id: str, schedule_id: int) -> Schedule:
    with session_scope(engine) as session:
        return get_schedule(session, team_id, schedule_id)


def connection_named(engine: Engine, team_id: str, name: str) -> Connection:
    with session_scope(engine) as session:
        return find_connection(session, team_id, name)


def schedules_meant(engine: Engine, team_id: str, name: str | None, channel_id: str | None) -> list[Schedule]:
    """The named schedule; else this channel's schedules; else every schedule of the workspace."""
    with session_scope(engine) as session:
        if name:
            return [find_schedule(session, team_id, name)]
        every = schedules(session, team_id)
    found = [s for s in every if channel_id and s.channel_id == channel_id] or every
    if not found:
        raise UserError("No schedule is linked yet. Link one with `/oncall link`.")
    return found


def shift_schedule_name(engine: Engine, team_id: str, shift_id: int) -> str:
    """The name of the schedule a shift of this workspace belongs to."""
    with session_scope(engine) as session:
        shift = session.get(Shift, shift_id)
        if shift is None or shift.team_id != team_id:
            raise UserError("That shift no longer exists: see `/oncall who`.")
        return get_schedule(session, team_id, shift.schedule_id).name
