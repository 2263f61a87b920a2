"""The provider behind a connection during a sync: a client paced by the connection's token
bucket (`provider_for`), and how the provider and a destination are named in reports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bot.context import Context
from bot.providers import Provider, ProviderKind, make_provider
from bot.redact import register_secret
from bot.store.models import Connection, Destination
from bot.sync.ratelimit import ThrottledClient, bucket_for


@contextmanager
def provider_for(ctx: Context, conn: Connection) -> Iterator[Provider]:
    """A provider client for `conn` whose every HTTP request goes through the connection's token bucket."""
    key = ctx.keys.decrypt(conn.api_key_encrypted)
    register_secret(key)
    own = ctx.http_client is None
    http = ctx.http_client or httpx.Client()
    throttled = ThrottledClient(http, bucket_for(conn.provider, conn.id, ctx.sleep))
    try:
        yield make_provider(conn.provider, conn.region, key,
                            base_url=ctx.settings.provider_base_url(conn.provider, conn.region),
                            client=throttled,  # type: ignore[arg-type]
                            timeout=ctx.settings.provider_timeout_seconds, sleep=ctx.sleep)
    finally:
        if own:
            http.close()


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
