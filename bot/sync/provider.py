"""How the provider and a destination are named in reports (the provider itself comes from
`Context.provider`)."""

from __future__ import annotations

from bot.providers import ProviderKind
from bot.store.models import Connection, Destination


def kind_label(conn: Connection) -> str:
    """"PagerDuty", "Opsgenie" (or the stored name of a provider this version does not know)."""
    try:
        return ProviderKind(conn.provider).label
    except ValueError:
        return conn.provider


def destination_label(dest: Destination, conn: Connection | None) -> str:
    """"Platform primary (PagerDuty · Acme PD)"."""
    name = dest.provider_schedule_name or dest.provider_schedule_id
    if conn is None:
        return f"{name} (connection removed)"
    return f"{name} ({kind_label(conn)} · {conn.name})"
