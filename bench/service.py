"""The production path for the rota benchmark: an instance stored as rows (schedule, members, served
history, time off) and planned by `bot.sync.assignments.extend_assignments`, the code the bot
runs when it links a schedule and on every sync, then read back as rota shifts. Members' time in the
rotation starts on their real joining date, or (`membership="linked"`) as linking derives it from
the imported history (`membership_starts`).

History rows carry no kind (weekend, holiday): whatever the services rebuild is what is measured.
"""

from __future__ import annotations

import json
import tempfile
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlmodel import select

from bot.config import Settings
from bot.context import Context
from bot.crypto import KeyBox
from bot.rota.fairness import membership_starts
from bot.rota.model import Shift
from bot.store import Member, Schedule, TimeOff, session_scope
from bot.store import Shift as ShiftRow
from bot.store.db import make_engine, upgrade
from bot.sync.assignments import extend_assignments

from .instances import Instance


class ServicePath:
    """One migrated SQLite database for a benchmark run; `plan(inst)` stores and plans one instance."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="oncall-bench-")
        self.engine: Engine = make_engine(f"sqlite:///{Path(self._dir.name) / 'bench.db'}")
        upgrade(self.engine)
        self._n = 0

    @staticmethod
    def _joined(m, derived: dict, membership: str, now):
        if membership == "linked":
            return derived.get(m.id, now)
        if membership == "link-time":
            return now
        return m.joined or now - timedelta(days=400)

    def close(self) -> None:
        self.engine.dispose()
        self._dir.cleanup()

    def plan(self, inst: Instance, membership: str = "true") -> list[Shift]:
        """`membership`: "true" stores each member's real joining date; "linked" what linking
        derives from the imported history (`membership_starts`: people who never served start at
        the link); "link-time" everyone starting at the link (the behaviour before issue 17)."""
        self._n += 1
        team = f"TB{self._n}"
        now = inst.window.start
        pattern = inst.pattern
        with session_scope(self.engine) as s:
            edits = {"handoff": pattern.handoff.isoformat(timespec="minutes"),
                     "length_hours": pattern.length / timedelta(hours=1)}
            sched = Schedule(team_id=team, name=inst.name, time_zone=pattern.time_zone,
                             pattern_json=json.dumps({"pattern": edits}), horizon_days=(inst.window.end.astimezone(pattern.zone).date() - now.astimezone(pattern.zone).date()).days,
                             holidays=",".join(sorted(d.isoformat() for d in pattern.holidays)))
            s.add(sched)
            s.flush()
            ids: dict[str, int] = {}
            order = list(pattern.order) + [m.id for m in inst.members if m.id not in pattern.order]
            # what linking records: time in the rotation from the imported history (issue 17)
            joined = membership_starts(((h.member_id, h.start) for h in inst.history), order,
                                       pattern.length * len(order), now)
            by_id = {m.id: m for m in inst.members}
            for pos, mid in enumerate(order):
                m = by_id[mid]
                row = Member(team_id=team, schedule_id=sched.id, slack_user_id=f"U{mid}", email=f"{mid}@bench",
                             name=mid, position=pos, joined_at=self._joined(m, joined, membership, now),
                             left_at=m.left)
                s.add(row)
                s.flush()
                ids[mid] = row.id
            for h in inst.history:
                s.add(ShiftRow(team_id=team, schedule_id=sched.id, role=h.role, start=h.start, end=h.end,
                               member_id=ids[h.member_id], source="history"))
            for t in inst.time_off:
                s.add(TimeOff(team_id=team, slack_user_id=f"U{t.member_id}", start=t.start, end=t.end,
                              reason=t.reason))
            sched_id = sched.id
        ctx = Context(settings=Settings.from_env({}), engine=self.engine, keys=KeyBox(Fernet.generate_key().decode()),
                      clock=lambda: now)
        with session_scope(self.engine) as s:
            extend_assignments(ctx, s, s.get(Schedule, sched_id))
        back = {v: k for k, v in ids.items()}
        with session_scope(self.engine) as s:
            rows = s.exec(select(ShiftRow).where(ShiftRow.schedule_id == sched_id, ShiftRow.source != "history",
                                                 ShiftRow.start < inst.window.end)).all()
            return sorted((Shift(r.role, r.start, r.end, back[r.member_id], r.version) for r in rows),
                          key=lambda x: (x.start, x.role))
