"""Plain data of the pure sync core: its inputs and the `Plan` (`plan.py`, `outcome.py`, `drift.py`).

All datetimes are timezone-aware UTC. Intervals are half-open: ``[start, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.providers.base import OverrideRequest, RemoteOverride


@dataclass(frozen=True)
class ShiftToExport:
    """One of the bot's shifts for one destination (one role).

    `user_id` is the assignee's provider user id *at that destination*; a member without one
    cannot be exported and must be filtered out (and reported) by the caller.
    """

    shift_id: str
    user_id: str
    start: datetime
    end: datetime
    version: int


@dataclass(frozen=True)
class ExportedRecord:
    """An override the bot created (or adopted) at a destination for a shift at a version.

    `override_id` is PagerDuty's override id or Opsgenie's alias.
    """

    shift_id: str
    override_id: str
    user_id: str
    start: datetime
    end: datetime
    version: int


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """True when the half-open intervals share at least an instant."""
    return a_start < b_end and b_start < a_end


def matches_shift(override: RemoteOverride, shift: ShiftToExport, now: datetime) -> bool:
    """Does `override` already do what the bot would create for `shift`?

    Same user and end, and a start between the shift's start and the point the bot would start
    it (`now` for a shift in progress). So an in-progress override created at an earlier run's
    `now` still matches: it covers the rest of the shift exactly.
    """
    latest_start = max(shift.start, now)
    return (
        override.user_id == shift.user_id
        and override.end == shift.end
        and shift.start <= override.start <= latest_start
    )


# ---------------------------------------------------------------- plan items


class CreateReason(StrEnum):
    NEW = "new"  # first export of the period after the mark
    CHANGED = "changed"  # before the mark: the bot changed the shift (or it is new there)


class DeleteReason(StrEnum):
    OUTDATED = "outdated"  # the bot's override for an older version of the shift
    ORPHANED = "orphaned"  # the bot's override for a shift it no longer has
    REPLACED = "replaced"  # after the mark: the bot's override no longer matches its shift
    PRE_EXISTING = "pre-existing"  # in the period after the mark, not the bot's current one


@dataclass(frozen=True)
class PlannedCreate:
    shift_id: str
    version: int
    request: OverrideRequest
    reason: CreateReason
    beyond_mark: bool

    @property
    def alias(self) -> str:
        return self.request.alias

    @property
    def user_id(self) -> str:
        return self.request.user_id

    @property
    def start(self) -> datetime:
        return self.request.start

    @property
    def end(self) -> datetime:
        return self.request.end


@dataclass(frozen=True)
class PlannedDelete:
    """Delete `override_id`. `shift_id` is set when it is the bot's (recorded) override.

    `requires`: aliases of creates that must have succeeded before this delete runs.
    """

    override_id: str
    user_id: str
    start: datetime
    end: datetime
    reason: DeleteReason
    beyond_mark: bool
    shift_id: str | None = None
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class Adoption:
    """Record an existing remote override as the export of `shift_id` at `version`."""

    shift_id: str
    version: int
    override: RemoteOverride
    beyond_mark: bool


@dataclass(frozen=True)
class PlanLine:
    """One row of a dry run: what happens to whom, when."""

    action: str  # "create" | "delete" | "adopt"
    user_id: str
    start: datetime
    end: datetime
    reason: str
    shift_id: str | None


@dataclass(frozen=True)
class Plan:
    """What an export would do. Creates run before deletes (see the module docstring).

    `steps`: (start, end) of every live shift from the mark on, in time order: the stretches
    the mark may advance over (used by `advance_mark`).
    """

    creates: tuple[PlannedCreate, ...] = ()
    deletes: tuple[PlannedDelete, ...] = ()
    adopt: tuple[Adoption, ...] = ()
    new_exported_until: datetime | None = None
    exported_until: datetime | None = None
    steps: tuple[tuple[datetime, datetime], ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing to write at the provider and nothing to record."""
        return not (self.creates or self.deletes or self.adopt)

    @property
    def requests(self) -> list[OverrideRequest]:
        return [c.request for c in self.creates]

    def counts(self) -> dict[str, int]:
        return {"create": len(self.creates), "delete": len(self.deletes), "adopt": len(self.adopt)}

    def lines(self) -> list[PlanLine]:
        """Every item for a dry-run listing, in time order (creates before deletes at a tie)."""
        rows = [
            PlanLine("create", c.user_id, c.start, c.end, c.reason.value, c.shift_id) for c in self.creates
        ]
        rows += [
            PlanLine("delete", d.user_id, d.start, d.end, d.reason.value, d.shift_id) for d in self.deletes
        ]
        rows += [
            PlanLine("adopt", a.override.user_id, a.override.start, a.override.end, "matches", a.shift_id)
            for a in self.adopt
        ]
        order = {"create": 0, "adopt": 1, "delete": 2}
        return sorted(rows, key=lambda r: (r.start, order[r.action]))
