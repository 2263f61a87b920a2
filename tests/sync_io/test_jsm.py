"""JSM as a destination, through the real sync engine against the JSM simulator (respx + conformance):
the alias each create returns is recorded before the next create, a crash between a create and its
commit converges by adoption, the request counts of a first export and of a swap, an expired token,
JSM beside PagerDuty (emails from the site's user API; a hidden email is named, never guessed), and a
team's Opsgenie destination moved to JSM in `/oncall edit` without duplicates."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import select

import bot.sync.apply as apply_module
from bot.context import Context
from bot.notify.sync import sync_and_notify
from bot.services.authz import Person
from bot.services.edit import EditRequest, edit_schedule
from bot.services.link import Target
from bot.store import Connection, Destination, ExportedOverride, Shift, session_scope
from bot.sync.intents import is_pending
from tests.plugins.world import JSM_SECRET, JSM_USERS, PEOPLE, Clock, add_world, destination
from tests.sync_io.fakes import T0, FakeJsm, FakeOpsgenie, FakePagerDuty

NOW = T0 + timedelta(days=2, hours=3)


@pytest.fixture
def env(slack, conformant_respx):
    clock = Clock(NOW)
    slack.ctx.clock = clock
    slack.stub.add_channel("C1")
    client = WebClient(token="xoxb-test-token", base_url=slack.stub.api_url)
    return slack.ctx, conformant_respx, clock, client


class Crash(BaseException):
    """The process dies (not an error anything catches)."""


def _records(ctx: Context) -> list[ExportedOverride]:
    """What the bot recorded (not the intents written before each create: `bot.sync.intents`)."""
    with session_scope(ctx.engine) as session:
        return [r for r in session.exec(select(ExportedOverride).order_by(ExportedOverride.start))
                if not is_pending(r.override_id)]


def _jsm_connection(ctx: Context, team_id: str = "T1") -> int:
    with session_scope(ctx.engine) as session:
        conn = Connection(team_id=team_id, provider="jsm", region="us", name="Acme JSM",
                          api_key_encrypted=ctx.keys.encrypt(JSM_SECRET), key_hint="…cdef", can_write=True)
        session.add(conn)
        session.flush()
        return conn.id


def test_each_alias_is_recorded_before_the_next_create_and_a_crash_converges_by_adoption(env, monkeypatch):
    ctx, router, clock, client = env
    fake = FakeJsm(router, clock)
    world = add_world(ctx, provider="jsm", weeks=5)
    recorded_before_post: list[int] = []
    real_route = fake._route

    def route(request):
        if request.method == "POST":
            recorded_before_post.append(len(_records(ctx)))
        return real_route(request)

    fake._route = route  # the respx routes call the bound method through this attribute
    for r in router.routes:
        if r.side_effect == real_route:
            r.side_effect = route
    rows, real_row = [], apply_module._row

    def dying_row(*args, **kw):
        rows.append(1)
        if len(rows) == 3:
            raise Crash()  # the third create reached JSM; the process dies before its commit
        return real_row(*args, **kw)

    monkeypatch.setattr(apply_module, "_row", dying_row)
    with pytest.raises(Crash):
        sync_and_notify(ctx, world.schedule_id, client=client)
    assert recorded_before_post == [0, 1, 2], "each server-made alias is committed before the next create"
    assert len(fake.live()) == 3 and len(_records(ctx)) == 2

    monkeypatch.setattr(apply_module, "_row", real_row)
    fake.log.clear()
    restarted = Context(settings=ctx.settings, engine=ctx.engine, keys=ctx.keys, clock=clock, sleep=lambda s: None)
    d = sync_and_notify(restarted, world.schedule_id, client=client).destinations[0]
    # the third create's intent finds its override (recorded before planning, so not an adoption)
    assert (d.adopted, d.created, d.deleted, d.status) == (0, 2, 0, "ok")
    assert fake.requests("DELETE") == [] and len(fake.requests("POST")) == 2
    live = fake.live()
    assert len(live) == 5 and len({(o.start, o.end) for o in live}) == 5, "nothing duplicated"
    assert sorted(r.override_id for r in _records(ctx)) == sorted(o.id for o in live)


def test_request_counts_of_a_first_export_and_of_a_swap(env):
    ctx, router, clock, client = env
    fake = FakeJsm(router, clock)
    world = add_world(ctx, provider="jsm", weeks=5)
    d = sync_and_notify(ctx, world.schedule_id, client=client).destinations[0]
    assert (d.created, d.status) == (5, "ok")
    first = [(r.method, r.url.path.rsplit("/", 1)[-1]) for r in fake.log]
    # list the overrides (one page), one POST per shift; what pages follows from the bot's
    # overrides alone (they cover the exported range one after another): no timeline read
    assert first == [("GET", "overrides"), *[("POST", "overrides")] * 5]
    sent = [json.loads(r.content) for r in fake.requests("POST")]
    assert all(set(b) == {"responder", "startDate", "endDate"} for b in sent), "the server makes the alias"

    fourth = [s for s in _shifts(ctx, world.schedule_id)][3]
    with session_scope(ctx.engine) as session:
        row = session.get(Shift, fourth.id)
        row.member_id, row.version = world.member_ids[2], row.version + 1
    fake.log.clear()
    d = sync_and_notify(ctx, world.schedule_id, client=client, only_shift_ids=[fourth.id]).destinations[0]
    assert (d.created, d.deleted) == (1, 1)
    assert [r.method for r in fake.log] == ["GET", "POST", "DELETE"]
    assert fake.who(fourth.start + timedelta(hours=1)) == JSM_USERS[2]


def _shifts(ctx: Context, schedule_id: int) -> list[Shift]:
    with session_scope(ctx.engine) as session:
        return list(session.exec(select(Shift).where(Shift.schedule_id == schedule_id).order_by(Shift.start)))


def test_an_expired_token_is_named_in_the_destination_status(env):
    ctx, router, clock, client = env
    fake = FakeJsm(router, clock)
    fake.account.keys = {"ops@example.com:ATATT3x-fake-jsm-token-0000cdef": "rw"}
    fake.account.expire("ATATT3x-fake-jsm-token-0000cdef")
    world = add_world(ctx, provider="jsm", weeks=2)
    d = sync_and_notify(ctx, world.schedule_id, client=client).destinations[0]
    assert d.status == "error" and "expire" in d.error and "/oncall connect" in d.error
    assert "ATATT3x" not in d.error
    assert fake.sim.overrides == {}


def test_jsm_beside_pagerduty_matches_people_by_email_and_names_a_hidden_one(env):
    ctx, router, clock, client = env
    FakePagerDuty(router, clock)
    jsm = FakeJsm(router, clock)
    jsm.account.hidden_emails.add(JSM_USERS[1])  # Bob's profile hides his email
    world = add_world(ctx, weeks=5)
    conn_id = _jsm_connection(ctx)
    with session_scope(ctx.engine) as session:
        session.add(Destination(team_id="T1", schedule_id=world.schedule_id, connection_id=conn_id,
                                provider_schedule_id=jsm.schedule_id, provider_schedule_name="Platform primary"))
    report = sync_and_notify(ctx, world.schedule_id, client=client)
    pd_report, jsm_report = report.destinations
    assert pd_report.status == "ok" and pd_report.created == 5
    assert jsm_report.created == 3 and jsm_report.status == "warning"
    assert "Bob Brown (bob@example.com) has no JSM account with that email" in jsm_report.error
    assert [o.user_id for o in jsm.live()] == [JSM_USERS[0]] * 3, "never matched by name"
    bulk = [r for r in jsm.log if r.url.path == "/rest/api/3/user/bulk"]
    assert len(bulk) == 1, "emails read once, from the site's user API"


def test_moving_an_opsgenie_destination_to_jsm_adopts_what_the_migration_copied(env):
    ctx, router, clock, client = env
    og = FakeOpsgenie(router, clock)
    jsm = FakeJsm(router, clock)
    world = add_world(ctx, provider="opsgenie", weeks=5)
    sync_and_notify(ctx, world.schedule_id, client=client)
    assert len(og.live()) == 5
    # Atlassian's migration copies the Opsgenie overrides to JSM (account ids for Opsgenie users)
    to_jsm = dict(zip(("og-u1", "og-u2", "og-u3"), JSM_USERS, strict=True))
    for o in og.live():
        jsm.hand_override(to_jsm[o.user_id], o.start, o.end)
    og.log.clear()

    conn_id = _jsm_connection(ctx)
    edit_schedule(ctx, None, "T1", Person("U1", admin=lambda: True), EditRequest(
        world.schedule_id, 28, "C1", tuple(p[0] for p in PEOPLE),
        (Target(conn_id, jsm.schedule_id, "Platform primary"),)))
    d = sync_and_notify(ctx, world.schedule_id, client=client).destinations[0]
    assert d.adopted == 5 and d.created == 0 and d.deleted == 0 and d.status == "ok"
    assert jsm.writes() == [] and len(jsm.live()) == 5, "nothing duplicated"
    assert og.writes() == [], "the Opsgenie destination is left as it was"
    assert len(og.live()) == 5
    with session_scope(ctx.engine) as session:
        dest = session.exec(select(Destination).where(Destination.schedule_id == world.schedule_id)).one()
    assert dest.connection_id == conn_id and destination(ctx, dest.id).exported_until is not None
    # later shifts are created at JSM
    clock.advance(days=9)
    d = sync_and_notify(ctx, world.schedule_id, client=client).destinations[0]
    assert d.created >= 1 and d.status == "ok"
    assert len({(o.start, o.end) for o in jsm.live()}) == len(jsm.live())
