"""Swap and cover use cases on the database: prepare, submit, accept, decline, withdraw, undo, expire.

Each use case owns its transaction. Changes are compare-and-set, so of two racing actions on
the same shift or request exactly one wins and the other gets a `SwapConflict`:

- a shift moves with `UPDATE shift … WHERE id = :id AND member_id = :owner AND version = :v`
  and the row count is checked (PostgreSQL's row lock makes the loser wait, then miss);
- a request changes state with `UPDATE swaprequest … WHERE status = :expected`;
- a pending request claims its shifts in `SwapClaim` (unique per shift), so two requests can
  never both wait on one shift.

A moved shift gets `source = "swap"`: assignments treat it as fixed and never re-plan it away.
Slack messages and the re-export are `bot.services.swaps_flow`'s business.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.services import lookup
from bot.services.errors import UserError
from bot.services.swaps_select import (
    COVER,
    SWAP,
    Busy,
    Check,
    Party,
    Proposal,
    ShiftRef,
    Token,
    Window,
    check,
    pick,
    span,
    upcoming,
)
from bot.store import session_scope
from bot.store.models import AuditEvent, Member, Schedule, Shift, SwapClaim, SwapRequest, SwapStatus, TimeOff
from bot.store.shifts import reassign_shift

OPTIONS_MAX = 25  # shifts offered per person in the picker modal
Admin = Callable[[], bool]


class SwapConflict(UserError):
    """Someone else changed the shift or answered the request first."""


class SwapRefused(UserError):
    """The checks that passed when the swap was requested fail now (e.g. time off entered since)."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = tuple(reasons)


# ---------------------------------------------------------------- read models


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


# ---------------------------------------------------------------- helpers


def _ids(raw: str) -> list[int]:
    return [int(x) for x in raw.split(",") if x.strip()]


def _users(raw: str) -> tuple[str, ...]:
    return tuple(u for u in (x.strip() for x in raw.split(",")) if u)


def _versions(raw: str) -> dict[int, int]:
    out = {}
    for part in raw.split(","):
        if ":" in part:
            sid, ver = part.split(":")
            out[int(sid)] = int(ver)
    return out


def _ref(s: Shift, member_id: int | None = None, version: int | None = None) -> ShiftRef:
    return ShiftRef(s.id, s.role, s.start, s.end, member_id if member_id is not None else (s.member_id or 0),
                    version if version is not None else s.version)


def _party(m: Member) -> Party:
    return Party(m.id, m.slack_user_id or "", m.name or m.email)


def managers(schedule: Schedule) -> list[str]:
    return list(_users(schedule.managers))


def is_manager(schedule: Schedule, user: str, admin: Admin) -> bool:
    return user in managers(schedule) or admin()


def _member(session: Session, schedule: Schedule, slack_user_id: str, now: datetime) -> Member | None:
    rows = session.exec(select(Member).where(Member.schedule_id == schedule.id,
                                             Member.slack_user_id == slack_user_id)).all()
    return next((m for m in rows if m.left_at is None or m.left_at > now), None)


def _live(session: Session, schedule_id: int, now: datetime) -> list[ShiftRef]:
    rows = session.exec(select(Shift).where(Shift.schedule_id == schedule_id, Shift.end > now,
                                            Shift.member_id.is_not(None)).order_by(Shift.start))
    return [_ref(s) for s in rows]


def _claims(session: Session, shift_ids: Iterable[int]) -> dict[int, int]:
    ids = list(shift_ids)
    if not ids:
        return {}
    return {c.shift_id: c.request_id for c in session.exec(select(SwapClaim).where(SwapClaim.shift_id.in_(ids)))}


def _time_off(session: Session, team_id: str, people: Sequence[Party], now: datetime) -> dict[int, list[Busy]]:
    by_slack = {p.slack_user_id: p.member_id for p in people if p.slack_user_id}
    if not by_slack:
        return {}
    rows = session.exec(select(TimeOff).where(TimeOff.team_id == team_id, TimeOff.cancelled_at.is_(None),
                                              TimeOff.end > now, TimeOff.slack_user_id.in_(list(by_slack))))
    out: dict[int, list[Busy]] = {}
    for t in rows:
        out.setdefault(by_slack[t.slack_user_id], []).append(Busy(t.start, t.end, t.reason))
    return out


