"""Issue 12: every registered `/oncall` subcommand, button, select, modal and event is in one table
saying what `bot.services.authz` action guards it (or why none does), and each guarded one, driven
by a signed request from Bob (a member, neither admin nor manager), is refused with the refusal
naming what he tried; nothing of his gets through. A new listener without a row fails the first test."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.commands import register_all, registry
from bot.ids import (
    ButtonId,
    CallbackId,
    HistoryButtonId,
    RemindId,
    SwapBlockId,
    SwapButtonId,
    SwapCallbackId,
    SyncButtonId,
)
from bot.services import authz, swaps
from bot.services.authz import Action
from bot.services.swaps import request
from bot.services.swaps.select import SWAP, Window
from bot.store import DriftAlert, session_scope
from tests.plugins.world import Clock, add_world, shifts
from tests.slack.payloads import block_actions, multi, view_submission
from tests.slack.payloads import select as sel
from tests.sync_io.fakes import T0, FakePagerDuty

SCHED = "Platform primary"
BOB = "U2"


def open_(why: str) -> str:
    return f"open: {why}"


SUBCOMMANDS: dict[str, Action | str] = {
    "help": open_("lists commands"),
    "connect": Action.CONNECT,
    "connections": open_("lists accounts and key hints, never keys; removing asks REMOVE_CONNECTION"),
    "schedules": open_("lists provider schedules"),
    "link": Action.LINK,
    "status": open_("read-only"),
    "who": open_("read-only"),
    "unlink": Action.UNLINK,
    "edit": Action.EDIT_SCHEDULE,
    "away": Action.TIME_OFF_FOR_OTHERS,  # one's own time off is always allowed
    "fairness": open_("read-only"),
    "calendar": Action.TIME_OFF_FOR_OTHERS,
    "pattern": Action.EDIT_PATTERN,  # showing it is open
    "sync": Action.SYNC,
    "plan": open_("a dry run writes nothing"),
    "drift": Action.DECIDE_DRIFT,  # showing the mode is open
    "swap": Action.SWAP_OTHERS,  # one's own shifts: with the other person's consent
    "cover": Action.SWAP_OTHERS,
    "undo": Action.UNDO_OTHERS,
    "remind": open_("one's own reminder settings"),
    "history": open_("read-only, the asking workspace's events only"),
}

LISTENERS: dict[tuple[str, str], Action | str] = {
    ("command", "/oncall"): open_("the router: each subcommand is in SUBCOMMANDS"),
    ("view", CallbackId.CONNECT): Action.CONNECT,
    ("action", ButtonId.HOME_CONNECT): Action.CONNECT,
    ("action", ButtonId.REMOVE_CONNECTION): Action.REMOVE_CONNECTION,
    ("action", ButtonId.LINK): Action.LINK,
    ("action", ButtonId.HOME_LINK): Action.LINK,
    ("action", ButtonId.LINK_PICK_CONNECTION): Action.LINK,
    ("view", CallbackId.LINK): Action.LINK,
    ("action", ButtonId.STATUS): open_("read-only"),
    ("view", CallbackId.UNLINK): Action.UNLINK,
    ("action", ButtonId.EDIT): Action.EDIT_SCHEDULE,
    ("view", CallbackId.EDIT): Action.EDIT_SCHEDULE,
    ("event", "app_home_opened"): open_("one's own Home tab"),
    ("action", SyncButtonId.DRIFT_REAPPLY): Action.DECIDE_DRIFT,
    ("action", SyncButtonId.DRIFT_KEEP): Action.DECIDE_DRIFT,
    ("action", SwapButtonId.CONFIRM): Action.SWAP_OTHERS,
    ("action", SwapButtonId.FORCE): Action.SWAP_OTHERS,
    ("action", SwapButtonId.CANCEL): open_("drops one's own preview; nothing was saved"),
    ("action", SwapButtonId.ACCEPT): open_("consent: only the people asked (swaps.answer checks them)"),
    ("action", SwapButtonId.DECLINE): open_("consent: only the people asked (swaps.answer checks them)"),
    ("action", SwapButtonId.WITHDRAW): open_("only the requester (swaps.answer checks)"),
    ("action", SwapButtonId.UNDO): Action.UNDO_OTHERS,
    ("view", SwapCallbackId.PICK_SCHEDULE): Action.SWAP_OTHERS,
    ("view", SwapCallbackId.PICK_SHIFTS): Action.SWAP_OTHERS,
    ("action", RemindId.SWAP): open_("a reminder's own shift: the service checks it is still the presser's"),
    ("action", RemindId.COVER): open_("a reminder's own shift: the service checks it is still the presser's"),
    ("view", RemindId.PICK): open_("one's own shift; the swap/cover then asks consent like /oncall swap"),
    ("action", RemindId.HOME): open_("one's own reminder settings"),
    ("action", HistoryButtonId.NEWER): open_("read-only paging; the schedule is looked up in the workspace"),
    ("action", HistoryButtonId.OLDER): open_("read-only paging; the schedule is looked up in the workspace"),
}


class Recorder:
    """Stands in for the bolt App: records what each module registers."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __getattr__(self, kind: str) -> Callable:
        def method(key, *a, **kw):
            self.seen.append((kind, str(key)))
            return lambda fn: fn

        return method


