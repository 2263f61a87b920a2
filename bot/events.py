"""What happened, for the people concerned: the events services and the sync engine hand to the
notification layer (`bot.notify`), which turns them into Slack messages, DMs and Home re-publishes.

Plain data, no Slack and no database: the layers below the edge speak only this. A producer
takes a `Notify` (or None: nothing is told) and calls it with an event while it still holds
its transaction, so whatever the delivery answers (a message's channel and ts) is stored with
the change that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Delivered:
    """Where a message landed (what a later `chat.update` needs)."""

    channel: str
    ts: str


# ---------------------------------------------------------------- drift and outages (bot.sync)


@dataclass(frozen=True)
class DriftLine:
    """One drifting shift: the bot assigned `assigned`, the provider pages `paged` (mentions or names)."""

    start: datetime
    end: datetime
    assigned: str
    paged: tuple[str, ...]
    causes: tuple[str, ...]


@dataclass(frozen=True)
class DriftAlertModel:
    alert_id: int
    schedule_name: str
    time_zone: str
    destination: str  # "Platform primary (PagerDuty · Acme PD)"
    lines: tuple[DriftLine, ...]
    state: str = "open"  # open | resolved | kept | reapplied
    decided_by: str | None = None


@dataclass(frozen=True)
class DriftAlertChanged:
    """A drift alert to post in `channel` (no `ts` yet) or to update in place."""

    channel: str
    ts: str | None
    alert: DriftAlertModel


@dataclass(frozen=True)
class OutageBegan:
    """Exporting to a destination has been failing for a while: the channel is told once."""

    channel: str
    schedule_name: str
    destination: str
    since: datetime
    error: str


@dataclass(frozen=True)
class OutageEnded:
    channel: str
    schedule_name: str
    destination: str


Event = DriftAlertChanged | OutageBegan | OutageEnded


class Notify(Protocol):
    """Tell Slack about `event`; None when nothing was delivered (no channel, Slack refused)."""

    def __call__(self, event: Event) -> Delivered | None: ...