def _authority(schedule: Schedule, q_requester: str, a: Party, b: Party, admin: Admin
               ) -> tuple[bool, tuple[str, ...]] | str:
    """(direct, consent_from), or the refusal in words."""
    if q_requester in (a.slack_user_id, b.slack_user_id):
        other = b.slack_user_id if q_requester == a.slack_user_id else a.slack_user_id
        return False, (other,)
    if is_manager(schedule, q_requester, admin):
        if schedule.swap_requires_consent:
            return False, tuple(u for u in (a.slack_user_id, b.slack_user_id) if u)
        return True, ()
    who = ", ".join(f"<@{u}>" for u in managers(schedule))
    return (f"You can only swap or hand over your own shifts. To move other people's shifts in *{schedule.name}*, "
            f"ask one of its managers{f' ({who})' if who else ''} or a workspace admin.")


def _shared_schedules(session: Session, team_id: str, users: Sequence[str], now: datetime) -> list[Schedule]:
    out = []
    for sched in lookup.schedules(session, team_id):
        if all(_member(session, sched, u, now) is not None for u in users):
            out.append(sched)
    return out


# ---------------------------------------------------------------- prepare


def prepare(engine: Engine, q: SwapQuery, *, admin: Admin, now: datetime) -> Ready | Refused | Choice:
    """Resolve, pick and check a swap or cover; nothing is written."""
    if q.a_user == q.b_user:
        return Refused((f"That names <@{q.a_user}> twice: a {q.kind} needs two different people.",))
    with session_scope(engine) as session:
        if q.schedule_id is not None:
            schedule = lookup.get_schedule(session, q.team_id, q.schedule_id)
        elif q.schedule:
            schedule = lookup.find_schedule(session, q.team_id, q.schedule)
        else:
            shared = _shared_schedules(session, q.team_id, (q.a_user, q.b_user), now)
            if not shared:
                return Refused((_no_shared(session, q, now),))
            if len(shared) > 1:
                return Choice(q, f"<@{q.a_user}> and <@{q.b_user}> share several schedules: pick one.",
                              schedules=tuple((s.id, s.name) for s in shared))
            schedule = shared[0]
        ma, mb = _member(session, schedule, q.a_user, now), _member(session, schedule, q.b_user, now)
        missing = [u for u, m in ((q.a_user, ma), (q.b_user, mb)) if m is None]
        if missing:
            return Refused(tuple(f"<@{u}> is not a member of *{schedule.name}*." for u in missing))
        a, b = _party(ma), _party(mb)
        authority = _authority(schedule, q.requester, a, b, admin)
        if isinstance(authority, str):
            return Refused((authority,))
        direct, consent_from = authority
        live = _live(session, schedule.id, now)
        picked = _pick_both(q, schedule, a, b, live, now)
        if isinstance(picked, (Refused, Choice)):
            return picked
        give_a, give_b = picked
        may_force = is_manager(schedule, q.requester, admin)
        proposal = Proposal(q.kind, schedule.id, schedule.name, schedule.time_zone, a, b, give_a, give_b,
                            forced=q.force and may_force)
        result = check(proposal, now, live=live, time_off=_time_off(session, q.team_id, (a, b), now),
                       claimed=_claims(session, [s.id for s in proposal.shifts]), may_force=may_force,
                       actor=q.requester)
        if q.force and not may_force:
            result.refusals.insert(0, "Only the schedule's managers and workspace admins can force a swap.")
        if not result.ok:
            return Refused(tuple(result.refusals), result.forceable, proposal)
        return Ready(proposal, direct, consent_from, tuple(result.warnings))


def _no_shared(session: Session, q: SwapQuery, now: datetime) -> str:
    alone = [u for u in (q.a_user, q.b_user) if not _shared_schedules(session, q.team_id, (u,), now)]
    if alone:
        return " ".join(f"<@{u}> is not a member of any schedule." for u in alone)
    return f"<@{q.a_user}> and <@{q.b_user}> are not in a schedule together."


