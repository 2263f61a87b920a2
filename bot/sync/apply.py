"""Run an export `Plan` against a provider and record every result as it happens.

Order (see `bot.sync.plan`): adoptions (no provider call), creates, then `deletes_to_run`.
Each provider batch is followed by a commit of exactly what it did:

- One provider request per `create_batch` creates, the provider's own fact (PagerDuty: one bulk
  POST per 50; Opsgenie: one POST per override, its alias makes a retried create idempotent).
- Each create batch is recorded as intents before it is sent (`bot.sync.intents`): a process
  dying between the request and its commit leaves intents the next run pairs with the overrides
  made, kept or deleted by the plan (even when the shift changed again meanwhile), so nothing
  is duplicated or left behind. A delete whose commit was lost is planned again and answers MISSING.

A `PermissionDenied` on a write marks the connection read-only (`Connection.can_write=False`)
and stops: the caller's status says why. Other provider failures are collected in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, delete
from sqlmodel import Session

from bot.providers.base import (
    AuthError,
    DeleteOutcome,
    PermissionDenied,
    Provider,
    ProviderError,
    RateLimited,
    RemoteOverride,
    Unavailable,
)
from bot.providers.registry import spec_for
from bot.store.models import Connection, ExportedOverride
from bot.sync.intents import forget, pending_rows
from bot.sync.plan import Outcomes, Plan, PlannedCreate, deletes_to_run

# failures that make further calls to the same provider pointless in this run
_STOP = (Unavailable, RateLimited, AuthError)


@dataclass
class ApplyResult:
    created: dict[str, RemoteOverride] = field(default_factory=dict)  # alias -> override
    deleted: dict[str, DeleteOutcome] = field(default_factory=dict)  # override id -> outcome
    adopted: int = 0
    errors: list[str] = field(default_factory=list)
    read_only: str | None = None  # why, when a write was refused
    stopped: ProviderError | None = None  # the failure that stopped the run early

    @property
    def outcomes(self) -> Outcomes:
        return Outcomes(created=dict(self.created), deleted=dict(self.deleted))


@dataclass(frozen=True)
class Target:
    """Where to apply: the destination row and provider schedule."""

    team_id: str
    destination_id: int
    connection_id: int
    provider_schedule_id: str


def _row(target: Target, shift_id: str, version: int, o: RemoteOverride) -> ExportedOverride:
    return ExportedOverride(team_id=target.team_id, destination_id=target.destination_id, shift_id=int(shift_id),
                            override_id=o.id, user_id=o.user_id, start=o.start, end=o.end, version=version)


def _batches(kind: str, creates: Sequence[PlannedCreate]) -> list[list[PlannedCreate]]:
    size = spec_for(kind).create_batch
    return [list(creates[i : i + size]) for i in range(0, len(creates), size)]


def _mark_read_only(engine: Engine, target: Target, exc: PermissionDenied, result: ApplyResult) -> None:
    result.read_only = str(exc)
    with Session(engine) as session:
        conn = session.get(Connection, target.connection_id)
        if conn is not None:
            conn.can_write = False
            session.commit()


def apply_plan(engine: Engine, provider: Provider, target: Target, plan: Plan) -> ApplyResult:
    """Apply `plan` at `target`, committing after every provider batch. Never raises ProviderError."""
    result = ApplyResult()
    if plan.adopt:
        with Session(engine) as session:
            for a in plan.adopt:
                session.add(_row(target, a.shift_id, a.version, a.override))
            session.commit()
        result.adopted = len(plan.adopt)

    for batch in _batches(provider.kind, plan.creates):
        with Session(engine) as session:  # the intent first: a crash after the POST leaves it findable
            session.add_all(pending_rows(target.team_id, target.destination_id, batch))
            session.commit()
        try:
            outcomes = provider.create_overrides(target.provider_schedule_id, [c.request for c in batch])
        except PermissionDenied as exc:
            _mark_read_only(engine, target, exc, result)
            return result
        except ProviderError as exc:
            result.errors.append(str(exc))
            if isinstance(exc, _STOP):
                result.stopped = exc
                break
            continue
        by_alias = {c.alias: c for c in batch}
        with Session(engine) as session:
            forget(session, target.destination_id, by_alias)
            for item in outcomes:
                planned = by_alias.get(item.request.alias)
                if item.override is not None and planned is not None:
                    session.add(_row(target, planned.shift_id, planned.version, item.override))
                    result.created[planned.alias] = item.override
                elif item.error is not None:
                    if isinstance(item.error, PermissionDenied):
                        result.read_only = str(item.error)
                    result.errors.append(str(item.error))
            session.commit()
        if result.read_only:
            _mark_read_only(engine, target, PermissionDenied(result.read_only), result)
            return result

    if result.stopped is not None:
        return result
    for d in deletes_to_run(plan, result.outcomes):
        try:
            outcome = provider.delete_override(target.provider_schedule_id, d.override_id)
        except PermissionDenied as exc:
            _mark_read_only(engine, target, exc, result)
            return result
        except ProviderError as exc:
            result.errors.append(str(exc))
            if isinstance(exc, _STOP):
                result.stopped = exc
                break
            continue
        result.deleted[d.override_id] = outcome
        with Session(engine) as session:
            session.exec(delete(ExportedOverride).where(
                ExportedOverride.destination_id == target.destination_id,
                ExportedOverride.override_id == d.override_id,
            ))
            session.commit()
    return result


def overrides_after(before: Sequence[RemoteOverride], result: ApplyResult, now: datetime) -> list[RemoteOverride]:
    """The provider's overrides after the apply, without listing them again."""
    out = []
    for o in before:
        outcome = result.deleted.get(o.id)
        if outcome in (DeleteOutcome.DELETED, DeleteOutcome.MISSING):
            continue
        if outcome is DeleteOutcome.TRUNCATED:
            if now <= o.start:
                continue
            o = RemoteOverride(o.id, o.user_id, o.start, min(o.end, now), o.user_email)
        out.append(o)
    seen = {o.id for o in out}
    out += [o for o in result.created.values() if o.id not in seen]
    return sorted(out, key=lambda o: (o.start, o.end, o.id))
