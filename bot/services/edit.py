"""Edit a linked schedule: the edit modal's data (`edit_data`) and its submission (`edit_schedule`: horizon,
channel, member order, managers, destinations of each role, people mapped by hand). Who may change what is
asked of `bot.services.authz` inside the transaction. Unlinking is `bot.services.unlink`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from bot.context import Context
from bot.providers import ProviderError
from bot.rota.model import PRIMARY, SECONDARY
from bot.services import authz, workspace
from bot.services.authz import Action, Person
from bot.services.deadline import DeadlineExceeded, run_with_deadline
from bot.services.directory import Directory
from bot.services.errors import Field, FieldError
from bot.services.link import HORIZON_MAX, HORIZON_MIN, Target
from bot.services.mapping import (
    MissingUser,
    NotInSlack,
    SlackPick,
    UserPick,
    apply_picks,
    hidden_users,
    missing_users,
    not_in_slack,
)
from bot.store import (
    Connection,
    Destination,
    DestinationStatus,
    DriftAlert,
    ExportedOverride,
    Member,
    ProviderUser,
    Schedule,
    audit,
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
    handover_messages: bool = True
    usergroup_handle: str | None = None  # the on-call user group (bot.services.oncall_group)
    usergroup_status: str | None = None
    managers: tuple[str, ...] = ()  # Slack user ids
    may_change_destinations: bool = True  # workspace admins only: the fields are shown to them alone
    not_in_slack: tuple[NotInSlack, ...] = ()  # a Slack account may be picked for each (bot.services.mapping)
    missing_users: tuple[MissingUser, ...] = ()  # a provider user may be picked for each

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
    destinations: tuple[Target, ...] | None  # None: keep the primary destinations as they are
    secondary: tuple[Target, ...] | None = None  # None: keep the secondary destinations as they are
    handover_messages: bool | None = None  # None: keep as it is
    managers: tuple[str, ...] | None = None  # None: keep the managers as they are
    slack_picks: tuple[SlackPick, ...] = ()  # hand mappings (bot.services.mapping)
    user_picks: tuple[UserPick, ...] = ()


@dataclass(frozen=True)
class EditResult:
    name: str
    managers_added: tuple[str, ...] = ()
    managers_removed: tuple[str, ...] = ()
    to_map: tuple[str, ...] = ()  # Slack ids added whose provider user must be picked by hand (email hidden)


def edit_data(ctx: Context, team_id: str, schedule_id: int, *, may_change_destinations: bool = True) -> EditData:
    with session_scope(ctx.engine) as session:
        sched = workspace.get_schedule(session, team_id, schedule_id)
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
            targets(PRIMARY), schedule_roles(sched), targets(SECONDARY), sched.handover_messages,
            sched.usergroup_handle, sched.usergroup_status, authz.managers(sched), may_change_destinations,
            not_in_slack(members) if may_change_destinations else (),
            missing_users(session, sched, members) if may_change_destinations else (),
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
        with ctx.provider(conn, timeout=EDIT_DEADLINE_SECONDS) as provider:
            users = run_with_deadline(provider.list_users, EDIT_DEADLINE_SECONDS)
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


def edit_schedule(ctx: Context, directory: Directory, team_id: str, person: Person, req: EditRequest) -> EditResult:
    """Validate and apply; FieldError (nothing written) when an input is wrong, NotAllowed when `person`
    may not edit the schedule. Returns what the reply confirms."""
    if not HORIZON_MIN <= req.horizon_days <= HORIZON_MAX:
        raise FieldError(Field.HORIZON, f"Pick between {HORIZON_MIN} and {HORIZON_MAX} days.")
    if not req.member_slack_ids:
        raise FieldError(Field.MEMBERS, "Keep at least one member.")
    if req.destinations is not None and not req.destinations:
        raise FieldError(Field.DESTINATIONS, "Keep at least one destination.")
    now = ctx.clock()
    actor = person.user_id
    with session_scope(ctx.engine) as session:
        sched: Schedule = workspace.get_schedule(session, team_id, req.schedule_id)
        authz.require(person, Action.EDIT_SCHEDULE, sched)
        primary = _targets_or_current(session, sched, PRIMARY, req.destinations, Field.DESTINATIONS, person)
        secondary = _targets_or_current(session, sched, SECONDARY, req.secondary, Field.SECONDARY, person)
        if (req.secondary is not None and SECONDARY not in schedule_roles(sched)
                and _added(session, sched, SECONDARY, secondary)):
            raise FieldError(Field.SECONDARY,
                             f"This schedule has no secondary role: turn it on first with "
                             f"`/oncall pattern {sched.name} roles primary,secondary`.")
        before = authz.managers(sched)
        after = _checked_managers(directory, person, sched, req.managers)
        check_roles_apart(primary, secondary)
        for field, role, targets in ((Field.DESTINATIONS, PRIMARY, primary),
                                     (Field.SECONDARY, SECONDARY, secondary)):
            current = _current(session, sched, role)
            for t in targets:
                workspace.ensure_unshared(session, team_id, field, t.connection_id, t.schedule_id,
                                       t.name or t.schedule_id, sched.id)
                if (t.connection_id, t.schedule_id) not in current:  # a current one may stay until removed
                    workspace.ensure_writable(session, team_id, field, t.connection_id, t.name or t.schedule_id)
        conn = session.get(Connection, sched.connection_id) if sched.connection_id else None
        if (req.slack_picks or req.user_picks) and not authz.may(person, Action.CHANGE_DESTINATIONS, sched):
            first = req.slack_picks[0] if req.slack_picks else None
            field, key = ((Field.MAP_SLACK, (first.member_id,)) if first else
                          (Field.MAP_USER, (req.user_picks[0].member_id, req.user_picks[0].connection_id)))
            raise FieldError(field, authz.refusal(person, Action.CHANGE_DESTINATIONS, sched), key=key)
        apply_picks(session, directory, sched, actor, req.slack_picks, req.user_picks, now)
        members = list(session.exec(select(Member).where(Member.schedule_id == sched.id)))
        by_slack = {m.slack_user_id: m for m in members if m.slack_user_id}
        ordered: list[Member] = []
        for uid in req.member_slack_ids:
            member = by_slack.get(uid)
            if member is None:
                member = _new_member(ctx, session, directory, sched, conn, uid, now)
            ordered.append(member)
        to_map = tuple(m.slack_user_id for m in ordered
                       if m.slack_user_id not in by_slack and conn is not None and m.source_user_id is None)
        picked = {p.member_id for p in req.slack_picks}  # mapped just now: they keep their turn at the end
        ordered.extend(m for m in sorted(members, key=lambda m: m.position) if m.id in picked and m.id not in {o.id for o in ordered})
        chosen = {m.id for m in ordered if m.id is not None}
        unmapped = sorted((m for m in members if not m.slack_user_id and m.left_at is None), key=lambda m: m.position)
        for position, member in enumerate([*ordered, *unmapped]):
            member.position = position
            member.left_at = None
            session.add(member)
        for member in members:
            if member.slack_user_id and member.id not in chosen and member.left_at is None:
                member.left_at = now
        _set_destinations(session, sched, PRIMARY, primary)
        _set_destinations(session, sched, SECONDARY, secondary)
        sched.horizon_days = req.horizon_days
        sched.channel_id = req.channel_id
        sched.managers = authz.format_managers(after)
        if req.handover_messages is not None:
            sched.handover_messages = req.handover_messages
        audit.record(session, team_id, actor, "schedule.edit", schedule_id=sched.id,
                     detail=f"horizon {req.horizon_days} days, channel "
                            f"{f'<#{req.channel_id}>' if req.channel_id else 'none'}, members "
                            f"{', '.join(f'<@{u}>' for u in req.member_slack_ids)}, managers "
                            f"{', '.join(f'<@{u}>' for u in after) or 'none'}, "
                            f"handover messages {'on' if sched.handover_messages else 'off'}", at=now)
        return EditResult(sched.name, tuple(u for u in after if u not in before),
                          tuple(u for u in before if u not in after), to_map)


def _targets_or_current(session, sched: Schedule, role: str, targets: tuple[Target, ...] | None, field: Field,
                        person: Person) -> tuple[Target, ...]:
    """The destinations of `role` after the edit: `targets`, or the current ones when the field was not
    shown. Changing them is for admins (they point the bot's writes at a shared account's schedules)."""
    current = _current(session, sched, role)
    if targets is None:
        return tuple(Target(d.connection_id, d.provider_schedule_id, d.provider_schedule_name)
                     for d in current.values())
    changed = {(t.connection_id, t.schedule_id) for t in targets} != set(current)
    if changed and not authz.may(person, Action.CHANGE_DESTINATIONS, sched):
        raise FieldError(field, authz.refusal(person, Action.CHANGE_DESTINATIONS, sched))
    return targets


def _checked_managers(directory: Directory, person: Person, sched: Schedule,
                      wanted: tuple[str, ...] | None) -> tuple[str, ...]:
    """The managers after the edit (the current ones when the field was not shown); new ones must be
    active people in Slack, and changing them is for admins and the current managers."""
    current = authz.managers(sched)
    if wanted is None:
        return current
    wanted = authz.parse_managers(",".join(wanted))
    if set(wanted) == set(current):
        return current
    if not authz.may(person, Action.SET_MANAGERS, sched):
        raise FieldError(Field.MANAGERS, authz.refusal(person, Action.SET_MANAGERS, sched))
    for uid in wanted:
        if uid not in current:
            _active_person(directory, uid, Field.MANAGERS)
    return wanted


def _active_person(directory: Directory, uid: str, field: Field):
    """The Slack user `uid`, who must be an active person (not deactivated, not a bot)."""
    user = directory.user(uid)
    if user is None:
        raise FieldError(field, f"Slack does not know <@{uid}>.")
    if user.deleted:
        raise FieldError(field, f"{user.name} is deactivated in Slack: remove them from the list.")
    if user.is_bot:
        raise FieldError(field, f"{user.name} is a bot: remove it from the list.")
    return user


def _new_member(ctx, session, directory: Directory, sched: Schedule, conn: Connection | None, uid: str, now) -> Member:
    user = _active_person(directory, uid, Field.MEMBERS)
    if not user.email:
        raise FieldError(Field.MEMBERS, f"Slack shows no email for {user.name}: the bot needs users:read.email.")
    source_id = None
    if conn is not None:
        pu = _provider_user_for(ctx, session, conn, user.email)
        if pu is None and not hidden_users(session, conn.id):
            raise FieldError(Field.MEMBERS, f"{user.name} ({user.email}) has no user with that email in "
                                                     f"`{conn.name}`: add them there first.")
        # else their provider user may be one whose email the provider hides: picked by hand afterwards
        source_id = pu.user_id if pu else None
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
        conn = workspace.get_connection(session, sched.team_id, target.connection_id)
        session.add(Destination(
            team_id=sched.team_id, schedule_id=sched.id, role=role, connection_id=conn.id,
            provider_schedule_id=target.schedule_id, provider_schedule_name=target.name or target.schedule_id,
            status=(DestinationStatus.READ_ONLY if conn.can_write is False else DestinationStatus.PENDING).value,
        ))