def _pick_both(q: SwapQuery, schedule: Schedule, a: Party, b: Party, live: list[ShiftRef], now: datetime
               ) -> tuple[tuple[ShiftRef, ...], tuple[ShiftRef, ...]] | Refused | Choice:
    by_id = {s.id: s for s in live}
    if q.picked_a is not None:
        gone = [i for i in (*q.picked_a, *(q.picked_b or ())) if i not in by_id]
        if gone:
            return Refused(("A picked shift has ended or no longer exists: run the command again.",))
        return tuple(by_id[i] for i in q.picked_a), tuple(by_id[i] for i in q.picked_b or ())
    mine_a, mine_b = upcoming(live, a.member_id, now), upcoming(live, b.member_id, now)
    pa = pick(mine_a, q.window, schedule.time_zone, now, f"<@{a.slack_user_id}>")
    pb = pick(mine_b, q.window, schedule.time_zone, now, f"<@{b.slack_user_id}>") if q.kind == SWAP else None
    reasons = [p.ambiguous for p in (pa, pb) if p is not None and p.ambiguous]
    if not reasons:
        return pa.shifts, pb.shifts if pb else ()
    opts_a = _options(mine_a, pa.candidates, now)
    opts_b = _options(mine_b, pb.candidates, now) if pb else ()
    if not opts_a or (q.kind == SWAP and not opts_b):
        empty = [p for p, opts in ((a, opts_a), (b, opts_b if q.kind == SWAP else (1,))) if not opts]
        return Refused(tuple(f"<@{p.slack_user_id}> has no upcoming shift in *{schedule.name}*." for p in empty))
    return Choice(q, "; ".join(reasons) + ": pick the shifts.", schedule_id=schedule.id,
                  schedule_name=schedule.name, time_zone=schedule.time_zone, a=a, b=b,
                  options_a=opts_a, options_b=opts_b,
                  selected_a=tuple(s.id for s in (pa.shifts or pa.candidates)),
                  selected_b=tuple(s.id for s in ((pb.shifts or pb.candidates) if pb else ())))


def _options(mine: list[ShiftRef], candidates: Sequence[ShiftRef], now: datetime) -> tuple[ShiftRef, ...]:
    future = [s for s in mine if s.start > now]
    keep = {s.id: s for s in future[:OPTIONS_MAX]}
    for c in candidates:
        if c.start > now:
            keep.setdefault(c.id, c)
    return tuple(sorted(keep.values(), key=lambda s: s.start))


# ---------------------------------------------------------------- submit


def submit(engine: Engine, team_id: str, token: str, requester: str, *, admin: Admin, now: datetime) -> SwapInfo:
    """Confirm a previewed proposal: a manager's direct swap executes now; otherwise a pending
    request is created (the caller asks for consent). Raises UserError / SwapConflict."""
    try:
        t = Token.parse(token)
    except (ValueError, KeyError, TypeError):
        raise UserError("That button is out of date: run the command again.") from None
    try:
        with session_scope(engine) as session:
            schedule = lookup.get_schedule(session, team_id, t.schedule_id)
            ma, mb = session.get(Member, t.a_member), session.get(Member, t.b_member)
            if ma is None or mb is None or {ma.schedule_id, mb.schedule_id} != {schedule.id}:
                raise UserError("One of the two people is no longer in the schedule.")
            a, b = _party(ma), _party(mb)
            give_a = _expected(session, t.give_a, a, schedule)
            give_b = _expected(session, t.give_b, b, schedule)
            may_force = is_manager(schedule, requester, admin)
            proposal = Proposal(t.kind, schedule.id, schedule.name, schedule.time_zone, a, b, give_a, give_b,
                                forced=t.forced and may_force)
            authority = _authority(schedule, requester, a, b, admin)
            if isinstance(authority, str):
                raise UserError(authority)
            direct, consent_from = authority
            result = check(proposal, now, live=_live(session, schedule.id, now),
                           time_off=_time_off(session, team_id, (a, b), now),
                           claimed=_claims(session, [s.id for s in proposal.shifts]), may_force=may_force,
                           actor=requester)
            if not result.ok:
                raise UserError(" ".join(result.refusals))
            req = SwapRequest(
                team_id=team_id, schedule_id=schedule.id, kind=t.kind, requested_by=requester,
                member_a_id=a.member_id, member_b_id=b.member_id,
                shifts_a=",".join(str(s.id) for s in give_a), shifts_b=",".join(str(s.id) for s in give_b),
                shift_versions=",".join(f"{s.id}:{s.version}" for s in proposal.shifts),
                forced=proposal.forced, expires_at=proposal.first_start, consent_from=",".join(consent_from),
                note="\n".join(result.warnings), created_at=now,
            )
            session.add(req)
            session.flush()
            for s in proposal.shifts:
                session.add(SwapClaim(team_id=team_id, shift_id=s.id, request_id=req.id))
            session.flush()
            if direct:
                _execute(session, req, requester, now)
            return _info(session, req)
    except IntegrityError:
        raise SwapConflict("Another swap request claimed one of these shifts a moment ago: nothing changed. "
                           "Run the command again to see where things stand.") from None


