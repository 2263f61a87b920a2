"""The provider behind a connection during a sync (`provider_for`: the context's factory, paced by
the account's token bucket), and how the provider and a destination are named in reports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.context import Context
from bot.providers import Provider, ProviderKind
from bot.store.models import Connection, Destination


@contextmanager
def provider_for(ctx: Context, conn: Connection) -> Iterator[Provider]:
    """The connection's provider from the context's paced factory (`Context.provider_for`)."""
    provider = ctx.provider_for(conn)
    try:
        yield provider
    finally:
        provider.close()


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
