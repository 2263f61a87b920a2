"""Every Block Kit builder in bot/views/ through Slack's rules (tests/slack/rules.py), with a representative
input and a worst case: names of 300 characters with markup in them, 150 schedules, members, shifts, options,
time-off entries and plan lines. A builder added later without a case here fails `test_every_builder_has_a_case`."""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

import bot.views
from bot.notify.handover import handover_message
from bot.notify.reminders import reminder_dm
from bot.providers import ProviderKind, RemoteRotation, RemoteSchedule, RemoteUser
from bot.providers.base import WriteCheck
from bot.services.connect import Connected
from bot.services.connections import ConnectionInfo
from bot.services.edit import EditData
from bot.services.fairness import FairnessData, FairnessLine
from bot.services.handover import Handover, RoleLine
from bot.services.history import HistoryEntry, HistoryPage
from bot.services.link import LinkResult, Target, Unmapped
from bot.services.reminder_times import Slot
from bot.services.reminders import Reminder
from bot.services.schedules import ConnectionRef, ProviderSchedules
from bot.services.status import DestinationLine, MemberLine, ScheduleStatus, ShiftLine
from bot.services.swaps import Choice, Ready, Refused, SwapInfo, SwapQuery
from bot.services.swaps.select import Party, Proposal, ShiftRef
from bot.services.timeoff import AwayResult, Entry, Holder, MovedShift, OpenShift, ReplacementOutcome
from bot.services.who import OnCall, WhoAnswer
from bot.sync.model import PlanLine
from bot.sync.report import DestinationReport, SyncReport
from bot.views import (
    away,
    common,
    connect,
    connections,
    drift,
    edit,
    fairness,
    help,
    history,
    home,
    link,
    remind,
    schedules,
    status,
    swap,
    sync,
    unlink,
    who,
)
from bot.views import group as group_view
from tests.slack import rules

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
N = 150  # more than any Slack list limit (100 options, 100 blocks)
LONG = ("Ünïcødé *bold* _it_ `code` <@U1> & <#C1> > quote " * 8)[:300]
ZONE = "America/Argentina/ComodRivadavia"


def names(n: int, long: bool) -> list[str]:
    return [(LONG if long else "Person") + f" {i}" for i in range(n)]


# ---------------------------------------------------------------- inputs, small and worst


def users(long: bool, n: int = 3) -> tuple[RemoteUser, ...]:
    return tuple(RemoteUser(f"PU{i}", f"p{i}@example.com", nm) for i, nm in enumerate(names(n, long)))


def remote(i: int, long: bool, members: int = 3) -> RemoteSchedule:
    rot = RemoteRotation(f"L{i}", LONG if long else "Layer 1", T0, 604800, users(long, members), kind="weekly")
    return RemoteSchedule(f"P{i:0>40}" if long else f"P{i}", (LONG if long else "Platform") + f" {i}", ZONE, (rot,))


def conn(i: int, long: bool, can_write: bool | None = True) -> ConnectionRef:
    return ConnectionRef(i, ("C" * 60 if long else "Acme") + f"{i}"[:60], "pagerduty", can_write)


def group(i: int, long: bool, count: int, can_write: bool | None = True) -> ProviderSchedules:
    scheds = tuple(remote(j, long, members=N if long else 3) for j in range(count))
    linked = {scheds[0].id: LONG} if long and scheds else {}
    return ProviderSchedules(conn(i, long, can_write), scheds, linked)


def shift_line(i: int, long: bool) -> ShiftLine:
    start = T0 + timedelta(days=i)
    return ShiftLine(LONG if long else "Platform", "secondary" if i % 2 else "primary", start,
                     start + timedelta(days=1), LONG if long else "Alice", None if i % 3 == 0 else f"U{i}")


def dest_line(i: int, long: bool) -> DestinationLine:
    return DestinationLine("PagerDuty", LONG if long else "Platform", "C" * 60 if long else "Acme", "error", T0, T0,
                           LONG * 5 if long else "PagerDuty said no (403)", "secondary" if i % 2 else "primary")


