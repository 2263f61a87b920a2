"""The one test world: a team's Slack people in the stub, a provider account, linked schedules
(members, destinations, shifts) in the database, and a settable clock.

People: Alice (U1), Bob (U2), Carol (U3) (`PEOPLE`), known at PagerDuty as PU1-PU3, at Opsgenie
as og-u1-og-u3 and at JSM by Atlassian account ids (`ACCOUNTS`); `add_people` also adds Dave (U4,
in no schedule), Mia (U9, manager of Platform) and root (UADM, workspace admin), and channel C1.
Schedules, by what a test needs:

- `add_world`: as linking leaves it (source = destination, three members), `weeks` weekly shifts
  round-robin from `shifts_from` (T0, a Monday); the sync, swap and journey tests;
- `add_platform`: Platform, daily 09:00 handoffs in Europe/Berlin, assignments generated up to the
  horizon from `NOW` (a Friday); the rota commands (away, calendar, pattern, fairness, roles);
- `add_schedule`: Alice and Bob on a connection of `add_connection`, a destination already synced
  up to 20 December, optional weekly shifts; the /oncall command tests, with `pd_account`
  answering for that PagerDuty account on respx.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from cryptography.fernet import Fernet
from sqlmodel import Session, select

from bot.config import Settings
from bot.context import Context
from bot.crypto import KeyBox
from bot.providers import JsmCredentials
from bot.store import Connection, Destination, Member, Schedule, Shift, session_scope
from bot.sync.assignments import extend_assignments  # bound here: fakes of it never reach add_platform
from tests.providers.fixtures import pd_entry, pd_error, pd_layer, pd_schedule, pd_user, pd_users_page
from tests.sync_io.fakes import JSM_CLOUD, JSM_SITE, T0

PD = "https://api.pagerduty.com"
PD_KEY = "u+pdKEY/secret-0123456789abcdef"  # has characters that URL-encoding changes
OG_KEY = "00000000-fake-og-key-0000-aaaabbbbcccc"
JSM_SECRET = JsmCredentials(JSM_SITE, "ops@example.com", "ATATT3x-fake-jsm-token-0000cdef", JSM_CLOUD).pack()
PEOPLE = [("U1", "Alice Adams", "alice@example.com"), ("U2", "Bob Brown", "bob@example.com"),
          ("U3", "Carol Chen", "carol@example.com")]
PD_USERS = ("PU1", "PU2", "PU3")
OG_USERS = ("og-u1", "og-u2", "og-u3")
JSM_USERS = ("5b10a2844c20165700ede21g", "5b10ac8d82e05b22cc7d4ef5", "5b109f2e9729b51b54dc274d")
# per provider: its people's ids, the key, the connection's name, the schedule id linking leaves
ACCOUNTS = {
    "pagerduty": (PD_USERS, PD_KEY, "Acme PD", "PSCHED1"),
    "opsgenie": (OG_USERS, OG_KEY, "Acme OG", "og-sched-1"),
    "jsm": (JSM_USERS, JSM_SECRET, "Acme JSM", "jsm-sched-1"),
}
USERS = {pid: (name, email) for pid, (_, name, email) in zip(PD_USERS, PEOPLE, strict=True)}  # PagerDuty's view
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)  # Platform's clock (a Friday)


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


# ---------------------------------------------------------------- Slack


def add_people(stub) -> None:
    """PEOPLE (Berlin, Carol in New York), Dave (U4), Mia (U9), root (UADM, admin), channel C1."""
    for uid, name, email in PEOPLE:
        stub.add_user(uid, email=email, name=name.split()[0].lower())
        stub.users[uid]["tz"] = "Europe/Berlin"
    stub.users["U3"]["tz"] = "America/New_York"
    stub.add_user("U4", email="dave@example.com", name="dave")
    stub.add_user("U9", email="mia@example.com", name="mia")
    stub.add_user("UADM", email="root@example.com", name="root", is_admin=True)
    stub.add_channel("C1", is_member=True)


def platform_team(slack):
    """The Slack test env with the people, the clock at NOW and Platform linked (`slack.schedule_id`)."""
    add_people(slack.stub)
    slack.ctx.clock = lambda: NOW
    slack.schedule_id = add_platform(slack.ctx)
    return slack


# ---------------------------------------------------------------- rows


def add_connection(ctx: Context, team_id: str = "T1", name: str | None = None, can_write: bool | None = True,
                   provider: str = "pagerduty") -> int:
    _, key, default_name, _ = ACCOUNTS[provider]
    with session_scope(ctx.engine) as session:
        conn = Connection(team_id=team_id, provider=provider, region="us", name=name or default_name,
                          api_key_encrypted=ctx.keys.encrypt(key), key_hint="…cdef", can_write=can_write)
        session.add(conn)
        session.flush()
        return conn.id


def _add_members(session: Session, schedule: Schedule, people, provider_users=None,
                 joined_at: datetime | None = None) -> list[Member]:
    members = []
    for pos, (slack_id, name, email) in enumerate(people):
        member = Member(team_id=schedule.team_id, schedule_id=schedule.id, slack_user_id=slack_id, email=email,
                        name=name, position=pos, source_user_id=provider_users[pos] if provider_users else None,
                        **({"joined_at": joined_at} if joined_at else {}))
        session.add(member)
        session.flush()
        members.append(member)
    return members


def _add_weekly_shifts(session: Session, schedule: Schedule, members: list[Member], start: datetime,
                       weeks: int) -> None:
    for i in range(weeks):
        begin = start + timedelta(days=7 * i)
        session.add(Shift(team_id=schedule.team_id, schedule_id=schedule.id, start=begin,
                          end=begin + timedelta(days=7), member_id=members[i % len(members)].id))


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
    """A schedule as linking leaves it (source = destination), with `weeks` weekly shifts round-robin
    among the first `people` members."""
    users, _, _, default_sid = ACCOUNTS[provider]
    conn_id = add_connection(ctx, team_id, can_write=can_write, provider=provider)
    with session_scope(ctx.engine) as session:
        sched = Schedule(team_id=team_id, name=name, connection_id=conn_id,
                         source_schedule_id=provider_schedule_id or default_sid,
                         time_zone="Europe/Berlin", channel_id=channel_id, managers=managers,
                         horizon_days=horizon_days)
        session.add(sched)
        session.flush()
        members = _add_members(session, sched, PEOPLE, provider_users or users)
        dest = Destination(team_id=team_id, schedule_id=sched.id, connection_id=conn_id,
                           provider_schedule_id=sched.source_schedule_id, provider_schedule_name=name)
        session.add(dest)
        session.flush()
        _add_weekly_shifts(session, sched, members[:people], shifts_from, weeks)
        return World(sched.id, dest.id, conn_id, [m.id for m in members])


def add_platform(ctx: Context, *, name: str = "Platform", horizon: int = 14, people=PEOPLE,
                 now: datetime = NOW) -> int:
    """Platform: daily 09:00 handoffs in Europe/Berlin, managed by U9, members since a year, shifts
    generated up to `horizon` days from `now`; no destination."""
    conn_id = add_connection(ctx, name=f"PD {name}")
    with session_scope(ctx.engine) as session:
        sched = Schedule(team_id="T1", name=name, connection_id=conn_id, source_schedule_id="PS1",
                         time_zone="Europe/Berlin", horizon_days=horizon, channel_id="C1", managers="U9",
                         pattern_json=json.dumps({"pattern": {"handoff": "09:00", "length_hours": 24}}))
        session.add(sched)
        session.flush()
        _add_members(session, sched, people, joined_at=now - timedelta(days=365))
        extend_assignments(ctx, session, sched, now)
        return sched.id


def add_schedule(ctx: Context, connection_id: int, *, team_id: str = "T1", name: str = "Platform primary",
                 channel_id: str | None = "C1", shifts_from: datetime | None = None) -> int:
    """A linked schedule with Alice (U1) and Bob (U2), a destination synced up to 20 December, and
    four weekly shifts from `shifts_from`."""
    with session_scope(ctx.engine) as session:
        sched = Schedule(team_id=team_id, name=name, connection_id=connection_id, source_schedule_id="PSCHED1",
                         pattern_json='{"summary": "Layer 1: weekly, 2 people"}', channel_id=channel_id)
        session.add(sched)
        session.flush()
        members = _add_members(session, sched, PEOPLE[:2], PD_USERS)
        session.add(Destination(team_id=team_id, schedule_id=sched.id, connection_id=connection_id,
                                provider_schedule_id="PSCHED1", provider_schedule_name=name, status="ok",
                                exported_until=datetime(2026, 12, 20, 9, tzinfo=UTC),
                                last_sync_at=datetime(2026, 11, 27, 8, tzinfo=UTC)))
        if shifts_from is not None:
            _add_weekly_shifts(session, sched, members, shifts_from, 4)
        return sched.id


# ---------------------------------------------------------------- reading back


def shifts(ctx: Context, schedule_id: int) -> list[Shift]:
    with session_scope(ctx.engine) as session:
        return list(session.exec(select(Shift).where(Shift.schedule_id == schedule_id).order_by(Shift.start)))


def member_ids(ctx: Context, schedule_id: int) -> dict[str, int]:
    with session_scope(ctx.engine) as session:
        return {m.slack_user_id: m.id for m in session.exec(select(Member).where(Member.schedule_id == schedule_id))}


def destination(ctx: Context, destination_id: int) -> Destination:
    with session_scope(ctx.engine) as session:
        return session.get(Destination, destination_id)


# ---------------------------------------------------------------- providers


def pd_account(router, *, schedules: list[dict] | None = None, can_write: bool = True, key_status: int = 200):
    """Routes for the PagerDuty account of `add_connection`: schedule list, users, one schedule, write check."""
    if schedules is None:
        schedules = [pd_schedule("PSCHED1", "Platform primary",
                                 layers=[pd_layer("L1", [(u, n) for u, (n, _) in USERS.items()])])]
    if key_status != 200:
        err = pd_error(2006 if key_status == 401 else 2010, "Invalid credentials" if key_status == 401 else "Forbidden")
        router.get(f"{PD}/schedules").respond(key_status, json=err)
        return
    router.get(f"{PD}/schedules").respond(
        200, json={"schedules": schedules, "limit": 100, "offset": 0, "more": False, "total": None})
    for uid, (name, email) in USERS.items():
        router.get(f"{PD}/users/{uid}").respond(200, json={"user": pd_user(uid, name, email)})
    router.get(f"{PD}/users").respond(200, json=pd_users_page([pd_user(u, n, e) for u, (n, e) in USERS.items()]))
    if can_write:
        router.post(f"{PD}/schedules/preview").respond(200, json={"schedule": schedules[0]})
    else:
        router.post(f"{PD}/schedules/preview").respond(403, json=pd_error(2010, "Access Denied"))

    def one(request: httpx.Request):
        sid = request.url.path.rsplit("/", 1)[-1]
        raw = next(s for s in schedules if s["id"] == sid)
        if "since" in request.url.params:
            entries = [pd_entry("PU1", "Alice Adams", "2026-11-01T09:00:00Z", "2026-11-08T09:00:00Z"),
                       pd_entry("PU2", "Bob Brown", "2026-11-08T09:00:00Z", "2026-11-15T09:00:00Z")]
            raw = {**raw, "final_schedule": {"name": "Final Schedule", "rendered_schedule_entries": entries,
                                             "rendered_coverage_percentage": 100}}
        return httpx.Response(200, json={"schedule": raw})

    for s in schedules:
        router.get(f"{PD}/schedules/{s['id']}").mock(side_effect=one)


def install_fake_assignments(monkeypatch, people: int = 2) -> None:
    """Full syncs extend assignments with a deterministic stand-in for `bot.sync.assignments`:
    weekly round-robin shifts of the first `people` members up to the horizon, so export behaviour
    is tested on its own."""

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
