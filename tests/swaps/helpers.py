"""Shortcuts for the swap service tests."""

from __future__ import annotations

from sqlmodel import select

from bot.services import swaps
from bot.services.swaps import request
from bot.store import Member, Shift, TimeOff, session_scope


def query(kind: str = "swap", requester: str = "U1", a: str = "U1", b: str = "U2", **kw) -> swaps.SwapQuery:
    return swaps.SwapQuery(team_id="T1", kind=kind, requester=requester, a_user=a, b_user=b, **kw)


def no_admin() -> bool:
    return False


def prepare(ctx, q: swaps.SwapQuery, admin=no_admin):
    return request.prepare(ctx.engine, q, admin=admin, now=ctx.clock())


def ready(ctx, q: swaps.SwapQuery, admin=no_admin) -> swaps.Ready:
    result = prepare(ctx, q, admin)
    assert isinstance(result, swaps.Ready), result
    return result


def submit(ctx, q: swaps.SwapQuery, admin=no_admin) -> swaps.SwapInfo:
    return request.submit(ctx.engine, "T1", ready(ctx, q, admin).proposal.token(), q.requester, admin=admin,
                        now=ctx.clock())


def owners(ctx, schedule_id: int) -> list[str]:
    """Slack id of each shift's owner, in time order."""
    with session_scope(ctx.engine) as session:
        members = {m.id: m.slack_user_id for m in session.exec(select(Member))}
        rows = session.exec(select(Shift).where(Shift.schedule_id == schedule_id).order_by(Shift.start)).all()
        return [members[s.member_id] for s in rows]


def shift_rows(ctx, schedule_id: int) -> list[Shift]:
    with session_scope(ctx.engine) as session:
        return list(session.exec(select(Shift).where(Shift.schedule_id == schedule_id).order_by(Shift.start)))


def add_time_off(ctx, user: str, start, end, reason: str = "holiday") -> None:
    with session_scope(ctx.engine) as session:
        session.add(TimeOff(team_id="T1", slack_user_id=user, start=start, end=end, reason=reason))