def status_of(i: int, long: bool) -> ScheduleStatus:
    n = N if long else 2
    members = tuple(MemberLine(nm, f"{i}@example.com", f"U{i}" if i % 2 else None) for i, nm in enumerate(names(n, long)))
    return ScheduleStatus(i, (LONG if long else "Platform") + f" {i}", "PagerDuty · Acme", ZONE,
                          LONG * 3 if long else "weekly", 365, "C1", members,
                          tuple(shift_line(j, long) for j in range(n)), tuple(dest_line(j, long) for j in range(n)),
                          usergroup=("error: " + LONG * 20) if long else "ok: @platform-oncall is <@U1>")


def party(i: int, long: bool) -> Party:
    return Party(i, f"U{i}", LONG if long else "Alice")


def shift_ref(i: int) -> ShiftRef:
    start = T0 + timedelta(days=i)
    return ShiftRef(1000 + i, "primary", start, start + timedelta(hours=12), 1, 1)


def proposal(long: bool) -> Proposal:
    n = N if long else 1
    return Proposal("swap", 5, LONG if long else "Platform", ZONE, party(1, long), party(2, long),
                    tuple(shift_ref(i) for i in range(n)), tuple(shift_ref(n + i) for i in range(n)))


def swap_info(long: bool) -> SwapInfo:
    p = proposal(long)
    note = "\n".join(LONG for _ in range(60)) if long else "Forced by <@UMGR>"
    return SwapInfo(7, "T1", "swap", "executed", 5, p.schedule_name, ZONE, "C1", "U1", p.a, p.b, p.give_a, p.give_b,
                    ("U2",), ("U2",), T0, note=note, undone_by="U1")


def choice(long: bool) -> Choice:
    n = N if long else 2
    q = SwapQuery("T1", "swap", "U1", "U1", "U2")
    return Choice(q, LONG if long else "pick", schedule_id=5, schedule_name=LONG if long else "Platform",
                  time_zone=ZONE, a=party(1, long), b=party(2, long),
                  options_a=tuple(shift_ref(i) for i in range(n)), options_b=tuple(shift_ref(n + i) for i in range(n)),
                  selected_a=tuple(1000 + i for i in range(n)), schedules=())


def schedule_choice(long: bool) -> Choice:
    q = SwapQuery("T1", "swap", "U1", "U1", "U2")
    return Choice(q, LONG if long else "several", schedules=tuple((i, nm) for i, nm in enumerate(names(N if long else 2,
                                                                                                       long))))


def holder(i: int, long: bool) -> Holder:
    return Holder(LONG if long else "Bob", f"U{i}" if i % 2 else None)


def moved(n: int, long: bool) -> tuple[MovedShift, ...]:
    return tuple(MovedShift(i, 1, LONG if long else "Platform", ZONE, "secondary", T0 + timedelta(days=i),
                            T0 + timedelta(days=i + 1), holder(i, long), holder(i + 1, long)) for i in range(n))


def open_shifts(n: int, long: bool) -> tuple[OpenShift, ...]:
    return tuple(OpenShift(i, 1, LONG if long else "Platform", ZONE, "C1", "primary", T0 + timedelta(days=i),
                           T0 + timedelta(days=i + 1), holder(i, long)) for i in range(n))


def entries(n: int, long: bool) -> tuple[Entry, ...]:
    return tuple(Entry(i, "U2", T0 + timedelta(days=i), T0 + timedelta(days=i + 2), LONG if long else "ski",
                       "calendar" if i % 2 else "manual", "U2") for i in range(n))


def fairness_data(long: bool) -> FairnessData:
    n = N if long else 3
    lines = tuple(FairnessLine(nm, None, 100.0 + i, 10.0, 1, 0, 0.01, 0.01, -3.0) for i, nm in enumerate(names(n, long)))
    return FairnessData(LONG if long else "Platform", ZONE, T0 - timedelta(days=90), T0, T0, LONG if long else "90d",
                        lines, 87, LONG * 3 if long else "Quality 87/100")


