"""JsmProvider against the JSM simulator on respx (api.atlassian.com and the site acme.atlassian.net);
every request is checked against Atlassian's description by `conformant_respx`."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.providers import (
    AuthError,
    DeleteOutcome,
    JsmCredentials,
    JsmProvider,
    OverrideRequest,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from bot.providers.base import ProviderKind
from bot.providers.jsm import PAGE_SIZE, site_name
from bot.sandbox.schedule import Rotation
from bot.sandbox.shapes import jsm_override, jsm_page, jsm_period, jsm_schedule, jsm_timeline
from tests.sync_io.fakes import JSM, JSM_CLOUD, JSM_SITE, FakeJsm

NOW = datetime(2026, 11, 4, 12, tzinfo=UTC)
EMAIL, TOKEN = "ops@example.com", "ATATT3xFfGF0-fake-jsm-token-0000abcd"
ANN, BOB, CAROL = "5b10a2844c20165700ede21g", "5b10ac8d82e05b22cc7d4ef5", "5b109f2e9729b51b54dc274d"
API = f"{JSM}/jsm/ops/api/{JSM_CLOUD}/v1"


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def fake(conformant_respx, clock) -> FakeJsm:
    fake = FakeJsm(conformant_respx, clock)
    fake.account.keys = {f"{EMAIL}:{TOKEN}": "rw", "viewer@example.com:viewer-token-0000": "ro"}
    return fake


@pytest.fixture
def sleeps() -> list[float]:
    return []


def jsm(clock, sleeps, *, email: str = EMAIL, token: str = TOKEN, cloud_id: str = "") -> JsmProvider:
    creds = JsmCredentials(JSM_SITE, email, token, cloud_id).pack()
    return JsmProvider(creds, client=httpx.Client(), clock=clock, sleep=sleeps.append, rng=random.Random(1))


def req(i: int, user: str = ANN) -> OverrideRequest:
    start = NOW + timedelta(days=i + 1)
    return OverrideRequest(user, start, start + timedelta(hours=8), alias=f"oncallbot-{i}")


def test_site_names():
    assert site_name("acme") == site_name("ACME.atlassian.net") == site_name("https://acme.atlassian.net/jira") == "acme"
    assert site_name("my-team-2") == "my-team-2"
    for bad in ("", "-acme", "acme-", "ac me", "acme.example.com", "a" * 64, "acme_ops"):
        assert site_name(bad) is None, bad


def test_credentials_pack_and_never_show_the_token():
    creds = JsmCredentials("acme", EMAIL, TOKEN, JSM_CLOUD)
    assert JsmCredentials.unpack(creds.pack()) == creds
    assert TOKEN not in repr(creds)
    with pytest.raises(ValueError):
        JsmCredentials.unpack("a plain API key")


def test_the_cloud_id_comes_from_the_site_once_and_requests_use_basic_auth(fake, clock, sleeps):
    client = jsm(clock, sleeps)
    assert client.kind is ProviderKind.JSM
    assert [s.name for s in client.list_schedules()] == ["Platform primary"]
    client.list_schedules()
    assert client.credentials.cloud_id == JSM_CLOUD
    tenant = [r for r in fake.log if r.url.path == "/_edge/tenant_info"]
    assert len(tenant) == 1 and tenant[0].url.host == "acme.atlassian.net"
    assert "authorization" not in tenant[0].headers, "tenant_info is public: the token is not sent there"
    api = [r for r in fake.log if r.url.host == "api.atlassian.com"]
    assert {r.headers["authorization"] for r in api} == {"Basic " + JsmCredentials("acme", EMAIL, TOKEN).basic}
    assert TOKEN not in repr(client) and client.key_hint == "…abcd"


def test_schedules_are_listed_fifty_a_page_with_their_rotations(fake, clock, sleeps):
    for i in range(60):
        fake.account.add_schedule(f"s{i:02d}", f"Team {i:02d}", "UTC", Rotation(NOW, timedelta(days=1), (ANN, BOB)))
    schedules = jsm(clock, sleeps, cloud_id=JSM_CLOUD).list_schedules()
    assert len(schedules) == 61
    pages = fake.requests("GET", "/schedules")
    assert [dict(r.url.params)["offset"] for r in pages] == ["0", "50"]
    assert {dict(r.url.params)["size"] for r in pages} == {str(PAGE_SIZE)}
    assert schedules[1].rotations[0].turn_length_seconds == 86400
    assert [u.id for u in schedules[1].members] == [ANN, BOB]


def test_get_schedule_reads_rotations_and_emails_hidden_ones_stay_empty(fake, clock, sleeps):
    fake.account.hidden_emails.add(BOB)
    remote = jsm(clock, sleeps).get_schedule(fake.schedule_id)
    assert remote.time_zone == "UTC" and remote.rotations[0].turn_length_seconds == 7 * 86400
    assert [(u.id, u.email, u.name) for u in remote.members] == [
        (ANN, "alice@example.com", "Alice Adams"), (BOB, "", "Bob Brown"), (CAROL, "carol@example.com", "Carol Chen")]
    bulk = [r for r in fake.log if r.url.path == "/rest/api/3/user/bulk"]
    assert len(bulk) == 1 and bulk[0].url.params.get_list("accountId") == [ANN, BOB, CAROL]


def test_list_users_is_every_rotation_participant_with_email(fake, clock, sleeps):
    users = jsm(clock, sleeps).list_users()
    assert {u.email for u in users} == {"alice@example.com", "bob@example.com", "carol@example.com"}


def test_create_records_the_server_alias_and_sends_none(fake, clock, sleeps):
    client = jsm(clock, sleeps)
    results = client.create_overrides(fake.schedule_id, [req(0), req(1, BOB)])
    assert all(r.ok for r in results)
    aliases = [r.override.id for r in results]
    assert aliases == list(fake.sim.overrides) and all(not a.startswith("oncallbot-") for a in aliases)
    sent = [json.loads(r.content) for r in fake.requests("POST")]
    assert all("alias" not in body for body in sent)
    assert sent[0] == {"responder": {"type": "user", "id": ANN}, "startDate": "2026-11-05T12:00:00Z",
                       "endDate": "2026-11-05T20:00:00Z"}


def test_a_create_that_may_have_arrived_is_not_sent_twice(fake, clock, sleeps):
    fake.fail = lambda request: httpx.Response(503) if request.method == "POST" else None
    with pytest.raises(Unavailable):
        jsm(clock, sleeps).create_overrides(fake.schedule_id, [req(0)])
    assert len(fake.requests("POST")) == 1, "a server-made alias makes a repeated POST a duplicate"


def test_overrides_are_listed_on_every_page_ongoing_and_future_only(fake, clock, sleeps):
    for i in range(55):
        fake.sim.hand_override(ANN, NOW + timedelta(hours=i), NOW + timedelta(hours=i + 1))
    fake.sim.hand_override(BOB, NOW - timedelta(days=2), NOW - timedelta(days=1))  # ended: not listed
    listed = jsm(clock, sleeps).list_overrides(fake.schedule_id, NOW, NOW + timedelta(days=30))
    assert len(listed) == 55 and listed[0].start == NOW
    assert [dict(r.url.params)["offset"] for r in fake.requests("GET", "/overrides")] == ["0", "50"]


def test_the_past_part_of_a_window_comes_from_the_timeline(fake, clock, sleeps):
    fake.sim.hand_override(BOB, NOW - timedelta(days=2), NOW - timedelta(days=1))
    fake.sim.hand_override(CAROL, NOW + timedelta(days=1), NOW + timedelta(days=2))
    listed = jsm(clock, sleeps).list_overrides(fake.schedule_id, NOW - timedelta(days=3), NOW + timedelta(days=3))
    assert [(o.user_id, o.start) for o in listed] == [(BOB, NOW - timedelta(days=2)), (CAROL, NOW + timedelta(days=1))]
    assert listed[0].id.startswith("past-")
    (timeline,) = fake.requests("GET", "/timeline")
    assert timeline.url.params["expand"] == "override"


def test_rendered_is_the_final_timeline(fake, clock, sleeps):
    fake.sim.hand_override(CAROL, NOW + timedelta(hours=1), NOW + timedelta(hours=3))
    shifts = jsm(clock, sleeps).rendered(fake.schedule_id, NOW, NOW + timedelta(hours=4))
    assert [(s.user_id, s.start, s.end) for s in shifts] == [
        (fake.sim.who(NOW), NOW, NOW + timedelta(hours=1)), (CAROL, NOW + timedelta(hours=1), NOW + timedelta(hours=3)),
        (fake.sim.who(NOW), NOW + timedelta(hours=3), NOW + timedelta(hours=4))]


def test_deleting_future_in_progress_and_missing_overrides(fake, clock, sleeps):
    client = jsm(clock, sleeps)
    future = fake.sim.hand_override(ANN, NOW + timedelta(days=1), NOW + timedelta(days=2))
    running = fake.sim.hand_override(BOB, NOW - timedelta(hours=2), NOW + timedelta(hours=2))
    client.list_overrides(fake.schedule_id, NOW, NOW + timedelta(days=3))
    assert client.delete_override(fake.schedule_id, future) is DeleteOutcome.DELETED
    assert client.delete_override(fake.schedule_id, running) is DeleteOutcome.TRUNCATED
    assert fake.sim.overrides[running].end == NOW, "what was paged stays; the rest is cut (PUT, full replace)"
    put = json.loads(fake.requests("PUT")[0].content)
    assert put["responder"] == {"type": "user", "id": BOB} and put["endDate"] == "2026-11-04T12:00:00Z"
    assert client.delete_override(fake.schedule_id, "no-such-alias") is DeleteOutcome.MISSING
    assert future not in fake.sim.overrides


def test_an_expired_token_says_to_renew_it(fake, clock, sleeps):
    fake.account.expire(TOKEN)
    with pytest.raises(AuthError) as caught:
        jsm(clock, sleeps, cloud_id=JSM_CLOUD).list_schedules()
    message = str(caught.value)
    assert "expire" in message and "new token" in message and "/oncall connect" in message
    assert TOKEN not in message and caught.value.status == 401


def test_a_user_without_edit_rights_is_read_only(fake, clock, sleeps):
    viewer = jsm(clock, sleeps, email="viewer@example.com", token="viewer-token-0000")
    assert viewer.check_write(fake.schedule_id).can_write is False
    with pytest.raises(PermissionDenied):
        viewer.create_overrides(fake.schedule_id, [req(0)])
    assert fake.sim.overrides == {}


def test_the_write_check_removes_its_probe(fake, clock, sleeps):
    check = jsm(clock, sleeps).check_write(fake.schedule_id, "Platform primary")
    assert check.can_write is True and check.note == ""
    assert fake.sim.overrides == {}
    probe = json.loads(fake.requests("POST")[0].content)
    assert probe["responder"] == {"type": "noone"}


def test_429_honours_retry_after_and_backs_off_without_it(fake, clock, sleeps):
    client = jsm(clock, sleeps, cloud_id=JSM_CLOUD)
    fake.account.fail(429, reset=3)
    client.list_schedules()
    assert len(sleeps) == 1 and 3 <= sleeps[0] < 4
    fake.account.fail(429)
    client.list_schedules()
    assert len(sleeps) == 2 and sleeps[1] < 1
    fake.account.fail(429, times=10)
    with pytest.raises(RateLimited):
        client.list_schedules()


def test_unknown_fields_and_responders_are_ignored(conformant_respx, clock, sleeps):
    conformant_respx.get(f"{API}/schedules").mock(return_value=httpx.Response(200, json={
        **jsm_page([{**jsm_schedule("s1", rotations=[{"id": "r", "name": "R", "startDate": "2026-01-05T09:00:00Z",
                                                      "type": "fortnightly", "length": 1, "newField": {"x": 1},
                                                      "participants": [{"type": "team", "id": "t"},
                                                                       {"type": "user", "id": ANN},
                                                                       {"type": "noone"}]}]),
                     "experimental": True}]), "somethingNew": [1, 2]}))
    conformant_respx.get(f"{API}/schedules/s1/overrides").mock(return_value=httpx.Response(200, json=jsm_page([
        jsm_override("a1", ANN, "2026-11-05T00:00:00Z", "2026-11-06T00:00:00Z"),
        {"alias": "a2", "responder": {"type": "noone"}, "startDate": "2026-11-07T00:00:00Z",
         "endDate": "2026-11-08T00:00:00Z", "priority": "high"},
        {"alias": "a3", "startDate": "not a date", "endDate": "2026-11-08T00:00:00Z"}])))
    conformant_respx.get(f"{API}/schedules/s1/timeline").mock(return_value=httpx.Response(200, json={
        **jsm_timeline("2026-11-04T12:00:00Z", "2026-11-05T12:00:00Z", [
            jsm_period(ANN, "2026-11-04T12:00:00Z", "2026-11-05T00:00:00Z"),
            {"startDate": "2026-11-05T00:00:00Z", "endDate": "2026-11-05T12:00:00Z", "type": "forwarding",
             "responder": {"type": "escalation", "id": "e1"}, "from": {"type": "user", "id": ANN}}]),
        "newLayer": {}}))
    client = jsm(clock, sleeps, cloud_id=JSM_CLOUD)
    (schedule,) = client.list_schedules()
    assert [u.id for u in schedule.members] == [ANN] and schedule.rotations[0].turn_length_seconds == 604800
    assert [(o.id, o.user_id) for o in client.list_overrides("s1", NOW, NOW + timedelta(days=5))] == [
        ("a1", ANN), ("a2", "")]
    assert [s.user_id for s in client.rendered("s1", NOW, NOW + timedelta(days=1))] == [ANN]