def _expected(session: Session, pairs: Sequence[tuple[int, int]], owner: Party, schedule: Schedule
              ) -> tuple[ShiftRef, ...]:
    out = []
    for sid, version in pairs:
        s = session.get(Shift, sid)
        if s is None or s.schedule_id != schedule.id or s.member_id != owner.member_id or s.version != version:
            raise SwapConflict("These shifts changed since the preview (another swap or a reassignment): "
                               "nothing changed. Run the command again.")
        out.append(_ref(s))
    return tuple(out)


# ---------------------------------------------------------------- execute / accept / decline


def _moves(req: SwapRequest) -> list[tuple[int, int, int, int]]:
    """(shift id, from member, expected version, to member)."""
    versions = _versions(req.shift_versions)
    return ([(sid, req.member_a_id, versions[sid], req.member_b_id) for sid in _ids(req.shifts_a)]
            + [(sid, req.member_b_id, versions[sid], req.member_a_id) for sid in _ids(req.shifts_b)])


_CHANGED = ("One of these shifts was changed by someone else a moment ago (another swap or a reassignment): "
            "nothing changed.")


def _move(session: Session, moves: Sequence[tuple[int, int, int, int]], now: datetime) -> dict[int, int]:
    """Compare-and-set every shift; any miss raises SwapConflict (the caller's transaction rolls back)."""
    new = {}
    for sid, frm, version, to in moves:
        if not reassign_shift(session, sid, from_member=frm, version=version, to_member=to, now=now, source="swap"):
            raise SwapConflict(_CHANGED)
        new[sid] = version + 1
    return new


def _recheck(session: Session, req: SwapRequest, now: datetime) -> Check:
    """`check` again on the current data, in the executing transaction: time off entered, a shift of
    another role taken or a start passed since the request was sent. A request forced by a manager
    stays forced over time off (said in the warnings). A shift that changed owner or version is a
    SwapConflict, as `_move` would find."""
    schedule = session.get(Schedule, req.schedule_id)
    ma, mb = session.get(Member, req.member_a_id), session.get(Member, req.member_b_id)
    if schedule is None or ma is None or mb is None:
        raise SwapConflict(_CHANGED)
    a, b = _party(ma), _party(mb)
    versions = _versions(req.shift_versions)
    current = {}
    for sid, frm, _, _ in _moves(req):
        s = session.get(Shift, sid)
        if s is None or s.member_id != frm or s.version != versions[sid]:
            raise SwapConflict(_CHANGED)
        current[sid] = _ref(s)
    proposal = Proposal(req.kind, schedule.id, schedule.name, schedule.time_zone, a, b,
                        tuple(current[sid] for sid in _ids(req.shifts_a)),
                        tuple(current[sid] for sid in _ids(req.shifts_b)), forced=req.forced)
    claimed = {sid: rid for sid, rid in _claims(session, current).items() if rid != req.id}
    result = check(proposal, now, live=_live(session, schedule.id, now),
                   time_off=_time_off(session, req.team_id, (a, b), now), claimed=claimed,
                   may_force=req.forced, actor=req.requested_by)  # forced only ever by a manager (see submit)
    left = [m for m in (ma, mb) if m.left_at is not None and m.left_at <= now]
    result.refusals[:0] = [f"<@{m.slack_user_id}> is no longer a member of *{schedule.name}*." for m in left]
    return result


