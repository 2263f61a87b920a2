"""A simulated provider schedule for the sync tests, and a tiny stand-in for the apply layer.

`SimSchedule` behaves like a PagerDuty schedule as far as the export contract cares:

- overrides overlap freely and the newest one wins;
- deleting: an ended override cannot be deleted (PAST), one in progress is truncated to now
  (TRUNCATED), a future one is deleted (DELETED), an unknown id is MISSING;
- `rendered` is what pages: the newest override covering an instant, else the base rotation.

With ``aliases_as_ids=True`` it behaves like Opsgenie instead: an override's id is its alias,
and creating an alias that exists fails.

`SimDestination` plays the apply layer and the database: it plans, applies (optionally only a
prefix of the provider calls, or committing only a prefix of the results: a crash), records
results and advances the mark with the pure functions of `bot.sync.plan`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.providers.base import (
    DeleteOutcome,
    InvalidRequest,
    OverrideRequest,
    RemoteOverride,
    RenderedShift,
)
from bot.sync.plan import (
    ExportedRecord,
    Outcomes,
    Plan,
    ShiftToExport,
    advance_mark,
    deletes_to_run,
    plan_export,
    updated_records,
)


@dataclass(frozen=True)
class Rotation:
    """The base schedule: `users` take turns of `turn` from `origin`."""

    origin: datetime
    turn: timedelta
    users: tuple[str, ...] = ("base",)

    def who(self, t: datetime) -> str:
        return self.users[((t - self.origin) // self.turn) % len(self.users)]

    def boundaries(self, lo: datetime, hi: datetime) -> list[datetime]:
        first = self.origin + ((lo - self.origin) // self.turn + 1) * self.turn
        out = []
        while first < hi:
            out.append(first)
            first += self.turn
        return out


@dataclass
class SimOverride:
    id: str
    user_id: str
    start: datetime
    end: datetime
    seq: int
    by_hand: bool = False

    def remote(self) -> RemoteOverride:
        return RemoteOverride(self.id, self.user_id, self.start, self.end)


class SimSchedule:
    """An in-memory provider schedule (see the module docstring)."""

    def __init__(self, rotation: Rotation, now: datetime, *, aliases_as_ids: bool = False):
        self.rotation = rotation
        self.now = now
        self.aliases_as_ids = aliases_as_ids
        self.overrides: dict[str, SimOverride] = {}
        self._seq = 0
        self.calls = 0

    # -- provider operations

    def create(self, request: OverrideRequest) -> RemoteOverride:
        self.calls += 1
        assert request.start < request.end, request
        oid = request.alias if self.aliases_as_ids else f"P{self._seq + 1:04d}"
        if oid in self.overrides:
            raise InvalidRequest(f"alias {oid} exists")
        return self._add(oid, request.user_id, request.start, request.end, by_hand=False).remote()

    def delete(self, override_id: str) -> DeleteOutcome:
        self.calls += 1
        o = self.overrides.get(override_id)
        if o is None:
            return DeleteOutcome.MISSING
        if o.end <= self.now:
            return DeleteOutcome.PAST
        if o.start < self.now:
            o.end = self.now
            return DeleteOutcome.TRUNCATED
        del self.overrides[override_id]
        return DeleteOutcome.DELETED

    def list_overrides(self) -> list[RemoteOverride]:
        """Overrides that have not ended (the window the sync reads)."""
        return [o.remote() for o in self.overrides.values() if o.end > self.now]

    def hand_override(self, user_id: str, start: datetime, end: datetime) -> str:
        """Someone edits the provider by hand: a new (newest) override."""
        return self._add(f"H{self._seq + 1:04d}", user_id, start, end, by_hand=True).id

    def _add(self, oid: str, user_id: str, start: datetime, end: datetime, *, by_hand: bool) -> SimOverride:
        self._seq += 1
        o = SimOverride(oid, user_id, start, end, self._seq, by_hand)
        self.overrides[oid] = o
        return o

    # -- what pages

    def who(self, t: datetime) -> str:
        covering = [o for o in self.overrides.values() if o.start <= t < o.end]
        if covering:
            return max(covering, key=lambda o: o.seq).user_id
        return self.rotation.who(t)

    def rendered(self, since: datetime, until: datetime) -> list[RenderedShift]:
        cuts = {since, until, *self.rotation.boundaries(since, until)}
        for o in self.overrides.values():
            cuts |= {t for t in (o.start, o.end) if since < t < until}
        points = sorted(cuts)
        out: list[RenderedShift] = []
        for a, b in zip(points, points[1:], strict=False):
            user = self.who(a)
            if out and out[-1].user_id == user and out[-1].end == a:
                out[-1] = dataclasses.replace(out[-1], end=b)
            else:
                out.append(RenderedShift(user, a, b))
        return out

    def live(self) -> list[SimOverride]:
        return [o for o in self.overrides.values() if o.end > self.now]


# ---------------------------------------------------------------- apply stand-in


@dataclass
class Applied:
    """Provider calls made, in order: (key, ok) with key = alias for creates, id for deletes."""

    outcomes: Outcomes
    calls: list[tuple[str, bool]] = field(default_factory=list)

    def prefix(self, n: int) -> Outcomes:
        """The outcomes of only the first `n` calls (what a crashed process managed to record)."""
        keys = {k for k, ok in self.calls[:n] if ok}
        return Outcomes(
            created={a: o for a, o in self.outcomes.created.items() if a in keys},
            deleted={i: d for i, d in self.outcomes.deleted.items() if i in keys},
        )


def apply_plan(
    sim: SimSchedule, plan: Plan, *, limit: int | None = None, fail: Collection[str] = ()
) -> Applied:
    """Creates, then the deletes whose creates succeeded; stop after `limit` calls (a crash).

    Keys in `fail` (aliases or override ids) fail like a provider error would.
    """
    created: dict[str, RemoteOverride] = {}
    deleted: dict[str, DeleteOutcome] = {}
    applied = Applied(Outcomes(created=created, deleted=deleted))
    for create in plan.creates:
        if limit is not None and len(applied.calls) >= limit:
            return applied
        ok = create.alias not in fail
        if ok:
            try:
                created[create.alias] = sim.create(create.request)
            except InvalidRequest:
                ok = False
        applied.calls.append((create.alias, ok))
    for delete in deletes_to_run(plan, applied.outcomes):
        if limit is not None and len(applied.calls) >= limit:
            return applied
        ok = delete.override_id not in fail
        if ok:
            deleted[delete.override_id] = sim.delete(delete.override_id)
        applied.calls.append((delete.override_id, ok))
    return applied


@dataclass
class SimDestination:
    """One destination: the simulated provider plus what the database would hold."""

    sim: SimSchedule
    key: str = "dest-1"
    records: tuple[ExportedRecord, ...] = ()
    mark: datetime | None = None

    @property
    def now(self) -> datetime:
        return self.sim.now

    def plan(self, shifts: Sequence[ShiftToExport], horizon_end: datetime) -> Plan:
        return plan_export(
            shifts,
            self.records,
            self.sim.list_overrides(),
            self.mark,
            self.now,
            horizon_end,
            destination_key=self.key,
        )

    def run(
        self,
        shifts: Sequence[ShiftToExport],
        horizon_end: datetime,
        *,
        limit: int | None = None,
        commit: int | None = None,
        record_adoptions: bool = True,
        record_mark: bool = True,
        fail: Collection[str] = (),
    ) -> Plan:
        """Plan and apply. `limit`: provider calls made before a crash; `commit`: how many of
        their results reached the database; `record_adoptions` / `record_mark`: whether the
        adoptions / the new mark did."""
        plan = self.plan(shifts, horizon_end)
        applied = apply_plan(self.sim, plan, limit=limit, fail=fail)
        outcomes = applied.outcomes if commit is None else applied.prefix(commit)
        recorded = plan if record_adoptions else dataclasses.replace(plan, adopt=())
        self.records = updated_records(self.records, recorded, outcomes)
        if record_mark:
            self.mark = advance_mark(recorded, outcomes, self.mark)
        return plan
