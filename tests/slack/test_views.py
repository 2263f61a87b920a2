"""Every Block Kit builder, validated with slack-sdk's models."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.ids import BlockId, ButtonId, FormBlock
from bot.providers import ProviderKind, Region, RemoteRotation, RemoteSchedule, RemoteUser, WriteCheck
from bot.services.connect import Connected, ConnectForm
from bot.services.connections import ConnectionInfo
from bot.services.edit import EditData
from bot.services.errors import Field, FieldError
from bot.services.link import LinkResult, Target, Unmapped
from bot.services.schedules import ConnectionRef, ProviderSchedules
from bot.services.status import DestinationLine, MemberLine, ScheduleStatus, ShiftLine
from bot.services.who import OnCall, WhoAnswer
from bot.views.common import error_message, loading_modal, notice_modal
from bot.views.connect import checking_modal, connect_modal, connected_message, connected_modal
from bot.views.connections import connections_message
from bot.views.edit import edit_modal
from bot.views.help import help_message
from bot.views.home import HomeModel, home_view
from bot.views.link import link_modal, linked_message
from bot.views.schedules import schedules_message
from bot.views.status import status_message, status_modal
from bot.views.unlink import unlink_modal
from bot.views.who import who_message
from tests.slack.blockkit import assert_message, assert_view

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
USERS = (RemoteUser("PU1", "a@example.com", "Alice"), RemoteUser("PU2", "b@example.com", "Bob"))
ROT = RemoteRotation("L1", "Layer 1", T0, 604800, USERS, kind="weekly")
REMOTE = RemoteSchedule("P1", "Platform primary", "Europe/Berlin", (ROT,))
CONN = ConnectionRef(1, "Acme PD", "pagerduty", True)
RO_CONN = ConnectionRef(2, "Read only", "opsgenie", False)
GROUP = ProviderSchedules(CONN, (REMOTE, RemoteSchedule("P2", "Secondary", "UTC")), {"P2": "Secondary"})
SHIFT = ShiftLine("Platform primary", "primary", T0, T0 + timedelta(days=7), "Alice", "U1")
DEST = DestinationLine("PagerDuty", "Platform primary", "Acme PD", "error", T0, T0, "PagerDuty said no (403)")
STATUS = ScheduleStatus(1, "Platform primary", "PagerDuty · Acme PD", "Europe/Berlin", "Layer 1: weekly, 2 people",
                        30, "C1", (MemberLine("Alice", "a@example.com", "U1"), MemberLine("Zed", "z@x", None)),
                        (SHIFT,), (DEST,))


def test_help():
    msg = help_message([("help", "This list"), ("status [schedule]", "Status")], unknown="frobnicate")
    assert_message(msg)
    assert "frobnicate" in str(msg["blocks"])


def test_common():
    assert_message(error_message("Missing the schedule name.", "unlink <schedule>"))
    assert_view(notice_modal("Not allowed", "Only admins"))
    assert_view(loading_modal("A very long title that must be clipped"))


def test_connect_modal_has_no_key_value_and_keeps_block_ids():
    view = connect_modal('{"c":"C1"}')
    assert_view(view)
    key_block = next(b for b in view["blocks"] if b["block_id"] == BlockId.CONNECT_API_KEY)
    assert "initial_value" not in key_block["element"]


def test_connected_message_lists_schedules_with_link_buttons():
    for can_write in (True, False, None):
        result = Connected(1, "Acme PD", ProviderKind.PAGERDUTY, "…cdef", [REMOTE], WriteCheck(can_write))
        msg = connected_message(result)
        assert_message(msg)
        assert_view(connected_modal(result))
    assert '"1:P1"' in str(msg).replace("'", '"')
    assert "read-only" in str(connected_message(Connected(1, "A", ProviderKind.OPSGENIE, "…x", [], WriteCheck(False))))


def test_connected_modal_has_one_link_button_preset_to_a_single_schedule():
    two = Connected(1, "Acme PD", ProviderKind.PAGERDUTY, "…cdef", [REMOTE, RemoteSchedule("P2", "Other", "UTC")])
    for result, value in ((two, "1:"), (replace(two, schedules=[REMOTE]), "1:P1")):
        view = connected_modal(result)
        assert_view(view)
        links = [el for b in view["blocks"] for el in [b.get("accessory") or {}, *b.get("elements", [])]
                 if el.get("action_id") == ButtonId.LINK]
        assert [el["value"] for el in links] == [value]
    assert "Other" in str(connected_modal(two))


def test_connect_modal_again_keeps_values_but_the_key_and_shows_the_reason():
    form = ConnectForm(ProviderKind.OPSGENIE, Region.EU, "Acme OG", "secret-key-1234")
    view = connect_modal("{}", form, FieldError(Field.REGION, "Opsgenie has no schedule list (404)."))
    assert_view(view)
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks[BlockId.CONNECT_PROVIDER]["element"]["initial_option"]["value"] == "opsgenie"
    assert blocks[BlockId.CONNECT_REGION]["element"]["initial_option"]["value"] == "eu"
    assert "(404)" in blocks[BlockId.CONNECT_REGION]["hint"]["text"]
    assert blocks[BlockId.CONNECT_NAME]["element"]["initial_value"] == "Acme OG"
    assert "initial_value" not in blocks[BlockId.CONNECT_API_KEY]["element"]
    assert blocks[BlockId.CONNECT_API_KEY]["hint"]["text"] == "Enter the key again."
    assert "secret-key-1234" not in str(view)
    assert_view(checking_modal(ProviderKind.OPSGENIE))
    assert "submit" not in checking_modal(ProviderKind.OPSGENIE)


def test_connections_message():
    items = [ConnectionInfo(1, "Acme PD", "pagerduty", "us", "…cdef", True, ("Platform (linked from it)",)),
             ConnectionInfo(2, "OG", "opsgenie", "eu", "…9999", False, ())]
    msg = connections_message(items, note="Removed X")
    assert_message(msg)
    assert str(msg).count(ButtonId.REMOVE_CONNECTION) == 2
    assert_message(connections_message([]))


def test_schedules_message_many_and_errors():
    many = tuple(RemoteSchedule(f"P{i}", f"S{i}", "UTC") for i in range(60))
    msg = schedules_message([ProviderSchedules(CONN, many, {}),
                             ProviderSchedules(RO_CONN, error="Opsgenie rejected the API key (401)"),
                             GROUP])
    assert_message(msg)
    assert "linked as" in str(msg)


def test_link_modal_states():
    assert_view(link_modal([CONN, RO_CONN], None, loading=True, connection_id=1))
    assert_view(link_modal([CONN, RO_CONN], None))
    assert_view(link_modal([CONN], ProviderSchedules(CONN, error="boom")))
    full = link_modal([CONN, RO_CONN], GROUP, all_groups=[GROUP, ProviderSchedules(RO_CONN, (REMOTE,))],
                      selected_schedule="P1", channel_id="C1", private_metadata="{}")
    assert_view(full)
    ids = [b.get("block_id") for b in full["blocks"]]
    assert FormBlock.LINK_SCHEDULE in ids and FormBlock.LINK_DESTINATIONS in ids
    sched = full["blocks"][ids.index(FormBlock.LINK_SCHEDULE)]["element"]
    assert [o["value"] for o in sched["options"]] == ["P1"]  # P2 is linked already
    dests = full["blocks"][ids.index(FormBlock.LINK_DESTINATIONS)]["element"]["option_groups"]
    assert len(dests) == 1  # read-only accounts are not offered as destinations
    assert_view(link_modal([RO_CONN], ProviderSchedules(RO_CONN, (REMOTE,), {})))


def test_linked_message():
    result = LinkResult(3, "Platform primary", (("Alice", "U1"),),
                        (Unmapped("Carol", "carol@example.com", "no Slack account uses this email"),),
                        ("Platform primary (Acme PD)",), False, 2, None, None)
    msg = linked_message(result)
    assert_message(msg)
    assert "carol@example.com" in str(msg) and "/oncall edit Platform primary" in str(msg)
    assert "No shifts assigned yet" in str(msg)


def test_status_views():
    assert_message(status_message([STATUS]))
    assert_message(status_message([STATUS, STATUS]))
    assert_message(status_message([]))
    empty = ScheduleStatus(2, "Empty", "x", "UTC", "no rotation", 30, None, (), (), ())
    msg = status_message([empty])
    assert "No shifts assigned yet" in str(msg)
    assert_view(status_modal(STATUS))


def test_who_message():
    answer = WhoAnswer("channel", (OnCall("Platform primary", "primary", SHIFT, None),), ("Platform primary", "Other"))
    msg = who_message(answer)
    assert_message(msg)
    assert "No shifts assigned yet" in str(msg)
    assert_message(who_message(WhoAnswer("workspace", (), ())))


def test_home_view():
    for admin in (True, False):
        view = home_view(HomeModel("U1", admin, (SHIFT,), (STATUS,) * 25, 1))
        assert_view(view)
    assert_view(home_view(HomeModel("U1", True, (), (), 0)))


def test_edit_and_unlink_modals():
    data = EditData(1, "Platform primary", 30, "C1", ("U1", "U2"), ("Zed",),
                    (Target(1, "P1", "Platform primary"), Target(9, "GONE", "Old")))
    view = edit_modal(data, [GROUP])
    assert_view(view)
    assert "(account unavailable)" in str(view)
    assert_view(edit_modal(data, []))
    assert_view(unlink_modal("Platform primary", '{"s":1}'))


def test_destination_list_names_read_only_accounts_and_marks_unknown_write_access():
    unknown = ConnectionRef(3, "New OG", "opsgenie", None)
    groups = [GROUP, ProviderSchedules(RO_CONN, (REMOTE,)), ProviderSchedules(unknown, (REMOTE,))]
    full = link_modal([CONN, RO_CONN, unknown], GROUP, all_groups=groups, private_metadata="{}")
    assert_view(full)
    dest = next(b for b in full["blocks"] if b.get("block_id") == FormBlock.LINK_DESTINATIONS)
    labels = [g["label"]["text"] for g in dest["element"]["option_groups"]]
    assert labels == ["PagerDuty · Acme PD", "Opsgenie · New OG (write access unknown)"]
    assert not any(o["value"].startswith("2:") for g in dest["element"]["option_groups"] for o in g["options"])
    assert "Read-only accounts are not listed: Read only." in dest["hint"]["text"]


def test_edit_modal_keeps_a_current_read_only_destination_removable_but_offers_no_new_one():
    data = EditData(1, "Platform", 30, "C1", ("U1",), (), (Target(1, "P1", "Platform primary"),
                                                          Target(2, "P1", "Platform (OG)")))
    view = edit_modal(data, [GROUP, ProviderSchedules(RO_CONN, (REMOTE, RemoteSchedule("P9", "Other", "UTC")))])
    assert_view(view)
    dest = next(b for b in view["blocks"] if b.get("block_id") == FormBlock.EDIT_DESTINATIONS)["element"]
    values = [o["value"] for g in dest["option_groups"] for o in g["options"]]
    assert "2:P9" not in values  # never offered
    current = next(g for g in dest["option_groups"] if g["label"]["text"] == "Current")
    assert [o["text"]["text"] for o in current["options"]] == ["Platform (OG) (read-only key)"]
    assert "2:P1" in [o["value"] for o in dest["initial_options"]]


def test_connections_message_says_write_access():
    items = [ConnectionInfo(1, "A", "pagerduty", "us", "…1", True, ()),
             ConnectionInfo(2, "B", "opsgenie", "us", "…2", False, ()),
             ConnectionInfo(3, "C", "opsgenie", "eu", "…3", None, ())]
    text = str(connections_message(items))
    assert "read-write" in text and "read-only: never exported to" in text
    assert "write access unknown: checked before the first export" in text


def test_big_accounts_keep_current_and_chosen_schedules_in_the_100_options():
    """Slack lists at most 100 options: a current destination or the schedule a Link button chose that
    comes later in a big account's list is still offered (and preselected), and the modal says more exist."""
    many = tuple(RemoteSchedule(f"P{i}", f"S{i}", "UTC") for i in range(150))
    big = ProviderSchedules(CONN, many, {})
    data = EditData(1, "Platform primary", 30, "C1", ("U1",), (), (Target(1, "P120", "S120"),))
    view = edit_modal(data, [big])
    assert_view(view)
    dest = next(b for b in view["blocks"] if b.get("block_id") == FormBlock.EDIT_DESTINATIONS)
    assert [o["value"] for o in dest["element"]["initial_options"]] == ["1:P120"]
    assert "150" in dest["hint"]["text"]
    modal = link_modal([CONN], big, all_groups=[big], selected_schedule="P130")
    assert_view(modal)
    sched = next(b for b in modal["blocks"] if b.get("block_id") == FormBlock.LINK_SCHEDULE)
    assert sched["element"]["initial_option"]["value"] == "P130" and "150" in sched["hint"]["text"]