def dest_report(i: int, long: bool) -> DestinationReport:
    n = N if long else 2
    lines = tuple(PlanLine("create" if j % 2 else "delete", f"PU{j}", T0 + timedelta(days=j),
                           T0 + timedelta(days=j + 1), LONG if long else "first export", None) for j in range(n))
    return DestinationReport(i, (LONG if long else "Platform") + " (PagerDuty · Acme)", 2, 1, 0, 3, T0, "error",
                             LONG * 4 if long else "boom", 3, lines, {f"PU{j}": LONG for j in range(n)} if long else {})


def sync_reports(long: bool, dry_run: bool) -> list[SyncReport]:
    n = N if long else 2
    return [SyncReport(i, (LONG if long else "Platform") + f" {i}", ZONE,  # 150 schedules of 3 destinations
                       tuple(dest_report(j, long) for j in range(3 if long else 1)), dry_run=dry_run,
                       assigned=4, assign_error=LONG if long else None) for i in range(n)]


def drift_model(long: bool, state: str) -> drift.DriftAlertModel:
    n = N if long else 1
    lines = tuple(drift.DriftLine(T0 + timedelta(days=i), T0 + timedelta(days=i + 1), LONG if long else "<@U1>",
                                  tuple(names(20, long)) if long else ("<@U2>",), ("hand_override", "rotation"))
                  for i in range(n))
    return drift.DriftAlertModel(7, LONG if long else "Platform", ZONE, LONG if long else "Platform (PD)", lines, state,
                                 "U1")


def edit_data(long: bool) -> EditData:
    n = N if long else 2
    current = tuple(Target(1, f"P{i:0>40}" if long else f"P{i}", LONG if long else "Platform") for i in range(n))
    gone = tuple(Target(9, f"GONE{i}", LONG if long else "Old") for i in range(n))
    return EditData(1, LONG if long else "Platform", 30, "C1", tuple(f"U{i}" for i in range(n)),
                    tuple(names(n, long)), current + gone, ("primary",), current[:1] + gone[:1],
                    handover_messages=not long, usergroup_handle="platform-oncall",
                    usergroup_status=("warning: " + LONG * 20) if long else "ok: @platform-oncall is <@U1>")


def home_model(long: bool, admin: bool = True) -> home.HomeModel:
    n = N if long else 1
    return home.HomeModel("U1", admin, tuple(shift_line(i, long) for i in range(n)),
                          tuple(status_of(i, long) for i in range(n)), n, entries(n, long))


def link_result(long: bool) -> LinkResult:
    n = N if long else 1
    return LinkResult(3, LONG if long else "Platform", tuple((nm, f"U{i}") for i, nm in enumerate(names(n, long))),
                      tuple(Unmapped(nm, f"{i}@example.com", LONG if long else "no Slack account")
                            for i, nm in enumerate(names(n, long))),
                      tuple(names(n, long)), True, 2, LONG if long else None, 5)


def connection_infos(long: bool) -> list[ConnectionInfo]:
    n = N if long else 2
    return [ConnectionInfo(i, ("C" * 60) if long else "Acme", "opsgenie", "eu", "…cdef", [True, False, None][i % 3],
                           tuple(names(n, long))) for i in range(n)]


# ---------------------------------------------------------------- the cases


def connected(long: bool, n: int, write: WriteCheck | None = None) -> Connected:
    return Connected(1, "C" * 60 if long else "Acme", ProviderKind.PAGERDUTY, "…cdef",
                     [remote(i, long) for i in range(n)], write or WriteCheck(True))


@functools.cache
def history_page(long: bool, page: int = 1) -> HistoryPage:
    entries = tuple(HistoryEntry(T0 - timedelta(hours=5 * i), f"U{i}" if i % 3 else "",
                                 (LONG * 10 if long else "edited the schedule") + f" {i}",
                                 (LONG if long else "Platform") if i % 2 else None) for i in range(15))
    return HistoryPage(3, LONG if long else "Platform", 30, page, 100, entries)


