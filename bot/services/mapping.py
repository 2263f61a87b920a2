"""Hand mappings in `/oncall edit` (issue 13): people the provider shows without an email (a JSM profile
may hide it) are never matched by name; an admin picks who is who.

- A member linked from the provider but not in Slack gets a Slack account picked (`SlackPick`): the
  member row gets that Slack id (and Slack's email when the provider showed none).
- A Slack member with no provider user at a destination's connection gets one of that connection's
  users without a visible email picked (`UserPick`). The pick is stored as the member's email on the
  connection's cached provider user, where the export finds people (`bot.sync.inputs.email_map`);
  a refresh of the cache keeps an email the provider hides (`cache_users`).

Every pick is audited (`member.map`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.providers import ProviderKind
from bot.services.directory import Directory
from bot.services.errors import Field, FieldError
from bot.store import Connection, Destination, Member, ProviderUser, Schedule, audit
from bot.sync.inputs import email_map, user_id_at

PICKS_MAX = 30  # picker blocks in one edit modal (Slack allows 100 blocks a modal; the rest show after saving)


@dataclass(frozen=True)
class SlackPick:
    member_id: int
    slack_user_id: str


@dataclass(frozen=True)
class UserPick:
    member_id: int
    connection_id: int
    user_id: str


@dataclass(frozen=True)
class Candidate:
    """A provider user without a visible email, not mapped to anyone yet."""

    user_id: str
    name: str


@dataclass(frozen=True)
class NotInSlack:
    """A member without a Slack account: pick one."""

    member_id: int
    name: str
    reason: str


@dataclass(frozen=True)
class MissingUser:
    """A Slack member without a provider user at a destination's connection, and whom to pick from."""

    member_id: int
    slack_user_id: str
    name: str
    connection_id: int
    connection_label: str
    candidates: tuple[Candidate, ...]


def not_in_slack(members: Sequence[Member]) -> tuple[NotInSlack, ...]:
    """Active members without a Slack account, in rotation order."""
    return tuple(NotInSlack(m.id, m.name or m.email or m.source_user_id or "?",
                            "no email shown by the provider" if not m.email else f"no Slack account uses {m.email}")
                 for m in members if not m.slack_user_id and m.left_at is None)


def missing_users(session: Session, sched: Schedule, members: Sequence[Member]) -> tuple[MissingUser, ...]:
    """Per destination connection: each active Slack member it has no user for, when that connection
    has users without a visible email to pick from (else there is nobody to pick)."""
    dests = session.exec(select(Destination).where(Destination.schedule_id == sched.id)).all()
    out: list[MissingUser] = []
    for connection_id in dict.fromkeys(d.connection_id for d in dests):
        conn = session.get(Connection, connection_id)
        if conn is None:
            continue
        candidates = _candidates(session, connection_id)
        if not candidates:
            continue
        emails = email_map(session, connection_id)
        same = connection_id == sched.connection_id
        label = f"{ProviderKind(conn.provider).label} · {conn.name}"
        out.extend(MissingUser(m.id, m.slack_user_id, m.name or m.email, connection_id, label, candidates)
                   for m in members
                   if m.slack_user_id and m.left_at is None and user_id_at(m, emails, same_connection=same) is None)
    return tuple(out)


def hidden_users(session: Session, connection_id: int) -> tuple[Candidate, ...]:
    """The account's users without a visible email and not mapped yet: whom a person may be picked as."""
    return _candidates(session, connection_id)


def _candidates(session: Session, connection_id: int) -> tuple[Candidate, ...]:
    rows = session.exec(select(ProviderUser).where(ProviderUser.connection_id == connection_id,
                                                   ProviderUser.email == "")).all()
    return tuple(sorted((Candidate(r.user_id, r.name or r.user_id) for r in rows), key=lambda c: (c.name, c.user_id)))


def apply_picks(session: Session, directory: Directory | None, sched: Schedule, actor: str,
                slack_picks: Sequence[SlackPick], user_picks: Sequence[UserPick], now: datetime) -> None:
    """Check and store the picks (FieldError under the picker: nothing is written then), each audited.
    A Slack account picked for a member must not be another member's already."""
    members = {m.id: m for m in session.exec(select(Member).where(Member.schedule_id == sched.id))}
    taken = {m.slack_user_id for m in members.values() if m.slack_user_id and m.left_at is None}
    picked: set[str] = set()
    for pick in slack_picks:
        block = (Field.MAP_SLACK, (pick.member_id,))
        member = members.get(pick.member_id)
        if member is None or member.slack_user_id or member.left_at is not None:
            raise FieldError(block[0], "This person is mapped or gone already: close the form and edit again.", key=block[1])
        if pick.slack_user_id in taken or pick.slack_user_id in picked:
            raise FieldError(block[0], f"<@{pick.slack_user_id}> is already a member of this schedule.", key=block[1])
        user = directory.user(pick.slack_user_id) if directory else None
        if user is None or user.deleted or user.is_bot:
            raise FieldError(block[0], f"<@{pick.slack_user_id}> is not an active Slack member: pick a person.", key=block[1])
        picked.add(pick.slack_user_id)
        member.slack_user_id = pick.slack_user_id
        if not member.email and user.email:
            member.email = user.email
            _remember_email(session, sched.connection_id, member.source_user_id, user.email)
        session.add(member)
        audit.record(session, sched.team_id, actor, "member.map", schedule_id=sched.id,
                     detail=f"{member.name or member.source_user_id} is <@{pick.slack_user_id}>", at=now)
    chosen: set[tuple[int, str]] = set()
    for pick in user_picks:
        block = (Field.MAP_USER, (pick.member_id, pick.connection_id))
        member = members.get(pick.member_id)
        if member is None or not member.slack_user_id or not member.email:
            raise FieldError(block[0], "This member is gone or has no email: close the form and edit again.", key=block[1])
        row = session.exec(select(ProviderUser).where(ProviderUser.connection_id == pick.connection_id,
                                                      ProviderUser.user_id == pick.user_id)).first()
        conn = session.get(Connection, pick.connection_id)
        if row is None or conn is None or conn.team_id != sched.team_id:
            raise FieldError(block[0], "That user is not known any more: close the form and edit again.", key=block[1])
        if row.email or (pick.connection_id, pick.user_id) in chosen:
            raise FieldError(block[0], f"{row.name or row.user_id} is mapped to someone else already.", key=block[1])
        chosen.add((pick.connection_id, pick.user_id))
        row.email = member.email
        session.add(row)
        audit.record(session, sched.team_id, actor, "member.map", schedule_id=sched.id,
                     detail=f"<@{member.slack_user_id}> is {row.name or row.user_id} ({row.user_id}) in "
                            f"`{conn.name}`", at=now)


def _remember_email(session: Session, connection_id: int | None, user_id: str | None, email: str) -> None:
    """The email of a member picked in Slack, on their cached provider user, so other schedules on that
    connection find them too."""
    if connection_id is None or not user_id:
        return
    row = session.exec(select(ProviderUser).where(ProviderUser.connection_id == connection_id,
                                                  ProviderUser.user_id == user_id)).first()
    if row is not None and not row.email:
        row.email = email
        session.add(row)
