"""A destination's status after a run, in one pure function (words included)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.models import DestinationStatus

SOON = timedelta(days=3)
RATE_LIMITED = "the provider's rate limit stopped this run (429 after retries); the next sync retries"


@dataclass(frozen=True)
class StatusInput:
    now: datetime
    mark: datetime | None
    unexported_starts: Sequence[datetime]  # starts of live shifts that are not exported
    problems: Sequence[str] = ()  # why, in words (errors, members without accounts)
    read_only: str | None = None
    rate_limited: bool = False  # the run ended on 429 after its retries


def destination_status(s: StatusInput) -> tuple[DestinationStatus, str | None]:
    """OK, Pending (never exported, nothing to export yet), Warning (shifts more than 3 days out
    not exported), Error (current shifts or the next 3 days not exported); read-only says why.
    A run the provider rate-limited is never OK or Pending: Rate limited (or Warning/Error when
    shifts are left unexported), and its words say so and that the next sync retries."""
    problems = [*s.problems, RATE_LIMITED] if s.rate_limited else s.problems
    error = "; ".join(dict.fromkeys(p for p in problems if p)) or None
    if s.read_only:
        return DestinationStatus.READ_ONLY, s.read_only
    if s.unexported_starts:
        first = min(s.unexported_starts)
        status = DestinationStatus.ERROR if first < s.now + SOON else DestinationStatus.WARNING
        return status, error or "some shifts are not exported yet; the next sync tries again"
    if s.rate_limited:
        return DestinationStatus.RATE_LIMITED, error
    if s.mark is None:
        return DestinationStatus.PENDING, error
    return DestinationStatus.OK, error