def test_every_registered_listener_and_subcommand_is_in_the_table():
    rec = Recorder()
    register_all(rec)
    assert sorted(rec.seen) == sorted(LISTENERS), "a listener without a row (or a row without a listener)"
    assert {s.name for s in registry.all_subcommands()} == set(SUBCOMMANDS)
    for key, rule in [*LISTENERS.items(), *SUBCOMMANDS.items()]:
        assert isinstance(rule, Action) or rule.startswith("open: "), key


# ---------------------------------------------------------------- Bob tries each guarded one


@pytest.fixture
def env(slack, slack_http, conformant_respx):
    clock = Clock(T0 + timedelta(days=2, hours=3))
    slack.ctx.clock = clock
    for uid, name in (("U1", "alice"), ("U2", "bob"), ("U3", "carol"), ("UMGR", "manny")):
        slack.stub.add_user(uid, name=name, email=f"{name}@example.com")
    slack.stub.add_user("UADMIN", name="boss", email="boss@example.com", is_admin=True)
    slack.stub.add_channel("C1")
    FakePagerDuty(conformant_respx, clock)
    world = add_world(slack.ctx, weeks=6, managers="UMGR", people=3)
    return slack, slack_http, world


def _proposal_token(slack, world) -> str:
    """A confirmable swap of Alice's and Carol's next shifts, previewed by their manager."""
    q = swaps.SwapQuery(kind=SWAP, team_id="T1", requester="UMGR", a_user="U1", b_user="U3", schedule=SCHED,
                        window=Window(None, None))
    ready = request.prepare(slack.ctx.engine, q, admin=lambda: False, now=slack.ctx.clock())
    assert isinstance(ready, swaps.Ready), ready
    return ready.proposal.token()


def _executed_swap(slack, world) -> int:
    info = request.submit(slack.ctx.engine, "T1", _proposal_token(slack, world), "UMGR",
                                admin=lambda: False, now=slack.ctx.clock())
    assert info.status == "executed"
    return info.id


def _alert(slack, world) -> int:
    with session_scope(slack.ctx.engine) as session:
        alert = DriftAlert(team_id="T1", schedule_id=world.schedule_id, destination_id=world.destination_id,
                           fingerprint="f", detail=json.dumps({"items": []}))
        session.add(alert)
        session.flush()
        return alert.id


def _q(**extra) -> str:
    return json.dumps({"c": "C1", "q": {"kind": SWAP, "a_user": "U1", "b_user": "U3", "window": [None, None],
                                        **extra}})


def _shift_of(slack, world, member_index: int) -> str:
    return str(next(s.id for s in shifts(slack.ctx, world.schedule_id)
                    if s.member_id == world.member_ids[member_index] and s.start > slack.ctx.clock()))


URL = {"response_url": "http://127.0.0.1:1/unset"}  # replaced by the stub's in the test

