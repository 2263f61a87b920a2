"""Plain inputs shared by the pure sync core (`plan.py`, `drift.py`).

All datetimes are timezone-aware UTC. Intervals are half-open: ``[start, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.providers.base import RemoteOverride


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
