"""Unlink a schedule: forget it and everything the bot kept for it (the provider is left untouched)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from bot.context import Context
from bot.services import workspace
from bot.store import (
    Destination,
    DriftAlert,
    ExportedOverride,
    Member,
    Shift,
    SwapRequest,
    audit,
    session_scope,
)


@dataclass(frozen=True)
class Unlinked:
    name: str
    members: tuple[str, ...]  # the Slack users who were members (their App Home changes)


def unlink_schedule(ctx: Context, team_id: str, schedule_id: int, actor: str) -> Unlinked:
    """Forget the schedule and everything the bot kept for it; the provider is left untouched."""
    with session_scope(ctx.engine) as session:
        sched = workspace.get_schedule(session, team_id, schedule_id)
        members = tuple(u for u in session.exec(select(Member.slack_user_id).where(Member.schedule_id == sched.id)) if u)
        dest_ids = [d.id for d in session.exec(select(Destination).where(Destination.schedule_id == sched.id))]
        for model, column in ((ExportedOverride, ExportedOverride.destination_id), (DriftAlert, DriftAlert.destination_id)):
            for row in session.exec(select(model).where(column.in_(dest_ids))):
                session.delete(row)
        session.flush()
        for model in (SwapRequest, Shift, Destination):
            for row in session.exec(select(model).where(model.schedule_id == sched.id)):
                session.delete(row)
        session.flush()
        for row in session.exec(select(Member).where(Member.schedule_id == sched.id)):
            session.delete(row)
        session.flush()
        name = sched.name
        session.delete(sched)
        audit.record(session, team_id, actor, "schedule.unlink", schedule_id=schedule_id,
                     detail=name, at=ctx.clock())
        return Unlinked(name, members)
