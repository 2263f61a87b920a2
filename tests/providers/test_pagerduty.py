"""PagerDutyProvider against respx; every request is checked against the spec by `conformant_respx`."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.providers import (
    DeleteOutcome,
    InvalidRequest,
    OverrideRequest,
    PagerDutyProvider,
    PermissionDenied,
    Region,
    RemoteUser,
    Restriction,
)
from bot.providers.pagerduty import OFFSET_CAP, OVERRIDE_WINDOW

from .fixtures import (
    PD,
    PD_EU,
    PD_KEY,
    pd_create_item,
    pd_entry,
    pd_error,
    pd_layer,
    pd_override,
    pd_schedule,
    pd_user,
    pd_users_page,
)

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def pd(sleeps) -> PagerDutyProvider:
    return PagerDutyProvider(PD_KEY, client=httpx.Client(), sleep=sleeps.append, rng=random.Random(7))


def req(i: int, user: str = "PU1", hours: int = 24) -> OverrideRequest:
    start = T0 + timedelta(days=i)
    return OverrideRequest(user_id=user, start=start, end=start + timedelta(hours=hours), alias=f"a{i}")


def test_headers_and_base_url(conformant_respx, pd):
    route = conformant_respx.get(f"{PD}/users").respond(200, json=pd_users_page([]))
    pd.list_users()
    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"Token token={PD_KEY}"
    assert sent.headers["accept"] == "application/vnd.pagerduty+json;version=2"
    assert sent.headers["content-type"] == "application/json"


def test_eu_region_uses_eu_host(conformant_respx):
    route = conformant_respx.get(f"{PD_EU}/users").respond(200, json=pd_users_page([]))
    PagerDutyProvider(PD_KEY, region=Region.EU, client=httpx.Client()).list_users()
    assert route.called


def test_base_url_override_wins(conformant_respx):
    route = conformant_respx.get("http://pd-sim.test:8080/users").respond(200, json=pd_users_page([]))
    PagerDutyProvider(
        PD_KEY, region="eu", base_url="http://pd-sim.test:8080/", client=httpx.Client()
    ).list_users()
    assert route.called


def test_list_users_paginates_and_keeps_only_id_email_name(conformant_respx, pd):
    page1 = pd_users_page(
        [pd_user(f"PU{i}", f"User {i}", f"u{i}@example.com") for i in range(100)], more=True
    )
    page2 = pd_users_page([pd_user("PUX", "Last", "last@example.com")], offset=100, more=False)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=page1 if request.url.params["offset"] == "0" else page2)

    route = conformant_respx.get(f"{PD}/users").mock(side_effect=answer)
    users = pd.list_users()
    assert len(users) == 101
    assert users[-1] == RemoteUser(id="PUX", email="last@example.com", name="Last")
    assert [c.request.url.params["offset"] for c in route.calls] == ["0", "100"]
    assert all(c.request.url.params["limit"] == "100" for c in route.calls)
    assert "include[]" not in route.calls[0].request.url.params  # never ask for contact methods
    assert set(vars(users[0])) == {"id", "email", "name"}


def test_pagination_stops_at_the_10000_cap(conformant_respx, pd, caplog):
    def answer(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        users = [pd_user(f"P{offset + i}", "N", f"n{offset + i}@example.com") for i in range(100)]
        return httpx.Response(200, json=pd_users_page(users, offset=offset, more=True))

    route = conformant_respx.get(f"{PD}/users").mock(side_effect=answer)
    users = pd.list_users()
    assert len(users) == OFFSET_CAP
    offsets = [int(c.request.url.params["offset"]) for c in route.calls]
    assert max(o + 100 for o in offsets) == OFFSET_CAP  # never offset + limit > 10,000
    assert len(route.calls) == 100
    assert "pagination limit" in caplog.text


def test_get_schedule_maps_layers_and_resolves_users(conformant_respx, pd):
    layer = pd_layer(
        "PL1",
        [("PU1", "Ann"), ("PU2", "Bob")],
        start="2025-01-06T09:00:00+01:00",
        turn=604800,
        restrictions=[
            {
                "type": "weekly_restriction",
                "start_time_of_day": "09:00:00",
                "duration_seconds": 3600,
                "start_day_of_week": 1,
            }
        ],
    )
    old = pd_layer("PL0", [("PU1", "Ann")], turn=43200, end="2025-01-01T00:00:00Z", name="Old")
    conformant_respx.get(f"{PD}/schedules/PS1").respond(
        200, json={"schedule": pd_schedule("PS1", layers=[layer, old])}
    )
    conformant_respx.get(f"{PD}/users/PU1").respond(
        200, json={"user": pd_user("PU1", "Ann", "ann@example.com")}
    )
    conformant_respx.get(f"{PD}/users/PU2").respond(
        200, json={"user": pd_user("PU2", "Bob", "bob@example.com")}
    )

    schedule = pd.get_schedule("PS1")
    assert schedule.time_zone == "Europe/Berlin"
    rotation, ended = schedule.rotations
    assert rotation.start == datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
    assert (rotation.kind, rotation.length, rotation.turn_length_seconds) == ("weekly", 1, 604800)
    assert [u.email for u in rotation.users] == ["ann@example.com", "bob@example.com"]
    assert rotation.restrictions == (Restriction("weekly", "09:00:00", 3600, 1),)
    assert rotation.end is None
    assert ended.kind == "custom" and ended.end == datetime(2025, 1, 1, tzinfo=UTC)
    assert [u.id for u in schedule.members] == ["PU1", "PU2"]


def test_list_schedules_includes_layers_in_one_listing(conformant_respx, pd):
    """Issue 16: `/oncall schedules` was one listing plus one `GET /users/{id}` per member; the
    listing alone carries what it shows (members' ids and names from the layers)."""
    people = [(f"PU{i}", f"Person {i}") for i in range(10)]
    schedules = [pd_schedule(f"PS{i}", layers=[pd_layer(f"PL{i}", people)]) for i in range(3)]
    listing = conformant_respx.get(f"{PD}/schedules").respond(
        200, json={"schedules": schedules, "limit": 100, "offset": 0, "more": False, "total": None}
    )
    users = conformant_respx.get(url__regex=rf"^{PD}/users.*").respond(500)
    result = pd.list_schedules()
    assert [s.id for s in result] == ["PS0", "PS1", "PS2"]
    assert listing.calls.last.request.url.params.get_list("include[]") == ["schedule_layers"]
    assert listing.call_count == 1 and users.call_count == 0
    assert [(u.id, u.name) for u in result[2].members] == people


def test_list_schedules_uses_the_users_already_known(conformant_respx, pd):
    conformant_respx.get(f"{PD}/users").respond(
        200, json={"users": [pd_user("PU1", "Ann", "a@example.com")], "limit": 100, "offset": 0, "more": False}
    )
    conformant_respx.get(f"{PD}/schedules").respond(200, json={
        "schedules": [pd_schedule("PS0", layers=[pd_layer("PL0", [("PU1", "Ann")])])],
        "limit": 100, "offset": 0, "more": False, "total": None})
    pd.list_users()
    assert pd.list_schedules()[0].members[0].email == "a@example.com"


def test_rendered_reads_final_schedule_within_window(conformant_respx, pd):
    entries = [
        pd_entry("PU1", "Ann", "2025-03-03T09:00:00Z", "2025-03-04T09:00:00Z"),
        {"start": "2025-03-04T09:00:00Z", "end": "2025-03-05T09:00:00Z", "user": None},
        pd_entry("PU2", "Bob", "2025-03-05T09:00:00+01:00", "2025-03-06T12:00:00+01:00"),
    ]
    route = conformant_respx.get(f"{PD}/schedules/PS1").respond(
        200, json={"schedule": pd_schedule("PS1", final_entries=entries)}
    )
    shifts = pd.rendered("PS1", T0, T0 + timedelta(days=3))
    params = route.calls.last.request.url.params
    assert (params["since"], params["until"]) == ("2025-03-03T09:00:00Z", "2025-03-06T09:00:00Z")
    assert [(s.user_id, s.start.isoformat(), s.user_name) for s in shifts] == [
        ("PU1", "2025-03-03T09:00:00+00:00", "Ann"),
        ("PU2", "2025-03-05T08:00:00+00:00", "Bob"),
    ]
    assert shifts[1].end == T0 + timedelta(days=3)  # clipped to the window


def test_list_overrides_splits_long_windows_and_dedupes(conformant_respx, pd):  # past OVERRIDE_WINDOW
    ov = pd_override("PO1", "PU1", "2025-03-03T09:00:00Z", "2025-03-04T09:00:00Z")
    route = conformant_respx.get(f"{PD}/schedules/PS1/overrides").respond(200, json={"overrides": [ov]})
    overrides = pd.list_overrides("PS1", T0, T0 + OVERRIDE_WINDOW + timedelta(days=10))
    assert len(route.calls) == 2
    assert [o.id for o in overrides] == ["PO1"]
    assert overrides[0].user_id == "PU1"


def test_create_overrides_one_bulk_post_with_partial_failure(conformant_respx, pd):
    requests = [req(0), req(1, "PU2"), req(2)]

    def answer(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["overrides"]
        items = [
            pd_create_item(201, {**o, "id": f"PO{i}"})
            if i != 1
            else pd_create_item(400, o, ["User is not on this account"])
            for i, o in enumerate(sent)
        ]
        return httpx.Response(201, json=items)

    route = conformant_respx.post(f"{PD}/schedules/PS1/overrides").mock(side_effect=answer)
    results = pd.create_overrides("PS1", requests)
    assert route.call_count == 1
    assert [r.request for r in results] == requests
    assert [r.ok for r in results] == [True, False, True]
    assert results[0].override.id == "PO0" and results[0].override.start == T0
    assert isinstance(results[1].error, InvalidRequest)
    assert "User is not on this account" in str(results[1].error)
    body = json.loads(route.calls.last.request.content)
    assert body["overrides"][0] == {
        "start": "2025-03-03T09:00:00Z",
        "end": "2025-03-04T09:00:00Z",
        "user": {"id": "PU1", "type": "user_reference"},
    }


def test_create_overrides_chunks_large_batches(conformant_respx, pd):
    def answer(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)["overrides"]
        return httpx.Response(201, json=[pd_create_item(201, {**o, "id": "X"}) for o in sent])

    route = conformant_respx.post(f"{PD}/schedules/PS1/overrides").mock(side_effect=answer)
    results = pd.create_overrides("PS1", [req(i) for i in range(PagerDutyProvider.create_batch + 1)])
    assert route.call_count == 2 and all(r.ok for r in results) and len(results) == PagerDutyProvider.create_batch + 1


def test_create_failure_after_some_success_is_reported_per_item(conformant_respx, pd):
    responses = iter(
        [
            httpx.Response(
                201,
                json=[
                    pd_create_item(
                        201, pd_override("X", "PU1", "2025-03-03T09:00:00Z", "2025-03-04T09:00:00Z")
                    )
                ]
                * PagerDutyProvider.create_batch,
            ),
            httpx.Response(403, json=pd_error(2010, "Access Denied")),
        ]
    )
    conformant_respx.post(f"{PD}/schedules/PS1/overrides").mock(side_effect=lambda r: next(responses))
    results = pd.create_overrides("PS1", [req(i) for i in range(PagerDutyProvider.create_batch + 2)])
    assert sum(r.ok for r in results) == PagerDutyProvider.create_batch
    assert all(isinstance(r.error, PermissionDenied) for r in results[PagerDutyProvider.create_batch:])


def test_create_on_read_only_key_raises_permission_denied(conformant_respx, pd):
    conformant_respx.post(f"{PD}/schedules/PS1/overrides").respond(403, json=pd_error(2010, "Access Denied"))
    with pytest.raises(PermissionDenied, match="read-only"):
        pd.create_overrides("PS1", [req(0)])


def test_create_is_not_retried_on_5xx(conformant_respx, pd, sleeps):
    route = conformant_respx.post(f"{PD}/schedules/PS1/overrides").respond(502)
    with pytest.raises(Exception, match="502"):
        pd.create_overrides("PS1", [req(0)])
    assert route.call_count == 1 and sleeps == []


def test_create_is_not_retried_on_read_timeout(conformant_respx, pd, sleeps):
    route = conformant_respx.post(f"{PD}/schedules/PS1/overrides").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(Exception, match="may have reached"):
        pd.create_overrides("PS1", [req(0)])
    assert route.call_count == 1


def test_create_is_retried_on_429_and_connect_errors(conformant_respx, pd, sleeps):
    answers = iter(
        [
            httpx.Response(429, headers={"ratelimit-reset": "3"}, json=pd_error(2020, "Rate Limit Exceeded")),
            httpx.ConnectError("refused"),
            httpx.Response(
                201,
                json=[
                    pd_create_item(
                        201, {**pd_override("PO1", "PU1", "2025-03-03T09:00:00Z", "2025-03-04T09:00:00Z")}
                    )
                ],
            ),
        ]
    )

    def answer(request):
        item = next(answers)
        if isinstance(item, Exception):
            raise item
        return item

    route = conformant_respx.post(f"{PD}/schedules/PS1/overrides").mock(side_effect=answer)
    results = pd.create_overrides("PS1", [req(0)])
    assert results[0].ok and route.call_count == 3
    assert 3 <= sleeps[0] <= 3.5


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(204, DeleteOutcome.DELETED), (200, DeleteOutcome.TRUNCATED), (404, DeleteOutcome.MISSING)],
)
def test_delete_outcomes(conformant_respx, pd, status, outcome):
    conformant_respx.delete(f"{PD}/schedules/PS1/overrides/PO1").respond(
        status, json=pd_error(2100, "Not Found") if status == 404 else None
    )
    assert pd.delete_override("PS1", "PO1") is outcome


