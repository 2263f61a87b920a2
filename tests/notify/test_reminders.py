"""Reminders arrive once, at 18:00 the evening before and 1 h before on the holder's clock (across the
switch to summer time), to whoever holds the shift then (after a swap: the new holder too)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.notify.job import notify_round
from bot.services import reminders
from bot.store import ReminderSent, session_scope
from tests.swaps.helpers import query, submit


def run_until(ctx, client, clock, stub, end: datetime, step=timedelta(minutes=10), replicas: int = 2) -> list:
    """Run the round every `step` (twice each time: a second replica, or a restart) until `end`;
    returns (time, user, text) of every DM, in order."""
    seen, out = len(stub.calls("chat.postMessage")), []
    while clock.now <= end:
        for _ in range(replicas):
            notify_round(ctx, client)
        calls = stub.calls("chat.postMessage")
        for call in calls[seen:]:
            if call.body["channel"].startswith("U"):
                out.append((clock.now, call.body["channel"], call.body["text"]))
        seen = len(calls)
        clock.advance(minutes=step.total_seconds() / 60)
    return out


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_reminders_come_once_at_the_holders_local_times_across_dst(ctx, client, clock, slack_stub, platform):
    dms = run_until(ctx, client, clock, slack_stub, utc(2026, 3, 30, 7, 30))
    # Alice (Berlin) holds the shift from Mon 30 Mar 09:00 CEST: 18:00 CEST on the Sunday DST starts is
    # 16:00 UTC (not 17:00, as the day before), and 1 h before is 06:00 UTC
    assert [(t, u) for t, u, _ in dms] == [(utc(2026, 3, 29, 16), "U1"), (utc(2026, 3, 30, 6), "U1")]
    assert "starts tomorrow, Mon 30 Mar 09:00 (Europe/Berlin)" in dms[0][2]
    assert "starts in 1 hour" in dms[1][2]
    with session_scope(ctx.engine) as session:
        assert len(session.exec(select(ReminderSent)).all()) == 2


def test_the_dm_names_schedule_times_neighbours_and_offers_swap_and_cover(ctx, client, clock, slack_stub,
                                                                          platform):
    clock.now = utc(2026, 3, 29, 16, 1)
    notify_round(ctx, client)
    (dm,) = [b for b in slack_stub.bodies("chat.postMessage") if b["channel"] == "U1"]
    blocks = dm["blocks"] if isinstance(dm["blocks"], list) else json.loads(dm["blocks"])
    text = str(blocks)
    assert "*Platform primary*" in text
    assert "*Mon 30 Mar 09:00* → *Mon 6 Apr 09:00* (Europe/Berlin)" in text
    assert "<@U2> hands over to you · you hand over to <@U2>" in text
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(e["action_id"], e["text"]["text"]) for e in buttons] == [("remind_swap", "Swap…"),
                                                                       ("remind_cover", "Find cover…")]


def test_a_shift_moved_after_its_reminder_gets_one_for_the_new_holder(ctx, client, clock, slack_stub, platform):
    dms = run_until(ctx, client, clock, slack_stub, utc(2026, 3, 29, 16, 30))
    assert [(t, u) for t, u, _ in dms] == [(utc(2026, 3, 29, 16), "U1")]
    # the manager moves Alice's shift to Carol (London): her evening-before reminder is 18:00 BST = 17:00 UTC
    submit(ctx, query(kind="cover", requester="UMGR", a="U1", b="U3"), admin=lambda: False)
    dms = run_until(ctx, client, clock, slack_stub, utc(2026, 3, 30, 7, 30))
    assert [(t, u) for t, u, _ in dms] == [(utc(2026, 3, 29, 17), "U3"), (utc(2026, 3, 30, 6), "U3")]
    assert "Mon 30 Mar 08:00 (Europe/London)" in dms[0][2]


def test_a_move_after_the_catch_up_window_skips_that_reminder(ctx, client, clock, slack_stub, platform):
    clock.now = utc(2026, 3, 29, 21)  # Carol's 18:00 BST passed 4 h ago: not sent late; the 1 h one comes
    submit(ctx, query(kind="cover", requester="UMGR", a="U1", b="U3"), admin=lambda: False)
    dms = run_until(ctx, client, clock, slack_stub, utc(2026, 3, 30, 7))
    assert [(t, u) for t, u, _ in dms] == [(utc(2026, 3, 30, 6), "U3")]


def test_each_person_chooses_offsets_or_turns_them_off(ctx, client, clock, slack_stub, platform):
    reminders.set_offsets(ctx.engine, "T1", "U1", ["1h"])
    assert run_until(ctx, client, clock, slack_stub, utc(2026, 3, 30, 7))[0][:2] == (utc(2026, 3, 30, 6), "U1")
    reminders.set_offsets(ctx.engine, "T1", "U2", [])
    clock.now = utc(2026, 4, 5, 12)
    assert run_until(ctx, client, clock, slack_stub, utc(2026, 4, 6, 7)) == []  # Bob: off


def test_no_reminder_for_a_person_slack_does_not_know(ctx, client, clock, slack_stub, platform):
    slack_stub.users.pop("U1")
    slack_stub.expect_refusal("channel_not_found")  # a DM to an unknown user
    clock.now = utc(2026, 3, 29, 16)
    sent = notify_round(ctx, client)
    assert sent.reminders == 0 and sent.failed == 1
    with session_scope(ctx.engine) as session:
        (row,) = session.exec(select(ReminderSent)).all()
    assert row.error  # recorded, and not retried
    assert notify_round(ctx, client).failed == 0
