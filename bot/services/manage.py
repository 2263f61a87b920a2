"""Change a linked schedule: `edit` (horizon, channel, member order, destinations of each role) and `unlink`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from bot.context import Context
from bot.providers import ProviderError
from bot.rota.model import PRIMARY, SECONDARY
from bot.services import lookup
from bot.services.deadline import DeadlineExceeded, run_with_deadline
from bot.services.directory import Directory
from bot.services.errors import Field, FieldError
from bot.services.link import HORIZON_MAX, HORIZON_MIN, Target
from bot.store import (
    AuditEvent,
    Connection,
    Destination,
    DestinationStatus,
    DriftAlert,
    ExportedOverride,
    Member,
    ProviderUser,
    Schedule,
    Shift,
    SwapRequest,
    session_scope,
)
from bot.sync.assignments import schedule_roles

EDIT_DEADLINE_SECONDS = 2.0


@dataclass(frozen=True)
class EditData:
    """What the edit modal shows."""

    schedule_id: int
    name: str
    horizon_days: int
    channel_id: str | None
    member_slack_ids: tuple[str, ...]
    unmapped: tuple[str, ...]  # members without a Slack account (kept, not editable here)
    destinations: tuple[Target, ...]  # of the primary role
    roles: tuple[str, ...] = (PRIMARY,)
    secondary: tuple[Target, ...] = ()  # destinations of the secondary role

    @property
    def shows_secondary(self) -> bool:
        """The secondary field is shown while the role is on, or while it still has destinations to remove."""
        return SECONDARY in self.roles or bool(self.secondary)


@dataclass(frozen=True)
class EditRequest:
    schedule_id: int
    horizon_days: int
    channel_id: str | None
    member_slack_ids: tuple[str, ...]
    destinations: tuple[Target, ...]
    secondary: tuple[Target, ...] | None = None  # None: keep the secondary destinations as they are


def edit_data(ctx: Context, team_id: str, schedule_id: int) -> EditData:
    with session_scope(ctx.engine) as session:
        sched = lookup.get_schedule(session, team_id, schedule_id)
        members = list(session.exec(
            select(Member).where(Member.schedule_id == sched.id, Member.left_at.is_(None)).order_by(Member.position)
        ))
        dests = list(session.exec(
            select(Destination).where(Destination.schedule_id == sched.id).order_by(Destination.id)
        ))

        def targets(role: str) -> tuple[Target, ...]:
            return tuple(Target(d.connection_id, d.provider_schedule_id, d.provider_schedule_name)
                         for d in dests if d.role == role)

        return EditData(
            sched.id, sched.name, sched.horizon_days, sched.channel_id,
            tuple(m.slack_user_id for m in members if m.slack_user_id),
            tuple(m.name or m.email for m in members if not m.slack_user_id),
            targets(PRIMARY), schedule_roles(sched), targets(SECONDARY),
        )


def check_roles_apart(primary: tuple[Target, ...], secondary: tuple[Target, ...]) -> None:
    """One provider schedule never serves both roles: it pages everyone in it (Opsgenie), so both people."""
    both = {t.value for t in primary} & {t.value for t in secondary}
    if both:
        names = ", ".join(sorted({t.name or t.schedule_id for t in secondary if t.value in both}))
        raise FieldError(Field.SECONDARY,
                         f"{names} is already a primary destination: a provider schedule pages everyone in it, so "
                         "it would page both people. Give the secondary role a provider schedule of its own.")


def _provider_user_for(ctx: Context, session, conn: Connection, email: str) -> ProviderUser | None:
    found = session.exec(
        select(ProviderUser).where(ProviderUser.connection_id == conn.id, ProviderUser.email == email)
    ).first()
    if found:
        return found
    try:
        users = run_with_deadline(ctx.provider_for(conn, timeout=EDIT_DEADLINE_SECONDS).list_users,
                                  EDIT_DEADLINE_SECONDS)
    except DeadlineExceeded:
        raise FieldError(Field.MEMBERS, f"`{conn.name}` did not answer in time: try again.") from None
    except ProviderError as exc:
        raise FieldError(Field.MEMBERS, f"Could not read users from `{conn.name}`: {exc}") from None
    match = None
    for user in users:
        if user.email and user.email.lower() == email.lower():
            match = ProviderUser(team_id=conn.team_id, connection_id=conn.id, user_id=user.id,
                                 email=user.email, name=user.name)
            if not session.exec(select(ProviderUser).where(ProviderUser.connection_id == conn.id,
                                                           ProviderUser.user_id == user.id)).first():
                session.add(match)
    return match


def edit_schedule(ctx: Context, directory: Directory, team_id: str, actor: str, req: EditRequest) -> str:
    """Validate and apply; FieldError (nothing written) when an input is wrong. Returns the name."""
    if not HORIZON_MIN <= req.horizon_days <= HORIZON_MAX:
        raise FieldError(Field.HORIZON, f"Pick between {HORIZON_MIN} and {HORIZON_MAX} days.")
    if not req.member_slack_ids:
        raise FieldError(Field.MEMBERS, "Keep at least one member.")
    if not req.destinations:
        raise FieldError(Field.DESTINATIONS, "Keep at least one destination.")
    now = ctx.clock()
    with session_scope(ctx.engine) as session:
        sched: Schedule = lookup.get_schedule(session, team_id, req.schedule_id)
        secondary = req.secondary
        if secondary is None:
            secondary = tuple(Target(d.connection_id, d.provider_schedule_id, d.provider_schedule_name)
                              for d in session.exec(select(Destination).where(Destination.schedule_id == sched.id,
                                                                              Destination.role == SECONDARY)))
        elif SECONDARY not in schedule_roles(sched) and _added(session, sched, SECONDARY, secondary):
            raise FieldError(Field.SECONDARY,
                             f"This schedule has no secondary role: turn it on first with "
                             f"`/oncall pattern {sched.name} roles primary,secondary`.")
        check_roles_apart(req.destinations, secondary)
        for block, role, targets in ((Field.DESTINATIONS, PRIMARY, req.destinations),
                                     (Field.SECONDARY, SECONDARY, secondary)):
            current = _current(session, sched, role)
            for t in targets:
                lookup.ensure_unshared(session, team_id, block, t.connection_id, t.schedule_id,
                                       t.name or t.schedule_id, sched.id)
                if (t.connection_id, t.schedule_id) not in current:  # a current one may stay until removed
                    lookup.ensure_writable(session, team_id, block, t.connection_id, t.name or t.schedule_id)
        conn = session.get(Connection, sched.connection_id) if sched.connection_id else None
        members = list(session.exec(select(Member).where(Member.schedule_id == sched.id)))
        by_slack = {m.slack_user_id: m for m in members if m.slack_user_id}
        ordered: list[Member] = []
        for uid in req.member_slack_ids:
            member = by_slack.get(uid)
            if member is None:
                member = _new_member(ctx, session, directory, sched, conn, uid, now)
            ordered.append(member)
        chosen = {m.id for m in ordered if m.id is not None}
        unmapped = sorted((m for m in members if not m.slack_user_id and m.left_at is None), key=lambda m: m.position)
        for position, member in enumerate([*ordered, *unmapped]):
            member.position = position
            member.left_at = None
            session.add(member)
        for member in members:
            if member.slack_user_id and member.id not in chosen and member.left_at is None:
                member.left_at = now
        _set_destinations(session, sched, PRIMARY, req.destinations)
        _set_destinations(session, sched, SECONDARY, secondary)
        sched.horizon_days = req.horizon_days
        sched.channel_id = req.channel_id
        session.add(AuditEvent(team_id=team_id, actor=actor, action="schedule.edit", schedule_id=sched.id,
                               detail=f"horizon={req.horizon_days} channel={req.channel_id} "
                                      f"members={','.join(req.member_slack_ids)}"))
        return sched.name


def _new_member(ctx, session, directory: Directory, sched: Schedule, conn: Connection | None, uid: str, now) -> Member:
    user = directory.user(uid)
    if user is None:
        raise FieldError(Field.MEMBERS, f"Slack does not know <@{uid}>.")
    if user.deleted:
        raise FieldError(Field.MEMBERS, f"{user.name} is deactivated in Slack: remove them from the list.")
    if user.is_bot:
        raise FieldError(Field.MEMBERS, f"{user.name} is a bot: remove it from the list.")
    if not user.email:
        raise FieldError(Field.MEMBERS, f"Slack shows no email for {user.name}: the bot needs users:read.email.")
    source_id = None
    if conn is not None:
        pu = _provider_user_for(ctx, session, conn, user.email)
        if pu is None:
            raise FieldError(Field.MEMBERS, f"{user.name} ({user.email}) has no user with that email in "
                                                     f"`{conn.name}`: add them there first.")
        source_id = pu.user_id
    member = Member(team_id=sched.team_id, schedule_id=sched.id, slack_user_id=uid, email=user.email,
                    name=user.name, source_user_id=source_id, joined_at=now)
    session.add(member)
    session.flush()
    return member


def _current(session, sched: Schedule, role: str) -> dict[tuple[int, str], Destination]:
    return {(d.connection_id, d.provider_schedule_id): d for d in session.exec(
        select(Destination).where(Destination.schedule_id == sched.id, Destination.role == role))}


def _added(session, sched: Schedule, role: str, targets: tuple[Target, ...]) -> bool:
    current = _current(session, sched, role)
    return any((t.connection_id, t.schedule_id) not in current for t in targets)


def _set_destinations(session, sched: Schedule, role: str, targets: tuple[Target, ...]) -> None:
    """Make the destinations of `role` exactly `targets` (removed ones forget their records and alerts)."""
    current = _current(session, sched, role)
    wanted = {(t.connection_id, t.schedule_id): t for t in targets}
    for key, dest in current.items():
        if key not in wanted:
            for exported in session.exec(select(ExportedOverride).where(ExportedOverride.destination_id == dest.id)):
                session.delete(exported)
            for alert in session.exec(select(DriftAlert).where(DriftAlert.destination_id == dest.id)):
                session.delete(alert)
            session.delete(dest)
    for key, target in wanted.items():
        if key in current:
            continue
        conn = lookup.get_connection(session, sched.team_id, target.connection_id)
        session.add(Destination(
            team_id=sched.team_id, schedule_id=sched.id, role=role, connection_id=conn.id,
            provider_schedule_id=target.schedule_id, provider_schedule_name=target.name or target.schedule_id,
            status=(DestinationStatus.READ_ONLY if conn.can_write is False else DestinationStatus.PENDING).value,
        ))


def unlink_schedule(ctx: Context, team_id: str, schedule_id: int, actor: str) -> str:
    """Forget the schedule and everything the bot kept for it; the provider is left untouched."""
    with session_scope(ctx.engine) as session:
        sched = lookup.get_schedule(session, team_id, schedule_id)
        dest_ids = [d.id for d in session.exec(select(Destination).where(Destination.schedule_id == sched.id))]
        for model, column in ((ExportedOverride, ExportedOverride.destination_id), (DriftAlert, DriftAlert.destination_id)):
            for row in session.exec(select(model).where(column.in_(dest_ids))):
                session.delete(row)
        session.flush()
        for model in (SwapRequest, Shift, Destination):
            for row in session.exec(select(model).where(model.schedule_id == sched.id)):
                session.delete(row)
        session.flush()
        for row in session.exec(select(Member).where(Member.schedule_id == sched.id)):
            session.delete(row)
        session.flush()
        name = sched.name
        session.delete(sched)
        session.add(AuditEvent(team_id=team_id, actor=actor, action="schedule.unlink", schedule_id=schedule_id,
                               detail=name))
        return name