def _execute(session: Session, req: SwapRequest, actor: str, now: datetime) -> None:
    """Re-check, then move every shift (compare-and-set) in the caller's transaction.
    Raises SwapRefused / SwapConflict; the caller rolls back."""
    checked = _recheck(session, req, now)
    if not checked.ok:
        raise SwapRefused(checked.refusals)
    noted = (req.note or "").splitlines()
    req.note = "\n".join(noted + [w for w in checked.warnings if w not in noted])
    new = _move(session, _moves(req), now)
    req.status = SwapStatus.EXECUTED.value
    req.shift_versions = ",".join(f"{k}:{v}" for k, v in new.items())
    req.executed_at = req.decided_at = now
    req.decided_by = actor
    session.exec(delete(SwapClaim).where(SwapClaim.request_id == req.id))
    session.add(AuditEvent(team_id=req.team_id, actor=actor, action=f"{req.kind}.execute", schedule_id=req.schedule_id,
                           at=now, detail=json.dumps({"request": req.id, "moves": _moves_detail(req, new)})))
    session.flush()


def _moves_detail(req: SwapRequest, versions: dict[int, int]) -> list[list[int]]:
    out = [[sid, req.member_a_id, req.member_b_id, versions[sid]] for sid in _ids(req.shifts_a)]
    return out + [[sid, req.member_b_id, req.member_a_id, versions[sid]] for sid in _ids(req.shifts_b)]


def _set_status(session: Session, req: SwapRequest, expected: str, status: str, **values) -> None:
    """Compare-and-set the request's status (and other columns) or raise SwapConflict."""
    res = session.exec(update(SwapRequest).where(SwapRequest.id == req.id, SwapRequest.status == expected)
                       .values(status=status, **values).execution_options(synchronize_session=False))
    if res.rowcount != 1:
        session.rollback()
        current = session.get(SwapRequest, req.id)
        raise SwapConflict(f"This request was already {_status_words(current.status if current else 'removed')}.")
    req.status = status
    for k, v in values.items():
        setattr(req, k, v)


def _status_words(status: str) -> str:
    return {"executed": "accepted and carried out", "declined": "declined", "expired": "expired (its first shift "
            "has started)", "cancelled": "withdrawn", "undone": "undone", "pending": "answered",
            "refused": "refused when it was accepted (something changed since it was sent)"}.get(status, status)


def _load(session: Session, team_id: str, request_id: int) -> SwapRequest:
    req = session.get(SwapRequest, request_id)
    if req is None or req.team_id != team_id:
        raise UserError("That swap request no longer exists.")
    return req


