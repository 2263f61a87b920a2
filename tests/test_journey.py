"""One journey per provider through the real code paths only: signed Slack requests into the WSGI app,
the Slack stub, the stateful provider fakes on `conformant_respx` (every request checked against the
official specs), the real `extend_assignments` and a controllable clock.

connect → link (members by email, shifts to the horizon) → status / who / App Home → first export →
swap accepted (exactly the two overrides re-exported) → time off (replacement re-exported) → days
later the job extends the horizon, keeps a hand-made override before the mark and alerts once.

The Opsgenie journey connects a PagerDuty and an Opsgenie account, links the Opsgenie schedule and
exports it to the PagerDuty schedule as well (members found there by email): every step is checked
at both providers. The JSM journey does the same with a JSM Operations site (issue 13): connected with
site, email and API token, people found by the emails of the site's user API, overrides with aliases
the server makes, the drift read back from the timeline.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.ids import ActionId, BlockId, ButtonId, CallbackId, FormBlock, SwapButtonId
from bot.notify import sync as resync
from bot.providers.timefmt import parse
from bot.store import Destination, DriftAlert, Member, Schedule, Shift, session_scope
from bot.views.connect import credential_block
from tests.plugins.world import OG_KEY, PD_KEY, Clock
from tests.slack.payloads import (
    app_home_opened,
    block_actions,
    conversation,
    multi,
    number,
    radio,
    text,
    view_submission,
)
from tests.slack.payloads import (
    select as sel,
)
from tests.sync_io.fakes import JSM_SITE, T0, FakeJsm, FakeOpsgenie, FakePagerDuty

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


def destinations(ctx) -> list[Destination]:
    with session_scope(ctx.engine) as session:
        return list(session.exec(select(Destination).order_by(Destination.id)))


def live_overrides(fake) -> list[tuple[datetime, datetime, str]]:
    return [(o.start, o.end, o.user_id) for o in fake.live()]


def created_overrides(fake) -> list[tuple[datetime, datetime, str]]:
    """(start, end, user) of every override the bot created since the log was cleared."""
    out = []
    for r in fake.requests("POST", "/overrides"):
        body = json.loads(r.content)
        for o in body.get("overrides") or [body]:
            who = o.get("user") or o["responder"]  # JSM: a responder
            out.append((parse(o.get("start") or o["startDate"]), parse(o.get("end") or o["endDate"]), who["id"]))
    return out


def deleted_ids(fake) -> list[str]:
    return [r.url.path.rsplit("/", 1)[-1] for r in fake.requests("DELETE")]


JSM_TOKEN = "ATATT3xFfGF0-journey-jsm-token-0000wxyz"
JSM_EMAIL = "ops@example.com"


def connect_values(provider: str, name: str, key: str) -> dict:
    values = {
        BlockId.CONNECT_PROVIDER: {ActionId.CONNECT_PROVIDER: radio(provider)},
        BlockId.CONNECT_NAME: {ActionId.CONNECT_NAME: text(name)},
        BlockId.CONNECT_API_KEY: {ActionId.CONNECT_API_KEY: text(key)},
        BlockId.CONNECT_REGION: {ActionId.CONNECT_REGION: radio("us")},
    }
    if provider == "jsm":  # the site and the email of the token's account
        values[credential_block("site")] = {"site": text(JSM_SITE)}
        values[credential_block("email")] = {"email": text(JSM_EMAIL)}
    return values


def kind_of(fake) -> str:
    return {FakePagerDuty: "pagerduty", FakeOpsgenie: "opsgenie", FakeJsm: "jsm"}[type(fake)]


@pytest.fixture(params=["pagerduty", "opsgenie", "jsm"])
def journey(request, slack, slack_http, conformant_respx, monkeypatch):
    clock = Clock(NOW)
    slack.ctx.clock = clock
    for uid, (name, admin, tz) in PEOPLE.items():
        slack.stub.add_user(uid, name=name, email=f"{name}@example.com", is_admin=admin)["tz"] = tz
    slack.stub.add_channel("C1")
    # weekly rotations handing off Mondays 10:00 Berlin time, started after the autumn clock change
    pd = FakePagerDuty(conformant_respx, clock, time_zone=ZONE, origin=T0 - WEEK)
    fakes = [pd]
    if request.param == "opsgenie":
        fakes.insert(0, FakeOpsgenie(conformant_respx, clock, time_zone=ZONE, origin=T0 - WEEK))
    if request.param == "jsm":
        jsm = FakeJsm(conformant_respx, clock, time_zone=ZONE, origin=T0 - WEEK)
        jsm.account.keys = {f"{JSM_EMAIL}:{JSM_TOKEN}": "rw"}
        fakes.insert(0, jsm)
    monkeypatch.setattr(resync, "launch", lambda run: run())  # the background re-export, inline
    return request.param, fakes, clock


def test_journey(journey, slack, slack_http):
    kind, fakes, clock = journey
    source = fakes[0]  # the linked schedule; the others are extra destinations
    ctx, stub, http = slack.ctx, slack.stub, slack_http
    slack_ids = list(PEOPLE)  # Alice, Bob, Carol: the fakes list their users in that order
    pid = {id(f): dict(zip(slack_ids, f.users, strict=True)) for f in fakes}
    assert all(f.who(NOW) == pid[id(f)]["U2"] for f in fakes), "the rotation puts Bob on call this week"

    def wanted(f, rows) -> list[tuple[datetime, datetime, str]]:
        """One override per shift within the horizon, from now for the one in progress."""
        end = clock.now + timedelta(days=HORIZON_DAYS)
        return [(max(s, clock.now), e, pid[id(f)][u]) for s, e, u, _src in rows if s < end]

    def clear() -> None:
        for f in fakes:
            f.log.clear()

    # ---------------------------------------------------------------- 1. connect
    link_buttons = {}
    for f in reversed(fakes):  # PagerDuty first
        provider = kind_of(f)
        stub.reset()
        assert http.command("connect", response_url=stub.response_url("connect")).status == 200
        (opened,) = stub.wait_for("views.open")
        modal = opened.body["view"]
        assert modal["callback_id"] == CallbackId.CONNECT
        key = {"pagerduty": PD_KEY, "opsgenie": OG_KEY, "jsm": JSM_TOKEN}[provider]
        resp = http.interact(view_submission(CallbackId.CONNECT, connect_values(provider, f"Acme {provider}", key),
                                             private_metadata=modal["private_metadata"]))
        assert resp.status == 200 and resp.json()["response_action"] == "update", resp.body  # "Checking the key…"
        (done,) = stub.wait_for("views.update")  # the check ran after the ack
        connected = done.body["view"]
        assert "Platform" in dump(connected) and "The key can write" in dump(connected), dump(connected)
        stub.wait_for("views.publish")
        link_buttons[id(f)] = button(connected, ButtonId.LINK)["value"]
        assert link_buttons[id(f)].endswith(f":{f.schedule_id}")
        assert key not in stub.all_text()
    if kind == "jsm":
        stub.reset()
        http.command("connections", response_url=stub.response_url("connections"))
        listed = dump(answers(stub)[-1])
        assert "JSM acme.atlassian.net" in listed and JSM_EMAIL not in listed and JSM_TOKEN not in listed

    # ---------------------------------------------------------------- 2. link (admin)
    stub.reset()
    value = link_buttons[id(source)]
    http.interact(block_actions(ButtonId.LINK, value, user_id="U1", response_url=stub.response_url("link")))
    stub.wait_for("views.open")
    (filled,) = stub.wait_for("views.update")
    view = filled.body["view"]
    pick = next(b for b in view["blocks"] if b.get("block_id") == FormBlock.LINK_SCHEDULE)
    assert pick["element"]["initial_option"]["value"] == source.schedule_id
    extras = [(link_buttons[id(f)], "Platform primary") for f in fakes[1:]]
    values = {
        FormBlock.LINK_SCHEDULE: {FormBlock.INPUT: sel(source.schedule_id)},
        FormBlock.LINK_HORIZON: {FormBlock.INPUT: number(HORIZON_DAYS)},
        FormBlock.LINK_CHANNEL: {FormBlock.INPUT: conversation("C1")},
        FormBlock.LINK_DESTINATIONS: {FormBlock.INPUT: multi(extras)},
    }
    resp = http.interact(view_submission(CallbackId.LINK, values, private_metadata=view["private_metadata"]))
    assert resp.status == 200 and not resp.body, resp.body
    linked = dump(answers(stub)[-1])
    assert "3 members mapped" in linked and "could not be matched" not in linked, linked
    assert "Assigned 5 shifts" in linked, linked
    looked_up = {b["email"] for b in stub.bodies("users.lookupByEmail")}
    assert looked_up == {f"{name}@example.com" for name, *_ in PEOPLE.values()}
    with session_scope(ctx.engine) as session:
        sched = session.exec(select(Schedule)).one()
        schedule_id = sched.id
        assert (sched.horizon_days, sched.channel_id, sched.time_zone) == (HORIZON_DAYS, "C1", ZONE)
        members = session.exec(select(Member).order_by(Member.position)).all()
        assert [m.slack_user_id for m in members] == slack_ids
    assert len(destinations(ctx)) == len(fakes)

    shifts = owned(ctx, schedule_id)
    assert shifts[0][0] <= NOW < shifts[0][1] and shifts[0][2] == "U2", "Bob keeps the shift he is on"
    for (_s, end, *_x), (start, *_y) in zip(shifts, shifts[1:], strict=False):
        assert end == start, f"gap or overlap at {end} / {start}"
    for start, end, *_x in shifts:
        local_end = end.astimezone(ZoneInfo(ZONE))
        assert (local_end.weekday(), local_end.time()) == (0, time(10)), "handoffs Mondays 10:00 Berlin"
        assert start == shifts[0][0] or end - start == WEEK
    assert shifts[-1][0] < NOW + timedelta(days=HORIZON_DAYS) <= shifts[-1][1], "filled up to the horizon"
    assert all(src == "bot" for *_x, src in shifts)
    people = [u for *_x, u, _src in shifts]
    assert set(people) == set(slack_ids) and all(a != b for a, b in zip(people, people[1:], strict=False)), people

    # ---------------------------------------------------------------- 3. status, who, App Home
    stub.reset()
    http.command(f"status {sched.name}", response_url=stub.response_url("status"))
    status = dump(answers(stub)[-1])
    assert status.count("<!date^") >= 2 * len(shifts) and "nothing exported yet" in status, status
    for s, e, u, _src in shifts:
        assert f"<!date^{int(s.timestamp())}^" in status and f"<!date^{int(e.timestamp())}^" in status
        assert f"<@{u}>" in status
    http.command("who", response_url=stub.response_url("who"))
    who_now = dump(answers(stub)[-1])
    assert f"Now: <@U2> until <!date^{int(shifts[0][1].timestamp())}^" in who_now, who_now
    assert f"Next: <@{shifts[1][2]}>" in who_now, who_now
    http.event(app_home_opened("U2"))
    (home,) = stub.wait_for("views.publish")
    assert home.body["user_id"] == "U2" and sched.name in dump(home.body["view"])
    assert str(int(shifts[0][0].timestamp())) in dump(home.body["view"]), "Bob's shift on his Home tab"

    # ---------------------------------------------------------------- 4. first export (ten minutes later)
    clock.advance(minutes=10)
    clear()
    http.command("sync", response_url=stub.response_url("sync"))
    summary = dump(answers(stub)[-1])
    assert summary.count(f"created {len(shifts)}, deleted 0") == len(fakes), summary
    for f in fakes:
        assert live_overrides(f) == wanted(f, shifts)
        assert len(created_overrides(f)) == len(shifts)
    assert [(d.exported_until, d.status) for d in destinations(ctx)] == [(shifts[-1][1], "ok")] * len(fakes)
    clear()
    http.command("sync", response_url=stub.response_url("sync-again"))
    assert [f.writes() for f in fakes] == [[]] * len(fakes), "a second export changes nothing"

    # ---------------------------------------------------------------- 5. swap Alice <-> Bob
    stub.reset()
    http.command("swap <@U1|alice> <@U2|bob>", user_id="U1", response_url=stub.response_url("swap"))
    preview = answers(stub)[-1]
    assert "10:00" in dump(preview) and "CET" in dump(preview), "times on the schedule's wall clock"
    clear()
    press(http, stub, preview, SwapButtonId.CONFIRM, "U1")
    assert [f.log for f in fakes] == [[]] * len(fakes), "nothing changes before Bob accepts"
    ask = dms(stub, "U2")[-1]
    before = owned(ctx, schedule_id)
    old_ids = {id(f): {(o.start, o.end): o.id for o in f.live()} for f in fakes}
    press(http, stub, ask, SwapButtonId.ACCEPT, "U2", channel="D2")
    after = owned(ctx, schedule_id)
    moved = [a for b, a in zip(before, after, strict=True) if b[2] != a[2]]
    assert [(u, src) for _s, _e, u, src in moved] == [("U2", "swap"), ("U1", "swap")], moved
    for f in fakes:  # exactly these writes, in this interaction: the two new overrides, the two old ones deleted
        assert sorted(created_overrides(f)) == sorted((s, e, pid[id(f)][u]) for s, e, u, _src in moved)
        assert sorted(deleted_ids(f)) == sorted(old_ids[id(f)][(s, e)] for s, e, *_x in moved)
        assert len(f.writes()) == (3 if isinstance(f, FakePagerDuty) else 4)  # PagerDuty: one bulk POST
        assert live_overrides(f) == wanted(f, after)
    assert any("moved" in b["text"] for b in dms(stub, "U1")) and any("moved" in b["text"] for b in dms(stub, "U2"))
    assert any("is done" in b["text"] for b in dms(stub, "U1"))

    # ---------------------------------------------------------------- 6. time off for Carol's next shift
    stub.reset()
    carol_next = next(r for r in after if r[2] == "U3" and r[0] > clock.now)
    day = carol_next[0].astimezone(ZoneInfo(PEOPLE["U3"][2])).date() + timedelta(days=1)
    old_ids = {id(f): {(o.start, o.end): o.id for o in f.live()} for f in fakes}
    clear()
    http.command(f"away {day:%Y-%m-%d} {day + timedelta(days=1):%Y-%m-%d} holiday", user_id="U3",
                 response_url=stub.response_url("away"))
    assert "holiday" in dump(answers(stub)[-1])
    now_owned = owned(ctx, schedule_id)
    replaced = next(r for r in now_owned if r[0] == carol_next[0])
    assert replaced[2] != "U3" and [r for r in now_owned if r != replaced] == [r for r in after if r != carol_next]
    for f in fakes:
        assert created_overrides(f) == [(replaced[0], replaced[1], pid[id(f)][replaced[2]])]
        assert deleted_ids(f) == [old_ids[id(f)][(replaced[0], replaced[1])]]
        assert live_overrides(f) == wanted(f, now_owned)
    assert any("You are now on call" in b["text"] for b in dms(stub, replaced[2])), "the new holder is told"
    assert any("time off" in b["text"] for b in dms(stub, "U3"))

    # ---------------------------------------------------------------- 7. days later: the job
    mark = destinations(ctx)[0].exported_until
    hand_shift = now_owned[2]
    hand_user = next(p for u, p in pid[id(source)].items() if u != hand_shift[2])
    hand_id = source.hand_override(hand_user, hand_shift[0], hand_shift[1])
    clock.advance(days=3)
    stub.reset()
    clear()
    from bot.jobs import sync_all

    client = WebClient(token="xoxb-test-token", base_url=stub.api_url)
    (report,) = sync_all(ctx, client)
    assert report.assigned and report.assign_error is None
    later = owned(ctx, schedule_id)
    new = [r for r in later if r[0] >= mark]
    assert new and new[0][0] == mark, "the horizon grew from where it ended"
    assert later[: len(later) - len(new)] == [r for r in now_owned if r[1] > clock.now], "nothing before the mark moved"
    assert new[-1][0] < clock.now + timedelta(days=HORIZON_DAYS) <= new[-1][1]
    for f in fakes:
        assert deleted_ids(f) == [], "nothing before the mark is touched"
        assert created_overrides(f) == [(s, e, pid[id(f)][u]) for s, e, u, _src in new]
    assert hand_id in {o.id for o in source.live()}, "the hand-made override survives"
    assert source.who(hand_shift[0] + timedelta(hours=1)) == hand_user
    assert [d.exported_until for d in destinations(ctx)] == [later[-1][1]] * len(fakes)
    alerts = [b for b in stub.bodies("chat.postMessage") if b.get("channel") == "C1"]
    assert len(alerts) == 1 and "hand-made override" in dump(alerts[0]), dump(alerts)
    assert "Mon 16 Nov 10:00" in dump(alerts[0]) and f"<@{hand_shift[2]}>" in dump(alerts[0])

    # the next round: nothing to write, no second alert
    stub.reset()
    clear()
    clock.advance(minutes=5)
    sync_all(ctx, client)
    assert [f.writes() for f in fakes] == [[]] * len(fakes)
    assert [b for b in stub.bodies("chat.postMessage") if b.get("channel") == "C1"] == []
    with session_scope(ctx.engine) as session:
        assert len(session.exec(select(DriftAlert)).all()) == 1
