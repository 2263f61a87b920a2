"""Swap and cover requests: what the use cases take and give back, and their errors.

The use cases each own their transaction and live next to this module:

- `bot.services.swaps.request`: `prepare` (resolve, pick, check; nothing written) and `submit`;
- `bot.services.swaps.answer`: `accept`, `decline`, `withdraw`, `expire_due`;
- `bot.services.swaps.execute`: carrying a swap out (re-check, move) and `undo`;
- `bot.services.swaps.store`: the requests' rows: loading, `SwapInfo`, status changes, `get_info`.

Changes are compare-and-set, so of two racing actions on the same shift or request exactly one
wins and the other gets a `SwapConflict`:

- a shift moves with `UPDATE shift … WHERE id = :id AND member_id = :owner AND version = :v`
  and the row count is checked (PostgreSQL's row lock makes the loser wait, then miss);
- a request changes state with `UPDATE swaprequest … WHERE status = :expected`;
- a pending request claims its shifts in `SwapClaim` (unique per shift), so two requests can
  never both wait on one shift.

A moved shift gets `source = "swap"`: assignments treat it as fixed and never re-plan it away.
Pure picking and checks are `bot.services.swaps.select`'s; Slack messages and the re-export are
`bot.notify.swaps`'s business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.services.errors import UserError
from bot.services.swaps.select import Party, Proposal, ShiftRef, Window


class SwapConflict(UserError):
    """Someone else changed the shift or answered the request first."""


class SwapRefused(UserError):
    """The checks that passed when the swap was requested fail now (e.g. time off entered since)."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = tuple(reasons)


@dataclass(frozen=True)
class SwapQuery:
    """What the person asked for (from the command or the picker modal)."""

    team_id: str
    kind: str
    requester: str
    a_user: str  # Slack ids
    b_user: str
    schedule: str | None = None
    schedule_id: int | None = None
    window: Window = Window()
    picked_a: tuple[int, ...] | None = None
    picked_b: tuple[int, ...] | None = None
    force: bool = False


@dataclass(frozen=True)
class Ready:
    proposal: Proposal
    direct: bool  # a manager's swap that needs nobody's consent
    consent_from: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refused:
    reasons: tuple[str, ...]
    forceable: bool = False
    proposal: Proposal | None = None


@dataclass(frozen=True)
class Choice:
    """Ambiguous: the person picks in a modal (candidates preselected)."""

    query: SwapQuery
    reason: str
    schedules: tuple[tuple[int, str], ...] = ()  # non-empty: pick the schedule first
    schedule_id: int | None = None
    schedule_name: str = ""
    time_zone: str = "UTC"
    a: Party | None = None
    b: Party | None = None
    options_a: tuple[ShiftRef, ...] = ()
    options_b: tuple[ShiftRef, ...] = ()
    selected_a: tuple[int, ...] = ()
    selected_b: tuple[int, ...] = ()


@dataclass(frozen=True)
class SwapInfo:
    """A swap request as the messages need it. `give_a`/`give_b` carry the original owners."""

    id: int
    team_id: str
    kind: str
    status: str
    schedule_id: int
    schedule_name: str
    time_zone: str
    channel_id: str | None
    requested_by: str
    a: Party
    b: Party
    give_a: tuple[ShiftRef, ...]
    give_b: tuple[ShiftRef, ...]
    consent_from: tuple[str, ...]
    accepted_by: tuple[str, ...]
    expires_at: datetime
    forced: bool = False
    note: str = ""
    dm_refs: dict[str, list[str]] = field(default_factory=dict)
    message_channel: str | None = None
    message_ts: str | None = None
    decided_by: str | None = None
    undone_by: str | None = None

    @property
    def shift_ids(self) -> list[int]:
        return [s.id for s in self.give_a + self.give_b]

    @property
    def parties(self) -> tuple[str, ...]:
        return tuple(u for u in (self.a.slack_user_id, self.b.slack_user_id) if u)

    @property
    def waiting_for(self) -> tuple[str, ...]:
        return tuple(u for u in self.consent_from if u not in self.accepted_by)

    @property
    def first_start(self) -> datetime:
        return min(s.start for s in self.give_a + self.give_b)

    def as_proposal(self) -> Proposal:
        return Proposal(self.kind, self.schedule_id, self.schedule_name, self.time_zone, self.a, self.b,
                        self.give_a, self.give_b, self.forced)


@dataclass(frozen=True)
class AcceptResult:
    info: SwapInfo
    state: str  # "executed" | "waiting" | "expired" | "cancelled" | "refused"
    reasons: tuple[str, ...] = ()  # "refused": why it cannot go ahead any more


__all__ = ["AcceptResult", "Choice", "Ready", "Refused", "SwapConflict", "SwapInfo", "SwapQuery", "SwapRefused"]