def cases(long: bool) -> dict[str, Callable[[], dict]]:
    n = N if long else 2
    groups = [group(i, long, n, can_write=i != 1) for i in range(3)]
    conns = [g.connection for g in groups] + [conn(10 + i, long) for i in range(n)]
    return {
        "help_message": lambda: help.help_message([(f"cmd{i} {LONG if long else ''}", LONG if long else "x")
                                                   for i in range(n)], unknown=LONG if long else None),
        "error_message": lambda: common.error_message(LONG * 20 if long else "Missing name.", LONG if long else "x"),
        "message": lambda: common.message(LONG * 20 if long else "hi", [common.section(LONG)] * (60 if long else 1)),
        "notice_modal": lambda: common.notice_modal(LONG if long else "Not allowed", LONG * 20 if long else "no"),
        "loading_modal": lambda: common.loading_modal(LONG if long else "Loading"),
        "connect_modal": lambda: connect.connect_modal('{"c":"C1"}' * (300 if long else 1)),
        "connected_message": lambda: connect.connected_message(connected(long, n)),
        "connected_modal": lambda: connect.connected_modal(connected(long, n)),
        "connected_modal (one schedule, read-only)": lambda: connect.connected_modal(
            connected(long, 1, WriteCheck(False, LONG * 10 if long else ""))),
        "checking_modal": lambda: connect.checking_modal(ProviderKind.OPSGENIE),
        "connections_message": lambda: connections.connections_message(connection_infos(long),
                                                                        note=LONG * 20 if long else None),
        "schedules_message": lambda: schedules.schedules_message(groups + [ProviderSchedules(conn(5, long),
                                                                                             error=LONG * 20)]),
        "link_modal": lambda: link.link_modal(conns, groups[0], all_groups=groups, selected_schedule=groups[0]
                                              .schedules[-1].id, channel_id="C1", private_metadata="x" * 3500),
        "link_modal (read-only account)": lambda: link.link_modal(conns, groups[1], all_groups=groups),
        "link_modal (loading)": lambda: link.link_modal(conns, None, loading=True, connection_id=conns[-1].id),
        "link_modal (pick an account)": lambda: link.link_modal(conns, None),
        "link_modal (error)": lambda: link.link_modal(conns, ProviderSchedules(conns[0], error=LONG * 20)),
        "linked_message": lambda: link.linked_message(link_result(long)),
        "status_message": lambda: status.status_message([status_of(i, long) for i in range(n)]),
        "status_message (one)": lambda: status.status_message([status_of(1, long)]),
        "status_modal": lambda: status.status_modal(status_of(1, long)),
        "who_message": lambda: who.who_message(WhoAnswer(
            "workspace", tuple(OnCall(LONG if long else "P", "secondary", shift_line(i, long), shift_line(i + 1, long))
                               for i in range(n)), tuple(names(n * 2, long)))),
        "home_view": lambda: home.home_view(home_model(long)),
        "home_view (not admin)": lambda: home.home_view(home_model(long, admin=False)),
        "edit_modal": lambda: edit.edit_modal(edit_data(long), groups, private_metadata="x" * 3500),
        "unlink_modal": lambda: unlink.unlink_modal(LONG if long else "Platform", '{"s":1}'),
        "fairness_message": lambda: fairness.fairness_message([fairness_data(long)] * (3 if long else 1)),
        "fairness_message (two schedules)": lambda: fairness.fairness_message([fairness_data(long)] * 2),
        "sync_message": lambda: sync.sync_message(sync_reports(long, dry_run=False)),
        "sync_message (dry run)": lambda: sync.sync_message(sync_reports(long, dry_run=True)),
        "syncing_message": lambda: sync.syncing_message(names(n, long), dry_run=long),
        "drift_alert_message": lambda: drift.drift_alert_message(drift_model(long, "open")),
        "drift_alert_message (kept)": lambda: drift.drift_alert_message(drift_model(long, "kept")),
        "outage_message": lambda: drift.outage_message(LONG if long else "P", LONG if long else "D", T0,
                                                       LONG * 20 if long else "503"),
        "recovered_message": lambda: drift.recovered_message(LONG if long else "P", LONG if long else "D"),
        "away_confirmation": lambda: away.away_confirmation(
            AwayResult(entries(1, long)[0], ReplacementOutcome(moved(n, long), open_shifts(n, long), tuple(names(n, long)))),
            ZONE, actor="U1"),
        "away_list_message": lambda: away.away_list_message(entries(n, long), ZONE, whose="Your"),
        "cancel_message": lambda: away.cancel_message(entries(1, long)[0], ZONE),
        "dm_to_old_holder": lambda: away.dm_to_old_holder(moved(n, long), LONG if long else "time off"),
        "dm_to_new_holder": lambda: away.dm_to_new_holder(moved(n, long), LONG if long else "time off"),
        "uncovered_channel_message": lambda: away.uncovered_channel_message(open_shifts(n, long)),
        "preview_message": lambda: swap.preview_message(Ready(proposal(long), False, ("U2",) * n,
                                                              tuple(names(n, long)))),
        "preview_message (direct)": lambda: swap.preview_message(Ready(proposal(long), True, ())),
        "refused_message": lambda: swap.refused_message(Refused(tuple(names(n, long)), True, proposal(long))),
        "consent_message": lambda: swap.consent_message(swap_info(long)),
        "request_sent_message": lambda: swap.request_sent_message(swap_info(long)),
        "channel_message": lambda: swap.channel_message(swap_info(long), LONG if long else "done"),
        "decided_message": lambda: swap.decided_message(swap_info(long), LONG * 20 if long else "declined"),
        "executed_message": lambda: swap.executed_message(swap_info(long), names(n, long)),
        "undone_message": lambda: swap.undone_message(swap_info(long), names(n, long)),
        "moved_dm": lambda: swap.moved_dm(swap_info(long), "U1", undone=long),
        "schedule_picker": lambda: swap.schedule_picker(schedule_choice(long), "x" * (3500 if long else 2)),
        "shift_picker": lambda: swap.shift_picker(choice(long), "{}"),
        # issue 14: reminders and handover messages (the notify builders too)
        "settings_message": lambda: remind.settings_message(("1d", "1h") if long else (), changed=long),
        "pick_modal": lambda: remind.pick_modal("cover" if long else "swap", LONG if long else "P",
                                                "x" * (3500 if long else 2)),
        "reminder_dm": lambda: reminder_dm(reminder(long)),
        "handover_message": lambda: handover_message(handover(n, long)),
        "history_message": lambda: history.history_message(history_page(long), ZONE),
        "history_message (empty)": lambda: history.history_message(HistoryPage(None, None, 7, 0, 0, ()), ZONE),
        "group_reply": lambda: group_view.group_reply(("error: " + LONG * 20) if long else "ok: @x is <@U1>"),
    }


