"""Provider clients (PagerDuty, Opsgenie, JSM Operations) behind one `Provider` protocol; see `base` for the error tree.

Callers build a client with `make_provider(kind, region, api_key, base_url=settings.provider_base_url(...))`
and use only the `Provider` protocol, so a third provider can be added without touching them.
"""

from __future__ import annotations

import time

import httpx

from .base import (
    AuthError,
    CreateResult,
    DeleteOutcome,
    InvalidRequest,
    NotFound,
    OverrideRequest,
    PermissionDenied,
    Provider,
    ProviderError,
    ProviderKind,
    RateLimited,
    Region,
    RemoteOverride,
    RemoteRotation,
    RemoteSchedule,
    RemoteUser,
    RenderedShift,
    Restriction,
    Unavailable,
    WriteCheck,
)
from .http import RetryPolicy, Sleep
from .jsm import JsmCredentials, JsmProvider
from .opsgenie import OpsgenieProvider
from .pagerduty import PagerDutyProvider

__all__ = [
    "AuthError",
    "CreateResult",
    "DeleteOutcome",
    "InvalidRequest",
    "JsmCredentials",
    "JsmProvider",
    "NotFound",
    "OpsgenieProvider",
    "OverrideRequest",
    "PagerDutyProvider",
    "PermissionDenied",
    "Provider",
    "ProviderError",
    "ProviderKind",
    "RateLimited",
    "Region",
    "RemoteOverride",
    "RemoteRotation",
    "RemoteSchedule",
    "RemoteUser",
    "RenderedShift",
    "Restriction",
    "RetryPolicy",
    "Unavailable",
    "WriteCheck",
    "default_base_url",
    "make_provider",
]


def default_base_url(kind: ProviderKind | str, region: Region | str) -> str:
    """The public API base URL of a provider in a region."""
    from .jsm import BASE_URLS as JSM
    from .opsgenie import BASE_URLS as OPSGENIE
    from .pagerduty import BASE_URLS as PAGERDUTY

    urls = {ProviderKind.PAGERDUTY: PAGERDUTY, ProviderKind.OPSGENIE: OPSGENIE, ProviderKind.JSM: JSM}
    return urls[ProviderKind(kind)][Region(region)]


def make_provider(
    kind: ProviderKind | str,
    region: Region | str,
    api_key: str,
    *,
    base_url: str | None = None,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
    sleep: Sleep = time.sleep,
    **extra: object,
) -> Provider:
    """A provider client for one account. `base_url` None means the region's public API.
    JSM: `api_key` is the packed `JsmCredentials`; `extra` may hold its `site_url` and `clock`."""
    kind = ProviderKind(kind)
    common = {"client": client, "base_url": base_url, "region": Region(region), "timeout": timeout, "sleep": sleep}
    if kind is ProviderKind.JSM:
        return JsmProvider(api_key, **common, **extra)  # type: ignore[arg-type]
    cls = {ProviderKind.PAGERDUTY: PagerDutyProvider, ProviderKind.OPSGENIE: OpsgenieProvider}[kind]
    return cls(api_key, **common)  # type: ignore[arg-type]
