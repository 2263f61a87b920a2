"""Pure: whether a provider's rendered override layer is exactly what the bot's records make it.

PagerDuty's `GET /schedules/{id}?since&until` carries the final schedule and the overrides
sub-schedule, but its entries have no override ids, which the plan needs. When that layer is
exactly the bot's own recorded overrides (no hand edit, no foreign or missing override anywhere
in the window), the records *are* the listing: the export plans from them and reads drift from
the same answer, so a sync with nothing to do costs one read. Anything else (a difference, an
overlap, an intent left by an interrupted run) and the caller lists the overrides as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.providers.base import RemoteOverride, RenderedShift
from bot.sync.model import ExportedRecord


def _sec(t: datetime) -> datetime:
    return t.replace(microsecond=0)


def clip(entries: Iterable[RenderedShift], lo: datetime, hi: datetime) -> list[RenderedShift]:
    """`entries` cut to [lo, hi), empty ones dropped."""
    out = []
    for e in entries:
        start, end = max(e.start, lo), min(e.end, hi)
        if start < end:
            out.append(RenderedShift(e.user_id, start, end, e.user_email, e.user_name))
    return out


def _merged(spans: Iterable[tuple[str, datetime, datetime]]) -> list[tuple[str, datetime, datetime]]:
    out: list[tuple[str, datetime, datetime]] = []
    for user, start, end in sorted(spans, key=lambda s: s[1]):
        start, end = _sec(start), _sec(end)
        if start >= end:
            continue
        if out and out[-1][0] == user and out[-1][2] == start:
            out[-1] = (user, out[-1][1], end)
        else:
            out.append((user, start, end))
    return out


def explains(layer: Sequence[RenderedShift], records: Sequence[ExportedRecord], lo: datetime,
             hi: datetime) -> bool:
    """True when the rendered override `layer` over [lo, hi) is exactly `records` (which must not
    overlap there), compared to the second, adjacent spans of one person joined."""
    mine = sorted(((r.user_id, max(r.start, lo), min(r.end, hi)) for r in records if r.end > lo and r.start < hi),
                  key=lambda s: s[1])
    if any(a[2] > b[1] for a, b in zip(mine, mine[1:], strict=False)):
        return False
    theirs = [(e.user_id, max(e.start, lo), min(e.end, hi)) for e in layer]
    return _merged(mine) == _merged(theirs)


def as_listed(records: Sequence[ExportedRecord], now: datetime) -> list[RemoteOverride]:
    """The live records as the listing would have shown them."""
    return sorted((RemoteOverride(r.override_id, r.user_id, r.start, r.end) for r in records if r.end > now),
                  key=lambda o: (o.start, o.end, o.id))


def derived(overrides: Sequence[RemoteOverride], bot_ids: set[str], lo: datetime,
            hi: datetime) -> list[RenderedShift] | None:
    """What the provider pages over [lo, hi) when it follows from `overrides` alone: every live
    override there is the bot's, none overlaps another (so their order cannot matter) and together
    they cover the range without a gap (so the base rotation shows nowhere). None otherwise: the
    caller reads the final schedule."""
    mine = sorted((o for o in overrides if o.end > lo and o.start < hi), key=lambda o: o.start)
    if any(o.id not in bot_ids for o in mine):
        return None
    at = lo
    out = []
    for o in mine:
        if (o.start > at if not out else o.start != at) or o.end <= at:  # a gap, or an overlap
            return None
        out.append(RenderedShift(o.user_id, at, min(o.end, hi), o.user_email))
        at = min(o.end, hi)
    return out if at >= hi else None
