"""Pure builders of /oncall away messages and DMs, validated with slack-sdk models; the re-export seam."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.notify import sync as resync
from bot.services.timeoff import AwayResult, Entry, Holder, MovedShift, OpenShift, ReplacementOutcome
from bot.views.away import (
    away_confirmation,
    away_list_message,
    cancel_message,
    dm_to_new_holder,
    dm_to_old_holder,
    span,
    uncovered_channel_message,
)
from tests.slack.blockkit import assert_message

START = datetime(2026, 12, 24, 8, tzinfo=UTC)
BOB, CAROL = Holder("Bob Brown", "U2"), Holder("Carol Chen", "U3")
MOVED = MovedShift(7, 1, "Platform", "Europe/Berlin", "primary", START, START + timedelta(days=1), BOB, CAROL)
OPEN = OpenShift(8, 1, "Platform", "Europe/Berlin", "C1", "secondary", START, START + timedelta(days=1), BOB)
ENTRY = Entry(3, "U2", datetime(2026, 12, 23, 23, tzinfo=UTC), datetime(2026, 12, 31, 23, tzinfo=UTC), "ski", "manual",
              "U2")


def test_span_is_in_the_schedules_zone():
    assert span(START, START + timedelta(days=1), "Europe/Berlin") == "Thu 24 Dec 09:00 – Fri 25 Dec 09:00 (Europe/Berlin)"


def test_confirmation_lists_moved_and_uncovered_shifts():
    msg = away_confirmation(AwayResult(ENTRY, ReplacementOutcome((MOVED,), (OPEN,), ("Platform",))), "Europe/Berlin",
                            actor="U2")
    assert_message(msg)
    text = json.dumps(msg, ensure_ascii=False)
    assert "You are away Thu 24 Dec – Thu 31 Dec 2026 (Europe/Berlin) — ski" in text
    assert "<@U3> now (was <@U2>)" in text and "Nobody else is free" in text and "(secondary)" in text
    quiet = away_confirmation(AwayResult(ENTRY, ReplacementOutcome(schedules=("Platform",))), "Europe/Berlin",
                              actor="U9")
    assert "<@U2> is away" in json.dumps(quiet) and "No assigned shift clashes (checked Platform)" in json.dumps(quiet)


def test_dms_list_and_cancel_validate():
    for msg in (dm_to_old_holder([MOVED]), dm_to_new_holder([MOVED]), uncovered_channel_message([OPEN]),
                away_list_message([ENTRY], "Europe/Berlin", whose="Your"), cancel_message(ENTRY, "Europe/Berlin"),
                away_list_message([], "UTC", whose="You have")):
        assert_message(msg)
    assert "Thu 24 Dec 09:00" in dm_to_new_holder([MOVED])["text"] and "(was <@U2>)" in dm_to_new_holder([MOVED])["text"]
    assert "→ <@U3>" in dm_to_old_holder([MOVED])["text"]
    assert "stay with them" in cancel_message(ENTRY, "UTC")["text"]


def test_sync_now_exports_only_the_changed_shifts(monkeypatch):
    calls = []
    monkeypatch.setattr(resync, "sync_and_notify", lambda ctx, sid, **kw: calls.append((sid, kw)))
    launched = []
    monkeypatch.setattr(resync, "launch", launched.append)
    resync.after_change(None, None, {})
    assert launched == []
    resync.after_change(None, "client", {1: [7, 9]})
    launched[0]()
    assert calls == [(1, {"client": "client", "only_shift_ids": [7, 9], "wait": 30})]
