"""Asking for a swap or cover: `prepare` resolves the schedule and people, picks the shifts and
checks them (nothing written); `submit` confirms a previewed proposal as a pending request that
claims its shifts, or executes a manager's direct swap at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.services import authz, workspace
from bot.services.authz import Action, Person
from bot.services.errors import UserError
from bot.services.swaps import Choice, Ready, Refused, SwapConflict, SwapInfo, SwapQuery
from bot.services.swaps.execute import execute
from bot.services.swaps.select import (
    COVER,
    SWAP,
    Check,
    Party,
    Proposal,
    ShiftRef,
    Token,
    check,
    pick,
    upcoming,
)
from bot.services.swaps.store import (
    Admin,
    active_member,
    claims,
    info,
    live_shifts,
    may,
    party,
    shift_ref,
    time_off,
)
from bot.store import session_scope
from bot.store.models import Member, Schedule, Shift, SwapClaim, SwapRequest

OPTIONS_MAX = 25  # shifts offered per person in the picker modal


def _authority(schedule: Schedule, q_requester: str, a: Party, b: Party, admin: Admin
               ) -> tuple[bool, tuple[str, ...]] | str:
    """(direct, consent_from), or the refusal in words."""
    if q_requester in (a.slack_user_id, b.slack_user_id):
        other = b.slack_user_id if q_requester == a.slack_user_id else a.slack_user_id
        return False, (other,)
    person = Person(q_requester, admin)
    if authz.may(person, Action.SWAP_OTHERS, schedule):
        if schedule.swap_requires_consent:
            return False, tuple(u for u in (a.slack_user_id, b.slack_user_id) if u)
        return True, ()
    return ("You can only swap or hand over your own shifts. "
            + authz.refusal(person, Action.SWAP_OTHERS, schedule).removeprefix(":no_entry: "))


def _check(session: Session, team_id: str, proposal: Proposal, live: list[ShiftRef], now: datetime, *,
           may_force: bool, actor: str) -> Check:
    return check(proposal, now, live=live, time_off=time_off(session, team_id, (proposal.a, proposal.b), now),
                 claimed=claims(session, [s.id for s in proposal.shifts]), may_force=may_force, actor=actor)


def _shared_schedules(session: Session, team_id: str, users: Sequence[str], now: datetime) -> list[Schedule]:
    out = []
    for sched in workspace.schedules(session, team_id):
        if all(active_member(session, sched, u, now) is not None for u in users):
            out.append(sched)
    return out


# ---------------------------------------------------------------- prepare


def prepare(engine: Engine, q: SwapQuery, *, admin: Admin, now: datetime) -> Ready | Refused | Choice:
    """Resolve, pick and check a swap or cover; nothing is written."""
    if q.a_user == q.b_user:
        return Refused((f"That names <@{q.a_user}> twice: a {q.kind} needs two different people.",))
    with session_scope(engine) as session:
        if q.schedule_id is not None:
            schedule = workspace.get_schedule(session, q.team_id, q.schedule_id)
        elif q.schedule:
            schedule = workspace.find_schedule(session, q.team_id, q.schedule)
        else:
            shared = _shared_schedules(session, q.team_id, (q.a_user, q.b_user), now)
            if not shared:
                return Refused((_no_shared(session, q, now),))
            if len(shared) > 1:
                return Choice(q, f"<@{q.a_user}> and <@{q.b_user}> share several schedules: pick one.",
                              schedules=tuple((s.id, s.name) for s in shared))
            schedule = shared[0]
        ma = active_member(session, schedule, q.a_user, now)
        mb = active_member(session, schedule, q.b_user, now)
        missing = [u for u, m in ((q.a_user, ma), (q.b_user, mb)) if m is None]
        if missing:
            return Refused(tuple(f"<@{u}> is not a member of *{schedule.name}*." for u in missing))
        a, b = party(ma), party(mb)
        authority = _authority(schedule, q.requester, a, b, admin)
        if isinstance(authority, str):
            return Refused((authority,))
        direct, consent_from = authority
        live = live_shifts(session, schedule.id, now)
        picked = _pick_both(q, schedule, a, b, live, now)
        if isinstance(picked, (Refused, Choice)):
            return picked
        give_a, give_b = picked
        may_force = may(schedule, q.requester, admin, Action.FORCE_SWAP)
        proposal = Proposal(q.kind, schedule.id, schedule.name, schedule.time_zone, a, b, give_a, give_b,
                            forced=q.force and may_force)
        result = _check(session, q.team_id, proposal, live, now, may_force=may_force, actor=q.requester)
        if q.force and not may_force:
            result.refusals.insert(0, authz.refusal(Person(q.requester, admin), Action.FORCE_SWAP, schedule)
                                   .removeprefix(":no_entry: "))
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
    if t.kind not in (SWAP, COVER):
        raise UserError("That button is out of date: run the command again.")
    try:
        with session_scope(engine) as session:
            schedule = workspace.get_schedule(session, team_id, t.schedule_id)
            ma, mb = session.get(Member, t.a_member), session.get(Member, t.b_member)
            if ma is None or mb is None or {ma.schedule_id, mb.schedule_id} != {schedule.id}:
                raise UserError("One of the two people is no longer in the schedule.")
            a, b = party(ma), party(mb)
            give_a = _expected(session, t.give_a, a, schedule)
            # a cover hands over a's shifts only: b's in the button (forged) are ignored, so the
            # stored request, its consent DM and its execution all name the same shifts
            give_b = _expected(session, t.give_b, b, schedule) if t.kind == SWAP else ()
            may_force = may(schedule, requester, admin, Action.FORCE_SWAP)
            proposal = Proposal(t.kind, schedule.id, schedule.name, schedule.time_zone, a, b, give_a, give_b,
                                forced=t.forced and may_force)
            authority = _authority(schedule, requester, a, b, admin)
            if isinstance(authority, str):
                raise UserError(authority)
            direct, consent_from = authority
            result = _check(session, team_id, proposal, live_shifts(session, schedule.id, now), now,
                            may_force=may_force, actor=requester)
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
                execute(session, req, requester, now)
            return info(session, req)
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
        out.append(shift_ref(s))
    return tuple(out)
