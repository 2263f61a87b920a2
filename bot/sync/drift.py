"""Drift: where the provider will page someone other than the bot assigned. Pure.

``detect_drift(shifts, rendered, remote_overrides, exported, now, exported_until)`` compares,
inside ``[now, exported_until)``, each shift with what the provider will actually page
(`RenderedShift`: PagerDuty's final schedule, Opsgenie's final timeline).

Rules
-----
1. Only the exported window counts: ``[now, exported_until)``. Nothing is drift before the first
   export, in the past, or beyond the mark (not exported yet).
2. Only shifts exported at their current version are compared. A shift waiting for (re-)export
   is the export status's business, not drift.
3. Per shift, the window is cut into segments by who is paged (several people at once is
   possible, e.g. Opsgenie paging everyone on call in a schedule). A shift drifts when some
   segment does not page exactly its assignee. Each differing segment says why (`Cause`): a
   hand-made override (a remote override the bot did not create: id not in ``exported``), a bot
   override (one the bot created, e.g. for another shift), the base rotation (no override
   explains it: typically a hand-deleted bot override), or nobody paged at all.
4. Stable identity: each differing segment has a key (`DriftItem.segment_key`) made of the
   shift, its version, the assignee, who is paged, the cause, the overrides behind it and the
   segment's end (left open when it is only the mark). The start is left out: it moves with
   ``now`` once the segment is in progress. `DriftItem.key` hashes an item's segment keys and
   `drift_fingerprint(items)` hashes the item keys: one alert per distinct drift, updated when
   it changes (including when part of it has passed). A hand-made override moved in time
   without a new id and without a new end keeps its key.
5. Acknowledgement ("Keep provider version"): store `DriftItem.ack_keys` (or the item `key`)
   and pass them as ``acknowledged``: an item is suppressed while every differing segment is
   acknowledged, so it stays quiet as parts of it pass, and comes back when the drift changes.
6. `covers_whole_shift(item)`: the provider user who will be paged for the whole shift instead
   of the assignee through a hand-made override, so the bot can record that person as assigned.
   None when the shift is partly past, partly beyond the mark, or split between several people.

"Re-apply bot assignments" is not a drift function: bump the versions of those shifts and
export (see `bot.sync.plan`, rule 6).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.providers.base import RemoteOverride, RenderedShift
from bot.sync.model import ExportedRecord, ShiftToExport, overlaps

__all__ = [
    "Cause",
    "DriftItem",
    "PagedSegment",
    "covers_whole_shift",
    "detect_drift",
    "drift_fingerprint",
    "unacknowledged",
]


class Cause(StrEnum):
    HAND_OVERRIDE = "hand_override"  # an override the bot did not create
    BOT_OVERRIDE = "bot_override"  # an override the bot created (for another shift or version)
    ROTATION = "rotation"  # no override: the base rotation pages (a bot override is missing)
    NOBODY = "nobody"  # nobody will be paged


@dataclass(frozen=True)
class PagedSegment:
    """Over [start, end) the provider pages `user_ids` (sorted). `cause` is None when that is
    exactly the assignee; `override_ids` are the overrides that explain a difference."""

    start: datetime
    end: datetime
    user_ids: tuple[str, ...]
    cause: Cause | None = None
    override_ids: tuple[str, ...] = ()

    @property
    def differs(self) -> bool:
        return self.cause is not None


@dataclass(frozen=True)
class DriftItem:
    """One drifting shift. [start, end) is the part compared (the shift clipped to the window)."""

    shift_id: str
    version: int
    assigned_user_id: str
    shift_start: datetime
    shift_end: datetime
    start: datetime
    end: datetime
    segments: tuple[PagedSegment, ...]

    @property
    def differing(self) -> tuple[PagedSegment, ...]:
        return tuple(s for s in self.segments if s.differs)

    @property
    def hand_made(self) -> bool:
        """Does (part of) the difference come from a hand-made override?"""
        return any(s.cause is Cause.HAND_OVERRIDE for s in self.segments)

    @property
    def paged_user_ids(self) -> tuple[str, ...]:
        """Everyone paged instead of (or besides) the assignee, first appearance order."""
        seen: dict[str, None] = {}
        for seg in self.differing:
            for user in seg.user_ids:
                if user != self.assigned_user_id:
                    seen.setdefault(user)
        return tuple(seen)

    def segment_key(self, seg: PagedSegment) -> str:
        """Stable identity of one differing segment (rule 4): no start, which moves with `now`."""
        hi = "" if seg.end == self.end and self.end != self.shift_end else seg.end.isoformat()
        cause = seg.cause.value if seg.cause else ""
        fields = [self.shift_id, str(self.version), self.assigned_user_id, ",".join(seg.user_ids), cause]
        return _digest("\x1f".join([*fields, ",".join(seg.override_ids), hi]))

    @property
    def ack_keys(self) -> tuple[str, ...]:
        """What "Keep provider version" stores: one key per differing segment."""
        return tuple(self.segment_key(s) for s in self.differing)

    @property
    def key(self) -> str:
        """Stable identity of this drift (rule 4 of the module docstring)."""
        return _digest("\n".join(sorted(self.ack_keys)))


def detect_drift(
    shifts: Sequence[ShiftToExport],
    rendered: Sequence[RenderedShift],
    remote_overrides: Sequence[RemoteOverride],
    exported: Sequence[ExportedRecord],
    now: datetime,
    exported_until: datetime | None,
    *,
    acknowledged: Collection[str] = (),
) -> list[DriftItem]:
    """Every drifting shift in [now, exported_until), in time order, minus acknowledged keys."""
    if exported_until is None or exported_until <= now:
        return []
    current = {(r.shift_id, r.version) for r in exported}
    bot_ids = {r.override_id for r in exported}
    items = []
    for shift in sorted(shifts, key=lambda s: s.start):
        lo, hi = max(shift.start, now), min(shift.end, exported_until)
        if lo >= hi or (shift.shift_id, shift.version) not in current:
            continue
        segments = [
            _explain(seg, shift.user_id, remote_overrides, bot_ids) for seg in _paged(lo, hi, rendered)
        ]
        if any(s.differs for s in segments):
            item = DriftItem(
                shift.shift_id, shift.version, shift.user_id, shift.start, shift.end, lo, hi, tuple(segments)
            )
            items.append(item)
    return unacknowledged(items, acknowledged)


def unacknowledged(items: Iterable[DriftItem], acknowledged: Collection[str]) -> list[DriftItem]:
    """Drop items acknowledged by item key, or whose every differing segment is acknowledged."""
    acked = set(acknowledged)
    return [i for i in items if i.key not in acked and not set(i.ack_keys) <= acked]


def drift_fingerprint(items: Iterable[DriftItem]) -> str:
    """One stable fingerprint for a set of drift items ("" when there is no drift)."""
    keys = sorted(i.key for i in items)
    return _digest("\n".join(keys)) if keys else ""


def covers_whole_shift(item: DriftItem) -> str | None:
    """The provider user paged for the whole shift through a hand-made override, else None."""
    if (item.start, item.end) != (item.shift_start, item.shift_end) or len(item.segments) != 1:
        return None
    seg = item.segments[0]
    if seg.cause is Cause.HAND_OVERRIDE and len(seg.user_ids) == 1:
        return seg.user_ids[0]
    return None


# ---------------------------------------------------------------- internals


def _paged(lo: datetime, hi: datetime, rendered: Sequence[RenderedShift]) -> list[PagedSegment]:
    """[lo, hi) cut where the set of paged users changes, merged where it does not."""
    inside = [r for r in rendered if overlaps(r.start, r.end, lo, hi)]
    cuts = sorted({lo, hi} | {t for r in inside for t in (r.start, r.end) if lo < t < hi})
    out: list[PagedSegment] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        users = tuple(sorted({r.user_id for r in inside if r.start <= a and r.end >= b}))
        if out and out[-1].user_ids == users:
            out[-1] = PagedSegment(out[-1].start, b, users)
        else:
            out.append(PagedSegment(a, b, users))
    return out


def _explain(
    seg: PagedSegment, assigned: str, remote: Sequence[RemoteOverride], bot_ids: set[str]
) -> PagedSegment:
    """Fill in why a segment differs from the assignee (None when it does not)."""
    if seg.user_ids == (assigned,):
        return seg
    if not seg.user_ids:
        return PagedSegment(seg.start, seg.end, (), Cause.NOBODY)
    others = set(seg.user_ids) - {assigned}
    responsible = sorted(
        (o for o in remote if o.user_id in others and overlaps(o.start, o.end, seg.start, seg.end)),
        key=lambda o: o.id,
    )
    hand = tuple(o.id for o in responsible if o.id not in bot_ids)
    if hand:
        return PagedSegment(seg.start, seg.end, seg.user_ids, Cause.HAND_OVERRIDE, hand)
    if responsible:
        return PagedSegment(
            seg.start, seg.end, seg.user_ids, Cause.BOT_OVERRIDE, tuple(o.id for o in responsible)
        )
    return PagedSegment(seg.start, seg.end, seg.user_ids, Cause.ROTATION)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
