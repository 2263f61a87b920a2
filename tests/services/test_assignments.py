"""Assignments written to the database from the rota core."""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from bot.config import Settings
from bot.context import Context
from bot.crypto import KeyBox
from bot.providers.base import RemoteRotation, RemoteSchedule, RemoteUser
from bot.services.link import pattern_json
from bot.store import (
    Connection,
    Destination,
    ExportedOverride,
    Member,
    Schedule,
    Shift,
    TimeOff,
    session_scope,
)
from bot.sync.assignments import extend_assignments, replace_after_time_off, schedule_pattern

NOW = datetime(2026, 3, 20, 12, 30, tzinfo=UTC)  # Friday; Berlin switches to summer time on the 29th
USERS = [RemoteUser(f"P{i}", f"u{i}@example.com", f"User {i}") for i in range(4)]


def _ctx(engine, now=NOW) -> Context:
    return Context(settings=Settings.from_env({}), engine=engine,
                   keys=KeyBox(Fernet.generate_key().decode()), clock=lambda: now)


@pytest.fixture
def schedule_id(any_engine):
    remote = RemoteSchedule("PS1", "Platform", "Europe/Berlin", (
        RemoteRotation("L1", "Layer 1", datetime(2026, 1, 5, 8, 0, tzinfo=UTC), 86400, tuple(USERS), kind="daily"),
    ))
    with session_scope(any_engine) as s:
        conn = Connection(team_id="T1", provider="pagerduty", name="PD", api_key_encrypted="x", key_hint="…")
        s.add(conn)
        s.flush()
        sched = Schedule(team_id="T1", name="Platform", connection_id=conn.id, source_schedule_id="PS1",
                         time_zone="Europe/Berlin", pattern_json=pattern_json(remote), horizon_days=21)
        s.add(sched)
        s.flush()
        for i, u in enumerate(USERS):
            s.add(Member(team_id="T1", schedule_id=sched.id, email=u.email, name=u.name, source_user_id=u.id,
                         slack_user_id=f"U{i}", position=i, joined_at=NOW - timedelta(days=200)))
        s.flush()
        first = s.exec(select(Member).where(Member.schedule_id == sched.id)).first()
        # what the provider paged today until now (history import stops at now)
        s.add(Shift(team_id="T1", schedule_id=sched.id, start=datetime(2026, 3, 20, 8, 0, tzinfo=UTC), end=NOW,
                    member_id=first.id, source="history"))
        return sched.id


def _future(engine, sid):
    with session_scope(engine) as s:
        return sorted(s.exec(select(Shift).where(Shift.schedule_id == sid, Shift.end > NOW)).all(),
                      key=lambda x: x.start)


