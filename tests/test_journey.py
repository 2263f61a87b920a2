"""One journey per provider through the real code paths only: signed Slack requests into the WSGI app,
the Slack stub, the stateful provider fakes on `conformant_respx` (every request checked against the
official specs), the real `extend_assignments` and a controllable clock.

connect → link (members by email, shifts to the horizon) → status / who / App Home → first export →
swap accepted (exactly the two overrides re-exported) → time off (replacement re-exported) → days
later the job extends the horizon, keeps a hand-made override before the mark and alerts once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.ids import ActionId, BlockId, ButtonId, CallbackId, FormBlock, SwapButtonId
from bot.services import resync
from bot.store import Destination, DriftAlert, Member, Schedule, Shift, session_scope
from tests.slack.payloads import (
    block_actions,
    conversation,
    multi,
    number,
    radio,
    select as sel,
    text,
    view_submission,
)
from tests.sync_io.fakes import T0, FakeOpsgenie, FakePagerDuty
from tests.sync_io.world import OG_KEY, PD_KEY, Clock

NOW = T0 + timedelta(days=2, hours=3)  # Wednesday 4 Nov 2026, 12:00 UTC: Bob's week at the provider
WEEK = timedelta(days=7)
HORIZON_DAYS = 30
ZONE = "Europe/Berlin"  # the provider schedule's zone: handoffs at 10:00 CET = 09:00 UTC
PEOPLE = {"U1": ("alice", True, "Europe/Berlin"), "U2": ("bob", False, "Europe/London"),
          "U3": ("carol", False, "America/New_York")}


def dump(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def answers(stub) -> list[dict]:
    return stub.bodies("response_url")


def button(payload: dict, action_id: str, value: str | None = None) -> dict:
    for block in payload.get("blocks", []):
        for el in [block.get("accessory") or {}, *block.get("elements", [])]:
            if el.get("action_id") == action_id and (value is None or el.get("value") == value):
                return el
    raise AssertionError(f"no {action_id} button in {dump(payload)[:600]}")


def press(http, stub, payload: dict, action_id: str, user: str, channel: str = "C1"):
    el = button(payload, action_id)
    return http.interact(block_actions(action_id, el["value"], user_id=user, channel_id=channel,
                                       response_url=stub.response_url(f"{user}-{action_id}")))


def dms(stub, user: str) -> list[dict]:
    return [b for b in stub.bodies("chat.postMessage") if b.get("channel") == user]


def owned(ctx, schedule_id: int) -> list[tuple[datetime, datetime, str, str]]:
    """(start, end, Slack user, source) of every shift ending after now, in time order."""
    with session_scope(ctx.engine) as session:
        slack_of = {m.id: m.slack_user_id for m in session.exec(select(Member))}
        rows = session.exec(select(Shift).where(Shift.schedule_id == schedule_id, Shift.end > ctx.clock())
                            .order_by(Shift.start)).all()
        return [(s.start, s.end, slack_of[s.member_id], s.source) for s in rows]


def destination(ctx) -> Destination:
    with session_scope(ctx.engine) as session:
        return session.exec(select(Destination)).one()


def live_overrides(fake) -> list[tuple[datetime, datetime, str]]:
    return [(o.start, o.end, o.user_id) for o in fake.live()]


def connect_values(provider: str, name: str, key: str) -> dict:
    return {
        BlockId.CONNECT_PROVIDER: {ActionId.CONNECT_PROVIDER: radio(provider)},
        BlockId.CONNECT_NAME: {ActionId.CONNECT_NAME: text(name)},
        BlockId.CONNECT_API_KEY: {ActionId.CONNECT_API_KEY: text(key)},
        BlockId.CONNECT_REGION: {ActionId.CONNECT_REGION: radio("us")},
    }


@pytest.fixture(params=["pagerduty", "opsgenie"])
def journey(request, slack, slack_http, conformant_respx, monkeypatch):
    clock = Clock(NOW)
    slack.ctx.clock = clock
    for uid, (name, admin, tz) in PEOPLE.items():
        slack.stub.add_user(uid, name=name, email=f"{name}@example.com", is_admin=admin)["tz"] = tz
    slack.stub.add_channel("C1")
    fake_cls = FakePagerDuty if request.param == "pagerduty" else FakeOpsgenie
    # a weekly rotation handing off Mondays 10:00 Berlin time, started after the autumn clock change
    fake = fake_cls(conformant_respx, clock, time_zone=ZONE, origin=T0 - WEEK)
    monkeypatch.setattr(resync, "launch", lambda run: run())  # the background re-export, inline
    return request.param, fake, clock


def test_journey(journey, slack, slack_http):
    kind, fake, clock = journey
    ctx, stub, http = slack.ctx, slack.stub, slack_http
    alice_pid, bob_pid, carol_pid = list(fake.users)
    assert fake.who(NOW) == bob_pid, "the fake's rotation puts Bob on call this week"
    label = "PagerDuty" if kind == "pagerduty" else "Opsgenie"

    # ---------------------------------------------------------------- 1. connect
    assert http.command("connect", response_url=stub.response_url("connect")).status == 200
    (opened,) = stub.wait_for("views.open")
    modal = opened.body["view"]
    assert modal["callback_id"] == CallbackId.CONNECT
    key = PD_KEY if kind == "pagerduty" else OG_KEY
    resp = http.interact(view_submission(CallbackId.CONNECT, connect_values(kind, f"Acme {label}", key),
                                         private_metadata=modal["private_metadata"]))
    assert resp.status == 200 and not resp.body, resp.body
    connected = answers(stub)[-1]
    assert "Platform" in dump(connected) and connected["_id"] == "connect"
    link_button = button(connected, ButtonId.LINK)
    assert link_button["value"].endswith(f":{fake.schedule_id}")
    assert key not in stub.all_text()

    # ---------------------------------------------------------------- 2. link (admin)
    stub.reset()
    http.interact(block_actions(ButtonId.LINK, link_button["value"], user_id="U1",
                                response_url=stub.response_url("link-btn")))
    (loading,) = stub.wait_for("views.open")
    (filled,) = stub.wait_for("views.update")
    view = filled.body["view"]
    pick = next(b for b in view["blocks"] if b.get("block_id") == FormBlock.LINK_SCHEDULE)
    assert pick["element"]["initial_option"]["value"] == fake.schedule_id
    conn_id = link_button["value"].split(":")[0]
    values = {
        FormBlock.LINK_CONNECTION: {ButtonId.LINK_PICK_CONNECTION: sel(conn_id)},
        FormBlock.LINK_SCHEDULE: {FormBlock.INPUT: sel(fake.schedule_id)},
        FormBlock.LINK_HORIZON: {FormBlock.INPUT: number(HORIZON_DAYS)},
        FormBlock.LINK_CHANNEL: {FormBlock.INPUT: conversation("C1")},
        FormBlock.LINK_DESTINATIONS: {FormBlock.INPUT: multi([])},
    }
    resp = http.interact(view_submission(CallbackId.LINK, values, private_metadata=view["private_metadata"]))
    assert resp.status == 200 and not resp.body, resp.body
    linked = dump(answers(stub)[-1])
    assert "3 members mapped" in linked and "could not be matched" not in linked, linked
    assert "No shifts assigned yet" not in linked, linked
    assert {b["email"] for b in stub.bodies("users.lookupByEmail")} >= {f"{n}@example.com" for n, *_ in PEOPLE.values()}
    with session_scope(ctx.engine) as session:
        sched = session.exec(select(Schedule)).one()
        schedule_id = sched.id
        assert (sched.horizon_days, sched.channel_id, sched.time_zone) == (HORIZON_DAYS, "C1", ZONE)
        assert [m.slack_user_id for m in session.exec(select(Member).order_by(Member.position))] == ["U1", "U2", "U3"]

    shifts = owned(ctx, schedule_id)
    horizon_end = NOW + timedelta(days=HORIZON_DAYS)
    assert shifts[0][0] <= NOW < shifts[0][1] and shifts[0][2] == "U2", "Bob keeps the shift he is on"
    assert shifts[0][1] == T0 + WEEK
    for (_s, end, _u, _src), (start, _e, _u2, _src2) in zip(shifts, shifts[1:], strict=False):
        assert end == start, f"gap or overlap at {end} / {start}"
    for start, end, _u, _src in shifts[1:]:
        assert start.weekday() == 0 and start.time() == T0.time() and end - start == WEEK, (start, end)
    assert shifts[-1][0] < horizon_end <= shifts[-1][1], "filled up to the horizon"
    assert all(src == "bot" for *_x, src in shifts)
    people = [u for *_x, u, _src in shifts]
    assert set(people) == {"U1", "U2", "U3"}
    assert all(a != b for a, b in zip(people, people[1:], strict=False)), people

    # ---------------------------------------------------------------- 3. status, who, App Home
    stub.reset()
    http.command(f"status {sched.name}", response_url=stub.response_url("status"))
    status = dump(answers(stub)[-1])
    for who in ("<@U1>", "<@U2>", "<@U3>"):
        assert who in status, status
    http.command("who", response_url=stub.response_url("who"))
    who_now = dump(answers(stub)[-1])
    assert "<@U2>" in who_now, who_now
    http.event(__import__("tests.slack.payloads", fromlist=["app_home_opened"]).app_home_opened("U2"))
    (home,) = stub.wait_for("views.publish")
    assert home.body["user_id"] == "U2" and sched.name in dump(home.body["view"])

    # ---------------------------------------------------------------- 4. first export
    fake.log.clear()
    http.command("sync", response_url=stub.response_url("sync"))
    summary = dump(answers(stub)[-1])
    assert "created" in summary.lower() or str(len(shifts)) in summary, summary
    exported = live_overrides(fake)
    pid_of = {"U1": alice_pid, "U2": bob_pid, "U3": carol_pid}
    assert exported == [(max(s, NOW), e, pid_of[u]) for s, e, u, _src in shifts if s < horizon_end]
    assert destination(ctx).exported_until == shifts[-1][1]
    assert destination(ctx).status == "ok"

    # ---------------------------------------------------------------- 5. swap Alice <-> Bob
    stub.reset()
    http.command("swap <@U1|alice> <@U2|bob>", user_id="U1", response_url=stub.response_url("swap"))
    preview = answers(stub)[-1]
    press(http, stub, preview, SwapButtonId.CONFIRM, "U1")
    ask = dms(stub, "U2")[-1]
    before = owned(ctx, schedule_id)
    fake.log.clear()
    press(http, stub, ask, SwapButtonId.ACCEPT, "U2", channel="D2")
    after = owned(ctx, schedule_id)
    moved = [(b, a) for b, a in zip(before, after, strict=True) if b[2] != a[2]]
    assert len(moved) == 2 and {b[2] for b, _ in moved} == {"U1", "U2"}, moved
    writes = fake.writes()
    creates, deletes = [r for r in writes if r.method == "POST"], [r for r in writes if r.method == "DELETE"]
    assert len(deletes) == 2
    posted = [o for r in creates for o in (json.loads(r.content).get("overrides") or [json.loads(r.content)])]
    assert len(posted) == 2
    assert live_overrides(fake) == [(max(s, NOW), e, pid_of[u]) for s, e, u, _src in after if s < horizon_end]
    assert any("moved" in b["text"] for b in dms(stub, "U1"))
    assert any("moved" in b["text"] for b in dms(stub, "U2"))

    # ---------------------------------------------------------------- 6. time off: Carol's next shift
    stub.reset()
    carol_next = next(s for s in after if s[2] == "U3" and s[0] > NOW)
    day = carol_next[0] + timedelta(days=1)
    fake.log.clear()
    http.command(f"away {day:%Y-%m-%d} {day + timedelta(days=1):%Y-%m-%d} holiday", user_id="U3",
                 response_url=stub.response_url("away"))
    assert "holiday" in dump(answers(stub)[-1]) or answers(stub)
    now_owned = owned(ctx, schedule_id)
    replaced = next(s for s in now_owned if s[0] == carol_next[0])
    assert replaced[2] != "U3"
    assert len([r for r in fake.writes() if r.method == "DELETE"]) == 1
    assert live_overrides(fake) == [(max(s, NOW), e, pid_of[u]) for s, e, u, _src in now_owned if s < horizon_end]
    assert dms(stub, replaced[2]), "the new holder is told"

    # ---------------------------------------------------------------- 7. days later: the job
    mark = destination(ctx).exported_until
    hand_shift = now_owned[2]
    hand_user = next(p for u, p in pid_of.items() if u != hand_shift[2])
    hand_id = fake.hand_override(hand_user, hand_shift[0], hand_shift[1])
    clock.advance(days=3)
    stub.reset()
    fake.log.clear()
    from bot.sync.job import sync_all

    client = WebClient(token="xoxb-test-token", base_url=stub.api_url)
    (report,) = sync_all(ctx, client)
    assert report.assigned and report.assigned >= 1
    later = owned(ctx, schedule_id)
    new = [s for s in later if s[0] >= mark]
    assert new and new[0][0] == mark, "the horizon grew from where it ended"
    deletes = [r for r in fake.writes() if r.method == "DELETE"]
    assert deletes == [], "nothing before the mark is touched"
    assert hand_id in {o.id for o in fake.live()}, "the hand-made override survives"
    horizon_end = clock.now + timedelta(days=HORIZON_DAYS)
    assert destination(ctx).exported_until == later[-1][1] and later[-1][0] < horizon_end
    live = live_overrides(fake)
    for s, e, u, _src in new:
        assert (s, e, pid_of[u]) in live
    alerts = [b for b in stub.bodies("chat.postMessage") if b.get("channel") == "C1"]
    assert len(alerts) == 1 and "hand-made override" in dump(alerts[0]), dump(alerts)
    with session_scope(ctx.engine) as session:
        assert len(session.exec(select(DriftAlert)).all()) == 1
    assert datetime(2026, 1, 1, tzinfo=UTC) < clock.now
