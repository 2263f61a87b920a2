"""Database rows → the pure inputs of `bot.sync.plan` / `bot.sync.drift`, for one destination.

A shift is exported with the assignee's provider user id *at the destination*:

- on the schedule's own (source) connection: `Member.source_user_id`;
- elsewhere (or when that id is missing): by email, through the `ProviderUser` cache of the
  destination's connection, refreshed once with `provider.list_users()` when an email is not
  in it (the caller passes `refresh`).

A member with no account at that provider cannot be exported: their shifts are left out of
the plan and reported (`Unexportable`) so the destination's status can say so in words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case
from sqlmodel import Session, select

from bot.providers.base import RemoteUser
from bot.store.models import Destination, ExportedOverride, Member, ProviderUser, Schedule, Shift
from bot.sync.intents import PENDING
from bot.sync.model import ExportedRecord, ShiftToExport

Refresh = Callable[[], Sequence[RemoteUser]]


@dataclass(frozen=True)
class Unexportable:
    """Shifts that cannot be exported to a destination, and why (in words)."""

    shift_id: int
    start: datetime
    end: datetime
    reason: str


@dataclass
class DestinationInputs:
    """What planning one destination needs, plus the maps to turn results back into words."""

    shifts: list[ShiftToExport]
    unexportable: list[Unexportable]
    member_of_shift: dict[str, int]  # shift id (str) -> member id
    members: dict[int, Member]
    provider_user_to_member: dict[str, int] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        """One sentence per distinct reason, with how many shifts it affects."""
        counts: dict[str, int] = {}
        for u in self.unexportable:
            counts[u.reason] = counts.get(u.reason, 0) + 1
        return [f"{reason} ({n} shift{'s' if n > 1 else ''} not exported)" for reason, n in counts.items()]


def destination_key(dest: Destination) -> str:
    """What `override_alias` hashes for this destination: stable and unique per provider schedule."""
    return f"{dest.team_id}/{dest.id}/{dest.provider_schedule_id}"


def live_shifts(session: Session, schedule_id: int, role: str, now: datetime) -> list[Shift]:
    """The schedule's shifts of `role` that end after `now`, in time order."""
    return list(session.exec(
        select(Shift)
        .where(Shift.schedule_id == schedule_id, Shift.role == role, Shift.end > now)
        .order_by(Shift.start)
    ))


def email_map(session: Session, connection_id: int) -> dict[str, str]:
    """Email (lowercase) -> provider user id in a connection's cache (a hand mapping is an email there).
    Two columns, not rows: an account may have thousands of users and this runs per destination."""
    rows = session.exec(select(ProviderUser.email, ProviderUser.user_id)
                        .where(ProviderUser.connection_id == connection_id))
    return {email.lower(): user_id for email, user_id in rows if email}


def user_id_at(member: Member, emails: dict[str, str], *, same_connection: bool) -> str | None:
    """The member's provider user id at a connection: the linked id on the schedule's own connection,
    else by email through that connection's cache (`email_map`)."""
    if same_connection and member.source_user_id:
        return member.source_user_id
    return emails.get((member.email or "").lower())


UPSERT_CHUNK = 500  # rows per statement (SQLite allows 32,766 bound values; 5 per row)


def _insert_for(session: Session):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the bot runs on SQLite and PostgreSQL only
        raise RuntimeError(f"no upsert for the {dialect} dialect")
    return insert


def cache_users(session: Session, team_id: str, connection_id: int, users: Sequence[RemoteUser]) -> None:
    """Upsert provider users (id, email, name only) into the connection's cache: one
    `INSERT … ON CONFLICT (connection_id, user_id) DO UPDATE` per chunk, so two syncs filling
    the cache at once both succeed (the later write wins) instead of one hitting the unique key.
    An email the provider no longer shows (a JSM profile hiding it) keeps the one stored: that may be
    an admin's hand mapping (`bot.services.mapping`)."""
    rows = list({u.id: {"team_id": team_id, "connection_id": connection_id, "user_id": u.id,
                        "email": u.email, "name": u.name} for u in users}.values())
    if not rows:
        return
    insert = _insert_for(session)
    table = ProviderUser.__table__
    for i in range(0, len(rows), UPSERT_CHUNK):
        stmt = insert(table).values(rows[i:i + UPSERT_CHUNK])
        session.execute(stmt.on_conflict_do_update(
            index_elements=[table.c.connection_id, table.c.user_id],
            set_={"email": case((stmt.excluded.email == "", table.c.email), else_=stmt.excluded.email),
                  "name": stmt.excluded.name, "team_id": stmt.excluded.team_id},
        ))
    for obj in list(session.identity_map.values()):  # rows loaded before now are stale
        if isinstance(obj, ProviderUser):
            session.expire(obj)


