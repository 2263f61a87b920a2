"""Who may do what, in one place.

Two kinds of authority: workspace admins (Slack admins and owners, or the user ids in
`ONCALL_ADMIN_USER_IDS`; `bot.services.auth.is_admin`) may do everything; a schedule's managers
(`Schedule.managers`, set in the edit modal) may do what concerns that schedule alone. What
touches accounts shared by the workspace (connecting or removing a provider account, linking a new
schedule, pointing a schedule's exports at other provider schedules, forgetting a schedule) stays
with admins.

Every command, button and modal asks `may` / `require` (or `Request.require` at the Slack edge);
`Schedule.managers` is read only through `managers` here (comma-separated Slack user ids).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.services.errors import UserError


class Action(StrEnum):
    CONNECT = "connect"
    REMOVE_CONNECTION = "remove_connection"
    LINK = "link"
    UNLINK = "unlink"
    CHANGE_DESTINATIONS = "change_destinations"
    EDIT_SCHEDULE = "edit_schedule"  # horizon, channel, members
    SET_MANAGERS = "set_managers"
    EDIT_PATTERN = "edit_pattern"  # pattern and roles
    SYNC = "sync"
    DECIDE_DRIFT = "decide_drift"  # the alert buttons and the drift mode
    SWAP_OTHERS = "swap_others"  # move other people's shifts (directly unless the schedule asks consent)
    FORCE_SWAP = "force_swap"  # confirm a swap over time off
    UNDO_OTHERS = "undo_others"  # undo a swap one was not part of
    TIME_OFF_FOR_OTHERS = "time_off_for_others"  # time off and calendar feeds of someone else


ADMINS_ONLY = frozenset({Action.CONNECT, Action.REMOVE_CONNECTION, Action.LINK, Action.UNLINK,
                         Action.CHANGE_DESTINATIONS})

WORDS = {
    Action.CONNECT: "connect provider accounts",
    Action.REMOVE_CONNECTION: "remove connections",
    Action.LINK: "link schedules",
    Action.UNLINK: "unlink schedules",
    Action.CHANGE_DESTINATIONS: "change where a schedule is exported",
    Action.EDIT_SCHEDULE: "edit this schedule",
    Action.SET_MANAGERS: "change this schedule's managers",
    Action.EDIT_PATTERN: "change this schedule's shift pattern",
    Action.SYNC: "export a schedule now with `/oncall sync` (the background sync runs every few minutes anyway)",
    Action.DECIDE_DRIFT: "decide about drift and set the drift mode",
    Action.SWAP_OTHERS: "move other people's shifts",
    Action.FORCE_SWAP: "force a swap",
    Action.UNDO_OTHERS: "undo other people's swaps",
    Action.TIME_OFF_FOR_OTHERS: "set time off for someone else",
}


class Managed(Protocol):
    """What authorisation reads of a schedule (`bot.store.Schedule` has it)."""

    name: str
    managers: str


@dataclass
class Person:
    """Who asks. `admin` is asked at most once, and only when a manager check does not settle it
    (it may cost a Slack users.info call). `listed_admins` (ONCALL_ADMIN_USER_IDS) are named in refusals."""

    user_id: str
    admin: Callable[[], bool]
    listed_admins: tuple[str, ...] = ()
    _admin: bool | None = field(default=None, repr=False)

    def is_admin(self) -> bool:
        if self._admin is None:
            self._admin = bool(self.admin())
        return self._admin


class NotAllowed(UserError):
    """Refused: the message says who may do it."""

    def __init__(self, message: str, action: Action):
        super().__init__(message)
        self.action = action


def parse_managers(raw: str | None) -> tuple[str, ...]:
    """The stored column (comma-separated Slack user ids) as ids, in order, without duplicates."""
    return tuple(dict.fromkeys(u for u in (x.strip() for x in (raw or "").split(",")) if u))


def format_managers(user_ids: Iterable[str]) -> str:
    return ",".join(dict.fromkeys(u.strip() for u in user_ids if u and u.strip()))


def managers(schedule: Managed) -> tuple[str, ...]:
    return parse_managers(schedule.managers)


def is_manager(schedule: Managed | None, user_id: str) -> bool:
    return schedule is not None and bool(user_id) and user_id in managers(schedule)


def may(person: Person, action: Action, schedule: Managed | None = None) -> bool:
    """True when `person` may do `action` (to `schedule`, for what a schedule's managers may do)."""
    if action not in ADMINS_ONLY and is_manager(schedule, person.user_id):
        return True
    return person.is_admin()


def may_any(person: Person, action: Action, schedules: Iterable[Managed]) -> bool:
    """For what concerns several schedules at once (someone's time off): managing one of them suffices."""
    if action not in ADMINS_ONLY and any(is_manager(s, person.user_id) for s in schedules):
        return True
    return person.is_admin()


def _people(user_ids: Iterable[str]) -> str:
    return ", ".join(f"<@{u}>" for u in user_ids)


def refusal(person: Person, action: Action, schedule: Managed | None = None) -> str:
    """The ephemeral refusal: what was refused, who can do it, and how to get there."""
    admins = "workspace admins and owners" + (f", and {_people(person.listed_admins)}" if person.listed_admins else "")
    if action in ADMINS_ONLY or schedule is None:
        who = f"Only {admins}"
        how = "Ask one of them, or ask whoever runs the bot to add your Slack member id to `ONCALL_ADMIN_USER_IDS`."
    else:
        who = f"Only this schedule's managers, {admins}"
        named = managers(schedule)
        how = (f"Managers of *{schedule.name}*: {_people(named)}." if named else
               f"*{schedule.name}* has no managers yet: a workspace admin can name them in "
               f"`/oncall edit {schedule.name}`.")
    return f":no_entry: {who} can {WORDS[action]}. {how}"


def require(person: Person, action: Action, schedule: Managed | None = None) -> None:
    """Raise `NotAllowed` (a UserError with the refusal) unless `may`."""
    if not may(person, action, schedule):
        raise NotAllowed(refusal(person, action, schedule), action)
