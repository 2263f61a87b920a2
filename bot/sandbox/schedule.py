"""A simulated provider schedule: a base rotation plus overrides, and what it pages.

`SimSchedule` behaves like a PagerDuty schedule as far as the export contract cares:

- overrides overlap freely and the newest one wins;
- deleting: an ended override cannot be deleted (PAST), one in progress is truncated to now
  (TRUNCATED), a future one is deleted (DELETED), an unknown id is MISSING;
- `rendered` is what pages: the newest override covering an instant, else the base rotation.

With ``aliases_as_ids=True`` it behaves like Opsgenie instead: an override's id is its alias,
and creating an alias that exists fails.

The sandbox's HTTP simulators (`bot.sandbox.pagerduty`, `bot.sandbox.opsgenie`) and the sync tests
share this one state model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.providers.base import DeleteOutcome, InvalidRequest, OverrideRequest, RemoteOverride, RenderedShift


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
        if request.start >= request.end:
            raise InvalidRequest(f"an override must end after it starts: {request.start} .. {request.end}")
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

    def override_layer(self, since: datetime, until: datetime) -> list[RenderedShift]:
        """The overrides alone over [since, until) (newest wins; no entry where none covers)."""
        cuts = {since, until}
        for o in self.overrides.values():
            cuts |= {t for t in (o.start, o.end) if since < t < until}
        points = sorted(cuts)
        out: list[RenderedShift] = []
        for a, b in zip(points, points[1:], strict=False):
            covering = [o for o in self.overrides.values() if o.start <= a < o.end]
            if not covering:
                continue
            user = max(covering, key=lambda o: o.seq).user_id
            if out and out[-1].user_id == user and out[-1].end == a:
                out[-1] = dataclasses.replace(out[-1], end=b)
            else:
                out.append(RenderedShift(user, a, b))
        return out

    def live(self) -> list[SimOverride]:
        return [o for o in self.overrides.values() if o.end > self.now]
