"""Swap requests and the rows around them, shared by the swap use cases: the stored columns
parsed, shifts and people as `swaps.select` sees them, loading a request,
its `SwapInfo`, and compare-and-set of its status. Who may act is `bot.services.authz`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlalchemy import Engine, delete, update
from sqlmodel import Session, select

from bot.services import authz
from bot.services.authz import Action, Person
from bot.services.errors import UserError
from bot.services.swaps import SwapConflict, SwapInfo
from bot.services.swaps.select import SWAP, Busy, Party, ShiftRef
from bot.store import session_scope
from bot.store.models import Member, Schedule, Shift, SwapClaim, SwapRequest, SwapStatus, TimeOff

Admin = Callable[[], bool]


# ---------------------------------------------------------------- stored columns


def parse_ids(raw: str) -> list[int]:
    return [int(x) for x in raw.split(",") if x.strip()]


def parse_users(raw: str) -> tuple[str, ...]:
    return tuple(u for u in (x.strip() for x in raw.split(",")) if u)


def parse_versions(raw: str) -> dict[int, int]:
    out = {}
    for part in raw.split(","):
        if ":" in part:
            sid, ver = part.split(":")
            out[int(sid)] = int(ver)
    return out


def given(req: SwapRequest) -> tuple[list[int], list[int]]:
    """The shifts a stored request moves: a's, and b's only for a swap (a cover hands a's over).
    The one reading of a request behind both its messages (`info`) and its execution."""
    return parse_ids(req.shifts_a), (parse_ids(req.shifts_b) if req.kind == SWAP else [])


# ---------------------------------------------------------------- shifts and people


def shift_ref(s: Shift, member_id: int | None = None, version: int | None = None) -> ShiftRef:
    return ShiftRef(s.id, s.role, s.start, s.end, member_id if member_id is not None else (s.member_id or 0),
                    version if version is not None else s.version)


def party(m: Member) -> Party:
    return Party(m.id, m.slack_user_id or "", m.name or m.email)


def may(schedule: Schedule, user: str, admin: Admin, action: Action) -> bool:
    """`bot.services.authz.may` for the swap use cases, which get the requester and a lazy admin check."""
    return authz.may(Person(user, admin), action, schedule)


def active_member(session: Session, schedule: Schedule, slack_user_id: str, now: datetime) -> Member | None:
    rows = session.exec(select(Member).where(Member.schedule_id == schedule.id,
                                             Member.slack_user_id == slack_user_id)).all()
    return next((m for m in rows if m.left_at is None or m.left_at > now), None)


def live_shifts(session: Session, schedule_id: int, now: datetime) -> list[ShiftRef]:
    rows = session.exec(select(Shift).where(Shift.schedule_id == schedule_id, Shift.end > now,
                                            Shift.member_id.is_not(None)).order_by(Shift.start))
    return [shift_ref(s) for s in rows]


def claims(session: Session, shift_ids: Iterable[int]) -> dict[int, int]:
    ids = list(shift_ids)
    if not ids:
        return {}
    return {c.shift_id: c.request_id for c in session.exec(select(SwapClaim).where(SwapClaim.shift_id.in_(ids)))}


def time_off(session: Session, team_id: str, people: Sequence[Party], now: datetime) -> dict[int, list[Busy]]:
    by_slack = {p.slack_user_id: p.member_id for p in people if p.slack_user_id}
    if not by_slack:
        return {}
    rows = session.exec(select(TimeOff).where(TimeOff.team_id == team_id, TimeOff.cancelled_at.is_(None),
                                              TimeOff.end > now, TimeOff.slack_user_id.in_(list(by_slack))))
    out: dict[int, list[Busy]] = {}
    for t in rows:
        out.setdefault(by_slack[t.slack_user_id], []).append(Busy(t.start, t.end, t.reason))
    return out


# ---------------------------------------------------------------- requests


def load(session: Session, team_id: str, request_id: int) -> SwapRequest:
    req = session.get(SwapRequest, request_id)
    if req is None or req.team_id != team_id:
        raise UserError("That swap request no longer exists.")
    return req


def status_words(status: str) -> str:
    return {"executed": "accepted and carried out", "declined": "declined", "expired": "expired (its first shift "
            "has started)", "cancelled": "withdrawn", "undone": "undone", "pending": "answered",
            "refused": "refused when it was accepted (something changed since it was sent)"}.get(status, status)


def set_status(session: Session, req: SwapRequest, expected: str, status: str, **values) -> None:
    """Compare-and-set the request's status (and other columns) or raise SwapConflict."""
    res = session.exec(update(SwapRequest).where(SwapRequest.id == req.id, SwapRequest.status == expected)
                       .values(status=status, **values).execution_options(synchronize_session=False))
    if res.rowcount != 1:
        session.rollback()
        current = session.get(SwapRequest, req.id)
        raise SwapConflict(f"This request was already {status_words(current.status if current else 'removed')}.")
    req.status = status
    for k, v in values.items():
        setattr(req, k, v)


def release_claims(session: Session, req: SwapRequest) -> None:
    session.exec(delete(SwapClaim).where(SwapClaim.request_id == req.id))


def close(session: Session, req: SwapRequest, status: str, **values) -> None:
    """A pending request ends without moving anything (compare-and-set); its shifts are free again."""
    set_status(session, req, SwapStatus.PENDING.value, status, **values)
    release_claims(session, req)


def info(session: Session, req: SwapRequest) -> SwapInfo:
    schedule = session.get(Schedule, req.schedule_id)
    ma, mb = session.get(Member, req.member_a_id), session.get(Member, req.member_b_id)
    versions = parse_versions(req.shift_versions)

    def refs(ids: list[int], owner: int) -> tuple[ShiftRef, ...]:
        out = []
        for sid in ids:
            s = session.get(Shift, sid)
            if s is not None:
                out.append(shift_ref(s, owner, versions.get(sid, s.version)))
        return tuple(out)

    ids_a, ids_b = given(req)

    return SwapInfo(
        id=req.id, team_id=req.team_id, kind=req.kind, status=req.status, schedule_id=req.schedule_id,
        schedule_name=schedule.name if schedule else "", time_zone=schedule.time_zone if schedule else "UTC",
        channel_id=schedule.channel_id if schedule else None, requested_by=req.requested_by,
        a=party(ma), b=party(mb), give_a=refs(ids_a, req.member_a_id),
        give_b=refs(ids_b, req.member_b_id), consent_from=parse_users(req.consent_from),
        accepted_by=parse_users(req.accepted_by), expires_at=req.expires_at, forced=req.forced, note=req.note or "",
        dm_refs=json.loads(req.dm_refs or "{}"), message_channel=req.message_channel, message_ts=req.message_ts,
        decided_by=req.decided_by, undone_by=req.undone_by,
    )


def get_info(engine: Engine, team_id: str, request_id: int) -> SwapInfo:
    with session_scope(engine) as session:
        return info(session, load(session, team_id, request_id))


def record_messages(engine: Engine, request_id: int, *, dm_refs: dict[str, list[str]] | None = None,
                    channel: str | None = None, ts: str | None = None) -> None:
    """Remember where the request's messages are, to update them later."""
    with session_scope(engine) as session:
        req = session.get(SwapRequest, request_id)
        if req is None:
            return
        if dm_refs is not None:
            req.dm_refs = json.dumps({**json.loads(req.dm_refs or "{}"), **dm_refs})
        if channel and ts:
            req.message_channel, req.message_ts = channel, ts
