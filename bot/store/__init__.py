"""Storage: SQLModel tables, engine/sessions and Alembic migrations."""

from bot.store.db import DatabaseNotReady, ensure_current, make_engine, session_scope, upgrade
from bot.store.models import (
    AuditEvent,
    Connection,
    Destination,
    DestinationStatus,
    DriftAlert,
    DriftMode,
    ExportedOverride,
    Member,
    ProviderUser,
    Schedule,
    Shift,
    SwapRequest,
    SwapStatus,
    TimeOff,
)

__all__ = [
    "AuditEvent",
    "Connection",
    "DatabaseNotReady",
    "Destination",
    "DestinationStatus",
    "DriftAlert",
    "DriftMode",
    "ExportedOverride",
    "Member",
    "ProviderUser",
    "Schedule",
    "Shift",
    "SwapRequest",
    "SwapStatus",
    "TimeOff",
    "ensure_current",
    "make_engine",
    "session_scope",
    "upgrade",
]
