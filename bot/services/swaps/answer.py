"""Answering a pending swap request: `accept` (the last consent executes it in the same
transaction), `decline`, `withdraw` by the requester, and `expire_due` once its first shift starts."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Engine, update
from sqlmodel import select

from bot.services.errors import UserError
from bot.services.swaps import AcceptResult, SwapConflict, SwapInfo, SwapRefused
from bot.services.swaps.execute import execute
from bot.services.swaps.store import close, info, load, parse_users, set_status, status_words
from bot.store import audit, session_scope
from bot.store.models import SwapRequest, SwapStatus


def _ensure_pending(req: SwapRequest) -> None:
    if req.status != SwapStatus.PENDING.value:
        raise SwapConflict(f"This request was already {status_words(req.status)}.")


def accept(engine: Engine, team_id: str, request_id: int, user: str, now: datetime) -> AcceptResult:
    """`user` accepts; the last needed consent executes the swap in the same transaction."""
    with session_scope(engine) as session:
        req = load(session, team_id, request_id)
        consent = parse_users(req.consent_from)
        _ensure_pending(req)
        if user not in consent:
            raise UserError(f"This request is for {', '.join(f'<@{u}>' for u in consent)} to answer.")
        accepted = parse_users(req.accepted_by)
        if user in accepted:
            raise UserError("You already accepted; waiting for " + ", ".join(f"<@{u}>" for u in consent
                                                                             if u not in accepted) + ".")
        if now >= req.expires_at:
            close(session, req, SwapStatus.EXPIRED.value, decided_at=now)
            return AcceptResult(info(session, req), "expired")
        accepted_by = ",".join((*accepted, user))
        if any(u not in (*accepted, user) for u in consent):
            res = session.exec(update(SwapRequest).where(SwapRequest.id == req.id, SwapRequest.status == "pending",
                                                         SwapRequest.accepted_by == req.accepted_by)
                               .values(accepted_by=accepted_by).execution_options(synchronize_session=False))
            if res.rowcount != 1:
                raise SwapConflict("This request changed a moment ago: look at it again.")
            req.accepted_by = accepted_by
            return AcceptResult(info(session, req), "waiting")
        set_status(session, req, SwapStatus.PENDING.value, SwapStatus.EXECUTED.value, accepted_by=accepted_by)
        try:
            execute(session, req, user, now)
        except (SwapConflict, SwapRefused) as exc:
            session.rollback()  # nothing of this attempt is kept
            failure = exc
        else:
            return AcceptResult(info(session, req), "executed")
    # it can never succeed as sent: a shift changed under it (withdrawn), or a check fails now (refused)
    with session_scope(engine) as session:
        req = load(session, team_id, request_id)
        if req.status == SwapStatus.PENDING.value:
            if isinstance(failure, SwapRefused):
                close(session, req, SwapStatus.REFUSED.value, decided_by=user, decided_at=now,
                      note="\n".join([*filter(None, [req.note]), *failure.reasons]))
                return AcceptResult(info(session, req), "refused", failure.reasons)
            close(session, req, SwapStatus.CANCELLED.value, decided_at=now,
                  note=(req.note + "\n" if req.note else "") + "A shift changed before it was accepted.")
            return AcceptResult(info(session, req), "cancelled")
    raise failure


def decline(engine: Engine, team_id: str, request_id: int, user: str, now: datetime) -> SwapInfo:
    with session_scope(engine) as session:
        req = load(session, team_id, request_id)
        if user not in parse_users(req.consent_from):
            raise UserError(f"Only {', '.join(f'<@{u}>' for u in parse_users(req.consent_from))} can decline this "
                            "request.")
        _ensure_pending(req)
        close(session, req, SwapStatus.DECLINED.value, decided_by=user, decided_at=now)
        _record(session, req, user, "decline", now)
        return info(session, req)


def withdraw(engine: Engine, team_id: str, request_id: int, user: str, now: datetime) -> SwapInfo:
    """The requester takes a pending request back."""
    with session_scope(engine) as session:
        req = load(session, team_id, request_id)
        if user != req.requested_by:
            raise UserError(f"Only <@{req.requested_by}>, who asked, can withdraw this request.")
        _ensure_pending(req)
        close(session, req, SwapStatus.CANCELLED.value, decided_by=user, decided_at=now)
        _record(session, req, user, "withdraw", now)
        return info(session, req)


def _record(session, req: SwapRequest, user: str, verb: str, now: datetime) -> None:
    """`swap.decline`, `cover.withdraw` …: a request closed by a person, for `/oncall history`."""
    audit.record(session, req.team_id, user, f"{req.kind}.{verb}", schedule_id=req.schedule_id, at=now,
                 detail=json.dumps({"request": req.id, "requested_by": req.requested_by}))


def expire_due(engine: Engine, now: datetime, team_id: str | None = None) -> list[SwapInfo]:
    """Mark every pending request whose first shift has started as expired; returns them."""
    with session_scope(engine) as session:
        query = select(SwapRequest.id).where(SwapRequest.status == SwapStatus.PENDING.value,
                                             SwapRequest.expires_at <= now)
        if team_id is not None:
            query = query.where(SwapRequest.team_id == team_id)
        ids = list(session.exec(query))
    out = []
    for rid in ids:
        try:
            with session_scope(engine) as session:
                req = session.get(SwapRequest, rid)
                close(session, req, SwapStatus.EXPIRED.value, decided_at=now)
                out.append(info(session, req))
        except SwapConflict:
            continue  # answered meanwhile
    return out
