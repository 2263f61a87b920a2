"""The tables. Every row carries the Slack `team_id` of the workspace it belongs to.

Datetimes are aware UTC (`UTCDateTime`). Provider users are cached with id, email and
name only: never phone numbers or contact methods.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.types import UTCDateTime, utcnow


def _dt(nullable: bool = True, index: bool = False):
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _created():
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class DestinationStatus(StrEnum):
    PENDING = "pending"  # never exported
    OK = "ok"
    WARNING = "warning"  # shifts more than 3 days out not exported
    ERROR = "error"  # current shifts or the next 3 days not exported
    READ_ONLY = "read_only"  # the connection's key cannot write
    RATE_LIMITED = "rate_limited"  # the last run ended on 429 after its retries; the next one retries


class DriftMode(StrEnum):
    ALERT = "alert"
    AUTO = "auto"
    OFF = "off"


class SwapStatus(StrEnum):
    PENDING = "pending"
    EXECUTED = "executed"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    UNDONE = "undone"
    REFUSED = "refused"  # a check failed at accept time (e.g. time off entered since the request)


class Connection(SQLModel, table=True):
    """A provider account. The API key is stored only encrypted (see bot.crypto)."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    provider: str  # ProviderKind value
    region: str = "us"
    name: str
    api_key_encrypted: str = Field(sa_column=Column(Text, nullable=False), repr=False)
    key_hint: str  # "…a1b2"
    can_write: bool | None = None
    created_by: str = ""
    created_at: datetime = _created()

    def __repr__(self) -> str:
        return f"Connection(id={self.id}, team_id={self.team_id!r}, provider={self.provider!r}, key={self.key_hint})"


class Schedule(SQLModel, table=True):
    """The bot's own schedule, created by linking a provider schedule."""

    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    name: str
    connection_id: int | None = Field(default=None, foreign_key="connection.id", index=True)
    source_schedule_id: str = ""
    time_zone: str = "UTC"
    pattern_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    roles: str = "primary"  # "primary" or "primary,secondary"
    horizon_days: int = 30
    channel_id: str | None = None
    managers: str = ""  # comma-separated Slack user ids
    swap_requires_consent: bool = False  # even when a manager swaps
    drift_mode: str = DriftMode.ALERT.value
    keep_provider_order: bool = True
    holidays: str = ""  # comma-separated ISO dates
    handover_messages: bool = True  # a channel message at each handoff (issue 14; off in /oncall edit)
    created_by: str = ""
    created_at: datetime = _created()
    # the on-call user group (issue 14, migration 0007): who is on call now, kept by bot.services.oncall_group
    usergroup_handle: str | None = None  # as typed in /oncall edit, without "@"; None: no group
    usergroup_id: str | None = None  # Slack's id (S…) once found or created
    usergroup_members: str = ""  # comma-separated Slack ids the group was last set to ("" : not set yet)
    usergroup_status: str | None = None  # the last outcome in words ("ok: …", or what Slack refused)


