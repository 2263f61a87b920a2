"""Assignments in the database, computed by `bot.rota`: extend to the horizon, replace after time off.

The bridge between rows and the pure rota core: it reads members, history, time off and the
current plan, calls `generate` / `replace_for_time_off`, and writes back only what changed
(new shifts at version 1, reassigned ones with their version bumped so the sync engine
re-exports them). Shifts that have started or are exported at their current version are fixed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, select

from bot.context import Context
from bot.providers.base import RemoteRotation, Restriction
from bot.rota import model as rota
from bot.rota.generate import generate
from bot.rota.pattern import ShiftPattern, kind_of, pattern_from_rotation, slots
from bot.rota.timeoff import Replacement, replace_for_time_off
from bot.store import audit
from bot.store.models import ExportedOverride, Member, Schedule, Shift, TimeOff
from bot.store.shifts import reassign_shift

HISTORY_DAYS = 90


@dataclass(frozen=True)
class RotaInputs:
    pattern: ShiftPattern
    members: list[rota.Member]
    history: list[rota.Shift]
    time_off: list[rota.TimeOff]
    current: dict[tuple[str, datetime], Shift]  # future and in-progress shifts by (role, start)
    fixed_keys: set[tuple[str, datetime]]


def _rotation_from_json(data: dict) -> RemoteRotation:
    return RemoteRotation(
        id=data.get("id", ""),
        name=data.get("name", ""),
        start=datetime.fromisoformat(data["start"]),
        turn_length_seconds=int(data["turn_length_seconds"]),
        users=(),
        kind=data.get("kind", "custom"),
        length=int(data.get("length", 1)),
        restrictions=tuple(Restriction(**r) for r in data.get("restrictions", [])),
    )


def schedule_roles(schedule: Schedule) -> tuple[str, ...]:
    """The roles a schedule staffs: ("primary",) or ("primary", "secondary")."""
    return tuple(r.strip() for r in schedule.roles.split(",") if r.strip()) or (rota.PRIMARY,)


def schedule_pattern(schedule: Schedule, members: Iterable[Member]) -> ShiftPattern:
    """The shift pattern of a schedule: the imported rotation, with the edits stored under "pattern"."""
    data = json.loads(schedule.pattern_json or "{}")
    roles = schedule_roles(schedule)
    holidays = frozenset(date.fromisoformat(d.strip()) for d in schedule.holidays.split(",") if d.strip())
    ordered = sorted(members, key=lambda m: m.position)
    rotations = data.get("rotations") or []
    if rotations:
        main = max(rotations, key=lambda r: len(r.get("user_ids", [])))
        pattern = pattern_from_rotation(
            _rotation_from_json(main), schedule.time_zone, roles=roles, holidays=holidays
        )
    else:
        pattern = ShiftPattern(time_zone=schedule.time_zone, roles=roles, holidays=holidays)
    edits = data.get("pattern") or {}
    changes: dict = {"order": tuple(str(m.id) for m in ordered), "time_zone": schedule.time_zone}
    if "handoff" in edits:
        changes["handoff"] = time.fromisoformat(edits["handoff"])
    if "length_hours" in edits:
        changes["length"] = timedelta(hours=float(edits["length_hours"]))
    if "split_weekend" in edits:
        changes["split_weekend"] = bool(edits["split_weekend"])
    if edits:
        changes["restrictions"] = ()
    return ShiftPattern(**{**pattern.__dict__, **changes})


def to_rota(shift: Shift, pattern: ShiftPattern) -> rota.Shift:
    """The one builder of rota shifts from rows: the kind (weekday, weekend, holiday) follows the
    pattern, so served and frozen weekends and holidays count in the balance."""
    return rota.Shift(role=shift.role, start=shift.start, end=shift.end, member_id=str(shift.member_id),
                      version=shift.version, kind=kind_of(pattern, shift.start))


def _exported_versions(session: Session, shift_ids: list[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    if shift_ids:
        o = ExportedOverride  # two columns, not rows: this runs for every schedule of every round
        for shift_id, version in session.exec(select(o.shift_id, o.version).where(o.shift_id.in_(shift_ids))):
            out.setdefault(shift_id, set()).add(version)
    return out


def load_inputs(session: Session, schedule: Schedule, now: datetime) -> RotaInputs:
    members = session.exec(select(Member).where(Member.schedule_id == schedule.id)).all()
    active = [m for m in members if m.left_at is None or m.left_at > now]
    pattern = schedule_pattern(schedule, active)
    # a clock set in the past (tests, replays) must not make everyone a future joiner
    rota_members = [rota.Member(id=str(m.id), joined=min(m.joined_at, now), left=m.left_at, name=m.name)
                    for m in members]
    rows = session.exec(
        select(Shift).where(Shift.schedule_id == schedule.id, Shift.end > now - timedelta(days=HISTORY_DAYS))
    ).all()
    history = [to_rota(s, pattern) for s in rows if s.end <= now and s.member_id is not None]
    live = [s for s in rows if s.end > now]
    exported = _exported_versions(session, [s.id for s in live])
    # exported at any version: the provider has an override for it, so it keeps its slot (a later
    # version is re-exported by the sync; deleting it would orphan that override)
    fixed = {(s.role, s.start) for s in live if s.start <= now or s.source != "bot" or s.id in exported}
    by_slack = {m.slack_user_id: str(m.id) for m in members if m.slack_user_id}
    offs = session.exec(
        select(TimeOff).where(TimeOff.team_id == schedule.team_id, TimeOff.cancelled_at.is_(None),
                              TimeOff.end > now, TimeOff.slack_user_id.in_(list(by_slack) or [""]))
    ).all()
    time_off = [rota.TimeOff(by_slack[t.slack_user_id], t.start, t.end, t.reason, t.source) for t in offs]
    return RotaInputs(pattern, rota_members, history, time_off, {(s.role, s.start): s for s in live}, fixed)


def _continue_in_progress(inputs: RotaInputs, window: rota.Window, now: datetime) -> list[rota.Shift]:
    """At link time nothing covers the slot in progress: whoever the provider pages keeps it."""
    extra = []
    for slot in slots(inputs.pattern, rota.Window(now, now + timedelta(seconds=1))):
        if any(s.role == slot.role and s.start <= now < s.end for s in inputs.current.values()):
            continue
        # a turn that ended exactly at the slot start is the previous slot's, not one in progress
        before = [h for h in inputs.history if h.role == slot.role and slot.start < h.end <= now]
        if before:
            last = max(before, key=lambda h: h.end)
            extra.append(rota.Shift(slot.role, last.end, slot.end, last.member_id, kind=slot.kind))
    return extra


def extend_assignments(ctx: Context, session: Session, schedule: Schedule, now: datetime | None = None) -> int:
    """Fill the schedule up to its horizon; returns how many shifts were created or reassigned."""
    now = now or ctx.clock()
    inputs = load_inputs(session, schedule, now)
    if not any(m.left is None or m.left > now for m in inputs.members):
        return 0
    # the horizon counts days on the schedule's wall clock, so it ends at the same local time
    # whatever daylight-saving change lies in between
    end = (now.astimezone(inputs.pattern.zone) + timedelta(days=schedule.horizon_days)).astimezone(UTC)
    current_slots = slots(inputs.pattern, rota.Window(now, now + timedelta(seconds=1)))
    start = min([now, *(s.start for s in current_slots)])
    window = rota.Window(start, end)
    fixed = [to_rota(s, inputs.pattern) for k, s in inputs.current.items() if k in inputs.fixed_keys]
    fixed += [h for h in inputs.history if h.end > start]
    new_fixed = _continue_in_progress(inputs, window, now)
    previous = [to_rota(s, inputs.pattern) for k, s in inputs.current.items() if k not in inputs.fixed_keys]
    plan = generate(inputs.pattern, inputs.members, inputs.history, inputs.time_off, [*fixed, *new_fixed],
                    window, previous=previous)
    changed = 0
    planned_keys = set()
    for shift in plan:
        planned_keys.add(shift.key)
        row = inputs.current.get(shift.key)
        if row is None:
            if shift.end <= now or any(h.start == shift.start and h.role == shift.role for h in inputs.history):
                continue
            session.add(Shift(team_id=schedule.team_id, schedule_id=schedule.id, role=shift.role,
                              start=shift.start, end=shift.end, member_id=int(shift.member_id)))
            changed += 1
        elif (
            shift.key not in inputs.fixed_keys
            and (str(row.member_id) != shift.member_id or row.end != shift.end)
            # the end moves too when a pattern edit cut the slot (e.g. short slot up to a new handoff);
            # if a swap or replacement won the race the compare-and-set misses and the next run re-plans
            and reassign_shift(session, row.id, from_member=row.member_id, version=row.version,
                               to_member=int(shift.member_id), now=ctx.clock(), end=shift.end)
        ):
            changed += 1
    for key, row in inputs.current.items():
        if key not in planned_keys and key not in inputs.fixed_keys and row.start > now:
            session.delete(row)
            changed += 1
    session.flush()
    return changed


@dataclass(frozen=True)
class ReplacementResult:
    changed: list[tuple[Shift, int | None]]  # (shift row now, previous member id)
    uncovered: list[Shift]
    affected_member_ids: list[int]


def _mention(session: Session, member_id: int | None) -> str:
    member = session.get(Member, member_id) if member_id is not None else None
    if member is None:
        return "nobody"
    return f"<@{member.slack_user_id}>" if member.slack_user_id else (member.name or member.email)


def replace_after_time_off(ctx: Context, session: Session, schedule: Schedule, actor: str,
                           now: datetime | None = None) -> ReplacementResult:
    """Give every future shift clashing with time off to the best available person (version bumped)."""
    now = now or ctx.clock()
    inputs = load_inputs(session, schedule, now)
    future = [to_rota(s, inputs.pattern) for s in inputs.current.values()
              if s.start > now and s.member_id is not None]
    if not future:
        return ReplacementResult([], [], [])
    rep: Replacement = replace_for_time_off(future, inputs.time_off, pattern=inputs.pattern,
                                            members=inputs.members, history=inputs.history, now=now)
    changed = []
    for shift in rep.changed:
        row = inputs.current[shift.key]
        before = row.member_id
        if not reassign_shift(session, row.id, from_member=before, version=row.version,
                              to_member=int(shift.member_id), now=ctx.clock()):
            continue  # changed meanwhile (a swap won): it is re-checked on the next sync
        session.refresh(row)
        changed.append((row, before))
        audit.record(session, schedule.team_id, actor, "shift.replace",
                     schedule_id=schedule.id,
                     detail=f"shift #{row.id} from {row.start:%Y-%m-%d %H:%M} UTC: "
                            f"{_mention(session, before)} → {_mention(session, row.member_id)}", at=now)
    session.flush()
    uncovered = [inputs.current[s.key] for s in rep.uncovered]
    return ReplacementResult(changed, uncovered, [int(m) for m in rep.affected_member_ids])
