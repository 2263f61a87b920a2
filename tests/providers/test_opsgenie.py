"""OpsgenieProvider against respx; every request is checked against the spec by `conformant_respx`."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.providers import (
    AuthError,
    DeleteOutcome,
    InvalidRequest,
    OpsgenieProvider,
    OverrideRequest,
    PermissionDenied,
    Region,
    RemoteUser,
    Restriction,
    Unavailable,
    WriteCheck,
)
from bot.providers.opsgenie import PROBE_ALIAS

from .fixtures import (
    OG,
    OG_EU,
    OG_KEY,
    og_envelope,
    og_error,
    og_override,
    og_participant,
    og_period,
    og_rotation,
    og_schedule,
    og_timeline,
)

SID = "d875alp4-9b4e-4219-a803-0c26936d18de"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def og(sleeps) -> OpsgenieProvider:
    return OpsgenieProvider(OG_KEY, client=httpx.Client(), sleep=sleeps.append, rng=random.Random(3))


def req(i: int, user: str = "u1") -> OverrideRequest:
    start = T0 + timedelta(days=i)
    return OverrideRequest(user_id=user, start=start, end=start + timedelta(days=1), alias=f"oncall-bot-{i}")


def schedule_with_rotations() -> dict:
    return og_schedule(
        SID,
        rotations=[
            og_rotation(
                "r1",
                [
                    og_participant("u1", "ann@example.com"),
                    og_participant("u2", "bob@example.com"),
                    {"type": "none"},
                ],
                kind="daily",
                length=2,
                restriction={
                    "type": "time-of-day",
                    "restriction": {"startHour": 22, "startMin": 0, "endHour": 6, "endMin": 30},
                },
            ),
            og_rotation(
                "r2",
                [og_participant("u2", "bob@example.com"), {"type": "team", "id": "t1"}],
                restriction={
                    "type": "weekday-and-time-of-day",
                    "restrictions": [
                        {
                            "startDay": "saturday",
                            "startHour": 8,
                            "startMin": 0,
                            "endDay": "monday",
                            "endHour": 8,
                            "endMin": 0,
                        }
                    ],
                },
                end="2025-12-31T00:00:00Z",
            ),
        ],
    )


def test_headers_and_eu_base_url(conformant_respx):
    route = conformant_respx.get(f"{OG_EU}/v2/schedules").respond(200, json=og_envelope([], expandable=True))
    OpsgenieProvider(OG_KEY, region=Region.EU, client=httpx.Client()).list_schedules()
    sent = route.calls.last.request
    assert sent.headers["authorization"] == f"GenieKey {OG_KEY}"
    assert sent.url.params["expand"] == "rotation"


def test_get_schedule_maps_rotations(conformant_respx, og):
    route = conformant_respx.get(f"{OG}/v2/schedules/{SID}").respond(
        200, json=og_envelope(schedule_with_rotations())
    )
    schedule = og.get_schedule(SID)
    assert route.calls.last.request.url.params["identifierType"] == "id"
    daily, weekly = schedule.rotations
    assert (daily.kind, daily.length, daily.turn_length_seconds) == ("daily", 2, 2 * 86400)
    assert daily.users == (
        RemoteUser("u1", "ann@example.com", "ann@example.com"),
        RemoteUser("u2", "bob@example.com", "bob@example.com"),
    )
    assert daily.restrictions == (Restriction("daily", "22:00:00", int(8.5 * 3600)),)
    assert weekly.restrictions == (Restriction("weekly", "08:00:00", 2 * 86400, 6),)
    assert weekly.end == datetime(2025, 12, 31, tzinfo=UTC)
    assert [u.id for u in weekly.users] == ["u2"]  # teams are not people
    assert schedule.time_zone == "Europe/Berlin"


def test_list_users_from_rotation_participants(conformant_respx, og):
    conformant_respx.get(f"{OG}/v2/schedules").respond(
        200, json=og_envelope([schedule_with_rotations()], expandable=True)
    )
    users = og.list_users()
    assert [(u.id, u.email) for u in users] == [("u1", "ann@example.com"), ("u2", "bob@example.com")]


def test_rendered_uses_final_timeline_covering_the_window(conformant_respx, og):
    periods = [
        og_period("u1", "ann@example.com", "2025-03-03T00:00:00Z", "2025-03-04T09:00:00Z"),
        {
            "startDate": "2025-03-04T09:00:00Z",
            "endDate": "2025-03-05T09:00:00Z",
            "type": "default",
            "recipient": {"type": "none"},
        },
        og_period("u2", "bob@example.com", "2025-03-05T09:00:00Z", "2025-03-09T09:00:00Z", kind="override"),
    ]
    route = conformant_respx.get(f"{OG}/v2/schedules/{SID}/timeline").respond(
        200,
        json=og_envelope(
            og_timeline(SID, "2025-03-03T09:00:00Z", "2025-03-06T09:00:00Z", periods), expandable=True
        ),
    )
    shifts = og.rendered(SID, T0, T0 + timedelta(days=2, hours=12))
    params = route.calls.last.request.url.params
    assert (params["date"], params["interval"], params["intervalUnit"]) == (
        "2025-03-03T09:00:00Z",
        "4",
        "days",
    )
    assert [(s.user_id, s.user_email, s.start, s.end) for s in shifts] == [
        ("u1", "ann@example.com", T0, datetime(2025, 3, 4, 9, tzinfo=UTC)),
        ("u2", "bob@example.com", datetime(2025, 3, 5, 9, tzinfo=UTC), T0 + timedelta(days=2, hours=12)),
    ]


def test_list_overrides_filters_the_window_client_side(conformant_respx, og):
    data = [
        og_override("old", "u1", "a@example.com", "2025-02-01T00:00:00Z", "2025-02-02T00:00:00Z"),
        og_override("in", "u1", "a@example.com", "2025-03-03T00:00:00Z", "2025-03-03T10:00:00Z"),
        og_override("late", "u2", "b@example.com", "2025-04-01T00:00:00Z", "2025-04-02T00:00:00Z"),
    ]
    route = conformant_respx.get(f"{OG}/v2/schedules/{SID}/overrides").respond(200, json=og_envelope(data))
    overrides = og.list_overrides(SID, T0, T0 + timedelta(days=7))
    assert [o.id for o in overrides] == ["in"]
    assert overrides[0].user_email == "a@example.com"
    assert route.calls.last.request.url.params["scheduleIdentifierType"] == "id"


def test_create_posts_one_override_per_request_with_alias(conformant_respx, og):
    route = conformant_respx.post(f"{OG}/v2/schedules/{SID}/overrides").respond(
        201, json=og_envelope({"alias": "x"})
    )
    results = og.create_overrides(SID, [req(0), req(1, "u2")])
    assert route.call_count == 2 and all(r.ok for r in results)
    body = json.loads(route.calls[0].request.content)
    assert body == {
        "alias": "oncall-bot-0",
        "user": {"type": "user", "id": "u1"},
        "startDate": "2025-03-03T09:00:00Z",
        "endDate": "2025-03-04T09:00:00Z",
    }
    assert results[1].override.id == "oncall-bot-1"


@pytest.mark.parametrize(
    "duplicate",
    [
        httpx.Response(409, json=og_error("Alias already exists")),
        httpx.Response(422, json=og_error("Override with alias [oncall-bot-0] already exists")),
    ],
)
def test_create_adopts_an_existing_matching_alias(conformant_respx, og, duplicate):
    conformant_respx.post(f"{OG}/v2/schedules/{SID}/overrides").mock(return_value=duplicate)
    read = conformant_respx.get(f"{OG}/v2/schedules/{SID}/overrides/oncall-bot-0").respond(
        200,
        json=og_envelope(
            og_override(
                "oncall-bot-0", "u1", "ann@example.com", "2025-03-03T09:00:00Z", "2025-03-04T09:00:00Z"
            )
        ),
    )
    (result,) = og.create_overrides(SID, [req(0)])
    assert result.ok and read.called and result.override.user_email == "ann@example.com"


def test_create_refuses_an_existing_alias_with_other_content(conformant_respx, og):
    conformant_respx.post(f"{OG}/v2/schedules/{SID}/overrides").respond(
        409, json=og_error("Alias already exists")
    )
    conformant_respx.get(f"{OG}/v2/schedules/{SID}/overrides/oncall-bot-0").respond(
        200,
        json=og_envelope(
            og_override("oncall-bot-0", "u9", "x@example.com", "2025-03-03T09:00:00Z", "2025-03-04T09:00:00Z")
        ),
    )
    (result,) = og.create_overrides(SID, [req(0)])
    assert isinstance(result.error, InvalidRequest) and "differs" in str(result.error)


def test_create_retries_server_errors_because_the_alias_is_idempotent(conformant_respx, og, sleeps):
    route = conformant_respx.post(f"{OG}/v2/schedules/{SID}/overrides").mock(
        side_effect=[
            httpx.Response(503),
            httpx.ReadTimeout("slow"),
            httpx.Response(201, json=og_envelope({"alias": "oncall-bot-0"})),
        ]
    )
    (result,) = og.create_overrides(SID, [req(0)])
    assert result.ok and route.call_count == 3 and len(sleeps) == 2


def test_create_with_read_only_key(conformant_respx, og):
    conformant_respx.post(f"{OG}/v2/schedules/{SID}/overrides").respond(
        403, json=og_error("You are not authorized")
    )
    with pytest.raises(PermissionDenied, match="read-only"):
        og.create_overrides(SID, [req(0), req(1)])


def test_create_item_content_error_does_not_stop_the_rest(conformant_respx, og):
    route = conformant_respx.post(f"{OG}/v2/schedules/{SID}/overrides").mock(
        side_effect=[
            httpx.Response(422, json=og_error("User [u0] not found")),
            httpx.Response(201, json=og_envelope({"alias": "a"})),
        ]
    )
    results = og.create_overrides(SID, [req(0), req(1)])
    assert [r.ok for r in results] == [False, True] and route.call_count == 2
    assert "User [u0] not found" in str(results[0].error)


def test_create_outage_after_a_success_marks_the_rest(conformant_respx, og):
    conformant_respx.post(f"{OG}/v2/schedules/{SID}/overrides").mock(
        side_effect=[httpx.Response(201, json=og_envelope({"alias": "a"}))] + [httpx.Response(500)] * 4
    )
    results = og.create_overrides(SID, [req(0), req(1), req(2)])
    assert results[0].ok and all(isinstance(r.error, Unavailable) for r in results[1:])


@pytest.mark.parametrize(("status", "outcome"), [(200, DeleteOutcome.DELETED), (404, DeleteOutcome.MISSING)])
def test_delete_by_alias(conformant_respx, og, status, outcome):
    body = og_envelope(None) | {"result": "Deleted"} if status == 200 else og_error("Override not found")
    route = conformant_respx.delete(f"{OG}/v2/schedules/{SID}/overrides/oncall-bot-0").respond(
        status, json=body
    )
    assert og.delete_override(SID, "oncall-bot-0") is outcome
    assert route.calls.last.request.url.params["scheduleIdentifierType"] == "id"


# ------------------------------------------------------------ write probe


def probe_routes(router, create: httpx.Response | list, delete: httpx.Response | list | None = None):
    post = router.post(f"{OG}/v2/schedules/{SID}/overrides").mock(
        side_effect=create if isinstance(create, list) else [create])
    gone = router.delete(f"{OG}/v2/schedules/{SID}/overrides/{PROBE_ALIAS}").mock(
        side_effect=delete if isinstance(delete, list) else [delete or httpx.Response(200, json={"result": "Deleted"})])
    return post, gone


CREATED = httpx.Response(201, json=og_envelope({"alias": PROBE_ALIAS}))
DENIED = httpx.Response(403, json=og_error("You are not authorized"))


def test_write_probe_creates_and_deletes_a_far_future_override_for_nobody(conformant_respx, og):
    post, gone = probe_routes(conformant_respx, CREATED)
    assert og.check_write(SID, "Platform") == WriteCheck(True)
    sent = json.loads(post.calls.last.request.content)
    assert sent == {"alias": "oncall-bot-write-check", "user": {"type": "none"},
                    "startDate": "2036-01-01T00:00:00Z", "endDate": "2036-01-01T00:01:00Z"}
    assert post.calls.last.request.url.params["scheduleIdentifierType"] == "id"
    assert gone.call_count == 1 and gone.calls.last.request.url.params["scheduleIdentifierType"] == "id"


def test_write_probe_read_only_key_is_refused_at_the_create(conformant_respx, og):
    _, gone = probe_routes(conformant_respx, DENIED)
    assert og.check_write(SID, "Platform") == WriteCheck(False)
    assert gone.call_count == 0


def test_write_probe_key_that_cannot_delete_is_read_only_and_names_the_leftover(conformant_respx, og):
    probe_routes(conformant_respx, CREATED, DENIED)
    check = og.check_write(SID, "Platform")
    assert check.can_write is False
    assert "oncall-bot-write-check" in check.note and "Platform" in check.note and "01 January 2036" in check.note


def test_write_probe_removes_a_probe_left_behind(conformant_respx, og):
    exists = httpx.Response(409, json=og_error("Alias [oncall-bot-write-check] already exists"))
    _, gone = probe_routes(conformant_respx, exists)
    assert og.check_write(SID, "Platform") == WriteCheck(True)
    assert gone.call_count == 1


def test_write_probe_retries_a_failed_delete_and_reports_the_leftover(conformant_respx, og, sleeps):
    _, gone = probe_routes(conformant_respx, CREATED, [httpx.Response(503)] * 8)
    check = og.check_write(SID, "Platform")
    assert check.can_write is None and gone.call_count == 8  # two rounds of the client's four attempts
    assert "Removing a one-minute test override `oncall-bot-write-check`" in check.note
    assert "next check removes it" in check.note


def test_write_probe_falls_back_to_a_participant_when_nobody_is_refused(conformant_respx, og):
    refused = httpx.Response(422, json=og_error("User type [none] is not allowed"))
    post, gone = probe_routes(conformant_respx, [refused, CREATED])
    conformant_respx.get(f"{OG}/v2/schedules/{SID}").respond(200, json=og_envelope(schedule_with_rotations()))
    assert og.check_write(SID, "Platform") == WriteCheck(True)
    users = [json.loads(c.request.content)["user"] for c in post.calls]
    assert users == [{"type": "none"}, {"type": "user", "id": "u1"}] and gone.call_count == 1


def test_write_probe_refused_without_a_participant_is_unknown(conformant_respx, og):
    probe_routes(conformant_respx, httpx.Response(422, json=og_error("User type [none] is not allowed")))
    conformant_respx.get(f"{OG}/v2/schedules/{SID}").respond(200, json=og_envelope(og_schedule(SID)))
    check = og.check_write(SID, "Platform")
    assert check.can_write is None and "User type [none] is not allowed" in check.note


def test_write_probe_without_a_schedule_sends_nothing(conformant_respx, og):
    check = og.check_write(None)
    assert check.can_write is None and "no Opsgenie schedule" in check.note
    assert not conformant_respx.calls


def test_write_probe_rejected_key_raises(conformant_respx, og):
    probe_routes(conformant_respx, httpx.Response(401, json=og_error("Key is invalid")))
    with pytest.raises(AuthError):
        og.check_write(SID, "Platform")


def test_can_write_probes_the_first_visible_schedule(conformant_respx, og):
    conformant_respx.get(f"{OG}/v2/schedules").respond(
        200, json=og_envelope([schedule_with_rotations()], expandable=True))
    probe_routes(conformant_respx, DENIED)
    assert og.can_write() is False