class Member(SQLModel, table=True):
    """A person on a schedule. The calendar feed address is a secret (Google's "secret address"):
    stored only encrypted (bot.crypto, migration 0004) and never in a repr."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True)
    slack_user_id: str | None = Field(default=None, index=True)
    email: str
    name: str = ""
    source_user_id: str | None = None  # provider user id on the linked connection
    position: int = 0
    ics_url_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True), repr=False)
    ics_status: str | None = None  # the last read of the feed: "ok: …", or what went wrong / was cut
    ics_checked_at: datetime | None = _dt()
    joined_at: datetime = _created()
    left_at: datetime | None = _dt()


class Shift(SQLModel, table=True):
    """An assignment: the bot's source of truth. `version` grows whenever the bot changes it."""

    __table_args__ = (UniqueConstraint("schedule_id", "role", "start"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True)
    role: str = "primary"
    start: datetime = _dt(nullable=False, index=True)
    end: datetime = _dt(nullable=False)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    version: int = 1
    source: str = "bot"  # "bot" | "history" (imported from what the provider paged)
    updated_at: datetime = _created()


class Destination(SQLModel, table=True):
    """A provider schedule one role is exported to, with its high-water mark."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True)
    role: str = "primary"
    connection_id: int = Field(foreign_key="connection.id", index=True)
    provider_schedule_id: str
    provider_schedule_name: str = ""
    exported_until: datetime | None = _dt()
    status: str = DestinationStatus.PENDING.value
    last_sync_at: datetime | None = _dt()
    last_error: str | None = None
    failing_since: datetime | None = _dt()
    outage_alerted: bool = False


class ExportedOverride(SQLModel, table=True):
    """What the bot created at a destination for one shift."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    destination_id: int = Field(foreign_key="destination.id", index=True)
    shift_id: int = Field(foreign_key="shift.id", index=True)
    override_id: str  # PagerDuty override id or Opsgenie alias
    user_id: str
    start: datetime = _dt(nullable=False)
    end: datetime = _dt(nullable=False)
    version: int = 1
    created_at: datetime = _created()


class TimeOff(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    slack_user_id: str = Field(index=True)
    start: datetime = _dt(nullable=False)
    end: datetime = _dt(nullable=False)
    reason: str = ""
    source: str = "manual"  # "manual" | "calendar"
    created_by: str = ""
    created_at: datetime = _created()
    cancelled_at: datetime | None = _dt()


class SwapRequest(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True)
    kind: str = "swap"  # "swap" | "cover"
    requested_by: str
    member_a_id: int = Field(foreign_key="member.id")
    member_b_id: int = Field(foreign_key="member.id")
    shifts_a: str = ""  # comma-separated shift ids now held by A (move to B)
    shifts_b: str = ""  # comma-separated shift ids now held by B (move to A)
    status: str = SwapStatus.PENDING.value
    forced: bool = False
    expires_at: datetime = _dt(nullable=False)
    decided_by: str | None = None
    decided_at: datetime | None = _dt()
    message_channel: str | None = None
    message_ts: str | None = None
    created_at: datetime = _created()
    # swap details
    shift_versions: str = ""  # "id:version,…": expected before execution, the resulting ones after
    consent_from: str = ""  # comma-separated Slack ids whose Accept is needed
    accepted_by: str = ""  # comma-separated Slack ids who accepted so far
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # e.g. forced over time off
    dm_refs: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))  # {user: [channel, ts]}
    executed_at: datetime | None = _dt()
    undone_by: str | None = None
    undone_at: datetime | None = _dt()


class SwapClaim(SQLModel, table=True):
    """A shift held by a pending swap request. Unique per shift: of two requests racing for one
    shift, exactly one can claim it. No foreign key to shift: assignments may delete shifts."""

    __table_args__ = (UniqueConstraint("shift_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    shift_id: int
    request_id: int = Field(foreign_key="swaprequest.id", index=True)


class AuditEvent(SQLModel, table=True):
    """One change, written by `bot.store.audit.record` in the change's transaction; read newest first
    per workspace by `/oncall history` (index on team_id, at)."""

    __table_args__ = (Index("ix_auditevent_team_id_at", "team_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    at: datetime = _created()
    actor: str = ""
    action: str
    schedule_id: int | None = Field(default=None, index=True)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ProviderUser(SQLModel, table=True):
    """Cache of provider users: id, email and name only."""

    __table_args__ = (UniqueConstraint("connection_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    connection_id: int = Field(foreign_key="connection.id", index=True)
    user_id: str
    email: str = Field(index=True)
    name: str = ""


class DriftAlert(SQLModel, table=True):
    """One alert per distinct drift (fingerprint) per destination."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True)
    destination_id: int = Field(foreign_key="destination.id", index=True)
    fingerprint: str
    status: str = "open"  # open | resolved | kept
    channel_id: str | None = None
    message_ts: str | None = None
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = _created()
    updated_at: datetime = _created()


class ReminderPref(SQLModel, table=True):
    """A person's reminder offsets (issue 14); no row: the defaults (`bot.services.reminder_times`)."""

    __table_args__ = (UniqueConstraint("team_id", "slack_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    slack_user_id: str
    offsets: str = ""  # comma-separated offsets ("1d,1h"); "" = off
    updated_at: datetime = _created()


class ReminderSent(SQLModel, table=True):
    """A reminder claimed before it is sent: unique per (shift, holder, offset), so of several
    replicas (or a restart) exactly one sends it. A shift that moves to someone else gets a new
    row for the new holder. No foreign key to shift: assignments may delete shifts."""

    __table_args__ = (UniqueConstraint("shift_id", "slack_user_id", "offset"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    shift_id: int = Field(index=True)
    slack_user_id: str
    offset: str
    due_at: datetime = _dt(nullable=False)
    claimed_at: datetime = _created()
    error: str | None = None  # Slack's error when the send failed (it is not retried)


class HandoverSent(SQLModel, table=True):
    """A handover message claimed before it is posted: one per schedule and handoff time."""

    __table_args__ = (UniqueConstraint("schedule_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True)
    at: datetime = _dt(nullable=False)
    claimed_at: datetime = _created()
    channel_id: str | None = None
    message_ts: str | None = None
    error: str | None = None


from bot.store import slack_oauth  # noqa: E402,F401  (Slack OAuth tables: migrations 0002, 0005)
