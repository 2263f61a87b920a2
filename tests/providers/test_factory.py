"""make_provider, regions and the public surface."""

from __future__ import annotations

import httpx
import pytest

import bot.providers as providers
from bot.config import Settings
from bot.providers import OpsgenieProvider, PagerDutyProvider, Provider, ProviderKind, Region, make_provider

from .fixtures import OG_KEY, PD_KEY


@pytest.mark.parametrize(
    ("kind", "region", "cls", "url"),
    [
        ("pagerduty", "us", PagerDutyProvider, "https://api.pagerduty.com"),
        ("pagerduty", "eu", PagerDutyProvider, "https://api.eu.pagerduty.com"),
        ("opsgenie", "us", OpsgenieProvider, "https://api.opsgenie.com"),
        ("opsgenie", "eu", OpsgenieProvider, "https://api.eu.opsgenie.com"),
    ],
)
def test_make_provider_defaults(kind, region, cls, url):
    provider = make_provider(kind, region, PD_KEY, client=httpx.Client())
    assert isinstance(provider, cls) and isinstance(provider, Provider)
    assert provider.base_url == url == providers.default_base_url(kind, region)
    assert provider.kind is ProviderKind(kind) and provider.region is Region(region)


def test_base_urls_agree_with_settings():
    settings = Settings.from_env({})
    for kind in ProviderKind:
        for region in Region:
            assert settings.provider_base_url(kind.value, region.value) == providers.default_base_url(
                kind, region
            )


def test_settings_override_reaches_the_client():
    settings = Settings.from_env({"OPSGENIE_API_URL": "http://og-sim.test/"})
    provider = make_provider(
        "opsgenie", "eu", OG_KEY, base_url=settings.provider_base_url("opsgenie", "eu"), client=httpx.Client()
    )
    assert provider.base_url == "http://og-sim.test"


def test_unknown_kind_and_empty_key():
    with pytest.raises(ValueError):
        make_provider("victorops", "us", PD_KEY)
    with pytest.raises(ValueError, match="API key is required"):
        make_provider("pagerduty", "us", "  ")


def test_public_surface_is_explicit():
    for name in providers.__all__:
        assert hasattr(providers, name), name
    assert {"make_provider", "Provider", "ProviderError", "PagerDutyProvider", "OpsgenieProvider"} <= set(
        providers.__all__
    )
