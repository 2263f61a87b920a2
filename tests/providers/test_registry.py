"""The provider registry: every provider's facts in its class, read everywhere through `spec_for`;
an unknown kind is an error everywhere (never another provider's values); one paced, closed factory."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.config import Settings
from bot.context import Context
from bot.crypto import KeyBox
from bot.providers import (
    JsmCredentials,
    ProviderKind,
    Region,
    UnknownProvider,
    kinds,
    make_provider,
    spec_for,
    specs,
)
from bot.providers.client import HttpProvider
from bot.redact import MASK, redact
from bot.store.models import Connection
from bot.sync.apply import _batches
from bot.sync.ratelimit import Pacing
from bot.views.connect import connect_modal, key_hint

from .fixtures import OG_KEY, PD_KEY

FACTS = ("label", "base_urls", "base_url_setting", "allowed_paths", "headers", "auth_scheme",
         "requests_per_minute", "create_batch", "key_help", "rate_limit_hint", "error_detail")
BOT = Path(__file__).resolve().parents[2] / "bot"


@pytest.mark.parametrize("kind", list(ProviderKind))
def test_every_kind_has_one_class_declaring_every_fact(kind):
    spec = spec_for(kind)
    assert issubclass(spec, HttpProvider) and spec.kind is kind and spec_for(kind.value) is spec
    missing = [fact for fact in FACTS if not hasattr(spec, fact)]
    assert missing == []
    assert spec.requests_per_minute > 0 and spec.create_batch >= 1
    assert re.fullmatch(r"[A-Z]+_API_URL", spec.base_url_setting)


def test_the_facts_are_the_providers_documented_ones():
    pd, og = spec_for("pagerduty"), spec_for("opsgenie")
    assert pd.default_base_url("eu") == "https://api.eu.pagerduty.com" and og.default_base_url("us") == (
        "https://api.opsgenie.com")
    assert pd.requests_per_minute < 960 and pd.create_batch == 50 and og.create_batch == 1
    assert pd.authorization("k") == "Token token=k" and og.authorization("k") == "GenieKey k"
    assert kinds() == (ProviderKind.PAGERDUTY, ProviderKind.OPSGENIE, ProviderKind.JSM) and [s.kind for s in specs()] == list(kinds())


def test_an_unknown_kind_is_an_error_everywhere_never_another_providers_values():
    with pytest.raises(UnknownProvider, match="xmatters"):
        spec_for("xmatters")
    with pytest.raises(UnknownProvider):
        Settings.from_env({}).provider_base_url("xmatters", "us")
    with pytest.raises(UnknownProvider):
        Pacing().bucket("xmatters", "some-key-123")
    with pytest.raises(UnknownProvider):
        _batches("xmatters", [])
    with pytest.raises(UnknownProvider):
        make_provider("xmatters", "us", PD_KEY)


def test_each_base_url_setting_overrides_its_provider_only():
    settings = Settings.from_env({spec.base_url_setting: f"http://{spec.kind.value}.test/" for spec in specs()})
    for spec in specs():
        for region in spec.regions():
            assert settings.provider_base_url(spec.kind, region) == f"http://{spec.kind.value}.test"
    assert Settings.from_env({"OPSGENIE_API_URL": "http://og.test"}).provider_base_url("pagerduty", "eu") == (
        "https://api.eu.pagerduty.com")


@pytest.mark.parametrize("kind", list(ProviderKind))
def test_the_authorization_header_each_provider_sends_is_masked_in_logs(kind):
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["Authorization"])
        return httpx.Response(401, json={})

    key = "an-unregistered-key-0987"  # never registered: only the header pattern can mask it
    if kind is ProviderKind.JSM:  # the secret is site, email and token; the header Basic base64(email:token)
        key = JsmCredentials("acme", "ops@example.com", key, "a436116f-02ce-4520-8fbb-7301462a1674").pack()
    provider = make_provider(kind, "us", key, client=httpx.Client(transport=httpx.MockTransport(answer)),
                             sleep=lambda s: None)
    with pytest.raises(Exception):  # noqa: B017  (401: whatever the provider raises)
        provider.list_schedules()
    line = f"sending headers={{'authorization': '{sent[0]}'}}"
    credentials = sent[0].split()[-1]
    assert credentials not in redact(line) and key not in redact(line) and MASK in redact(line)


def test_basic_credentials_are_masked_but_not_the_word_basic():
    token = base64.b64encode(b"ops@example.com:ATATT3xFfGF0-secret").decode()
    assert redact(f"Authorization: Basic {token}") == f"Authorization: Basic {MASK}"
    assert redact("Slack app → Basic Information → App-Level Tokens") == (
        "Slack app → Basic Information → App-Level Tokens")


def test_the_connect_form_offers_every_provider_and_says_where_each_key_is():
    blocks = {b["block_id"]: b for b in connect_modal()["blocks"]}
    offered = [o["value"] for o in blocks["connect_provider"]["element"]["options"]]
    assert offered == [k.value for k in kinds()]
    assert all(f"{spec.label}: {spec.key_help}" in key_hint() for spec in specs())
    regions = [o["value"] for o in blocks["connect_region"]["element"]["options"]]
    assert regions == [r.value for r in Region if any(r in spec.regions() for spec in specs())]


def _context(transport: httpx.BaseTransport) -> Context:
    settings = Settings(secret_key=Fernet.generate_key().decode())
    return Context(settings=settings, engine=None, keys=KeyBox(settings.secret_key),  # type: ignore[arg-type]
                   transport=transport, sleep=lambda s: None)


def test_a_stored_connections_provider_is_paced_rides_the_injected_transport_and_is_closed(monkeypatch):
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": []})

    closed: list[HttpProvider] = []
    real_close = HttpProvider.close
    monkeypatch.setattr(HttpProvider, "close", lambda self: (closed.append(self), real_close(self))[1])
    ctx = _context(httpx.MockTransport(answer))
    conn = Connection(team_id="T1", provider="opsgenie", region="eu", name="OG",
                      api_key_encrypted=ctx.keys.encrypt(OG_KEY), key_hint="…cccc")
    with ctx.provider(conn) as provider:
        assert provider.list_schedules() == []
        assert closed == []
    assert closed == [provider]
    assert [str(r.url.host) for r in seen] == ["api.eu.opsgenie.com"]
    assert seen[0].headers["Authorization"] == f"GenieKey {OG_KEY}"
    assert ctx.pacing.bucket("opsgenie", OG_KEY).taken == 1
    ctx.close()


def test_no_provider_is_built_outside_the_one_factory():
    """Providers for an account come only from `Context.provider` / `trial_provider` (paced, closed)."""
    makers = re.compile(r"\bmake_provider\(|\b(PagerDuty|Opsgenie)Provider\(|\bspec_for\([^)]*\)\(")
    found = [f"{path.relative_to(BOT)}:{n}" for path in BOT.rglob("*.py")
             if path.parent.name not in ("providers", "sandbox") and path.name != "context.py"
             for n, line in enumerate(path.read_text().splitlines(), 1) if makers.search(line)]
    assert found == []
    assert "provider_for" not in (BOT / "context.py").read_text()


def test_texts_name_every_provider(monkeypatch):
    from bot.providers import registry

    assert registry.any_of() == "PagerDuty, Opsgenie or JSM"
    third = type("Third", (), {"label": "Jira Service Management"})
    monkeypatch.setattr(registry, "specs", lambda: (spec_for("pagerduty"), spec_for("opsgenie"), third))
    assert registry.any_of() == "PagerDuty, Opsgenie or Jira Service Management"
