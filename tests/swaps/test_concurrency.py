"""Racing swaps on one shift: exactly one wins, the others get a clear conflict (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest
from sqlmodel import select

from bot.services import swaps
from bot.services.errors import UserError
from bot.services.swaps import answer, request
from bot.store import AuditEvent, session_scope
from bot.store.models import SwapClaim, SwapRequest
from tests.plugins.world import Clock, add_world, make_ctx
from tests.swaps.conftest import NOW
from tests.swaps.helpers import owners, ready, submit

THREADS = 6


@pytest.fixture
def race_ctx(any_engine):
    with httpx.HTTPTransport() as http:
        yield make_ctx(any_engine, Clock(NOW), http)


def race(fns: list[Callable[[], object]]) -> tuple[list[object], list[Exception]]:
    """Run every fn at the same moment in its own thread; (results, errors)."""
    barrier = threading.Barrier(len(fns))
    results: list[object] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def go(fn):
        barrier.wait()
        try:
            out = fn()
            with lock:
                results.append(out)
        except Exception as exc:  # collected and checked by the test
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=go, args=(fn,)) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def no() -> bool:
    return False


def test_concurrent_accepts_of_one_request_execute_it_once(race_ctx):
    ctx = race_ctx
    world = add_world(ctx, weeks=5, managers="UMGR")
    info = submit(ctx, swaps_query())
    results, errors = race([lambda: answer.accept(ctx.engine, "T1", info.id, "U2", NOW)] * THREADS)
    assert [r.state for r in results] == ["executed"]
    assert len(errors) == THREADS - 1 and all(isinstance(e, swaps.SwapConflict) for e in errors), errors
    assert "already accepted and carried out" in errors[0].message
    assert owners(ctx, world.schedule_id) == ["U1", "U1", "U2", "U2", "U1"]
    with session_scope(ctx.engine) as session:
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "swap.execute")).all()) == 1


def test_concurrent_direct_swaps_touching_one_shift_one_wins(race_ctx):
    """A manager's swap (Alice ⇄ Bob) and covers of Alice's Nov 16 shift by Carol, all at once."""
    ctx = race_ctx
    world = add_world(ctx, weeks=5, managers="UMGR")
    tokens = [ready(ctx, swaps_query(requester="UMGR")).proposal.token()]
    tokens += [ready(ctx, swaps_query("cover", requester="UMGR", b="U3")).proposal.token()] * (THREADS - 1)
    results, errors = race([lambda t=t: request.submit(ctx.engine, "T1", t, "UMGR", admin=no, now=NOW)
                            for t in tokens])
    assert len(results) == 1 and results[0].status == "executed"
    assert len(errors) == THREADS - 1 and all(isinstance(e, UserError) for e in errors), errors
    after = owners(ctx, world.schedule_id)
    assert after in (["U1", "U1", "U2", "U2", "U1"], ["U1", "U2", "U3", "U2", "U1"])
    with session_scope(ctx.engine) as session:
        executed = session.exec(select(SwapRequest).where(SwapRequest.status == "executed")).all()
        assert len(executed) == 1
        assert session.exec(select(SwapClaim)).all() == []


def test_concurrent_requests_for_one_shift_only_one_waits(race_ctx):
    """Alice asks Bob (swap) and Carol (cover) for the same shift at once: one request is created."""
    ctx = race_ctx
    add_world(ctx, weeks=5, managers="UMGR")
    tokens = [ready(ctx, swaps_query()).proposal.token(), ready(ctx, swaps_query("cover", b="U3")).proposal.token()]
    tokens *= THREADS // 2
    results, errors = race([lambda t=t: request.submit(ctx.engine, "T1", t, "U1", admin=no, now=NOW) for t in tokens])
    assert len(results) == 1 and results[0].status == "pending"
    assert all(isinstance(e, swaps.SwapConflict) or "pending swap request" in str(e) for e in errors), errors
    with session_scope(ctx.engine) as session:
        assert len(session.exec(select(SwapRequest)).all()) == 1


def swaps_query(kind: str = "swap", requester: str = "U1", a: str = "U1", b: str = "U2") -> swaps.SwapQuery:
    return swaps.SwapQuery(team_id="T1", kind=kind, requester=requester, a_user=a, b_user=b)
