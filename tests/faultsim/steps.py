"""The steps of the fault simulation: what each one does through the real services.

`Steps` is mixed into `tests.faultsim.driver.Simulation`, which holds the world (`engine`,
`ctx`, `clock`, the fakes), draws every choice from its seeded `rng` and runs provider work
under faults (`_sync`, `_reexport`). Each step returns one line for the history.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from bot.notify import swaps as swaps_flow
from bot.notify import sync as resync
from bot.services.errors import UserError
from bot.services.swaps import Ready, SwapQuery, answer, execute, request
from bot.services.timeoff import add_time_off
from bot.store import Destination, Schedule, Shift, session_scope
from tests.faultsim.invariants import HandEdit
from tests.sync_io.fakes import T0

TEAM = "T1"
PEOPLE = [("U1", "Alice Adams", "alice@example.com"), ("U2", "Bob Brown", "bob@example.com"),
          ("U3", "Carol Chen", "carol@example.com"), ("U4", "Dave Diaz", "dave@example.com")]
PD_USERS = {f"PU{i}": (n, e) for i, (_u, n, e) in enumerate(PEOPLE, 1)}
OG_USERS = {f"og-u{i}": (n, e) for i, (_u, n, e) in enumerate(PEOPLE[:3], 1)}  # no Dave at first
START = T0 - timedelta(hours=2)  # Monday 07:00 UTC, before the 09:00 handoff
DAYS = 90

# what a step does, and how often (a tick lets time pass and runs the sync job's work)
STEPS = {"tick": 36, "swap": 12, "cover": 6, "direct": 4, "undo": 6, "away": 6, "hand_before": 9,
         "hand_after": 6, "horizon": 4, "account": 1}


def no_admin() -> bool:
    return False


@dataclass
class Swap:
    id: int
    requester: str
    back: dict[str, str]  # shift id -> holder before the swap


class Steps:
    """One method per step kind (see `STEPS`)."""

    def _tick(self) -> str:
        hours = self.rng.choice((1, 1, 2, 3, 4, 6, 8, 12))
        for _ in range(hours):
            self.clock.advance(hours=1)
            self.result.hours += 1
            bad = self.check()
            if bad:
                self.result.violations += [f"at {self.clock.now:%m-%d %H:%M} (hourly): {v}" for v in bad]
                return f"tick {hours}h (stopped: hourly check)"
        answer.expire_due(self.engine, self.clock.now, TEAM)
        return self._sync(f"tick {hours}h, sync")

    def _future(self, slack_id: str) -> list[tuple[Shift, str | None, str]]:
        now = self.clock.now
        return [x for x in self._shifts() if x[1] == slack_id and x[0].start > now + timedelta(hours=1)
                and x[0].start < now + timedelta(days=10)]

    def _swap_like(self, kind: str, requester: str | None = None) -> str:
        people = [p[0] for p in PEOPLE]
        a, b = self.rng.sample(people if requester is None else people[1:], 2)
        mine, theirs = self._future(a), self._future(b)
        if not mine or (kind == "swap" and not theirs):
            return f"{kind} {a}->{b}: no shift to give"
        give_a = (self.rng.choice(mine)[0].id,)
        give_b = (self.rng.choice(theirs)[0].id,) if kind == "swap" else ()
        q = SwapQuery(team_id=TEAM, kind=kind, requester=requester or a, a_user=a, b_user=b,
                      picked_a=give_a, picked_b=give_b if kind == "swap" else None)
        now = self.clock.now
        what = f"{kind} {a} {list(give_a)} <-> {b} {list(give_b)}" + (f" by {requester}" if requester else "")
        prepared = request.prepare(self.engine, q, admin=no_admin, now=now)
        if not isinstance(prepared, Ready):
            return f"{what}: refused ({'; '.join(getattr(prepared, 'reasons', ()) or ['a choice'])[:80]})"
        try:
            info = request.submit(self.engine, TEAM, prepared.proposal.token(), q.requester, admin=no_admin,
                                        now=now)
            if info.status == "pending":
                if self.rng.random() < 0.15:
                    answer.decline(self.engine, TEAM, info.id, b, now)
                    return f"{what}: declined"
                accepted = answer.accept(self.engine, TEAM, info.id, b, now)
                if accepted.state != "executed":
                    return f"{what}: {accepted.state}"
                info = accepted.info
        except UserError as exc:
            return f"{what}: refused ({str(exc)[:80]})"
        back = {str(s.id): a for s in info.give_a} | {str(s.id): b for s in info.give_b}
        self.swapped_until |= {str(s.id): s.end for s in info.give_a + info.give_b}
        self.expected |= {str(s.id): b for s in info.give_a} | {str(s.id): a for s in info.give_b}
        self.swaps.append(Swap(info.id, q.requester, back))
        self.result.swaps += 1
        self._settle({k for k, d in self.dirty.items() if not d})
        return self._reexport(f"{what}: #{info.id} executed, re-export",
                              lambda: swaps_flow.reexport(self.ctx, None, info))

    def _swap(self) -> str:
        return self._swap_like("swap")

    def _cover(self) -> str:
        return self._swap_like("cover")

    def _direct(self) -> str:
        return self._swap_like("swap", requester="U1")  # a manager's swap of two others: no consent

    def _undo(self) -> str:
        if not self.swaps:
            return "undo: nothing to undo"
        sw = self.rng.choice(self.swaps)
        try:
            info = execute.undo(self.engine, TEAM, sw.requester, sw.id, admin=no_admin, now=self.clock.now)
        except UserError as exc:
            return f"undo #{sw.id}: refused ({str(exc)[:80]})"
        self.swaps.remove(sw)
        self.expected |= sw.back
        return self._reexport(f"undo #{sw.id}, re-export", lambda: swaps_flow.reexport(self.ctx, None, info))

    def _away(self) -> str:
        who = self.rng.choice(PEOPLE)[0]
        start = self.clock.now + timedelta(hours=self.rng.randint(0, 240))
        end = start + timedelta(hours=self.rng.choice((12, 24, 48, 72)))
        result = add_time_off(self.ctx, TEAM, who, who, start, end, "sim", now=self.clock.now)
        moved = result.outcome.moved
        for m in moved:
            if str(m.shift_id) in self.expected:
                self.expected[str(m.shift_id)] = m.new.slack_user_id
        what = f"away {who} {start:%m-%d %H:%M}+{(end - start) // timedelta(hours=1)}h: moved {[m.shift_id for m in moved]}"
        if not moved:
            return what
        ids = result.outcome.shift_ids_by_schedule()
        return self._reexport(what + ", re-export", lambda: resync.sync_now(self.ctx, None, ids))

    def _hand(self, before_mark: bool) -> str:
        key = self.rng.choice(list(self.fakes))
        fake, now = self.fakes[key], self.clock.now
        with session_scope(self.engine) as s:
            mark = s.get(Destination, self.dest[key]).exported_until
        if before_mark and (mark is None or mark <= now + timedelta(hours=1)):
            return f"hand edit at {key}: nothing exported yet"
        lo, hi = (now, mark) if before_mark else (max(now, mark or now), max(now, mark or now) + timedelta(days=10))
        span_h = int((hi - lo) / timedelta(hours=1))
        start = lo + timedelta(hours=self.rng.randint(0, max(0, span_h - 1)))
        end = start + timedelta(hours=self.rng.choice((2, 6, 24)))
        if before_mark:
            end = min(end, mark)  # a hand edit inside what was exported
        user = self.rng.choice(list(fake.users))
        oid = fake.hand_override(user, start, end)
        self.hand[key][oid] = HandEdit(oid, before_mark=start < (mark or start))
        self.dirty[key] = True
        self.result.hand_edits += 1
        return f"hand edit {oid} at {key}: {user} {start:%m-%d %H:%M}-{end:%m-%d %H:%M} ({'before' if before_mark else 'after'} the mark)"

    def _hand_before(self) -> str:
        return self._hand(True)

    def _hand_after(self) -> str:
        return self._hand(False)

    def _horizon(self) -> str:
        days = self.rng.choice((7, 14, 21, 28))
        with session_scope(self.engine) as s:
            s.get(Schedule, self.schedule_id).horizon_days = days
        self._settle(set())
        return f"horizon {days} days"

    def _account(self) -> str:
        if "og-u4" in self.og.users:
            return "account: Dave has one already"
        self.og.users["og-u4"] = PD_USERS["PU4"]
        self.og.sim.rotation = replace(self.og.sim.rotation, users=(*self.og.sim.rotation.users, "og-u4"))
        self.dirty["og"] = True
        return "Dave gets an Opsgenie account"
