"""Datetime conversions at the provider edge: always aware UTC in, RFC 3339 out."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(value: datetime) -> datetime:
    """Aware UTC. A naive datetime is taken to be UTC already (SQLite drops tzinfo)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime) -> str:
    """`2025-01-06T09:00:00Z` (seconds precision, what both providers expect)."""
    return utc(value).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    """Parse a provider timestamp (`Z` or an offset, optional fractions) to aware UTC."""
    return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def parse_opt(text: str | None) -> datetime | None:
    return parse(text) if text else None
