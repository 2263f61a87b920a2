"""`bot.services.authz`: the one reading of `Schedule.managers` and the one answer to "may they"."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.services import authz
from bot.services.authz import ADMINS_ONLY, Action, NotAllowed, Person


@dataclass
class Sched:
    name: str = "Platform"
    managers: str = " U1, U2,,U1 "


def person(user: str, admin: bool = False, calls: list | None = None) -> Person:
    def ask() -> bool:
        if calls is not None:
            calls.append(user)
        return admin

    return Person(user, ask, ("UOPS",))


def test_managers_are_parsed_once_in_order_without_duplicates_and_stored_the_same_way():
    assert authz.managers(Sched()) == ("U1", "U2")
    assert authz.parse_managers(None) == ()
    assert authz.format_managers(["U2", " U1", "U2", ""]) == "U2,U1"
    assert authz.parse_managers(authz.format_managers(["U3", "U4"])) == ("U3", "U4")


@pytest.mark.parametrize("action", list(Action))
def test_a_manager_may_what_concerns_the_schedule_without_asking_slack_and_never_admin_only(action):
    calls: list = []
    allowed = authz.may(person("U2", calls=calls), action, Sched())
    assert allowed is (action not in ADMINS_ONLY)
    assert calls == ([] if allowed else ["U2"])


@pytest.mark.parametrize("action", list(Action))
def test_admins_may_everything_and_others_nothing(action):
    assert authz.may(person("U9", admin=True), action, Sched())
    assert not authz.may(person("U9"), action, Sched())


def test_admin_status_is_asked_once():
    calls: list = []
    p = person("U9", admin=True, calls=calls)
    for action in Action:
        authz.may(p, action, Sched())
    assert calls == ["U9"]


def test_may_any_managing_one_of_the_schedules_suffices():
    others = Sched(managers="U7")
    assert authz.may_any(person("U1"), Action.TIME_OFF_FOR_OTHERS, [others, Sched()])
    assert not authz.may_any(person("U9"), Action.TIME_OFF_FOR_OTHERS, [others])


def test_refusals_say_what_was_refused_and_who_may():
    text = authz.refusal(person("U9"), Action.EDIT_PATTERN, Sched())
    assert text.startswith(":no_entry: Only this schedule's managers, workspace admins and owners, and <@UOPS> can "
                           "change this schedule's shift pattern.")
    assert "Managers of *Platform*: <@U1>, <@U2>." in text
    assert "has no managers yet" in authz.refusal(person("U9"), Action.SYNC, Sched(managers=""))
    admin_only = authz.refusal(person("U1"), Action.UNLINK, Sched())
    assert "Only workspace admins and owners" in admin_only and "ONCALL_ADMIN_USER_IDS" in admin_only
    with pytest.raises(NotAllowed, match="can decide about drift") as err:
        authz.require(person("U9"), Action.DECIDE_DRIFT, Sched())
    assert err.value.action is Action.DECIDE_DRIFT
    authz.require(person("U1"), Action.DECIDE_DRIFT, Sched())  # a manager: no error
