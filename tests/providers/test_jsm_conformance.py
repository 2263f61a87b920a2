"""The JSM description as the validator reads it (two upstream defects mended in memory, never in the
file), what it refuses, the hand-written checks of the site's two endpoints, and the simulator's answers
against the documented response schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.sandbox import conformance as c
from bot.sandbox.jsm import JsmSim
from bot.sandbox.provider import SimRequest
from bot.sandbox.schedule import Rotation
from tests.conformance import request_problems, requires_specs, response_problems

CLOUD = "a436116f-02ce-4520-8fbb-7301462a1674"
API = f"https://api.atlassian.com/jsm/ops/api/{CLOUD}/v1"
SITE = "https://acme.atlassian.net"
AUTH = {"Authorization": "Basic b3BzQGV4YW1wbGUuY29tOnRva2Vu", "Content-Type": "application/json"}
ANN = "5b10a2844c20165700ede21g"


def problems(method: str, url: str, *, headers=AUTH, body=None) -> list[str]:
    content = json.dumps(body).encode() if body is not None else b""
    return request_problems(httpx.Request(method, url, headers=headers, content=content))


@requires_specs
def test_the_file_keeps_its_defects_and_the_validator_mends_them_in_memory():
    raw = json.loads((c.specs_dir() / c.JSM_FILE).read_text(encoding="utf-8"))
    timeline = raw["paths"]["/api/{cloudId}/v1/schedules/{scheduleId}/timeline"]
    assert not any(p.get("name") == "cloudId" for item in raw["paths"].values() for p in item.get("parameters", []))
    date = next(p for p in timeline["get"]["parameters"] if p["name"] == "date")
    assert date["schema"]["default"] == "time of request"

    spec = c.load("jsm")
    op = spec.operation("GET", "/api/{cloudId}/v1/schedules/{scheduleId}/timeline")
    assert {"name": "cloudId", "in": "path", "required": True, "schema": {"type": "string"}} in op.params
    assert "default" not in next(p for p in op.params if p["name"] == "date")["schema"]


@requires_specs
def test_what_the_bot_sends_passes():
    assert problems("GET", f"{API}/schedules?expand=rotation&size=50&offset=0") == []
    assert problems("GET", f"{API}/schedules/s1/timeline?date=2026-11-04T12:00:00Z&interval=3&intervalUnit=days"
                           "&expand=override") == []
    body = {"responder": {"type": "user", "id": ANN}, "startDate": "2026-11-05T12:00:00Z",
            "endDate": "2026-11-05T20:00:00Z"}
    assert problems("POST", f"{API}/schedules/s1/overrides", body=body) == []
    assert problems("PUT", f"{API}/schedules/s1/overrides/a1", body=body) == []
    assert problems("DELETE", f"{API}/schedules/s1/overrides/a1") == []


@requires_specs
@pytest.mark.parametrize(("method", "url", "body", "expected"), [
    ("GET", f"{API}/schedules/s1/overrides?size=51", None, "maximum"),
    ("GET", f"{API}/schedules/s1/overrides?limit=10", None, "not declared"),
    ("GET", f"{API}/schedules/s1/timeline?intervalUnit=hours", None, "is not one of"),
    ("GET", f"{API}/schedules/s1/timeline?date=tomorrow", None, "date-time"),
    ("POST", f"{API}/schedules", {"name": "New"}, "never changes a JSM schedule"),
    ("DELETE", f"{API}/schedules/s1/rotations/r1", None, "not a schedule"),
    ("GET", f"{API}/schedules/on-calls/u1.ics", None, "not a schedule"),
    ("POST", f"{API}/schedules/s1/overrides", {"responder": {"type": "team", "id": "t"},
                                              "startDate": "2026-11-05T12:00:00Z"}, "body"),
])
def test_what_it_refuses(method, url, body, expected):
    found = problems(method, url, body=body)
    assert any(expected in p for p in found), found


@requires_specs
def test_basic_auth_is_required_and_never_shown():
    found = problems("GET", f"{API}/schedules", headers={"Authorization": "GenieKey secret-key-1234"})
    assert any("Basic" in p for p in found) and not any("secret-key-1234" in p for p in found)


def test_the_site_endpoints():
    assert c.site_problems(httpx.Request("GET", f"{SITE}/_edge/tenant_info")) == []
    ok = httpx.Request("GET", f"{SITE}/rest/api/3/user/bulk?accountId={ANN}&accountId=x&maxResults=50", headers=AUTH)
    assert c.site_problems(ok) == []
    assert c.provider_of(ok) == "jsm-site"
    for bad, why in [
        (httpx.Request("GET", f"{SITE}/rest/api/3/user/bulk?maxResults=50", headers=AUTH), "accountId is required"),
        (httpx.Request("GET", f"{SITE}/rest/api/3/user/bulk?accountId=x&maxResults=0", headers=AUTH), "maxResults"),
        (httpx.Request("GET", f"{SITE}/rest/api/3/user/bulk?accountId=x"), "Basic"),
        (httpx.Request("GET", f"{SITE}/rest/api/3/users/search", headers=AUTH), "may call only"),
        (httpx.Request("POST", f"{SITE}/_edge/tenant_info", content=b"{}"), "GET only"),
    ]:
        assert any(why in p for p in c.site_problems(bad)), (bad.url, c.site_problems(bad))


@requires_specs
def test_the_simulator_answers_match_the_documented_schemas():
    now = datetime(2026, 11, 4, 12, tzinfo=UTC)
    sim = JsmSim(clock=lambda: now, cloud_id=CLOUD, users={ANN: ("Ann", "ann@example.com")})
    sim.add_schedule("s1", "Platform", "UTC", Rotation(now - timedelta(days=30), timedelta(days=7), (ANN,)))
    sim.hand_override("s1", ANN, now + timedelta(days=1), now + timedelta(days=2))
    base = f"/jsm/ops/api/{CLOUD}/v1"

    def get(method: str, path: str, body=None) -> tuple[int, object]:
        answer = sim.handle(SimRequest.from_target(method, base + path, {"Authorization": AUTH["Authorization"]},
                                                   json.dumps(body).encode() if body else b""))
        return answer.status, answer.body

    cases = [
        ("GET", "/schedules?expand=rotation", "/api/{cloudId}/v1/schedules", None),
        ("GET", "/schedules/s1", "/api/{cloudId}/v1/schedules/{id}", None),
        ("GET", "/schedules/s1/rotations", "/api/{cloudId}/v1/schedules/{scheduleId}/rotations", None),
        ("GET", "/schedules/s1/overrides", "/api/{cloudId}/v1/schedules/{scheduleId}/overrides", None),
        ("GET", "/schedules/s1/timeline?expand=override&interval=3&intervalUnit=days",
         "/api/{cloudId}/v1/schedules/{scheduleId}/timeline", None),
        ("POST", "/schedules/s1/overrides", "/api/{cloudId}/v1/schedules/{scheduleId}/overrides",
         {"responder": {"type": "user", "id": ANN}, "startDate": "2026-11-10T00:00:00Z",
          "endDate": "2026-11-11T00:00:00Z"}),
        ("GET", "/schedules/nope", "/api/{cloudId}/v1/schedules/{id}", None),
        ("POST", "/schedules/s1/overrides", "/api/{cloudId}/v1/schedules/{scheduleId}/overrides",
         {"responder": {"type": "user", "id": "nobody"}, "startDate": "2026-11-10T00:00:00Z",
          "endDate": "2026-11-11T00:00:00Z"}),
    ]
    for method, path, template, body in cases:
        status, answer = get(method, path, body)
        assert response_problems("jsm", method, template, status, answer) == [], (method, path, status)
    sim.keys = {}
    status, answer = get("GET", "/schedules")
    assert status == 401 and response_problems("jsm", "GET", "/api/{cloudId}/v1/schedules", 401, answer) == []
