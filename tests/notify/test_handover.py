"""Handover messages: one per handoff in the schedule's channel (who now, until when, who next; who the
provider pages during open drift), none when turned off, and once across replicas on PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import select

from bot.notify.handover import handover_message
from bot.notify.job import notify_round
from bot.services.handover import Handover, RoleLine
from bot.services.reminder_times import Slot
from bot.store import Destination, DriftAlert, HandoverSent, Schedule, make_engine, session_scope
from tests.notify.conftest import add_platform
from tests.plugins.world import Clock, make_ctx


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def channel_posts(stub) -> list[dict]:
    return [b for b in stub.bodies("chat.postMessage") if b["channel"] == "C1"]


def blocks_text(body: dict) -> str:
    blocks = body["blocks"] if isinstance(body["blocks"], list) else json.loads(body["blocks"])
    return "\n".join(b["text"]["text"] for b in blocks if b.get("text")) + str(blocks)


def test_one_message_at_each_handoff(ctx, client, clock, slack_stub, platform):
    posted_at = []
    for first in (utc(2026, 3, 29, 23), utc(2026, 4, 6, 5)):  # around each Monday's handoff
        clock.now = first
        while clock.now < first + timedelta(hours=10):
            before = len(channel_posts(slack_stub))
            notify_round(ctx, client)
            notify_round(ctx, client)  # a second replica, or a restart
            if len(channel_posts(slack_stub)) > before:
                posted_at.append(clock.now)
            clock.advance(minutes=10)
    assert posted_at == [utc(2026, 3, 30, 7), utc(2026, 4, 6, 7)]
    first, second = channel_posts(slack_stub)
    assert first["text"] == "Handover in Platform primary: <@U1> is on call now"
    text = blocks_text(first)
    assert "<@U1> is on call now, until <!date^1775458800^" in text  # Mon 6 Apr 07:00 UTC
    assert "next: <@U2>" in text
    assert "<@U2> is on call now" in second["text"]


def test_a_handoff_missed_by_more_than_half_an_hour_is_not_announced_late(ctx, client, clock, slack_stub,
                                                                         platform):
    clock.now = utc(2026, 3, 30, 7, 30)
    notify_round(ctx, client)
    assert channel_posts(slack_stub) == []


def test_off_per_schedule(ctx, client, clock, slack_stub, platform):
    with session_scope(ctx.engine) as session:
        session.get(Schedule, platform).handover_messages = False
    clock.now = utc(2026, 3, 30, 7)
    notify_round(ctx, client)
    assert channel_posts(slack_stub) == []


def test_open_drift_says_who_the_provider_pages_now(ctx, client, clock, slack_stub, platform):
    with session_scope(ctx.engine) as session:
        dest = session.exec(select(Destination).where(Destination.schedule_id == platform)).one()
        item = {"shift_id": 2, "version": 1, "start": "2026-03-30T07:00:00+00:00",
                "end": "2026-04-06T07:00:00+00:00", "assigned": "<@U1>", "paged": ["<@U3>"]}
        session.add(DriftAlert(team_id="T1", schedule_id=platform, destination_id=dest.id, fingerprint="f",
                               detail=json.dumps({"destination": "PagerDuty · Platform", "items": [item]})))
    clock.now = utc(2026, 3, 30, 7, 1)
    notify_round(ctx, client)
    (post,) = channel_posts(slack_stub)
    assert "The provider pages <@U3> right now, not the bot's assignee" in blocks_text(post)


def test_a_secondary_role_gets_its_own_line():
    t = utc(2026, 3, 30, 7)
    week = timedelta(days=7)
    lines = (RoleLine("primary", Slot(1, 1, "primary", t, t + week, 1, "U1", "Alice"),
                      Slot(2, 1, "primary", t + week, t + 2 * week, 2, "U2", "Bob")),
             RoleLine("secondary", Slot(3, 1, "secondary", t, t + week, 3, None, "Carol"), None, ("Dan",)))
    text = blocks_text(handover_message(Handover("T1", 1, "Platform", "C1", t, lines)))
    assert "*Primary*: <@U1> is on call now, until" in text and "next: <@U2>" in text
    assert "*Secondary*: Carol (not in Slack) is on call now" in text
    assert "The provider pages Dan right now" in text


def test_replicas_on_postgresql_send_each_reminder_and_handover_once(pg_engine, pg_url, client, slack_stub):
    clock = Clock(utc(2026, 3, 30, 6, 5))
    with httpx.Client() as http:
        add_platform(make_ctx(pg_engine, clock, http))
        engines = [make_engine(pg_url) for _ in range(4)]
        try:
            contexts = [make_ctx(e, clock, http) for e in engines]
            for at in (utc(2026, 3, 30, 6, 5), utc(2026, 3, 30, 7, 5)):  # Alice's 1 h reminder; the handoff
                clock.now = at
                gate = threading.Barrier(len(contexts))
                errors = []

                def replica(c, gate=gate, errors=errors):
                    try:
                        gate.wait()
                        notify_round(c, client)
                    except Exception as exc:
                        errors.append(exc)

                threads = [threading.Thread(target=replica, args=(c,)) for c in contexts]
                for th in threads:
                    th.start()
                for th in threads:
                    th.join()
                assert errors == []
        finally:
            for e in engines:
                e.dispose()
    dms = [b for b in slack_stub.bodies("chat.postMessage") if b["channel"] == "U1"]
    assert len(dms) == 1 and "starts in 1 hour" in dms[0]["text"]
    assert len(channel_posts(slack_stub)) == 1
    with session_scope(pg_engine) as session:
        assert len(session.exec(select(HandoverSent)).all()) == 1
