"""Replacement after new time off: reassign only the shifts that must change."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from .model import Member, Shift, Slot, TimeOff, Window, shift_sort_key
from .pattern import ShiftPattern, kind_of
from .planner import Planner


@dataclass(frozen=True)
class Replacement:
    """`changed`: the new versions of the shifts that moved (version + 1), in time order.

    `uncovered`: shifts whose holder is on time off but nobody else could take them (kept as they
    are; someone has to decide). `affected_member_ids`: everyone to notify (old and new holders).
    """

    changed: tuple[Shift, ...]
    uncovered: tuple[Shift, ...]
    affected_member_ids: tuple[str, ...]


def conflicts(
    shifts: Iterable[Shift], time_off: Iterable[TimeOff], now: datetime | None = None
) -> list[Shift]:
    """Shifts (not yet started at `now`) whose holder is on time off for any part of them."""
    off = list(time_off)
    return sorted(
        (
            s
            for s in shifts
            if (now is None or s.start >= now)
            and any(t.member_id == s.member_id and t.start < s.end and s.start < t.end for t in off)
        ),
        key=shift_sort_key,
    )


def replace_for_time_off(
    shifts: Sequence[Shift],
    time_off: Sequence[TimeOff],
    *,
    pattern: ShiftPattern,
    members: Sequence[Member],
    history: Sequence[Shift] = (),
    now: datetime | None = None,
) -> Replacement:
    """Give every future shift that clashes with `time_off` to the best available person.

    `shifts` is the current plan (future shifts at least; the ones not clashing stay untouched and
    count for fairness, rest and double-role checks), `time_off` all known time off (old and new).
    The best person is chosen like `generate` does (no time off, no back-to-back, rest, fair need,
    rotation order), one clashing shift at a time in time order. Started shifts (before `now`)
    are never changed. No other shift moves: the rebalancing happens as the plan extends.
    """
    clash = conflicts(shifts, time_off, now)
    if not clash:
        return Replacement((), (), ())
    clash_keys = {(s.role, s.start, s.end, s.member_id) for s in clash}
    keep = [s for s in shifts if (s.role, s.start, s.end, s.member_id) not in clash_keys]
    window = Window(min(s.start for s in shifts), max(s.end for s in shifts))
    cells = [Slot(s.role, s.start, s.end, kind_of(pattern, s.start)) for s in clash]
    planner = Planner(pattern, members, history, time_off, keep, window, cells)
    changed: list[Shift] = []
    uncovered: list[Shift] = []
    affected: set[str] = set()
    for cell, old in zip(planner.cells, clash, strict=True):
        who = planner.best(cell)
        if who is None or who == old.member_id or planner.off_overlap(who, cell.s, cell.e):
            uncovered.append(old)
            planner.assign(cell, old.member_id if old.member_id in planner.members else None)
            continue
        planner.assign(cell, who)
        changed.append(old.reassigned(who))
        affected.update((old.member_id, who))
    return Replacement(tuple(changed), tuple(uncovered), tuple(sorted(affected)))