def accept(engine: Engine, team_id: str, request_id: int, user: str, now: datetime) -> AcceptResult:
    """`user` accepts; the last needed consent executes the swap in the same transaction."""
    with session_scope(engine) as session:
        req = _load(session, team_id, request_id)
        consent = _users(req.consent_from)
        if req.status != SwapStatus.PENDING.value:
            raise SwapConflict(f"This request was already {_status_words(req.status)}.")
        if user not in consent:
            raise UserError(f"This request is for {', '.join(f'<@{u}>' for u in consent)} to answer.")
        accepted = _users(req.accepted_by)
        if user in accepted:
            raise UserError("You already accepted; waiting for " + ", ".join(f"<@{u}>" for u in consent
                                                                             if u not in accepted) + ".")
        if now >= req.expires_at:
            _set_status(session, req, SwapStatus.PENDING.value, SwapStatus.EXPIRED.value, decided_at=now)
            session.exec(delete(SwapClaim).where(SwapClaim.request_id == req.id))
            return AcceptResult(_info(session, req), "expired")
        accepted_by = ",".join((*accepted, user))
        if any(u not in (*accepted, user) for u in consent):
            res = session.exec(update(SwapRequest).where(SwapRequest.id == req.id, SwapRequest.status == "pending",
                                                         SwapRequest.accepted_by == req.accepted_by)
                               .values(accepted_by=accepted_by).execution_options(synchronize_session=False))
            if res.rowcount != 1:
                raise SwapConflict("This request changed a moment ago: look at it again.")
            req.accepted_by = accepted_by
            return AcceptResult(_info(session, req), "waiting")
        _set_status(session, req, SwapStatus.PENDING.value, SwapStatus.EXECUTED.value, accepted_by=accepted_by)
        try:
            _execute(session, req, user, now)
        except (SwapConflict, SwapRefused) as exc:
            session.rollback()  # nothing of this attempt is kept
            failure = exc
        else:
            return AcceptResult(_info(session, req), "executed")
    # it can never succeed as sent: a shift changed under it (withdrawn), or a check fails now (refused)
    with session_scope(engine) as session:
        req = _load(session, team_id, request_id)
        if req.status == SwapStatus.PENDING.value:
            if isinstance(failure, SwapRefused):
                _set_status(session, req, SwapStatus.PENDING.value, SwapStatus.REFUSED.value, decided_by=user,
                            decided_at=now, note="\n".join([*filter(None, [req.note]), *failure.reasons]))
                session.exec(delete(SwapClaim).where(SwapClaim.request_id == req.id))
                return AcceptResult(_info(session, req), "refused", failure.reasons)
            _set_status(session, req, SwapStatus.PENDING.value, SwapStatus.CANCELLED.value, decided_at=now,
                        note=(req.note + "\n" if req.note else "") + "A shift changed before it was accepted.")
            session.exec(delete(SwapClaim).where(SwapClaim.request_id == req.id))
            return AcceptResult(_info(session, req), "cancelled")
    raise failure


def decline(engine: Engine, team_id: str, request_id: int, user: str, now: datetime) -> SwapInfo:
    with session_scope(engine) as session:
        req = _load(session, team_id, request_id)
        if user not in _users(req.consent_from):
            raise UserError(f"Only {', '.join(f'<@{u}>' for u in _users(req.consent_from))} can decline this request.")
        if req.status != SwapStatus.PENDING.value:
            raise SwapConflict(f"This request was already {_status_words(req.status)}.")
        _set_status(session, req, SwapStatus.PENDING.value, SwapStatus.DECLINED.value, decided_by=user, decided_at=now)
        session.exec(delete(SwapClaim).where(SwapClaim.request_id == req.id))
        return _info(session, req)


def withdraw(engine: Engine, team_id: str, request_id: int, user: str, now: datetime) -> SwapInfo:
    """The requester takes a pending request back."""
    with session_scope(engine) as session:
        req = _load(session, team_id, request_id)
        if user != req.requested_by:
            raise UserError(f"Only <@{req.requested_by}>, who asked, can withdraw this request.")
        if req.status != SwapStatus.PENDING.value:
            raise SwapConflict(f"This request was already {_status_words(req.status)}.")
        _set_status(session, req, SwapStatus.PENDING.value, SwapStatus.CANCELLED.value, decided_by=user,
                    decided_at=now)
        session.exec(delete(SwapClaim).where(SwapClaim.request_id == req.id))
        return _info(session, req)


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
                _set_status(session, req, SwapStatus.PENDING.value, SwapStatus.EXPIRED.value, decided_at=now)
                session.exec(delete(SwapClaim).where(SwapClaim.request_id == rid))
                out.append(_info(session, req))
        except SwapConflict:
            continue  # answered meanwhile
    return out


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


def get_info(engine: Engine, team_id: str, request_id: int) -> SwapInfo:
    with session_scope(engine) as session:
        return _info(session, _load(session, team_id, request_id))


# ---------------------------------------------------------------- undo