def test_extend_fills_to_the_horizon_without_gaps_and_keeps_the_person_on_call(any_engine, schedule_id):
    ctx = _ctx(any_engine)
    with session_scope(any_engine) as s:
        created = extend_assignments(ctx, s, s.get(Schedule, schedule_id))
    shifts = _future(any_engine, schedule_id)
    assert created == len(shifts) > 20
    assert shifts[0].start == NOW  # continues the provider's current turn from now
    with session_scope(any_engine) as s:
        first = s.exec(select(Member).where(Member.schedule_id == schedule_id)).first()
    assert shifts[0].member_id == first.id
    for a, b in zip(shifts, shifts[1:], strict=False):
        assert a.end == b.start, "no gap, no overlap (also across the DST change)"
        assert a.member_id != b.member_id, "no back-to-back with 4 people"
    assert shifts[-1].end >= NOW + timedelta(days=21)
    # handoffs stay at 09:00 Berlin time on both sides of the DST change
    assert {sh.start.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin")).hour for sh in shifts[1:]} == {9}
    with session_scope(any_engine) as s:
        assert extend_assignments(ctx, s, s.get(Schedule, schedule_id)) == 0, "idempotent"


def test_time_off_replaces_only_clashing_shifts_and_bumps_versions(any_engine, schedule_id):
    ctx = _ctx(any_engine)
    with session_scope(any_engine) as s:
        extend_assignments(ctx, s, s.get(Schedule, schedule_id))
    before = {sh.id: (sh.member_id, sh.version) for sh in _future(any_engine, schedule_id)}
    victim = _future(any_engine, schedule_id)[5]
    with session_scope(any_engine) as s:
        member = s.get(Member, victim.member_id)
        s.add(TimeOff(team_id="T1", slack_user_id=member.slack_user_id, start=victim.start - timedelta(hours=1),
                      end=victim.end + timedelta(days=1)))
        s.flush()
        result = replace_after_time_off(ctx, s, s.get(Schedule, schedule_id), actor="U9")
    assert result.changed and not result.uncovered
    after = {sh.id: (sh.member_id, sh.version) for sh in _future(any_engine, schedule_id)}
    moved = {sid for sid in after if after[sid] != before[sid]}
    assert victim.id in moved
    assert all(after[sid][1] == before[sid][1] + 1 for sid in moved)
    assert all(after[sid][0] != victim.member_id for sid in moved)
    assert len(moved) <= 3


def test_exported_shifts_are_fixed_when_the_plan_changes(any_engine, schedule_id):
    ctx = _ctx(any_engine)
    with session_scope(any_engine) as s:
        extend_assignments(ctx, s, s.get(Schedule, schedule_id))
        shifts = s.exec(select(Shift).where(Shift.schedule_id == schedule_id, Shift.source == "bot")).all()
        exported = sorted(shifts, key=lambda x: x.start)[:10]
        dest = Destination(team_id="T1", schedule_id=schedule_id, connection_id=1, provider_schedule_id="PS1")
        s.add(dest)
        s.flush()
        for sh in exported:
            s.add(ExportedOverride(team_id="T1", destination_id=dest.id, shift_id=sh.id, override_id=f"O{sh.id}",
                                   user_id="P", start=sh.start, end=sh.end, version=sh.version))
        # a member leaves: only non-exported shifts may move
        leaver = s.get(Member, exported[3].member_id)
        leaver.left_at = NOW
    snapshot = {sh.id: sh.member_id for sh in exported}
    with session_scope(any_engine) as s:
        extend_assignments(ctx, s, s.get(Schedule, schedule_id))
    after = {sh.id: sh.member_id for sh in _future(any_engine, schedule_id)}
    assert all(after[i] == m for i, m in snapshot.items())
    later = [sh for sh in _future(any_engine, schedule_id) if sh.id not in snapshot]
    assert leaver.id not in {sh.member_id for sh in later}


def test_pattern_edits_override_the_imported_rotation(any_engine, schedule_id):
    import json

    with session_scope(any_engine) as s:
        sched = s.get(Schedule, schedule_id)
        data = json.loads(sched.pattern_json)
        data["pattern"] = {"handoff": "10:00", "length_hours": 168}
        sched.pattern_json = json.dumps(data)
        members = s.exec(select(Member).where(Member.schedule_id == schedule_id)).all()
        pattern = schedule_pattern(sched, members)
    assert pattern.length == timedelta(days=7) and pattern.handoff.hour == 10
    assert pattern.order == tuple(str(m.id) for m in sorted(members, key=lambda m: m.position))


def test_reassign_is_compare_and_set(any_engine, schedule_id):
    from bot.store.shifts import reassign_shift

    ctx = _ctx(any_engine)
    with session_scope(any_engine) as s:
        extend_assignments(ctx, s, s.get(Schedule, schedule_id))
    target = _future(any_engine, schedule_id)[3]
    others = [m for m in range(1, 5) if m != target.member_id]
    with session_scope(any_engine) as s:
        assert reassign_shift(s, target.id, from_member=target.member_id, version=target.version,
                              to_member=others[0], now=NOW)
        # a second writer that read the same version loses, whatever it wanted
        assert not reassign_shift(s, target.id, from_member=target.member_id, version=target.version,
                                  to_member=others[1], now=NOW)
    got = next(sh for sh in _future(any_engine, schedule_id) if sh.id == target.id)
    assert (got.member_id, got.version) == (others[0], target.version + 1)


def test_served_weekends_count_when_the_plan_extends(any_engine, schedule_id):
    """Issue 11, defect 1: history rows carry no kind; the next weekends go to who did none."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Berlin")
    with session_scope(any_engine) as s:
        members = sorted(s.exec(select(Member).where(Member.schedule_id == schedule_id)).all(), key=lambda m: m.position)
        ids = [m.id for m in members]
        # four weeks served, equal hours: the first two people did every weekend day
        days = [datetime(2026, 2, 20, 8, 0, tzinfo=UTC) + timedelta(days=d) for d in range(28)]
        weekend = [d for d in days if d.astimezone(zone).weekday() >= 5]
        weekday = [d for d in days if d not in weekend]
        holders = {d: ids[k % 2] for k, d in enumerate(weekend)}
        holders |= {d: ids[k % 2] for k, d in enumerate(weekday[:6])}
        holders |= {d: ids[2 + k % 2] for k, d in enumerate(weekday[6:])}
        for d, who in holders.items():
            s.add(Shift(team_id="T1", schedule_id=schedule_id, start=d, end=d + timedelta(days=1), member_id=who,
                        source="history"))
    with session_scope(any_engine) as s:
        extend_assignments(_ctx(any_engine), s, s.get(Schedule, schedule_id))
    upcoming = [sh for sh in _future(any_engine, schedule_id) if sh.start.astimezone(zone).weekday() >= 5]
    assert len(upcoming) >= 6
    assert {sh.member_id for sh in upcoming} <= set(ids[2:]), "the weekend people of the last month rest"


def test_extending_right_at_a_handoff_does_not_continue_the_turn_that_just_ended(any_engine, schedule_id):
    """The previous turn ended exactly now: nothing is in progress, so nobody is kept back to back
    (found by running the rota benchmark through this service)."""
    handoff = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
    with session_scope(any_engine) as s:
        for row in s.exec(select(Shift).where(Shift.schedule_id == schedule_id)).all():
            s.delete(row)
        last = s.exec(select(Member).where(Member.schedule_id == schedule_id, Member.position == 3)).one()
        s.add(Shift(team_id="T1", schedule_id=schedule_id, start=handoff - timedelta(days=1), end=handoff,
                    member_id=last.id, source="history"))
    with session_scope(any_engine) as s:
        extend_assignments(_ctx(any_engine, now=handoff), s, s.get(Schedule, schedule_id))
    with session_scope(any_engine) as s:
        rows = sorted(s.exec(select(Shift).where(Shift.schedule_id == schedule_id, Shift.end > handoff)).all(),
                      key=lambda x: x.start)
    assert rows[0].start == handoff and rows[0].end == handoff + timedelta(days=1)
    assert rows[0].member_id != last.id, "back to back with the turn that just ended"


def test_the_horizon_counts_days_on_the_schedules_clock(any_engine, schedule_id):
    """21 days from a 09:00 handoff across the spring change end at 09:00 local: 21 daily shifts,
    not a 22nd starting at the last handoff (found by the rota benchmark through the services)."""
    from zoneinfo import ZoneInfo

    handoff = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)  # 09:00 in Berlin; summer time from the 29th
    with session_scope(any_engine) as s:
        for row in s.exec(select(Shift).where(Shift.schedule_id == schedule_id)).all():
            s.delete(row)
    with session_scope(any_engine) as s:
        extend_assignments(_ctx(any_engine, now=handoff), s, s.get(Schedule, schedule_id))
    with session_scope(any_engine) as s:
        rows = sorted(s.exec(select(Shift).where(Shift.schedule_id == schedule_id)).all(), key=lambda x: x.start)
    assert len(rows) == 21
    assert rows[-1].end.astimezone(ZoneInfo("Europe/Berlin")) == datetime(2026, 4, 10, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
