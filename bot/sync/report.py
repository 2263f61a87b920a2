"""What a sync run reports: per destination (`DestinationReport`) and per schedule (`SyncReport`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.store.models import DestinationStatus
from bot.sync.plan import PlanLine


@dataclass(frozen=True)
class DestinationReport:
    """What one run did at one destination."""

    destination_id: int
    label: str  # "Platform primary (PagerDuty · Acme PD)"
    created: int = 0
    deleted: int = 0
    adopted: int = 0
    unchanged: int = 0
    exported_until: datetime | None = None
    status: str = DestinationStatus.PENDING.value
    error: str | None = None
    drifting: int = 0  # shifts that drift (after acknowledgements)
    lines: tuple[PlanLine, ...] = ()  # dry run: what an export would do
    names: dict[str, str] = field(default_factory=dict)  # provider user id -> mention or name


@dataclass(frozen=True)
class SyncReport:
    schedule_id: int
    schedule_name: str = ""
    time_zone: str = "UTC"
    destinations: tuple[DestinationReport, ...] = ()
    dry_run: bool = False
    skipped: str | None = None  # why nothing was done
    assigned: int | None = None  # shifts added by extend_assignments (None: not run / unavailable)
    assign_error: str | None = None

    @property
    def changed(self) -> bool:
        return any(d.created or d.deleted or d.adopted for d in self.destinations)
