"""The PagerDuty and Opsgenie simulators over real HTTP: keys (401, 403 read-only), faults (429 with
and without reset header, 5xx, latency), pagination, rendering (newest override wins), and the bot's
own provider clients reading and writing them (the same code the sandbox and the process tests run)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.providers.base import AuthError, OverrideRequest, PermissionDenied
from bot.providers.opsgenie import OpsgenieProvider
from bot.providers.pagerduty import PagerDutyProvider
from bot.sandbox.conformance import PUBLIC_BASE, missing_reason, response_problems, simulator_check
from bot.sandbox.http import LoopbackServer
from bot.sandbox.opsgenie import OpsgenieSim
from bot.sandbox.pagerduty import PagerDutySim
from bot.sandbox.seed import OG_KEY, OG_READ_ONLY_KEY, PD_KEY, PD_READ_ONLY_KEY, seed_opsgenie, seed_pagerduty

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def pd():
    sim = PagerDutySim(check=simulator_check(PUBLIC_BASE["pagerduty"]))
    seed_pagerduty(sim, NOW)
    server = LoopbackServer(sim.handle).start()
    yield sim, server.url
    server.stop()
    assert not sim.problems


@pytest.fixture
def og():
    sim = OpsgenieSim(check=simulator_check(PUBLIC_BASE["opsgenie"]))
    seed_opsgenie(sim, NOW)
    server = LoopbackServer(sim.handle).start()
    yield sim, server.url
    server.stop()
    assert not sim.problems


def pd_get(url: str, path: str, key: str = PD_KEY, **params) -> httpx.Response:
    return httpx.get(url + path, params=params, headers={"Authorization": f"Token token={key}",
                                                         "Accept": "application/vnd.pagerduty+json;version=2",
                                                         "Content-Type": "application/json"})


def test_pagerduty_keys_and_faults(pd):
    sim, url = pd
    assert pd_get(url, "/users", key="wrong").status_code == 401
    client = PagerDutyProvider(PD_READ_ONLY_KEY, base_url=url)
    assert {s.name for s in client.list_schedules()} == {"Platform", "Database"}
    assert client.can_write() is False, "a read-only key is refused the write check (403)"
    with pytest.raises(PermissionDenied):
        client.create_overrides("PPLATF1", [OverrideRequest("PALICE1", NOW + timedelta(days=1),
                                                            NOW + timedelta(days=2), "a")])
    with pytest.raises(AuthError):
        PagerDutyProvider("nope", base_url=url).list_schedules()

    sim.fail(429, reset=7)
    throttled = pd_get(url, "/users")
    assert throttled.status_code == 429 and throttled.headers["ratelimit-reset"] == "7"
    sim.fail(429)
    assert "ratelimit-reset" not in pd_get(url, "/users").headers
    sim.fail(503, times=2, writes_only=True)
    assert pd_get(url, "/users").status_code == 200, "a writes-only fault lets reads through"
    sim.recover()
    sim.latency = 0.3
    started = time.monotonic()
    assert pd_get(url, "/users").status_code == 200 and time.monotonic() - started >= 0.3


def test_pagerduty_pages_lists_and_renders_the_newest_override(pd):
    sim, url = pd
    pages = [pd_get(url, "/users", limit=3, offset=offset).json() for offset in (0, 3, 6)]
    assert [(len(p["users"]), p["more"]) for p in pages] == [(3, True), (3, True), (1, False)]
    ids = [u["id"] for p in pages for u in p["users"]]
    assert len(ids) == len(set(ids)) == 7, "Heidi has no PagerDuty account"
    client = PagerDutyProvider(PD_KEY, base_url=url)
    assert len(client.list_users()) == 7 and client.can_write() is True

    start, end = NOW + timedelta(days=1), NOW + timedelta(days=1, hours=6)
    (made,) = client.create_overrides("PPLATF1", [OverrideRequest("PBOB002", start, end, "x")])
    newer = sim.hand_override("PPLATF1", "PCAROL3", start + timedelta(hours=2), start + timedelta(hours=3))
    rendered = client.rendered("PPLATF1", start, end)
    assert [(r.user_id, r.start, r.end) for r in rendered] == [
        ("PBOB002", start, start + timedelta(hours=2)), ("PCAROL3", start + timedelta(hours=2), start + timedelta(hours=3)),
        ("PBOB002", start + timedelta(hours=3), end)]
    listed = {o.id for o in client.list_overrides("PPLATF1", start, end)}
    assert {made.override.id, newer} <= listed
    client.delete_override("PPLATF1", made.override.id)
    assert sim.who("PPLATF1", start + timedelta(minutes=30)) != "PBOB002"


@pytest.mark.skipif(bool(missing_reason()), reason=missing_reason() or "")
def test_pagerduty_answers_fit_the_spec(pd):
    sim, url = pd
    since, until = NOW, NOW + timedelta(days=3)
    body = pd_get(url, "/schedules/PPLATF1", since=since.isoformat(), until=until.isoformat()).json()
    assert response_problems("pagerduty", "GET", "/schedules/{id}", 200, body) == []
    assert response_problems("pagerduty", "GET", "/users", 200, pd_get(url, "/users").json()) == []


def test_opsgenie_keys_faults_and_overrides(og):
    sim, url = og
    client = OpsgenieProvider(OG_KEY, base_url=url)
    assert {s.name for s in client.list_schedules()} == {"Platform", "Payments"}
    start, end = NOW + timedelta(days=2), NOW + timedelta(days=2, hours=5)
    (made,) = client.create_overrides("og-payments", [OverrideRequest("og-heidi", start, end, "alias-1")])
    assert made.ok and sim.who("og-payments", start) == "og-heidi"
    again = client.create_overrides("og-payments", [OverrideRequest("og-heidi", start, end, "alias-1")])
    assert again[0].ok, "a retried alias is adopted, not duplicated"
    assert len([o for o in sim.schedules["og-payments"].sim.overrides.values() if o.id == "alias-1"]) == 1
    periods = client.rendered("og-payments", start - timedelta(hours=1), end)
    assert ("og-heidi", start, end) in [(p.user_id, p.start, p.end) for p in periods]

    read_only = OpsgenieProvider(OG_READ_ONLY_KEY, base_url=url)
    assert read_only.list_schedules()
    with pytest.raises(PermissionDenied):
        read_only.create_overrides("og-payments", [OverrideRequest("og-erin", start, end, "alias-2")])
    headers = {"Authorization": f"GenieKey {OG_KEY}"}
    assert httpx.get(url + "/v2/schedules", headers={"Authorization": "GenieKey bad"}).status_code == 401
    sim.fail(429, reset=30)
    throttled = httpx.get(url + "/v2/schedules", headers=headers)
    assert throttled.status_code == 429 and throttled.headers["X-RateLimit-Period-In-Sec"] == "30"
    sim.fail(500)
    assert httpx.get(url + "/v2/schedules", headers=headers).status_code == 500
    assert httpx.get(url + "/v2/schedules", headers=headers).status_code == 200


def test_a_non_conforming_request_is_refused_and_counted(pd):
    sim, url = pd
    if sim.check is None:
        pytest.skip(missing_reason() or "no specs")
    resp = httpx.get(url + "/schedules/PPLATF1/overrides", params={"since": "yesterday", "until": "x"},
                     headers={"Authorization": f"Token token={PD_KEY}"})
    assert resp.status_code == 400 and sim.problems
    sim.problems.clear()


def test_jsm_over_loopback_connects_lists_exports_and_hides_an_email():
    from bot.providers import JsmCredentials, JsmProvider
    from bot.sandbox.jsm import JsmSim
    from bot.sandbox.seed import (
        JSM_EMAIL,
        JSM_SITE,
        JSM_TOKEN,
        JSM_VIEWER_EMAIL,
        JSM_VIEWER_TOKEN,
        person,
        seed_jsm,
    )

    sim = JsmSim(check=simulator_check(PUBLIC_BASE["jsm"]))
    seed_jsm(sim, NOW)
    server = LoopbackServer(sim.handle).start()
    try:
        def client(email: str, token: str) -> JsmProvider:
            return JsmProvider(JsmCredentials(JSM_SITE, email, token).pack(), base_url=server.url, site_url=server.url)

        jsm = client(JSM_EMAIL, JSM_TOKEN)
        remote = jsm.get_schedule("jsm-platform")
        assert jsm.credentials.cloud_id == sim.cloud_id
        emails = {u.name: u.email for u in remote.members}
        assert emails[person("dave").real_name] == "" and emails[person("alice").real_name] == "alice@example.com"
        (made,) = jsm.create_overrides("jsm-platform", [OverrideRequest(person("bob").jsm_id, NOW + timedelta(days=1),
                                                                        NOW + timedelta(days=2), "ignored")])
        assert made.ok and made.override.id in sim.schedules["jsm-platform"].sim.overrides
        assert client(JSM_VIEWER_EMAIL, JSM_VIEWER_TOKEN).check_write("jsm-platform").can_write is False
        with pytest.raises(AuthError):
            client(JSM_EMAIL, "wrong-token-123456").list_schedules()
    finally:
        server.stop()
    assert not sim.problems