def undo(engine: Engine, team_id: str, user: str, request_id: int | None, *, admin: Admin, now: datetime) -> SwapInfo:
    """Put every shift of an executed swap back, until its first shift starts."""
    with session_scope(engine) as session:
        req = _load(session, team_id, request_id) if request_id is not None else _latest(session, team_id, user, now)
        schedule = session.get(Schedule, req.schedule_id)
        people = {req.requested_by, *(m.slack_user_id for m in (session.get(Member, req.member_a_id),
                                                              session.get(Member, req.member_b_id)) if m)}
        if user not in people and not is_manager(schedule, user, admin):
            raise UserError(f"Only <@{req.requested_by}>, the two people involved or a manager of "
                            f"*{schedule.name}* can undo swap #{req.id}.")
        if req.status != SwapStatus.EXECUTED.value:
            raise UserError(f"Swap #{req.id} cannot be undone: it was {_status_words(req.status)}"
                            + ("." if req.status != "pending" else " yet: nothing has moved."))
        info = _info(session, req)
        if now >= info.first_start:
            raise UserError(f"Swap #{req.id} can no longer be undone: its first shift "
                            f"({span(min(info.give_a + info.give_b, key=lambda s: s.start), info.time_zone)}) "
                            "has started.")
        versions = _versions(req.shift_versions)
        back = ([(sid, req.member_b_id, versions[sid], req.member_a_id) for sid in _ids(req.shifts_a)]
                + [(sid, req.member_a_id, versions[sid], req.member_b_id) for sid in _ids(req.shifts_b)])
        _set_status(session, req, SwapStatus.EXECUTED.value, SwapStatus.UNDONE.value, undone_by=user, undone_at=now)
        try:
            new = _move(session, back, now)
        except SwapConflict:
            raise SwapConflict(f"Swap #{req.id} cannot be undone: one of its shifts changed since (another swap "
                               "or a reassignment).") from None
        req.shift_versions = ",".join(f"{k}:{v}" for k, v in new.items())
        session.add(AuditEvent(team_id=team_id, actor=user, action=f"{req.kind}.undo", schedule_id=req.schedule_id,
                               at=now, detail=json.dumps({"request": req.id, "moves": [list(m) for m in back]})))
        session.flush()
        return _info(session, req)


def _latest(session: Session, team_id: str, user: str, now: datetime) -> SwapRequest:
    mine = select(Member.id).where(Member.slack_user_id == user)
    rows = session.exec(
        select(SwapRequest).where(SwapRequest.team_id == team_id, SwapRequest.status == SwapStatus.EXECUTED.value,
                                  or_(SwapRequest.requested_by == user, SwapRequest.member_a_id.in_(mine),
                                      SwapRequest.member_b_id.in_(mine)))
        .order_by(SwapRequest.executed_at.desc(), SwapRequest.id.desc())
    ).all()
    for req in rows:
        if _info(session, req).first_start > now:
            return req
    raise UserError("You have no swap that can still be undone (undo works until the first moved shift starts). "
                    "Name one with `/oncall undo <swap id>`.")


# ---------------------------------------------------------------- read model


def _info(session: Session, req: SwapRequest) -> SwapInfo:
    schedule = session.get(Schedule, req.schedule_id)
    ma, mb = session.get(Member, req.member_a_id), session.get(Member, req.member_b_id)
    versions = _versions(req.shift_versions)

    def refs(raw: str, owner: int) -> tuple[ShiftRef, ...]:
        out = []
        for sid in _ids(raw):
            s = session.get(Shift, sid)
            if s is not None:
                out.append(_ref(s, owner, versions.get(sid, s.version)))
        return tuple(out)

    return SwapInfo(
        id=req.id, team_id=req.team_id, kind=req.kind, status=req.status, schedule_id=req.schedule_id,
        schedule_name=schedule.name if schedule else "", time_zone=schedule.time_zone if schedule else "UTC",
        channel_id=schedule.channel_id if schedule else None, requested_by=req.requested_by,
        a=_party(ma), b=_party(mb), give_a=refs(req.shifts_a, req.member_a_id),
        give_b=refs(req.shifts_b, req.member_b_id), consent_from=_users(req.consent_from),
        accepted_by=_users(req.accepted_by), expires_at=req.expires_at, forced=req.forced, note=req.note or "",
        dm_refs=json.loads(req.dm_refs or "{}"), message_channel=req.message_channel, message_ts=req.message_ts,
        decided_by=req.decided_by, undone_by=req.undone_by,
    )


__all__ = ["COVER", "SWAP", "AcceptResult", "Choice", "Ready", "Refused", "SwapConflict", "SwapInfo", "SwapQuery",
           "SwapRefused",
           "Window", "accept", "decline", "expire_due", "get_info", "prepare", "record_messages", "submit", "undo",
           "withdraw"]