SCENARIOS: dict[object, Callable] = {
    "connect": lambda s, h, w: h.command("connect", user_id=BOB, **URL),
    "link": lambda s, h, w: h.command("link", user_id=BOB, **URL),
    "unlink": lambda s, h, w: h.command(f"unlink {SCHED}", user_id=BOB, **URL),
    "edit": lambda s, h, w: h.command(f"edit {SCHED}", user_id=BOB, **URL),
    "away": lambda s, h, w: h.command("away <@U1> tomorrow", user_id=BOB, **URL),
    "calendar": lambda s, h, w: h.command("calendar <@U1> off", user_id=BOB, **URL),
    "pattern": lambda s, h, w: h.command(f"pattern {SCHED} handoff 10:00", user_id=BOB, **URL),
    "sync": lambda s, h, w: h.command(f"sync {SCHED}", user_id=BOB, **URL),
    "drift": lambda s, h, w: h.command(f"drift {SCHED} off", user_id=BOB, **URL),
    "swap": lambda s, h, w: h.command("swap <@U1> <@U3>", user_id=BOB, **URL),
    "cover": lambda s, h, w: h.command("cover <@U3> for <@U1>", user_id=BOB, **URL),
    "undo": lambda s, h, w: h.command(f"undo {_executed_swap(s, w)}", user_id=BOB, **URL),
    ("view", CallbackId.CONNECT): lambda s, h, w: h.interact(view_submission(CallbackId.CONNECT, {}, user_id=BOB)),
    ("action", ButtonId.HOME_CONNECT): lambda s, h, w: h.interact(block_actions(ButtonId.HOME_CONNECT, user_id=BOB, **URL)),
    ("action", ButtonId.REMOVE_CONNECTION): lambda s, h, w: h.interact(
        block_actions(ButtonId.REMOVE_CONNECTION, str(w.connection_id), user_id=BOB, **URL)),
    ("action", ButtonId.LINK): lambda s, h, w: h.interact(
        block_actions(ButtonId.LINK, f"{w.connection_id}:PSCHED9", user_id=BOB, **URL)),
    ("action", ButtonId.HOME_LINK): lambda s, h, w: h.interact(block_actions(ButtonId.HOME_LINK, user_id=BOB, **URL)),
    ("action", ButtonId.LINK_PICK_CONNECTION): lambda s, h, w: h.interact(block_actions(
        ButtonId.LINK_PICK_CONNECTION, user_id=BOB, channel_id=None,
        view={"id": "V9", "hash": "h", "type": "modal", "callback_id": CallbackId.LINK, "private_metadata": "{}"},
        selected_option={"value": str(w.connection_id), "text": {"type": "plain_text", "text": "x"}}, **URL)),
    ("view", CallbackId.LINK): lambda s, h, w: h.interact(view_submission(CallbackId.LINK, {}, user_id=BOB)),
    ("view", CallbackId.UNLINK): lambda s, h, w: h.interact(view_submission(
        CallbackId.UNLINK, {}, private_metadata=json.dumps({"s": w.schedule_id}), user_id=BOB)),
    ("action", ButtonId.EDIT): lambda s, h, w: h.interact(block_actions(ButtonId.EDIT, str(w.schedule_id),
                                                                        user_id=BOB, **URL)),
    ("view", CallbackId.EDIT): lambda s, h, w: h.interact(view_submission(
        CallbackId.EDIT, {}, private_metadata=json.dumps({"s": w.schedule_id}), user_id=BOB)),
    ("action", SyncButtonId.DRIFT_REAPPLY): lambda s, h, w: h.interact(
        block_actions(SyncButtonId.DRIFT_REAPPLY, str(_alert(s, w)), user_id=BOB, **URL)),
    ("action", SyncButtonId.DRIFT_KEEP): lambda s, h, w: h.interact(
        block_actions(SyncButtonId.DRIFT_KEEP, str(_alert(s, w)), user_id=BOB, **URL)),
    ("action", SwapButtonId.CONFIRM): lambda s, h, w: h.interact(
        block_actions(SwapButtonId.CONFIRM, _proposal_token(s, w), user_id=BOB, **URL)),
    ("action", SwapButtonId.FORCE): lambda s, h, w: h.interact(
        block_actions(SwapButtonId.FORCE, _proposal_token(s, w), user_id=BOB, **URL)),
    ("action", SwapButtonId.UNDO): lambda s, h, w: h.interact(
        block_actions(SwapButtonId.UNDO, str(_executed_swap(s, w)), user_id=BOB, **URL)),
    ("view", SwapCallbackId.PICK_SCHEDULE): lambda s, h, w: h.interact(view_submission(
        SwapCallbackId.PICK_SCHEDULE, {SwapBlockId.SCHEDULE: {SwapBlockId.INPUT: sel(str(w.schedule_id))}},
        private_metadata=_q(), user_id=BOB)),
    ("view", SwapCallbackId.PICK_SHIFTS): lambda s, h, w: h.interact(view_submission(
        SwapCallbackId.PICK_SHIFTS,
        {SwapBlockId.SHIFTS_A: {SwapBlockId.INPUT: multi([(_shift_of(s, w, 0), "a")])},
         SwapBlockId.SHIFTS_B: {SwapBlockId.INPUT: multi([(_shift_of(s, w, 2), "b")])}},
        private_metadata=_q(schedule_id=w.schedule_id), user_id=BOB)),
}

GUARDED = [(k, a) for k, a in [*SUBCOMMANDS.items(), *LISTENERS.items()] if isinstance(a, Action)]


def test_every_guarded_entry_has_a_scenario():
    assert {k for k, _ in GUARDED} == set(SCENARIOS)


@pytest.mark.parametrize(("key", "action"), GUARDED, ids=[k if isinstance(k, str) else f"{k[0]}:{k[1]}" for k, _ in GUARDED])
def test_bob_is_refused_with_a_message_naming_what_he_tried(env, key, action):
    slack, http, world = env
    URL["response_url"] = slack.stub.response_url("bob")
    resp = SCENARIOS[key](slack, http, world)
    assert resp.status == 200
    seen = (resp.body or "") + slack.stub.all_text() + json.dumps([c.body for c in slack.stub.calls()])
    words = "for someone else" if action is Action.TIME_OFF_FOR_OTHERS else f"can {authz.WORDS[action]}"
    assert words in seen, f"{key}: no refusal naming '{words}' in {seen[:600]}"
    assert not slack.stub.calls("views.open") or "Not allowed" in json.dumps(slack.stub.bodies("views.open"))
