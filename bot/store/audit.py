"""The audit trail: one `record(...)` for every change a person (or the bot) makes, read back by
`/oncall history` (`bot.services.history`). In the store package so that
every layer (services, the sync engine) can use it. Rows are keyed by `team_id`; `schedule_id` is set when
the change belongs to one schedule (connections, time off and calendar feeds belong to a person or
the workspace and carry none)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.store.db import session_scope
from bot.store.models import AuditEvent


def record(session: Session, team_id: str, actor: str, action: str, *, schedule_id: int | None = None,
           detail: str = "", at: datetime | None = None) -> AuditEvent:
    """Add one audit event to the caller's transaction (written with the change it describes)."""
    event = AuditEvent(team_id=team_id, actor=actor or "", action=action, schedule_id=schedule_id, detail=detail)
    if at is not None:
        event.at = at
    session.add(event)
    return event


def record_now(engine: Engine, team_id: str, actor: str, action: str, *, schedule_id: int | None = None,
               detail: str = "", at: datetime | None = None) -> None:
    """Record in a transaction of its own (for actions that write nothing else, e.g. a manual sync)."""
    with session_scope(engine) as session:
        record(session, team_id, actor, action, schedule_id=schedule_id, detail=detail, at=at)
