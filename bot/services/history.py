"""`/oncall history`: the audit events of a workspace (or of one of its schedules), newest first, a page
at a time, each described in words (`describe`, pure). Only the asking workspace's rows are read
(`team_id`), whatever a button value names."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import select

from bot.context import Context
from bot.services import workspace
from bot.store import AuditEvent, Member, session_scope

PAGE_SIZE = 15
DAYS_MAX = 90


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str  # a Slack user id, or "" for the bot itself
    text: str  # what happened, in words (mrkdwn)
    schedule: str | None  # the schedule's name, when the change belongs to one


@dataclass(frozen=True)
class HistoryPage:
    schedule_id: int | None  # None: the whole workspace
    schedule_name: str | None
    days: int
    page: int
    total: int
    entries: tuple[HistoryEntry, ...]

    @property
    def has_newer(self) -> bool:
        return self.page > 0

    @property
    def has_older(self) -> bool:
        return (self.page + 1) * PAGE_SIZE < self.total


def history(ctx: Context, team_id: str, *, name: str | None = None, schedule_id: int | None = None,
            days: int = 7, page: int = 0) -> HistoryPage:
    """One page of the last `days` days of events; UserError when the schedule is not this workspace's."""
    days = max(1, min(days, DAYS_MAX))
    since = ctx.clock() - timedelta(days=days)
    with session_scope(ctx.engine) as session:
        schedule = None
        if schedule_id is not None:
            schedule = workspace.get_schedule(session, team_id, schedule_id)
        elif name:
            schedule = workspace.find_schedule(session, team_id, name)
        where = [AuditEvent.team_id == team_id, AuditEvent.at >= since]
        if schedule is not None:
            where.append(AuditEvent.schedule_id == schedule.id)
        total = session.exec(select(func.count()).select_from(AuditEvent).where(*where)).one()
        page = max(0, min(page, max(0, (total - 1) // PAGE_SIZE)))
        rows = session.exec(select(AuditEvent).where(*where).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                            .offset(page * PAGE_SIZE).limit(PAGE_SIZE)).all()
        names = {s.id: s.name for s in workspace.schedules(session, team_id)}
        member_ids = {i for r in rows for i in _member_ids(r)}
        people = {m.id: (f"<@{m.slack_user_id}>" if m.slack_user_id else (m.name or m.email))
                  for m in session.exec(select(Member).where(Member.team_id == team_id,
                                                             Member.id.in_(member_ids or {0})))}
        entries = tuple(HistoryEntry(r.at, _actor(r.actor), describe(r.action, r.detail, people),
                                     names.get(r.schedule_id) if r.schedule_id else None) for r in rows)
        return HistoryPage(schedule.id if schedule else None, schedule.name if schedule else None, days, page,
                           total, entries)


def _actor(actor: str) -> str:
    return actor if actor[:1] in ("U", "W") else ""


def _json(detail: str) -> dict:
    try:
        value = json.loads(detail)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _member_ids(row: AuditEvent) -> set[int]:
    """Member ids named by swap/undo moves ([shift, from, to, version])."""
    if not row.action.endswith((".execute", ".undo")):
        return set()
    return {x for pair in _pairs(row.action, _json(row.detail)) for x in pair if isinstance(x, int)}


def _pairs(action: str, detail: dict) -> list[tuple]:
    """(from member, to member) per move: executions store [shift, from, to, version], undos
    [shift, from, version, to]."""
    to = 3 if action.endswith(".undo") else 2
    return [(m[1], m[to]) for m in detail.get("moves") or [] if isinstance(m, list) and len(m) >= 4]



def _moves(action: str, detail: dict, people: Mapping[int, str]) -> str:
    moves = _pairs(action, detail)
    if not moves:
        return ""
    text = "; ".join(f"{people.get(a, 'someone')} → {people.get(b, 'someone')}" for a, b in dict.fromkeys(moves))
    return f"{len(moves)} shift{'s' if len(moves) != 1 else ''} ({text})"


def describe(action: str, detail: str, people: Mapping[int, str]) -> str:
    """An audit event in words. `people`: member id -> mention or name (for swap moves)."""
    kind, _, verb = action.partition(".")
    if kind in ("swap", "cover") and verb in ("execute", "undo"):
        data = _json(detail)
        ref = f"{kind} #{data.get('request', '?')}"
        moved = _moves(action, data, people)
        if verb == "undo":
            return f"undid {ref}: {moved or 'shifts put back'}"
        accepted = [u for u in data.get("accepted_by") or [] if isinstance(u, str)]
        by = (f", accepted by {', '.join(f'<@{u}>' for u in accepted)}" if accepted
              else ", forced by a manager" if data.get("forced") else "")
        asked = f", asked by <@{data['requested_by']}>" if isinstance(data.get("requested_by"), str) else ""
        return f"{ref} done: {moved or 'shifts moved'}{asked}{by}"
    if kind in ("swap", "cover") and verb in ("decline", "withdraw"):
        data = _json(detail)
        ref = f"{kind} #{data.get('request', '?')}"
        if verb == "withdraw":
            return f"withdrew {ref}"
        asked = f", asked by <@{data['requested_by']}>" if isinstance(data.get("requested_by"), str) else ""
        return f"declined {ref}{asked}"
    if action == "drift.keep":
        assigned = _json(detail).get("assigned") or []
        return (f"kept the provider's version of a drift: {len(assigned)} shift{'s' if len(assigned) != 1 else ''} "
                "reassigned" + (f" ({'; '.join(map(str, assigned[:3]))})" if assigned else ""))
    texts = {
        "connection.create": "connected the account {}",
        "connection.remove": "removed the account {}",
        "schedule.link": "linked the schedule ({})",
        "schedule.unlink": "unlinked the schedule {}",
        "schedule.edit": "edited the schedule: {}",
        "schedule.pattern": "changed the pattern: {}",
        "schedule.drift_mode": "set the drift mode to {}",
        "schedule.usergroup": "set the on-call user group: {}",
        "member.map": "mapped a person by hand: {}",
        "drift.reapply": "re-applied the bot's assignments after a drift ({})",
        "drift.auto_reapply": "re-applied the bot's assignments automatically ({})",
        "shift.replace": "reassigned a shift for time off ({})",
        "timeoff.add": "added time off: {}",
        "timeoff.cancel": "cancelled time off: {}",
        "calendar.set": "set a calendar feed: {}",
        "calendar.off": "turned a calendar feed off: {}",
        "sync.manual": "exported now with `/oncall sync`: {}",
    }
    template = texts.get(action)
    if template is None:
        return f"{action}: {detail}" if detail else action
    return template.format(detail) if detail else template.replace(": {}", "").replace(" ({})", "").format("")
