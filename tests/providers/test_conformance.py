"""The conformance validator itself, the endpoint allow-list, and the response fixtures vs the specs."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests import conformance
from tests.conformance import allowed_problems, request_problems, requires_specs, response_problems

from . import fixtures as f

PD_HEADERS = {
    "Authorization": "Token token=abc",
    "Accept": "application/vnd.pagerduty+json;version=2",
    "Content-Type": "application/json",
}
OG_HEADERS = {"Authorization": "GenieKey abc"}


def test_missing_specs_skip_with_a_reason_naming_where_to_put_them(monkeypatch, tmp_path):
    monkeypatch.setenv("ONCALL_SPECS_DIR", str(tmp_path / "nowhere"))
    reason = conformance.missing_reason()
    assert reason and "ONCALL_SPECS_DIR" in reason and "../shared/specs" in reason
    with pytest.raises(pytest.skip.Exception, match="ONCALL_SPECS_DIR"):
        conformance.assert_conforms([httpx.Request("GET", f"{f.PD}/users")])


def test_default_specs_dir_is_next_to_the_repository(monkeypatch):
    monkeypatch.delenv("ONCALL_SPECS_DIR", raising=False)
    repo = Path(conformance.__file__).resolve().parents[1]  # tests/.. is the checkout
    assert conformance.specs_dir() == repo.parent / "shared" / "specs"


@pytest.mark.parametrize(
    ("provider", "template", "ok"),
    [
        ("pagerduty", "/schedules/{id}/overrides/{override_id}", True),
        ("pagerduty", "/users/{id}", True),
        ("pagerduty", "/users/{id}/contact_methods", False),
        ("pagerduty", "/incidents", False),
        ("pagerduty", "/services/{id}", False),
        ("opsgenie", "/v2/schedules/{identifier}/overrides/{alias}", True),
        ("opsgenie", "/v2/schedules/{identifier}/timeline", True),
        ("opsgenie", "/v2/users", False),
        ("opsgenie", "/v2/schedules/on-calls", False),
        ("opsgenie", "/v2/alerts", False),
    ],
)
def test_allow_list(provider, template, ok):
    assert (allowed_problems(provider, template) == []) is ok


@requires_specs
class TestValidator:
    def test_a_good_request_passes(self):
        request = httpx.Request(
            "GET",
            f"{f.PD}/schedules/P1/overrides",
            params={"since": "2025-01-01T00:00:00Z", "until": "2025-02-01T00:00:00Z"},
            headers=PD_HEADERS,
        )
        assert request_problems(request) == []

    def test_unknown_path_and_forbidden_endpoint(self):
        problems = request_problems(httpx.Request("GET", f"{f.PD}/incidents", headers=PD_HEADERS))
        assert any("outside /schedules* and /users*" in p for p in problems)
        problems = request_problems(httpx.Request("GET", f"{f.PD}/nothing/here", headers=PD_HEADERS))
        assert any("no pagerduty path template" in p for p in problems)

    def test_method_must_exist(self):
        problems = request_problems(
            httpx.Request("PATCH", f"{f.PD}/schedules/P1/overrides", headers=PD_HEADERS)
        )
        assert any("has no PATCH operation" in p for p in problems)

    def test_required_headers_and_query(self):
        problems = request_problems(httpx.Request("GET", f"{f.PD}/schedules/P1/overrides"))
        text = "\n".join(problems)
        for expected in (
            "Authorization header",
            "header Accept",
            "header Content-Type",
            "query parameter since",
            "query parameter until",
        ):
            assert expected in text

    def test_query_types_enums_and_unknown_names(self):
        request = httpx.Request(
            "GET",
            f"{f.PD}/users",
            params={"limit": "ten", "include[]": "phone_numbers", "secret": "1"},
            headers=PD_HEADERS,
        )
        text = "\n".join(request_problems(request))
        assert "limit='ten': not an integer" in text
        assert "'phone_numbers' is not one of" in text
        assert "'secret' is not declared" in text
        og = httpx.Request(
            "GET",
            f"{f.OG}/v2/schedules/S/timeline",
            params={"intervalUnit": "years", "date": "now"},
            headers=OG_HEADERS,
        )
        text = "\n".join(request_problems(og))
        assert "'years' is not one of" in text and "'now' is not a 'date-time'" in text

    def test_bodies_are_validated_with_refs_resolved(self):
        bad = httpx.Request(
            "POST",
            f"{f.PD}/schedules/P1/overrides",
            json={"overrides": [{"start": "2025-01-01T00:00:00Z", "end": "soon", "user": {"id": "U"}}]},
            headers=PD_HEADERS,
        )
        text = "\n".join(request_problems(bad))
        assert "/overrides/0/end" in text and "'type' is a required property" in text
        og = httpx.Request(
            "POST",
            f"{f.OG}/v2/schedules/S/overrides",
            json={"alias": "a", "user": {"id": "u"}},
            headers=OG_HEADERS,
        )
        text = "\n".join(request_problems(og))
        assert "'startDate' is a required property" in text and "'type' is a required property" in text

    def test_missing_required_body(self):
        problems = request_problems(
            httpx.Request("POST", f"{f.OG}/v2/schedules/S/overrides", headers=OG_HEADERS)
        )
        assert any("body is required" in p for p in problems)

    def test_a_proxy_prefix_is_tolerated(self):
        request = httpx.Request("GET", "http://proxy.test/pd/users", headers=PD_HEADERS)
        assert request_problems(request) == []

    def test_slack_requests_are_not_ours(self):
        assert request_problems(httpx.Request("POST", "https://slack.com/api/chat.postMessage")) == []


@requires_specs
@pytest.mark.parametrize(
    ("provider", "method", "template", "status", "body"),
    [
        ("pagerduty", "GET", "/users", 200, f.pd_users_page([f.pd_user("PU1", "Ann", "ann@example.com")])),
        ("pagerduty", "GET", "/users/{id}", 200, {"user": f.pd_user("PU1", "Ann", "ann@example.com")}),
        (
            "pagerduty",
            "GET",
            "/schedules",
            200,
            {
                "schedules": [f.pd_schedule(layers=[f.pd_layer("L", [("PU1", "Ann")])])],
                "limit": 100,
                "offset": 0,
                "more": False,
                "total": None,
            },
        ),
        (
            "pagerduty",
            "GET",
            "/schedules/{id}",
            200,
            {
                "schedule": f.pd_schedule(
                    final_entries=[f.pd_entry("PU1", "Ann", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z")]
                )
            },
        ),
        (
            "pagerduty",
            "GET",
            "/schedules/{id}/overrides",
            200,
            {"overrides": [f.pd_override("PO1", "PU1", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z")]},
        ),
        (
            "pagerduty",
            "POST",
            "/schedules/{id}/overrides",
            201,
            [
                f.pd_create_item(
                    201, f.pd_override("PO1", "PU1", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z")
                ),
                f.pd_create_item(
                    400, f.pd_override("PO2", "PU1", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"), ["bad"]
                ),
            ],
        ),
        ("pagerduty", "GET", "/users", 401, f.pd_error(2006, "Unauthorized")),
        (
            "opsgenie",
            "GET",
            "/v2/schedules",
            200,
            f.og_envelope(
                [f.og_schedule(rotations=[f.og_rotation("r", [f.og_participant("u", "a@example.com")])])],
                expandable=True,
            ),
        ),
        (
            "opsgenie",
            "GET",
            "/v2/schedules/{identifier}/timeline",
            200,
            f.og_envelope(
                f.og_timeline(
                    "s",
                    "2025-01-01T00:00:00Z",
                    "2025-01-02T00:00:00Z",
                    [f.og_period("u", "a@example.com", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z")],
                ),
                expandable=True,
            ),
        ),
        (
            "opsgenie",
            "GET",
            "/v2/schedules/{identifier}/overrides",
            200,
            f.og_envelope(
                [f.og_override("a", "u", "a@example.com", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z")]
            ),
        ),
        ("opsgenie", "POST", "/v2/schedules/{identifier}/overrides", 201, f.og_envelope({"alias": "a"})),
        ("opsgenie", "GET", "/v2/schedules/{identifier}", 403, f.og_error("forbidden")),
    ],
)
def test_response_fixtures_match_the_documented_schemas(provider, method, template, status, body):
    assert response_problems(provider, method, template, status, body) == []


@requires_specs
def test_response_check_can_fail():
    problems = response_problems("pagerduty", "GET", "/users", 200, {"users": [{"email": 5}], "more": "no"})
    assert problems


@requires_specs
def test_assert_conforms_fails_on_a_bad_request():
    with pytest.raises(AssertionError, match="do not conform"):
        conformance.assert_conforms([httpx.Request("GET", f"{f.PD}/services")])
