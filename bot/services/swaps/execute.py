"""Carrying a swap out and putting it back: `execute` re-checks a request on the current data and
moves its shifts (compare-and-set) in the caller's transaction; `undo` moves them back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, or_
from sqlmodel import Session, select

from bot.services import authz
from bot.services.authz import Action, Person
from bot.services.errors import UserError
from bot.services.swaps import SwapConflict, SwapInfo, SwapRefused
from bot.services.swaps.select import Check, Proposal, check, span
from bot.services.swaps.store import (
    Admin,
    claims,
    given,
    info,
    live_shifts,
    load,
    may,
    parse_versions,
    party,
    release_claims,
    set_status,
    shift_ref,
    status_words,
    time_off,
)
from bot.store import audit, session_scope
from bot.store.models import Member, Schedule, Shift, SwapRequest, SwapStatus
from bot.store.shifts import reassign_shift

Move = tuple[int, int, int, int]  # (shift id, from member, expected version, to member)

_CHANGED = ("One of these shifts was changed by someone else a moment ago (another swap or a reassignment): "
            "nothing changed.")


def moves(req: SwapRequest) -> list[Move]:
    """Every shift of the request with its owner, version and new owner: a's go to b, b's to a
    (exactly the shifts its messages list: `given`)."""
    versions = parse_versions(req.shift_versions)
    ids_a, ids_b = given(req)
    return ([(sid, req.member_a_id, versions[sid], req.member_b_id) for sid in ids_a]
            + [(sid, req.member_b_id, versions[sid], req.member_a_id) for sid in ids_b])


def _move(session: Session, todo: Sequence[Move], now: datetime) -> dict[int, int]:
    """Compare-and-set every shift; any miss raises SwapConflict (the caller's transaction rolls back)."""
    new = {}
    for sid, frm, version, to in todo:
        if not reassign_shift(session, sid, from_member=frm, version=version, to_member=to, now=now, source="swap"):
            raise SwapConflict(_CHANGED)
        new[sid] = version + 1
    return new


def recheck(session: Session, req: SwapRequest, now: datetime) -> Check:
    """`check` again on the current data, in the executing transaction: time off entered, a shift of
    another role taken or a start passed since the request was sent. A request forced by a manager
    stays forced over time off (said in the warnings). A shift that changed owner or version is a
    SwapConflict, as `_move` would find."""
    schedule = session.get(Schedule, req.schedule_id)
    ma, mb = session.get(Member, req.member_a_id), session.get(Member, req.member_b_id)
    if schedule is None or ma is None or mb is None:
        raise SwapConflict(_CHANGED)
    a, b = party(ma), party(mb)
    current = {}
    for sid, frm, version, _ in moves(req):
        s = session.get(Shift, sid)
        if s is None or s.member_id != frm or s.version != version:
            raise SwapConflict(_CHANGED)
        current[sid] = shift_ref(s)
    ids_a, ids_b = given(req)
    proposal = Proposal(req.kind, schedule.id, schedule.name, schedule.time_zone, a, b,
                        tuple(current[sid] for sid in ids_a), tuple(current[sid] for sid in ids_b), forced=req.forced)
    claimed = {sid: rid for sid, rid in claims(session, current).items() if rid != req.id}
    result = check(proposal, now, live=live_shifts(session, schedule.id, now),
                   time_off=time_off(session, req.team_id, (a, b), now), claimed=claimed,
                   may_force=req.forced, actor=req.requested_by)  # forced only ever by a manager (see submit)
    left = [m for m in (ma, mb) if m.left_at is not None and m.left_at <= now]
    result.refusals[:0] = [f"<@{m.slack_user_id}> is no longer a member of *{schedule.name}*." for m in left]
    return result


def execute(session: Session, req: SwapRequest, actor: str, now: datetime) -> None:
    """Re-check, then move every shift (compare-and-set) in the caller's transaction.
    Raises SwapRefused / SwapConflict; the caller rolls back."""
    checked = recheck(session, req, now)
    if not checked.ok:
        raise SwapRefused(checked.refusals)
    noted = (req.note or "").splitlines()
    req.note = "\n".join(noted + [w for w in checked.warnings if w not in noted])
    todo = moves(req)
    new = _move(session, todo, now)
    req.status = SwapStatus.EXECUTED.value
    req.shift_versions = ",".join(f"{k}:{v}" for k, v in new.items())
    req.executed_at = req.decided_at = now
    req.decided_by = actor
    release_claims(session, req)
    detail = [[sid, frm, to, new[sid]] for sid, frm, _, to in todo]
    audit.record(session, req.team_id, actor, f"{req.kind}.execute", schedule_id=req.schedule_id,
                 at=now, detail=json.dumps({"request": req.id, "moves": detail, "requested_by": req.requested_by,
                                            "accepted_by": [u for u in (req.accepted_by or "").split(",") if u],
                                            "forced": bool(req.forced)}))
    session.flush()


# ---------------------------------------------------------------- undo


def undo(engine: Engine, team_id: str, user: str, request_id: int | None, *, admin: Admin, now: datetime) -> SwapInfo:
    """Put every shift of an executed swap back, until its first shift starts."""
    with session_scope(engine) as session:
        req = load(session, team_id, request_id) if request_id is not None else _latest(session, team_id, user, now)
        schedule = session.get(Schedule, req.schedule_id)
        people = {req.requested_by, *(m.slack_user_id for m in (session.get(Member, req.member_a_id),
                                                              session.get(Member, req.member_b_id)) if m)}
        if user not in people and not may(schedule, user, admin, Action.UNDO_OTHERS):
            raise UserError(f"Only <@{req.requested_by}> and the two people involved can undo swap #{req.id}. "
                            + authz.refusal(Person(user, admin), Action.UNDO_OTHERS, schedule)
                            .removeprefix(":no_entry: "))
        if req.status != SwapStatus.EXECUTED.value:
            raise UserError(f"Swap #{req.id} cannot be undone: it was {status_words(req.status)}"
                            + ("." if req.status != "pending" else " yet: nothing has moved."))
        current = info(session, req)
        if now >= current.first_start:
            raise UserError(f"Swap #{req.id} can no longer be undone: its first shift "
                            f"({span(min(current.give_a + current.give_b, key=lambda s: s.start), current.time_zone)})"
                            " has started.")
        back = [(sid, to, version, frm) for sid, frm, version, to in moves(req)]
        set_status(session, req, SwapStatus.EXECUTED.value, SwapStatus.UNDONE.value, undone_by=user, undone_at=now)
        try:
            new = _move(session, back, now)
        except SwapConflict:
            raise SwapConflict(f"Swap #{req.id} cannot be undone: one of its shifts changed since (another swap "
                               "or a reassignment).") from None
        req.shift_versions = ",".join(f"{k}:{v}" for k, v in new.items())
        audit.record(session, team_id, user, f"{req.kind}.undo", schedule_id=req.schedule_id,
                     at=now, detail=json.dumps({"request": req.id, "moves": [list(m) for m in back]}))
        session.flush()
        return info(session, req)


def _latest(session: Session, team_id: str, user: str, now: datetime) -> SwapRequest:
    mine = select(Member.id).where(Member.slack_user_id == user)
    rows = session.exec(
        select(SwapRequest).where(SwapRequest.team_id == team_id, SwapRequest.status == SwapStatus.EXECUTED.value,
                                  or_(SwapRequest.requested_by == user, SwapRequest.member_a_id.in_(mine),
                                      SwapRequest.member_b_id.in_(mine)))
        .order_by(SwapRequest.executed_at.desc(), SwapRequest.id.desc())
    ).all()
    for req in rows:
        if info(session, req).first_start > now:
            return req
    raise UserError("You have no swap that can still be undone (undo works until the first moved shift starts). "
                    "Name one with `/oncall undo <swap id>`.")
