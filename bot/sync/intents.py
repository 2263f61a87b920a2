"""Creates recorded before they are sent, so a crash cannot leave an override nobody knows.

PagerDuty makes an override's id itself, so an override created by a request whose answer never
reached the database (the process died in between) cannot be told from a hand edit. Before each
create batch `apply_plan` records one *intent* per create: an `ExportedOverride` row whose
`override_id` is `PENDING + alias` (shift, version, user, start and end as requested). The answer
turns intents into records in the same transaction; intents of a batch that failed stay.

The next run, before planning, `claim` pairs each intent with the live unrecorded override that
matches it (same user, start and end): that override is the bot's, recorded for the intent's
shift and version, so the plan keeps it (the shift is unchanged) or deletes it (it changed again
since: plan rule 5). An intent with no such override in the listed window was never created (or
was deleted since) and is forgotten. Opsgenie's aliases already name their shift; the intent
costs one commit per create there and makes every provider follow one rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from bot.providers.base import RemoteOverride
from bot.store.models import ExportedOverride
from bot.sync.model import ExportedRecord, PlannedCreate

PENDING = "pending:"
_SAME = timedelta(seconds=1)  # providers answer whole seconds


def is_pending(override_id: str) -> bool:
    return override_id.startswith(PENDING)


def pending_rows(team_id: str, destination_id: int, batch: Iterable[PlannedCreate]) -> list[ExportedOverride]:
    """The intent rows of a create batch, written (and committed) before it is sent."""
    return [ExportedOverride(team_id=team_id, destination_id=destination_id, shift_id=int(c.shift_id),
                             override_id=PENDING + c.alias, user_id=c.request.user_id, start=c.request.start,
                             end=c.request.end, version=c.version) for c in batch]


def forget(session: Session, destination_id: int, aliases: Iterable[str]) -> None:
    """Drop the intents of these creates (their answer is being recorded)."""
    ids = [PENDING + a for a in aliases]
    if ids:
        session.exec(delete(ExportedOverride).where(ExportedOverride.destination_id == destination_id,
                                                    ExportedOverride.override_id.in_(ids)))


@dataclass
class Claims:
    """What the listed overrides say about the intents: found ones become records, gone ones go."""

    found: list[tuple[ExportedRecord, RemoteOverride]] = field(default_factory=list)
    gone: list[ExportedRecord] = field(default_factory=list)

    @property
    def records(self) -> list[ExportedRecord]:
        return [ExportedRecord(i.shift_id, o.id, o.user_id, o.start, o.end, i.version) for i, o in self.found]


def _matches(intent: ExportedRecord, o: RemoteOverride) -> bool:
    return (o.user_id == intent.user_id and abs(o.start - intent.start) < _SAME
            and abs(o.end - intent.end) < _SAME)


def claim(intents: Sequence[ExportedRecord], recorded: Iterable[str], remote: Sequence[RemoteOverride],
          now: datetime, window: tuple[datetime, datetime]) -> Claims:
    """Pure: pair intents with live unrecorded overrides (each override at most once). Intents
    that ended, or that lie in the listed window without a match, are gone; intents past the
    window stay for a later run."""
    taken = set(recorded)
    out = Claims()
    for intent in sorted(intents, key=lambda i: (i.start, i.shift_id, i.version)):
        if intent.end <= now:
            out.gone.append(intent)
            continue
        if intent.start >= window[1]:
            continue
        match = next((o for o in remote if o.id not in taken and o.end > now and _matches(intent, o)), None)
        if match is None:
            out.gone.append(intent)
        else:
            taken.add(match.id)
            out.found.append((intent, match))
    return out


def settle(session: Session, destination_id: int, claims: Claims) -> None:
    """Write `claims` back: found intents become records of their override, gone ones are dropped."""
    for intent, o in claims.found:
        row = session.exec(select(ExportedOverride).where(ExportedOverride.destination_id == destination_id,
                                                          ExportedOverride.override_id == intent.override_id)).first()
        if row is not None:
            row.override_id, row.user_id, row.start, row.end = o.id, o.user_id, o.start, o.end
    forget(session, destination_id, [i.override_id.removeprefix(PENDING) for i in claims.gone])
