"""Small builders shared by the sync tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from bot.providers.base import RemoteOverride
from bot.sync.plan import ExportedRecord, ShiftToExport
from tests.sync.sim import Rotation, SimDestination, SimSchedule

T0 = datetime(2025, 1, 6, tzinfo=UTC)


def h(hours: float) -> datetime:
    """T0 plus `hours`."""
    return T0 + timedelta(hours=hours)


def shift(sid: str, user: str, start: float, end: float, version: int = 1) -> ShiftToExport:
    return ShiftToExport(sid, user, h(start), h(end), version)


def override(oid: str, user: str, start: float, end: float) -> RemoteOverride:
    return RemoteOverride(oid, user, h(start), h(end))


def record(s: ShiftToExport, oid: str, *, version: int | None = None) -> ExportedRecord:
    return ExportedRecord(
        s.shift_id, oid, s.user_id, s.start, s.end, s.version if version is None else version
    )


def destination(now: float = 0, *, aliases_as_ids: bool = False) -> SimDestination:
    rotation = Rotation(origin=T0 - timedelta(days=7), turn=timedelta(hours=12), users=("r1", "r2"))
    return SimDestination(SimSchedule(rotation, h(now), aliases_as_ids=aliases_as_ids))


def assigned_at(shifts: Sequence[ShiftToExport], t: datetime) -> str | None:
    return next((s.user_id for s in shifts if s.start <= t < s.end), None)


def mismatches(
    dest: SimDestination,
    until: datetime,
    expected: Callable[[datetime], str | None],
    cuts: Iterable[datetime] = (),
) -> list[tuple[datetime, str, str | None]]:
    """(instant, paged, expected) wherever the provider pages someone else over [now, until).

    Checked at every boundary of the rendered schedule, of the overrides and of `cuts`, so
    every piece of a piecewise-constant expectation is seen (exact, no sampling).
    """
    lo = dest.now
    points = {lo} | {r.start for r in dest.sim.rendered(lo, until)} | set(cuts)
    points |= {t for o in dest.sim.overrides.values() for t in (o.start, o.end)}
    out = []
    for t in sorted(p for p in points if lo <= p < until):
        want = expected(t)
        if want is not None and dest.sim.who(t) != want:
            out.append((t, dest.sim.who(t), want))
    return out
