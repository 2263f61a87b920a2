"""`/oncall sync`'s trace: each manual export is an audit event (`sync.manual`) saying what it did."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine

from bot.store import audit, session_scope
from bot.sync.report import SyncReport


def manual_sync_detail(report: SyncReport) -> str:
    """What a manual sync did, for the audit trail."""
    if report.skipped:
        return f"skipped ({report.skipped})"
    parts = [f"{d.label}: {d.created} created, {d.deleted} deleted" + (f", {d.error}" if d.error else "")
             for d in report.destinations]
    return "; ".join(parts)[:500] or "no destinations"


def record_manual_syncs(engine: Engine, team_id: str, actor: str, reports: Sequence[SyncReport],
                        at: datetime) -> None:
    """One audit event per schedule exported, in one transaction."""
    with session_scope(engine) as session:
        for report in reports:
            audit.record(session, team_id, actor, "sync.manual", schedule_id=report.schedule_id,
                         detail=manual_sync_detail(report), at=at)
