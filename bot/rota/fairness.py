"""Fairness report data for `/oncall fairness` (rendering is the Slack layer's job)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .metrics import evaluate, scored_members, targets
from .model import Member, Shift, SlotKind, TimeOff, Window
from .pattern import ShiftPattern, kind_of


@dataclass(frozen=True)
class PersonFairness:
    """One row. `share` / `target_share` are fractions of all hours in the report period;
    `delta_hours` = served + upcoming − fair target (positive: did more than their share)."""

    member_id: str
    served_hours: float
    upcoming_hours: float
    weekend_shifts: int
    holiday_shifts: int
    share: float
    target_share: float
    delta_hours: float


@dataclass(frozen=True)
class FairnessReport:
    """Rows sorted by member id; `score` is the Grafana OnCall-style 0–100 score of the period,
    `quality_line` a one-line summary ready to show."""

    period: Window
    rows: tuple[PersonFairness, ...]
    score: int
    gap_hours: float
    time_off_violation_hours: float
    quality_line: str


def fairness_report(
    shifts: Sequence[Shift],
    *,
    pattern: ShiftPattern,
    members: Sequence[Member],
    period: Window,
    now: datetime,
    time_off: Sequence[TimeOff] = (),
) -> FairnessReport:
    """Per-person load over `period` (served before `now`, upcoming after), with fair targets.

    `shifts` is everything over the period: what was actually served (history) and the plan.
    """
    inside = [s for s in shifts if s.start < period.end and s.end > period.start]
    people = scored_members(members, period)
    fair, _ = targets(pattern, period, people, [])
    total_fair = sum(fair.values()) or 1.0
    served = {m.id: 0.0 for m in people}
    upcoming = dict(served)
    weekend = dict.fromkeys(served, 0)
    holiday = dict.fromkeys(served, 0)
    for s in inside:
        if s.member_id not in served:
            continue
        lo, hi = max(s.start, period.start), min(s.end, period.end)
        past = max(0.0, (min(hi, now) - lo).total_seconds()) / 3600
        future = max(0.0, (hi - max(lo, now)).total_seconds()) / 3600
        served[s.member_id] += past
        upcoming[s.member_id] += future
        kinds = kind_of(pattern, s.start).balanced
        weekend[s.member_id] += SlotKind.WEEKEND in kinds
        holiday[s.member_id] += SlotKind.HOLIDAY in kinds
    total = sum(served.values()) + sum(upcoming.values()) or 1.0
    rows = tuple(
        PersonFairness(
            member_id=i,
            served_hours=round(served[i], 2),
            upcoming_hours=round(upcoming[i], 2),
            weekend_shifts=weekend[i],
            holiday_shifts=holiday[i],
            share=(served[i] + upcoming[i]) / total,
            target_share=fair[i] / total_fair,
            delta_hours=round(served[i] + upcoming[i] - fair[i], 2),
        )
        for i in sorted(served)
    )
    q = evaluate(inside, pattern=pattern, window=period, members=people, time_off=time_off)
    line = (
        f"Quality {q.score}/100 · gaps {q.gap_hours:g}h · time-off clashes {q.time_off_violation_hours:g}h"
        f" · spread {q.hours_range:.0f}h · weekends {q.weekend_range:.0f} · back-to-back {q.back_to_back}"
    )
    return FairnessReport(period, rows, q.score, q.gap_hours, q.time_off_violation_hours, line)


def membership_starts(
    served: Iterable[tuple[str, datetime]], members: Iterable[str], cycle: timedelta, until: datetime
) -> dict[str, datetime]:
    """When each member's time in a linked rotation starts, estimated from the imported history.

    `served` holds (person, shift start) of what the provider paged up to `until` (the link);
    `cycle` is one full turn of the rotation (people × turn length). A rotation reaches everyone
    within one cycle: whoever served within the first cycle of the history was there when it
    starts, anyone whose first shift comes later joined then. A member who never served starts
    with the history too when it is shorter than a cycle (their turn had not come), else at the
    link (like people added later).
    """
    first: dict[str, datetime] = {}
    for who, start in served:
        if who not in first or start < first[who]:
            first[who] = start
    if not first:
        return {}
    origin = min(first.values())
    out = {who: origin if start < origin + cycle else start for who, start in first.items()}
    for who in members:
        out.setdefault(who, origin if until < origin + cycle else until)
    return out


def text_bar(fraction: float, width: int = 10) -> str:
    """A fixed-width text bar, e.g. text_bar(0.5, 4) == '██░░' (clamped to 0..1)."""
    f = min(max(fraction, 0.0), 1.0)
    full = round(f * width)
    return "█" * full + "░" * (width - full)
