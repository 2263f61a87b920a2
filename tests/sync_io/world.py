"""Database set-up for the sync tests: a linked-like schedule with members, a destination, shifts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from cryptography.fernet import Fernet
from sqlmodel import select

from bot.config import Settings
from bot.context import Context
from bot.crypto import KeyBox
from bot.providers import JsmCredentials
from bot.store import Connection, Destination, Member, Schedule, Shift, session_scope
from tests.sync_io.fakes import JSM_CLOUD, JSM_SITE, T0

PD_KEY = "u+pdKEY/secret-0123456789abcdef"
OG_KEY = "00000000-fake-og-key-0000-aaaabbbbcccc"
JSM_SECRET = JsmCredentials(JSM_SITE, "ops@example.com", "ATATT3x-fake-jsm-token-0000cdef", JSM_CLOUD).pack()
JSM_USERS = ("5b10a2844c20165700ede21g", "5b10ac8d82e05b22cc7d4ef5", "5b109f2e9729b51b54dc274d")
PEOPLE = [("U1", "Alice Adams", "alice@example.com"), ("U2", "Bob Brown", "bob@example.com"),
          ("U3", "Carol Chen", "carol@example.com")]


class Clock:
    """A settable clock for ctx.clock."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> datetime:
        self.now += timedelta(**kw)
        return self.now


def make_ctx(engine, clock: Clock, transport: httpx.BaseTransport | None = None,
             settings: Settings | None = None) -> Context:
    settings = settings or Settings(secret_key=Fernet.generate_key().decode())
    return Context(settings=settings, engine=engine, keys=KeyBox(settings.secret_key), transport=transport,
                   clock=clock, sleep=lambda _s: None)


@dataclass
class World:
    schedule_id: int
    destination_id: int
    connection_id: int
    member_ids: list[int]


def add_world(ctx: Context, *, provider: str = "pagerduty", weeks: int = 5, name: str = "Platform primary",
              provider_schedule_id: str | None = None, provider_users: tuple[str, ...] | None = None,
              team_id: str = "T1", channel_id: str | None = "C1", managers: str = "U1", horizon_days: int = 28,
              can_write: bool | None = True, people: int = 2, shifts_from: datetime = T0) -> World:
    """A schedule as linking leaves it (source = destination), with `weeks` weekly shifts round-robin."""
    users, key, conn_name, default_sid = {
        "pagerduty": (("PU1", "PU2", "PU3"), PD_KEY, "Acme PD", "PSCHED1"),
        "opsgenie": (("og-u1", "og-u2", "og-u3"), OG_KEY, "Acme OG", "og-sched-1"),
        "jsm": (JSM_USERS, JSM_SECRET, "Acme JSM", "jsm-sched-1"),
    }[provider]
    provider_users = provider_users or users
    with session_scope(ctx.engine) as session:
        conn = Connection(team_id=team_id, provider=provider, region="us", name=conn_name,
                          api_key_encrypted=ctx.keys.encrypt(key), key_hint="…cdef", can_write=can_write)
        session.add(conn)
        session.flush()
        sched = Schedule(team_id=team_id, name=name, connection_id=conn.id,
                         source_schedule_id=provider_schedule_id or default_sid,
                         time_zone="Europe/Berlin", channel_id=channel_id, managers=managers,
                         horizon_days=horizon_days)
        session.add(sched)
        session.flush()
        members = []
        for pos, (slack_id, pname, email) in enumerate(PEOPLE):
            m = Member(team_id=team_id, schedule_id=sched.id, slack_user_id=slack_id, email=email, name=pname,
                       source_user_id=provider_users[pos], position=pos)
            session.add(m)
            session.flush()
            members.append(m.id)
        dest = Destination(team_id=team_id, schedule_id=sched.id, connection_id=conn.id,
                           provider_schedule_id=sched.source_schedule_id, provider_schedule_name=name)
        session.add(dest)
        session.flush()
        for i in range(weeks):
            start = shifts_from + timedelta(days=7 * i)
            session.add(Shift(team_id=team_id, schedule_id=sched.id, start=start, end=start + timedelta(days=7),
                              member_id=members[i % people]))
        return World(sched.id, dest.id, conn.id, members)


def shifts(ctx: Context, schedule_id: int) -> list[Shift]:
    with session_scope(ctx.engine) as session:
        return list(session.exec(select(Shift).where(Shift.schedule_id == schedule_id).order_by(Shift.start)))


def destination(ctx: Context, destination_id: int) -> Destination:
    with session_scope(ctx.engine) as session:
        return session.get(Destination, destination_id)


def install_fake_assignments(monkeypatch, people: int = 2) -> None:
    """A stand-in for `bot.sync.assignments` : weekly round-robin shifts up
    to the horizon, like the real one fills them."""

    def extend_assignments(ctx, session, schedule, now=None):
        now = now or ctx.clock()
        horizon = now + timedelta(days=schedule.horizon_days)
        last = session.exec(select(Shift).where(Shift.schedule_id == schedule.id)
                            .order_by(Shift.start.desc())).first()
        members = list(session.exec(select(Member).where(Member.schedule_id == schedule.id)
                                    .order_by(Member.position)))[:people]
        start = last.end if last else T0
        n = len(session.exec(select(Shift).where(Shift.schedule_id == schedule.id)).all())
        added = 0
        while start < horizon:
            session.add(Shift(team_id=schedule.team_id, schedule_id=schedule.id, start=start,
                              end=start + timedelta(days=7), member_id=members[(n + added) % len(members)].id))
            start += timedelta(days=7)
            added += 1
        session.flush()
        return added

    import bot.sync.assignments as real

    monkeypatch.setattr(real, "extend_assignments", extend_assignments)