def slot(i: int, long: bool, member: bool = True) -> Slot:
    return Slot(i, 1, "secondary", T0 + timedelta(days=i), T0 + timedelta(days=i + 1), i if member else None,
                None if long else f"U{i}", LONG if long else "Person")


def reminder(long: bool) -> Reminder:
    return Reminder("T1", slot(1, long), "1d", T0, ZONE if long else "UTC", LONG if long else "Platform", 2,
                    slot(0, long), slot(2, long, member=not long))


def handover(n: int, long: bool) -> Handover:
    lines = tuple(RoleLine(f"role{i}" if long else "primary", slot(i, long), slot(i + 1, long),
                           tuple(names(n, long)) if long else ()) for i in range(n if long else 1))
    return Handover("T1", 1, LONG if long else "Platform", "C1", T0, lines)


def check(payload: dict) -> list[str]:
    if payload.get("type") == "modal":
        return rules.violations("views.open", {"trigger_id": "1.2.3", "view": payload})
    if payload.get("type") == "home":
        return rules.violations("views.publish", {"user_id": "U1", "view": payload})
    return rules.violations("chat.postMessage", {"channel": "C1", **payload})


@pytest.mark.parametrize("name", list(cases(False)))
@pytest.mark.parametrize("long", [False, True], ids=["representative", "worst"])
def test_builder_obeys_slacks_rules(name, long):
    payload = cases(long)[name]()
    assert check(payload) == []


