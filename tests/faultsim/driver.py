"""The fault-injected simulation: a seeded step generator and a driver that applies each step
through the real services and sync engine, against the provider fakes, checking the invariants
of `tests.faultsim.invariants` after every step and at every simulated hour.

    sim = Simulation(seed=7, db_url="sqlite:///x.db", router=respx_router)
    result = sim.run(steps=300)        # stops at the first step that breaks an invariant
    print(result.report())             # seed, step, the history up to it, what broke

The world: one schedule (daily shifts at 09:00 UTC from the real `extend_assignments`, four
people, a horizon of 14 days that steps change), exported to a PagerDuty schedule that knows
everyone and to an Opsgenie schedule that does not know Dave until a step gives him an account.
A crash (`faults.Crash`) ends the process state: the Context and its engine are thrown away and
new ones are made against the same database (no in-memory caches survive).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from cryptography.fernet import Fernet
from sqlmodel import select

from bot.config import Settings
from bot.context import Context
from bot.crypto import KeyBox
from bot.store import Connection, Destination, Member, Schedule, Shift, session_scope
from bot.store.db import make_engine, upgrade
from bot.store.models import DriftAlert, ExportedOverride
from bot.sync.engine import sync_schedule
from bot.sync.intents import is_pending
from tests.faultsim.faults import MODES, WEIGHTS, Crash, Faults
from tests.faultsim.invariants import (
    BotShift,
    DestState,
    HandEdit,
    Override,
    Record,
    check_exported,
    check_shifts,
    check_swaps,
    check_untouched,
    stray_overrides,
)
from tests.faultsim.steps import DAYS, OG_USERS, PD_USERS, PEOPLE, START, STEPS, TEAM, Steps, Swap
from tests.plugins.world import OG_KEY, PD_KEY, Clock
from tests.sync_io.fakes import FakeOpsgenie, FakePagerDuty


@dataclass
class Result:
    seed: int
    steps: int = 0
    hours: int = 0
    syncs: int = 0
    faults: int = 0
    crashes: int = 0
    swaps: int = 0
    hand_edits: int = 0
    checks: int = 0  # destination checks (after steps and hourly)
    settled: int = 0  # … of which with the paging checked (settled: last full sync clean, nothing changed since)
    violations: list[str] = field(default_factory=list)
    leftovers: dict[str, str] = field(default_factory=dict)  # override id -> the step that first saw it
    failed_step: int | None = None
    history: list[str] = field(default_factory=list)

    def report(self, last: int = 25) -> str:
        """Seed, step, a short history and what broke: enough to replay and look."""
        if not self.violations:
            return "\n".join([f"seed {self.seed}: {self.steps} steps, no violation",
                              *(f"    {h}" for h in self.history[len(self.history) - last:] if last)])
        lines = [f"seed {self.seed}: step {self.failed_step} broke the on-call truth "
                 f"(replay: python -m bench.faultsim --seed {self.seed} --steps {self.failed_step + 1})",
                 *(f"  ! {v}" for v in self.violations), f"  history (last {last} of {len(self.history)} steps):"]
        lines += [f"    {h}" for h in self.history[-last:]]
        return "\n".join(lines)


class Simulation(Steps):
    def __init__(self, seed: int, db_url: str, router, *, days: int = DAYS):
        self.seed, self.db_url, self.days = seed, db_url, days
        self.rng = random.Random(seed)
        self.clock = Clock(START)
        self.settings = Settings(secret_key=Fernet.generate_key().decode())
        self.engine = make_engine(db_url)
        upgrade(self.engine)
        self.ctx = self._context()
        self.pd = FakePagerDuty(router, self.clock, users=dict(PD_USERS))
        self.og = FakeOpsgenie(router, self.clock, users=dict(OG_USERS))
        self.faults = {"pd": Faults(self.pd, self.rng), "og": Faults(self.og, self.rng)}
        self.schedule_id, self.dest = self._world()
        self.fakes = {"pd": self.pd, "og": self.og}
        self.dirty = {"pd": True, "og": True}
        self.hand: dict[str, dict[str, HandEdit]] = {"pd": {}, "og": {}}
        self.expected: dict[str, str] = {}  # shift id -> Slack id, for live shifts moved by swaps
        self.swapped_until: dict[str, object] = {}  # shift id -> its end
        self.swaps: list[Swap] = []
        self.result = Result(seed)

    # ---------------------------------------------------------------- process and world

    def _context(self) -> Context:
        return Context(settings=self.settings, engine=self.engine, keys=KeyBox(self.settings.secret_key),
                       clock=self.clock, sleep=lambda _s: None)

    def _restart(self) -> None:
        """The process died: a new Context and engine against the same database."""
        self.ctx.close()
        self.engine.dispose()
        self.engine = make_engine(self.db_url)
        self.ctx = self._context()
        self.result.crashes += 1

    def _world(self) -> tuple[int, dict[str, int]]:
        keys = self.ctx.keys
        with session_scope(self.engine) as s:
            pd = Connection(team_id=TEAM, provider="pagerduty", region="us", name="Acme PD", can_write=True,
                            api_key_encrypted=keys.encrypt(PD_KEY), key_hint="…cdef")
            og = Connection(team_id=TEAM, provider="opsgenie", region="us", name="Acme OG", can_write=True,
                            api_key_encrypted=keys.encrypt(OG_KEY), key_hint="…cccc")
            s.add_all([pd, og])
            s.flush()
            sched = Schedule(team_id=TEAM, name="Platform", connection_id=pd.id, source_schedule_id="PSCHED1",
                             time_zone="UTC", channel_id="C1", managers="U1", horizon_days=14)
            s.add(sched)
            s.flush()
            for pos, (uid, name, email) in enumerate(PEOPLE):
                s.add(Member(team_id=TEAM, schedule_id=sched.id, slack_user_id=uid, email=email, name=name,
                             source_user_id=f"PU{pos + 1}", position=pos, joined_at=START - timedelta(days=100)))
            dests = {}
            for key, conn, psid in (("pd", pd, "PSCHED1"), ("og", og, "og-sched-1")):
                d = Destination(team_id=TEAM, schedule_id=sched.id, connection_id=conn.id,
                                provider_schedule_id=psid, provider_schedule_name="Platform")
                s.add(d)
                s.flush()
                dests[key] = d.id
            return sched.id, dests

    # ---------------------------------------------------------------- snapshots

    def _shifts(self) -> list[tuple[Shift, str | None, str]]:
        """Live shifts (ending after now) with their holder's Slack id and email."""
        with session_scope(self.engine) as s:
            members = {m.id: (m.slack_user_id, m.email) for m in s.exec(select(Member))}
            rows = s.exec(select(Shift).where(Shift.schedule_id == self.schedule_id, Shift.end > self.clock.now)
                          .order_by(Shift.start)).all()
            return [(r, *members.get(r.member_id, (None, ""))) for r in rows]

    def state(self, key: str, rows=None, *, before: bool = False) -> DestState:
        now = self.clock.now
        fake = self.fakes[key]
        by_email = {e: u for u, (_n, e) in fake.users.items()}
        rows = rows if rows is not None else self._shifts()
        with session_scope(self.engine) as s:
            dest = s.get(Destination, self.dest[key])
            records = tuple(Record(str(r.shift_id), r.override_id, r.version) for r in s.exec(
                select(ExportedOverride).where(ExportedOverride.destination_id == dest.id,
                                               ExportedOverride.end > now)) if not is_pending(r.override_id))
            alerted = set()
            for a in s.exec(select(DriftAlert).where(DriftAlert.destination_id == dest.id,
                                                     DriftAlert.status == "open")):
                alerted |= {str(i["shift_id"]) for i in json.loads(a.detail or "{}").get("items", [])}
            mark = dest.exported_until
        shifts = tuple(BotShift(str(r.id), r.start, r.end, slack, r.version, by_email.get(email))
                       for r, slack, email in rows)
        overrides = tuple(Override(o.id, o.user_id, o.start, o.end, o.seq, o.by_hand)
                          for o in fake.sim.overrides.values() if o.end > now)
        return DestState(key, now, mark, shifts, records, overrides, dict(self.hand[key]), frozenset(alerted),
                         settled=not self.dirty[key])

    def _bot_shifts(self, rows) -> list[BotShift]:
        return [BotShift(str(r.id), r.start, r.end, slack, r.version) for r, slack, _e in rows]

    def check(self, before: dict[str, DestState] | None = None) -> list[str]:
        rows = self._shifts()
        shifts = self._bot_shifts(rows)
        for sid in [sid for sid, end in self.swapped_until.items() if end <= self.clock.now]:
            self.expected.pop(sid, None)  # over: nothing left to page
            del self.swapped_until[sid]
        out = check_shifts(shifts, self.clock.now) + check_swaps(self.expected, shifts)
        for key in self.fakes:
            d = self.state(key, rows)
            self.result.checks += 1
            self.result.settled += d.settled
            out += check_exported(d)
            for oid in stray_overrides(d):
                self.result.leftovers.setdefault(f"{key}:{oid}", f"step {self.result.steps}")
            if before is not None:
                out += check_untouched(before[key], d)
        return out

    # ---------------------------------------------------------------- running

    def run(self, steps: int, *, on_step: Callable[[int, str], None] | None = None) -> Result:
        r = self.result
        r.history.append("0: " + self._sync("first export", clean=True))
        bad = self.check()
        if bad:
            r.violations, r.failed_step = bad, 0
            return r
        end = START + timedelta(days=self.days)
        for i in range(1, steps + 1):
            if self.clock.now >= end:
                break
            kind = self.rng.choices(list(STEPS), weights=list(STEPS.values()))[0]
            before = {k: self.state(k) for k in self.fakes}
            try:
                what = getattr(self, "_" + kind)()
            except Exception as exc:  # a service or the engine blew up: that is a finding too
                what = f"{kind}: raised {type(exc).__name__}: {exc}"
                r.violations.append(f"{kind} raised {type(exc).__name__}: {exc}")
            r.history.append(f"{i} [{self.clock.now:%m-%d %H:%M}] {what}")
            r.steps = i
            if on_step:
                on_step(i, what)
            r.violations += self.check(before)
            if r.violations:
                r.failed_step = i
                break
        return r

    def _guarded(self, label: str, run: Callable[[], object], clean: bool = False) -> str:
        """Run provider work under the faults the seed picks; a Crash restarts the process."""
        armed = {}
        for key, f in self.faults.items():
            mode = "none" if clean else self.rng.choices(MODES, weights=WEIGHTS)[0]
            f.arm(mode, self.rng.choice((0.2, 0.5, 1.0)) if mode != "none" else 0.0)
            armed[key] = (mode, f.struck)
        crashed = False
        try:
            run()
        except Crash as exc:
            crashed = True
            self._restart()
            label += f" CRASH after {exc}"
        finally:
            for f in self.faults.values():
                f.arm("none", 0.0)
        hit = {k: f.struck - armed[k][1] for k, f in self.faults.items()}
        self.result.faults += sum(hit.values())
        faults = ", ".join(f"{k}:{m}×{hit[k]}" for k, (m, _n) in armed.items() if m != "none" and hit[k])
        return label + (f" [{faults}]" if faults else "") + ("" if not crashed else "")

    def _settle(self, clean_keys: set[str]) -> None:
        for key in self.fakes:
            self.dirty[key] = key not in clean_keys

    def _sync(self, label: str = "sync", clean: bool = False) -> str:
        self.result.syncs += 1
        struck = {k: f.struck for k, f in self.faults.items()}
        crashes = self.result.crashes
        text = self._guarded(label, lambda: sync_schedule(self.ctx, self.schedule_id), clean)
        if self.result.crashes == crashes:
            self._settle({k for k, f in self.faults.items() if f.struck == struck[k]})
        else:
            self._settle(set())
        return text

    def _reexport(self, label: str, run: Callable[[], object]) -> str:
        """A restricted re-export (after a swap or time off): settles only what was settled."""
        struck = {k: f.struck for k, f in self.faults.items()}
        crashes = self.result.crashes
        was = {k for k, d in self.dirty.items() if not d}
        text = self._guarded(label, run)
        ok = set() if self.result.crashes != crashes else {k for k, f in self.faults.items() if f.struck == struck[k]}
        self._settle(was & ok)
        return text

def run_seed(seed: int, steps: int, db_url: str, router, days: int = DAYS) -> Result:
    return Simulation(seed, db_url, router, days=days).run(steps)


__all__ = ["Result", "Simulation", "run_seed", "START"]
