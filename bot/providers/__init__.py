"""Provider clients (PagerDuty, Opsgenie, JSM Operations) behind one `Provider` protocol; see `base` for the error tree
and `registry` for where a provider is added and how its facts are read (`spec_for(kind)`).

The bot obtains a provider for an account only through `Context.provider` (paced, closed after use);
`make_provider` is the plain constructor underneath (tests use it on their own transport).
"""

from __future__ import annotations

import time

import httpx

from .base import (
    AuthError,
    CreateResult,
    CredentialField,
    CredentialProblem,
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
from .registry import UnknownProvider, any_of, kinds, spec_for, specs

__all__ = [
    "AuthError",
    "CreateResult",
    "CredentialField",
    "CredentialProblem",
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
    "UnknownProvider",
    "WriteCheck",
    "any_of",
    "default_base_url",
    "kinds",
    "make_provider",
    "spec_for",
    "specs",
]


def default_base_url(kind: ProviderKind | str, region: Region | str) -> str:
    """The public API base URL of a provider in a region."""
    return spec_for(kind).default_base_url(region)


def make_provider(
    kind: ProviderKind | str,
    region: Region | str,
    api_key: str,
    *,
    base_url: str | None = None,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
    sleep: Sleep = time.sleep,
    **options: object,
) -> Provider:
    """A provider client for one account. `base_url` None means the region's public API;
    `options`: the provider's own settings (`spec.options(settings)`, e.g. JSM's site URL) and `clock`."""
    return spec_for(kind)(api_key, client=client, base_url=base_url, region=Region(region), timeout=timeout,
                          sleep=sleep, **options)
