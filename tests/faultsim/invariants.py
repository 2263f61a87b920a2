"""The on-call truth of the fault simulation, as pure functions over plain dataclasses.

Each checker takes what the bot holds (shifts, exported records, mark) and what a provider holds
(its overrides, newest wins) and returns the violations found, in words (empty: all good):

- `check_shifts`: the bot's own schedule: live shifts tile time, none lost (gap or no owner) or
  doubled (overlap);
- `check_swaps`: every accepted swap (and what later moved those shifts) is what the bot holds;
- `check_exported`: no duplicate overrides; when the destination is settled (its last full sync
  ran without a fault and nothing changed since) also: the provider pages exactly the bot's
  assignee over `[now, mark)`, except where a hand edit made before the mark still stands, and
  that one is alerted; shifts of a person without an account there are not exported;
- `check_untouched`: between two snapshots, nothing before the mark changed that the bot did not
  change (hand edits there are never deleted; the bot's override of a shift it did not change is
  never deleted or doubled).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class BotShift:
    id: str
    start: datetime
    end: datetime
    member: str | None  # the Slack id of the holder
    version: int
    user_id: str | None = None  # the holder's user at the destination (None: no account there)


@dataclass(frozen=True)
class Record:
    """What the bot recorded as exported (an ExportedOverride row)."""

    shift_id: str
    override_id: str
    version: int


@dataclass(frozen=True)
class Override:
    """One override at the provider; `seq` orders them (the newest wins)."""

    id: str
    user_id: str
    start: datetime
    end: datetime
    seq: int
    by_hand: bool = False


@dataclass(frozen=True)
class HandEdit:
    override_id: str
    before_mark: bool  # made inside the exported range (starting before the mark of that moment)


@dataclass(frozen=True)
class DestState:
    """One destination as the bot and its provider see it at `now`."""

    name: str
    now: datetime
    mark: datetime | None
    shifts: tuple[BotShift, ...]
    records: tuple[Record, ...]
    overrides: tuple[Override, ...]
    hand_edits: Mapping[str, HandEdit] = field(default_factory=dict)
    alerted: frozenset[str] = frozenset()  # shift ids named by the destination's open drift alert
    settled: bool = False


def _fmt(t: datetime) -> str:
    return t.strftime("%m-%d %H:%M")


# ---------------------------------------------------------------- the bot's own shifts


def check_shifts(shifts: Sequence[BotShift], now: datetime) -> list[str]:
    """Live shifts (ending after now) follow each other without gap or overlap, the first one
    covers now, and each has a holder."""
    live = sorted((s for s in shifts if s.end > now), key=lambda s: (s.start, s.end))
    out = []
    if live and live[0].start > now:
        out.append(f"nobody is on call from {_fmt(now)} to {_fmt(live[0].start)} (shift lost)")
    for a, b in zip(live, live[1:], strict=False):
        if b.start < a.end:
            out.append(f"shifts {a.id} and {b.id} overlap at {_fmt(b.start)} (shift doubled)")
        elif b.start > a.end:
            out.append(f"gap from {_fmt(a.end)} to {_fmt(b.start)} (shift lost)")
    out += [f"shift {s.id} ({_fmt(s.start)}) has no holder" for s in live if s.member is None]
    return out


def check_swaps(expected: Mapping[str, str], shifts: Sequence[BotShift]) -> list[str]:
    """Shifts moved by accepted swaps (or since moved by the bot, as the driver tracks) are held
    by the expected person; a shift that no longer exists counts as lost."""
    by_id = {s.id: s for s in shifts}
    out = []
    for sid, member in sorted(expected.items()):
        s = by_id.get(sid)
        if s is None:
            out.append(f"swapped shift {sid} no longer exists")
        elif s.member != member:
            out.append(f"swapped shift {sid} ({_fmt(s.start)}) is held by {s.member}, not {member}")
    return out


# ---------------------------------------------------------------- one destination


def winner(overrides: Iterable[Override], t: datetime) -> Override | None:
    """The override that pages at `t` (the newest covering it), None: the base rotation pages."""
    covering = [o for o in overrides if o.start <= t < o.end]
    return max(covering, key=lambda o: o.seq) if covering else None


def _cuts(overrides: Sequence[Override], lo: datetime, hi: datetime) -> list[datetime]:
    points = {lo}
    for o in overrides:
        points |= {t for t in (o.start, o.end) if lo < t < hi}
    return sorted(points)


def check_exported(d: DestState) -> list[str]:
    out = [f"{d.name}: {v}" for v in _duplicates(d)]
    if d.settled:
        out += [f"{d.name}: {v}" for v in _paging(d)]
    return out


def _duplicates(d: DestState) -> list[str]:
    live_ids = {o.id for o in d.overrides if o.end > d.now}
    by_shift: dict[tuple[str, int], list[str]] = {}
    for r in d.records:
        if r.override_id in live_ids:
            by_shift.setdefault((r.shift_id, r.version), []).append(r.override_id)
    out = [f"shift {sid} v{v} has {len(ids)} recorded overrides {sorted(ids)} (duplicate)"
           for (sid, v), ids in sorted(by_shift.items()) if len(ids) > 1]
    return out


def stray_overrides(d: DestState) -> list[str]:
    """Live overrides the bot made that it has no record of, once settled (a crash may leave one
    for a run: the next one adopts it when it still matches its shift). A leftover that no longer
    matches (the shift changed again meanwhile) is a duplicate the bot cannot see on PagerDuty:
    reported as a finding; `check_exported` still proves it pages nobody wrongly."""
    if not d.settled or d.mark is None:  # (beyond the mark the first export adopts or sweeps it)
        return []
    recorded = {r.override_id for r in d.records}
    return sorted(o.id for o in d.overrides
                  if o.end > d.now and o.start < d.mark and not o.by_hand and o.id not in recorded)


def _paging(d: DestState) -> list[str]:
    """Over [now, mark): the provider pages the bot's assignee, except under a standing hand edit
    made before the mark, which must be alerted when it pages someone else."""
    if d.mark is None or d.mark <= d.now:
        return []
    out = []
    for s in sorted(d.shifts, key=lambda s: s.start):
        lo, hi = max(s.start, d.now), min(s.end, d.mark)
        if lo >= hi or s.user_id is None:  # nobody to page there: left out and named in the status
            continue
        for t in _cuts(d.overrides, lo, hi):
            w = winner(d.overrides, t)
            if w is not None and w.user_id == s.user_id:  # (a hand edit matching a shift whole is adopted)
                continue
            edit = d.hand_edits.get(w.id) if w is not None else None
            if w is not None and w.by_hand:
                if edit is None or not edit.before_mark:
                    out.append(f"hand edit {w.id} made beyond the mark still pages {w.user_id} at {_fmt(t)} "
                               f"(shift {s.id} is {s.user_id}'s)")
                elif w.user_id != s.user_id and s.id not in d.alerted:
                    out.append(f"hand edit {w.id} pages {w.user_id} at {_fmt(t)} over shift {s.id} "
                               f"({s.user_id}) and nobody was alerted")
                continue
            paged = w.user_id if w is not None else "the base rotation"
            out.append(f"{paged} is paged at {_fmt(t)}, shift {s.id} v{s.version} is {s.user_id}'s")
            break  # one line per shift is enough
    return out


# ---------------------------------------------------------------- between two snapshots


def check_untouched(before: DestState, after: DestState) -> list[str]:
    """Nothing starting before the mark (of `before`) changed at the provider that the bot did
    not change: hand edits there stay whole; the bot's override of a shift whose version did not
    change stays, and no second one is made for it."""
    if before.mark is None:
        return []
    now_after = {o.id: o for o in after.overrides}
    shift_after = {s.id: s for s in after.shifts}
    rec_before = {r.override_id: r for r in before.records}
    exported_before = {(r.shift_id, r.version) for r in before.records}
    out = []
    for o in before.overrides:
        if o.start >= before.mark or o.end <= after.now:
            continue
        gone = now_after.get(o.id)
        cut = gone is None or gone.end < o.end
        if not cut:
            continue
        if o.by_hand and o.id not in rec_before:  # (one the bot adopted is the bot's override)
            out.append(f"{after.name}: hand edit {o.id} ({_fmt(o.start)}-{_fmt(o.end)}) before the mark "
                       "was deleted or cut")
            continue
        r = rec_before.get(o.id)
        s = shift_after.get(r.shift_id) if r else None
        if r is not None and s is not None and s.version == r.version:
            out.append(f"{after.name}: override {o.id} of shift {s.id} v{s.version} before the mark was deleted, "
                       "but the bot did not change that shift")
    before_ids = {o.id for o in before.overrides}
    for o in after.overrides:
        if o.id in before_ids or o.by_hand or o.start >= before.mark or o.end <= after.now:
            continue
        r = next((r for r in after.records if r.override_id == o.id), None)
        if r is not None and (r.shift_id, r.version) in exported_before:
            out.append(f"{after.name}: a second override {o.id} for shift {r.shift_id} v{r.version}, "
                       "already exported before the mark")
    return out
