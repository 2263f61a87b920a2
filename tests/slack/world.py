"""A small PagerDuty account on respx and database rows, for the Slack tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from bot.context import Context
from bot.store import Connection, Destination, Member, Schedule, Shift, session_scope
from tests.providers.fixtures import pd_entry, pd_error, pd_layer, pd_schedule, pd_user, pd_users_page

PD = "https://api.pagerduty.com"
PD_KEY = "u+pdKEY/secret-0123456789abcdef"  # has characters that URL-encoding changes
USERS = {
    "PU1": ("Alice Adams", "alice@example.com"),
    "PU2": ("Bob Brown", "bob@example.com"),
    "PU3": ("Carol Chen", "carol@example.com"),
}


def pd_account(router, *, schedules: list[dict] | None = None, can_write: bool = True, key_status: int = 200):
    """Routes for a PagerDuty account: schedule list, users, one schedule, write check."""
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


def add_connection(ctx: Context, team_id: str = "T1", name: str = "Acme PD", can_write: bool | None = True) -> int:
    with session_scope(ctx.engine) as session:
        conn = Connection(team_id=team_id, provider="pagerduty", region="us", name=name,
                          api_key_encrypted=ctx.keys.encrypt(PD_KEY), key_hint="…cdef", can_write=can_write)
        session.add(conn)
        session.flush()
        return conn.id


def add_schedule(ctx: Context, connection_id: int, *, team_id: str = "T1", name: str = "Platform primary",
                 channel_id: str | None = "C1", shifts_from: datetime | None = None) -> int:
    """A linked schedule with Alice (U1) and Bob (U2), a destination, and weekly shifts from `shifts_from`."""
    with session_scope(ctx.engine) as session:
        sched = Schedule(team_id=team_id, name=name, connection_id=connection_id, source_schedule_id="PSCHED1",
                         pattern_json='{"summary": "Layer 1: weekly, 2 people"}', channel_id=channel_id)
        session.add(sched)
        session.flush()
        members = []
        for pos, (uid, (pname, email)) in enumerate([("U1", USERS["PU1"]), ("U2", USERS["PU2"])]):
            m = Member(team_id=team_id, schedule_id=sched.id, slack_user_id=uid, email=email, name=pname,
                       source_user_id=f"PU{pos + 1}", position=pos)
            session.add(m)
            session.flush()
            members.append(m)
        session.add(Destination(team_id=team_id, schedule_id=sched.id, connection_id=connection_id,
                                provider_schedule_id="PSCHED1", provider_schedule_name=name, status="ok",
                                exported_until=datetime(2026, 12, 20, 9, tzinfo=UTC),
                                last_sync_at=datetime(2026, 11, 27, 8, tzinfo=UTC)))
        if shifts_from is not None:
            for i in range(4):
                start = shifts_from + timedelta(days=7 * i)
                session.add(Shift(team_id=team_id, schedule_id=sched.id, start=start, end=start + timedelta(days=7),
                                  member_id=members[i % 2].id))
        return sched.id
