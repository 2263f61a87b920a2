"""Every swap Block Kit builder, validated with slack-sdk's models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.swaps import Choice, Ready, Refused, SwapInfo, SwapQuery
from bot.services.swaps.select import Party, Proposal, ShiftRef
from bot.views import swap as views
from tests.slack.blockkit import assert_message, assert_view

T = datetime(2026, 12, 7, 9, tzinfo=UTC)
A, B = Party(1, "U1", "Alice"), Party(2, "U2", "Bob")
SA = ShiftRef(10, "primary", T, T + timedelta(days=7), 1, 1)
SB = ShiftRef(11, "secondary", T + timedelta(days=7), T + timedelta(days=7, hours=12), 2, 3)
P = Proposal("swap", 5, "Platform primary", "Europe/Berlin", A, B, (SA,), (SB,))
INFO = SwapInfo(7, "T1", "swap", "executed", 5, "Platform primary", "Europe/Berlin", "C1", "U1", A, B, (SA,), (SB,),
                ("U2",), ("U2",), T, note="Forced by <@UMGR>: <@U2> is on time off", undone_by="U1")


def test_messages_are_valid_and_name_exact_times():
    for msg in (views.preview_message(Ready(P, False, ("U2",), ("careful",))), views.preview_message(Ready(P, True, ())),
                views.refused_message(Refused(("no",), True, P)), views.refused_message(Refused(("no",))),
                views.consent_message(INFO), views.request_sent_message(INFO), views.channel_message(INFO, "done"),
                views.decided_message(INFO, "declined"), views.executed_message(INFO, ["PagerDuty · X: updated 2"]),
                views.undone_message(INFO, []), views.moved_dm(INFO, "U1"), views.moved_dm(INFO, "U2", undone=True)):
        assert_message(msg)
    text = str(views.preview_message(Ready(P, False, ("U2",)))["blocks"])
    assert "Mon 7 Dec 10:00 → Mon 14 Dec 10:00 (7 days)" in text
    assert "Mon 14 Dec 10:00 → Mon 14 Dec 22:00 (12 h) secondary" in text and "CET" in text


def test_moved_dm_lists_lost_and_got():
    alice = str(views.moved_dm(INFO, "U1")["blocks"])
    assert alice.index("No longer yours") < alice.index("Mon 7 Dec") < alice.index("Now yours") < alice.index("22:00")


def test_force_button_only_when_forceable():
    forced = views.refused_message(Refused(("time off",), True, P))
    assert "swap_force" in str(forced) and '"f":1' in str(forced)
    assert "swap_force" not in str(views.refused_message(Refused(("time off",), False, P)))


def test_pickers_are_valid_with_preselection():
    q = SwapQuery("T1", "swap", "U1", "U1", "U2")
    choice = Choice(q, "pick", schedule_id=5, schedule_name="Platform primary", time_zone="Europe/Berlin", a=A, b=B,
                    options_a=(SA,), options_b=(SB,), selected_a=(10,))
    view = views.shift_picker(choice, "{}")
    assert_view(view)
    assert view["blocks"][2]["element"]["initial_options"][0]["value"] == "10"
    assert "initial_options" not in view["blocks"][3]["element"]
    assert_view(views.schedule_picker(Choice(q, "several", schedules=((5, "A"), (6, "B"))), "{}"))