def destination_inputs(
    session: Session,
    schedule: Schedule,
    dest: Destination,
    now: datetime,
    *,
    provider_label: str = "the provider",
    refresh: Refresh | None = None,
) -> DestinationInputs:
    """The destination's live shifts with provider user ids; unexportable ones set apart."""
    shifts = live_shifts(session, schedule.id, dest.role, now)
    member_ids = {s.member_id for s in shifts if s.member_id is not None}
    members = {
        m.id: m for m in session.exec(select(Member).where(Member.schedule_id == schedule.id))
    }
    same_connection = dest.connection_id == schedule.connection_id
    emails: dict[str, str] = {}
    read = False

    def user_id_of(member: Member) -> str | None:
        nonlocal read
        if same_connection and member.source_user_id:
            return member.source_user_id
        if not read:  # the cache is read only when a member needs it (not on the schedule's own connection)
            emails.update(email_map(session, dest.connection_id))
            read = True
        return user_id_at(member, emails, same_connection=same_connection)

    missing = [m for mid, m in members.items() if mid in member_ids and user_id_of(m) is None]
    if missing and refresh is not None:
        cache_users(session, schedule.team_id, dest.connection_id, refresh())
        emails.update(email_map(session, dest.connection_id))

    out = DestinationInputs([], [], {}, members)
    for m in members.values():
        uid = user_id_of(m)
        if uid:
            out.provider_user_to_member.setdefault(uid, m.id)
    for shift in shifts:
        if shift.member_id is None or shift.member_id not in members:
            out.unexportable.append(Unexportable(shift.id, shift.start, shift.end, "a shift has nobody assigned"))
            continue
        member = members[shift.member_id]
        uid = user_id_of(member)
        if uid is None:
            who = member.name or member.email
            reason = (f"{who} ({member.email}) has no {provider_label} account with that email"
                      if member.email else f"{who} has no email to find their {provider_label} account")
            out.unexportable.append(Unexportable(shift.id, shift.start, shift.end, reason))
            continue
        out.shifts.append(ShiftToExport(str(shift.id), uid, shift.start, shift.end, shift.version))
        out.member_of_shift[str(shift.id)] = member.id
    return out


def exported_records(session: Session, destination_id: int, *, pending: bool = False) -> list[ExportedRecord]:
    """The destination's records; with `pending`, its intents instead (`bot.sync.intents`)."""
    records, intents = records_and_intents(session, destination_id)
    return intents if pending else records


def records_and_intents(session: Session, destination_id: int) -> tuple[list[ExportedRecord], list[ExportedRecord]]:
    """The destination's records and its intents (`bot.sync.intents`), from one query of columns
    (not ORM rows: this runs for every destination of every round)."""
    o = ExportedOverride
    rows = session.exec(select(o.shift_id, o.override_id, o.user_id, o.start, o.end, o.version)
                        .where(o.destination_id == destination_id))
    records: list[ExportedRecord] = []
    intents: list[ExportedRecord] = []
    for shift_id, override_id, user_id, start, end, version in rows:
        (intents if override_id.startswith(PENDING) else records).append(
            ExportedRecord(str(shift_id), override_id, user_id, start, end, version))
    return records, intents


def user_namer(session: Session, inputs: DestinationInputs, connection_id: int) -> Callable[[str], str]:
    """Provider user id → a Slack mention of the member (else their name or email, else the
    cached provider user's name or email, else the id itself), for reports and drift alerts."""

    def name(user_id: str) -> str:
        member_id = inputs.provider_user_to_member.get(user_id)
        member = inputs.members.get(member_id) if member_id is not None else None
        if member is not None:
            return f"<@{member.slack_user_id}>" if member.slack_user_id else (member.name or member.email)
        known = session.exec(select(ProviderUser.name, ProviderUser.email).where(
            ProviderUser.connection_id == connection_id, ProviderUser.user_id == user_id)).first()
        if known is not None:
            return known[0] or known[1] or user_id
        return user_id

    return name