def test_delete_past_override_is_an_outcome_not_an_error(conformant_respx, pd):
    conformant_respx.delete(f"{PD}/schedules/PS1/overrides/PO1").respond(
        400, json=pd_error(2001, "Invalid Input Provided", ["Cannot delete an override in the past"])
    )
    assert pd.delete_override("PS1", "PO1") is DeleteOutcome.PAST


def test_delete_other_400_still_raises(conformant_respx, pd):
    conformant_respx.delete(f"{PD}/schedules/PS1/overrides/PO1").respond(
        400, json=pd_error(2001, "Invalid Input Provided", ["Override id is malformed"])
    )
    with pytest.raises(InvalidRequest, match="malformed"):
        pd.delete_override("PS1", "PO1")


@pytest.mark.parametrize(("status", "expected"), [(200, True), (403, False), (400, None)])
def test_can_write_uses_a_preview_that_changes_nothing(conformant_respx, pd, status, expected):
    conformant_respx.get(f"{PD}/users").respond(
        200, json=pd_users_page([pd_user("PU1", "Ann", "a@example.com")])
    )
    preview = conformant_respx.post(f"{PD}/schedules/preview").respond(
        status,
        json={"schedule": pd_schedule("PREVIEW")} if status == 200 else pd_error(2010, "Access Denied"),
    )
    assert pd.can_write() is expected
    assert preview.call_count == 1
    sent = json.loads(preview.calls.last.request.content)
    assert sent["schedule"]["schedule_layers"][0]["users"][0]["user"]["id"] == "PU1"


def test_can_write_unknown_without_users(conformant_respx, pd):
    conformant_respx.get(f"{PD}/users").respond(200, json=pd_users_page([]))
    assert pd.can_write() is None


def test_list_overrides_of_a_90_day_horizon_and_its_last_shift_is_one_request(conformant_respx, pd):
    route = conformant_respx.get(f"{PD}/schedules/PS1/overrides").respond(200, json={"overrides": []})
    pd.list_overrides("PS1", T0, T0 + timedelta(days=97))
    assert len(route.calls) == 1