def button_values(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["value"]] if node.get("type") == "button" and "value" in node else []
        return found + [v for child in node.values() for v in button_values(child)]
    if isinstance(node, list):
        return [v for child in node for v in button_values(child)]
    return []


@pytest.mark.parametrize("name", list(cases(False)))
def test_button_values_are_never_cut(name):
    """A button value is read back by a listener: cutting it at Slack's 2,000 characters breaks the button."""
    for value in button_values(cases(True)[name]()):
        if value.startswith(("{", "[")):
            json.loads(value)


def action_ids(node) -> set[str]:
    if isinstance(node, dict):
        own = {node["action_id"]} if "action_id" in node else set()
        return own.union(*(action_ids(child) for child in node.values()))
    if isinstance(node, list):
        return set().union(*(action_ids(child) for child in node))
    return set()


@pytest.mark.parametrize("name", list(cases(False)))
def test_long_content_never_pushes_out_the_buttons(name):
    """Capping blocks at Slack's limits cuts content, never the buttons and inputs at the end."""
    worst = cases(True)[name]()
    missing = action_ids(cases(False)[name]()) - action_ids(worst)
    if ":scissors:" in json.dumps(worst):  # too many shifts for one button value: said so instead
        missing.discard("swap_confirm") or missing.discard("swap_force")
    assert missing == set()


BUILDERS_ELSEWHERE = {"plain", "md", "section", "context", "header", "divider", "button", "actions", "confirm_dialog",
                      "option", "modal", "connection_select", "destination_select", "horizon_input", "channel_input"}


def test_every_builder_has_a_case():
    """Each public function in bot/views/ returning a whole payload (message, modal or Home) has a case."""
    covered = {name.split(" (")[0] for name in cases(False)}
    builders = set()
    for info in pkgutil.iter_modules(bot.views.__path__):
        module = importlib.import_module(f"bot.views.{info.name}")
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not fname.startswith("_") and \
                    inspect.signature(fn).return_annotation in ("dict", dict):
                builders.add(fname)
    assert builders - BUILDERS_ELSEWHERE - covered == set()


def test_joined_keeps_whole_items_and_counts_the_rest():
    from bot.views.common import joined

    assert joined(["a", "b"]) == "a\nb"
    assert joined(["x" * 10] * 5, limit=25) == "x" * 10 + "\n" + "x" * 10 + "\n…and 3 more."
    assert joined(["y" * 50], limit=10) == "y" * 50  # one item always shows (clip cuts it at Slack's limit)
    assert joined([]) == ""


@pytest.mark.parametrize(("name", "block"), [("consent_message", 1), ("status_modal", 2), ("home_view", 3)])
def test_long_lists_end_with_how_many_more_not_mid_item(name, block):
    text = cases(True)[name]()["blocks"][block]["text"]["text"]
    assert text.endswith(" more.") and len(text) <= 3000, text[-200:]


def test_confirm_dialog_obeys_its_own_limits():
    """A confirmation dialog's text is 300 characters at most, not a section's 3,000."""
    from bot.views.common import button, confirm_dialog, message, section

    ask = button("Remove", "remove", "1", confirm=confirm_dialog(LONG, LONG * 3, LONG, LONG))
    assert rules.violations("chat.postMessage", message("t", [section("x", ask)])) == []


def test_cap_options_keeps_the_selected_ones_in_list_order():
    from bot.views.common import cap_options, option

    opts = [option(f"o{i}", f"v{i}") for i in range(150)]
    capped = cap_options(opts, ["v120", "v3"])
    assert len(capped) == 100 and [o["value"] for o in capped][:3] == ["v0", "v1", "v2"]
    assert {"v3", "v120"} <= {o["value"] for o in capped} and capped[-1]["value"] == "v120"
    assert cap_options(opts[:5], ["v1"]) == opts[:5]
