"""`/oncall calendar` and the periodic feed refresh, with ICS files served on loopback."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.commands.calendar import CalendarCmd, parse_calendar
from bot.commands.parser import UsageError, tokenize
from bot.notify import sync as resync
from bot.notify.timeoff import calendar_notices
from bot.services import calendar_jobs
from bot.services.calendar import refresh_calendar_feeds, url_hint
from bot.store import AuditEvent, Member, TimeOff, session_scope
from tests.plugins.world import NOW, add_people, add_platform, member_ids, shifts
from tests.services.feed_server import FeedServer

BERLIN = ZoneInfo("Europe/Berlin")
SECRET = "private-0f3c9a1bsecret"


def ics(*events: str) -> str:
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n"


def all_day(uid: str, day: str, title: str = "Holiday") -> str:
    d = day.replace("-", "")
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;VALUE=DATE:{d}\r\nSUMMARY:{title}\r\nEND:VEVENT\r\n"


def weekly_meeting() -> str:  # recurring, not blocking
    return ("BEGIN:VEVENT\r\nUID:standup\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261102T090000Z\r\n"
            "DTEND:20261102T093000Z\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n")


@pytest.fixture
def feeds():
    f = FeedServer()
    yield f
    f.close()


@pytest.fixture
def team(slack, monkeypatch):
    add_people(slack.stub)
    slack.ctx.clock = lambda: NOW
    # the feeds are served on loopback, which the bot refuses by default
    slack.ctx.settings = dataclasses.replace(slack.ctx.settings, calendar_allow_private_hosts=True)
    launched: list = []
    monkeypatch.setattr(resync, "launch", launched.append)
    monkeypatch.setattr(calendar_jobs, "launch", lambda job: job())  # feed checks run inline here
    slack.launched = launched
    slack.schedule_id = add_platform(slack.ctx)
    return slack


def reply(slack) -> str:
    return json.dumps(slack.stub.wait_for("response_url")[-1].body, ensure_ascii=False)


def bob_shift(slack, after_days: int):
    mid = member_ids(slack.ctx, slack.schedule_id)["U2"]
    return next(s for s in shifts(slack.ctx, slack.schedule_id) if s.member_id == mid
                and s.start > NOW + timedelta(days=after_days))


def calendar_rows(slack) -> list[TimeOff]:
    with session_scope(slack.ctx.engine) as s:
        return list(s.exec(select(TimeOff).where(TimeOff.source == "calendar")))


def test_parse():
    assert parse_calendar(tokenize("")) == CalendarCmd()
    assert parse_calendar(tokenize("off")) == CalendarCmd(off=True)
    assert parse_calendar(tokenize("<@U2> <https://cal.example.com/a.ics?k=1&amp;x=2>")) == \
        CalendarCmd("U2", "https://cal.example.com/a.ics?k=1&x=2")
    assert parse_calendar(tokenize("<webcal://cal.example.com/a.ics|cal.example.com/a.ics>")).url == \
        "webcal://cal.example.com/a.ics"
    for bad in ("ftp://x/y", "my-calendar", "<https://a/b> extra"):
        with pytest.raises(UsageError):
            parse_calendar(tokenize(bad))
    assert url_hint(f"https://calendar.google.com/calendar/ical/x/{SECRET}/basic.ics") == "calendar.google.com/…"


def test_feed_creates_time_off_and_replaces_a_shift(team, slack_http, feeds):
    victim = bob_shift(team, 3)
    day = victim.start.astimezone(BERLIN).date().isoformat()
    path = f"/calendar/{SECRET}/basic.ics"
    feeds.docs[path] = ics(all_day("trip", day, "Family trip"), weekly_meeting())
    slack_http.command(f"calendar <{feeds.url(path)}>", user_id="U2", response_url=team.response_url)
    text = reply(team)
    assert "127.0.0.1/…" in text and "1 blocking event" in text and "moved" in text
    assert SECRET not in team.stub.all_text(), "the secret address never goes back to Slack"
    with session_scope(team.ctx.engine) as s:
        assert {team.ctx.keys.decrypt(m.ics_url_encrypted)
                for m in s.exec(select(Member).where(Member.slack_user_id == "U2"))} == {feeds.url(path)}
        assert SECRET not in " ".join(a.detail for a in s.exec(select(AuditEvent)))
    [row] = calendar_rows(team)
    assert (row.slack_user_id, row.reason, row.start) == ("U2", "Family trip",
                                                          victim.start.astimezone(BERLIN).replace(hour=0))
    after = next(s for s in shifts(team.ctx, team.schedule_id) if s.id == victim.id)
    assert after.member_id != victim.member_id and after.version == victim.version + 1
    dms = {b["channel"] for b in team.stub.bodies("chat.postMessage")}
    assert "U2" in dms and len(dms) == 2
    assert len(team.launched) == 1

    # the periodic refresh: unchanged feed → nothing moves, the row keeps its id
    assert refresh_calendar_feeds(team.ctx, NOW, client=None) == 0
    assert [r.id for r in calendar_rows(team)] == [row.id]
    # a new event on another of Bob's shifts → replaced on the next fetch; the old one removed
    other = bob_shift(team, 7)
    feeds.docs[path] = ics(all_day("x", other.start.astimezone(BERLIN).date().isoformat(), "No oncall please"))
    team.stub.reset()
    from slack_sdk import WebClient

    client = WebClient(token="xoxb-test", base_url=team.stub.api_url)
    assert refresh_calendar_feeds(team.ctx, NOW, client=client, tell=calendar_notices) >= 1
    assert [r.reason for r in calendar_rows(team)] == ["No oncall please"]
    assert next(s for s in shifts(team.ctx, team.schedule_id) if s.id == other.id).member_id != other.member_id
    assert "calendar time off" in json.dumps(team.stub.bodies("chat.postMessage"))
    # a failing feed keeps what it had
    feeds.status = 500
    assert refresh_calendar_feeds(team.ctx, NOW) == 0
    assert len(calendar_rows(team)) == 1


def test_status_off_and_permissions(team, slack_http, feeds):
    path = f"/{SECRET}.ics"
    feeds.docs[path] = ics(all_day("a", "2026-12-05"))
    slack_http.command("calendar", user_id="U2", response_url=team.response_url)
    assert "No calendar feed" in reply(team)
    slack_http.command(f"calendar <@U2> <{feeds.url(path)}>", user_id="U4", response_url=team.response_url)
    assert "Only a manager" in reply(team)
    slack_http.command(f"calendar <@U2> <{feeds.url(path)}>", user_id="U9", response_url=team.response_url)
    assert "<@U2>'s calendar feed" in reply(team)
    slack_http.command("calendar", user_id="U2", response_url=team.response_url)
    text = reply(team)
    assert "127.0.0.1/…" in text and "1 upcoming" in text and SECRET not in text
    slack_http.command("calendar off", user_id="U2", response_url=team.response_url)
    assert "removed" in reply(team)
    assert calendar_rows(team) == []
    slack_http.command(f"calendar <{feeds.url('/missing.ics')}>", user_id="U2", response_url=team.response_url)
    assert "HTTP 404" in reply(team)
    slack_http.command("calendar nonsense", user_id="U2", response_url=team.response_url)
    assert "ICS address" in reply(team)
    slack_http.command(f"calendar <{feeds.url(path)}>", user_id="U4", response_url=team.response_url)
    assert "not a member of any schedule" in reply(team)


def test_the_sync_scheduler_also_refreshes_calendar_feeds(slack):
    from bot.jobs import start_scheduler
    from bot.services.calendar import CALENDAR_JOB_ID

    scheduler = start_scheduler(slack.ctx, None, start=False)
    job = scheduler.get_job(CALENDAR_JOB_ID)
    assert job is not None and job.trigger.interval.total_seconds() == 30 * 60


def test_private_feed_addresses_are_refused_by_default(team, feeds, slack_http):
    team.ctx.settings = dataclasses.replace(team.ctx.settings, calendar_allow_private_hosts=False)
    feeds.docs["/bob.ics"] = ics(all_day("a", "2026-11-30"))
    slack_http.command(f"calendar <{feeds.url('/bob.ics')}>", user_id="U2",
                       response_url=team.response_url)
    text = reply(team)
    assert "did not save" in text and "private network" in text
    assert calendar_rows(team) == []
    with session_scope(team.ctx.engine) as s:
        assert all(m.ics_url_encrypted is None for m in s.exec(select(Member)))


def test_the_periodic_refresh_runs_on_one_replica_at_a_time(team, feeds, monkeypatch):
    import threading

    from bot.services import calendar
    from bot.sync.locks import CALENDAR_FEEDS_KEY, try_lock

    runs: list[int] = []
    monkeypatch.setattr(calendar, "refresh_calendar_feeds", lambda ctx, client_for=None, tell=None: runs.append(1) or 0)
    held, release = threading.Event(), threading.Event()

    def other_replica():
        with try_lock(team.ctx.engine, CALENDAR_FEEDS_KEY):
            held.set()
            release.wait(5)

    t = threading.Thread(target=other_replica)
    t.start()
    held.wait(5)
    assert calendar.refresh_on_one_replica(team.ctx, lambda _team: None) is None and runs == []
    release.set()
    t.join()
    assert calendar.refresh_on_one_replica(team.ctx, lambda _team: None) == 0 and runs == [1]


@pytest.mark.parametrize("address", ["https://[::1", f"https://{'a' * 64}.example.com/{SECRET}.ics",
                                     f"https://user:pw@cal.example.com/{SECRET}.ics"])
def test_an_invalid_address_is_refused_before_saving_and_not_echoed(team, slack_http, address):
    slack_http.command(f"calendar {address}", user_id="U2", response_url=team.response_url)
    text = reply(team)
    assert "does not look like a calendar address" in text and "ICS address" in text
    assert SECRET not in team.stub.all_text() and "[::1" not in text
    with session_scope(team.ctx.engine) as s:
        assert all(m.ics_url_encrypted is None for m in s.exec(select(Member)))


def test_a_mistyped_command_does_not_echo_the_address(team, slack_http):
    slack_http.command(f"calendar https://cal.example.com/{SECRET}.ics extra", user_id="U2",
                       response_url=team.response_url)
    assert "one calendar address" in reply(team)
    assert SECRET not in team.stub.all_text()


def _answered(slack, name: str, timeout: float) -> str:
    """The last response_url answer to `name` that is not "Checking…", within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [json.dumps(c.body) for c in slack.stub.calls("response_url") if c.body.get("_id") == name]
        if found and "Checking" not in found[-1]:
            return found[-1]
        time.sleep(0.02)
    raise AssertionError(f"no answer at response_url {name} within {timeout} s")


def test_slow_feeds_never_hold_the_listener_threads(slack, slack_http_threaded, monkeypatch):
    """Flood: eight drip-feed commands (six from Bob, one each from Alice and Carol) through the real
    bolt app, then `/oncall help` from the manager: answered within Slack's 3 seconds."""
    from bot.services import calendar_fetch

    add_people(slack.stub)
    slack.ctx.clock = lambda: NOW
    slack.ctx.settings = dataclasses.replace(slack.ctx.settings, calendar_allow_private_hosts=True)
    monkeypatch.setattr(resync, "launch", lambda _fn: None)
    monkeypatch.setattr(calendar_fetch, "LIMITS", calendar_fetch.FetchLimits(seconds=4), raising=False)
    add_platform(slack.ctx)
    feeds, senders = FeedServer(), []
    try:
        feeds.drips[f"/{SECRET}.ics"] = (ics().encode(), 1.0)  # one byte per second
        url = feeds.url(f"/{SECRET}.ics")
        flood = [("U2", f"bob{i}") for i in range(6)] + [("U1", "alice"), ("U3", "carol")]
        senders = [threading.Thread(target=slack_http_threaded.command, args=(f"calendar <{url}>",),
                                    kwargs={"user_id": user, "response_url": slack.stub.response_url(name)})
                   for user, name in flood]
        for t in senders:
            t.start()
        until = time.monotonic() + 5
        while len(feeds.requests) < 3 and time.monotonic() < until:  # the slow reads have begun
            time.sleep(0.02)
        time.sleep(0.2)
        start = time.monotonic()
        resp = slack_http_threaded.command("help", user_id="U9", response_url=slack.stub.response_url("help"))
        assert resp.status == 200
        assert "/oncall" in _answered(slack, "help", 3.0 - (time.monotonic() - start))
        # every slow feed gets its answer once its deadline passes: the feed is too slow, or one check runs at a time
        answers = {name: _answered(slack, name, 8) for _user, name in flood}
        slow = sorted(name for name, a in answers.items() if "did not send the calendar within 4 seconds" in a)
        assert len(slow) == 3 and slow[0] == "alice" and slow[1].startswith("bob") and slow[2] == "carol"
        assert sum("still reading your calendar feed" in a for a in answers.values()) == 5, "Bob: one at a time"
        assert SECRET not in slack.stub.all_text()
    finally:
        feeds.close()
        for t in senders:
            t.join(5)


def test_the_feed_address_is_stored_encrypted_and_kept_out_of_reprs(team, slack_http, feeds, caplog):
    caplog.set_level(logging.INFO)
    path = f"/{SECRET}.ics"
    feeds.docs[path] = ics(all_day("a", "2026-12-05"))
    slack_http.command(f"calendar <{feeds.url(path)}>", user_id="U2", response_url=team.response_url)
    assert "1 blocking event" in reply(team)
    feeds.status = 500
    assert refresh_calendar_feeds(team.ctx, NOW) == 0
    assert "calendar feed of U2: the calendar server answered HTTP 500" in caplog.text
    assert SECRET not in caplog.text
    with session_scope(team.ctx.engine) as s:
        members = list(s.exec(select(Member).where(Member.slack_user_id == "U2")))
        assert SECRET not in repr(members) and SECRET not in str(members[0].model_dump(exclude={"ics_url_encrypted"}))
    team.ctx.engine.dispose()  # checkpoint the write-ahead log into the file
    database = Path(team.ctx.engine.url.database)
    stored = b"".join(f.read_bytes() for f in (database, database.with_name(database.name + "-wal")) if f.exists())
    assert SECRET.encode() not in stored and b"calendar" in stored


def test_the_feed_status_shows_what_a_limit_cut(team, slack_http, feeds, monkeypatch):
    from bot.rota import calendar_feed
    from bot.services import calendar_fetch

    path = f"/{SECRET}.ics"
    feeds.docs[path] = ics(*(all_day(f"d{i}", f"2026-12-{i:02d}", "no oncall") for i in range(1, 8, 2)))
    monkeypatch.setattr(calendar_feed, "FEED_LIMITS", calendar_feed.FeedLimits(max_occurrences=3))
    slack_http.command(f"calendar <{feeds.url(path)}>", user_id="U2", response_url=team.response_url)
    assert "too big to read whole: stopped after 3 events" in reply(team)
    slack_http.command("calendar", user_id="U2", response_url=team.response_url)
    assert "last read 2026-11-27 12:00 UTC: ok: 3 blocking event(s); stopped after 3 events" in reply(team)

    monkeypatch.setattr(calendar_fetch, "LIMITS", calendar_fetch.FetchLimits(max_bytes=100))
    assert refresh_calendar_feeds(team.ctx, NOW) == 0
    slack_http.command("calendar", user_id="U2", response_url=team.response_url)
    text = reply(team)
    assert ":warning: last read 2026-11-27 12:00 UTC: feed too large: the calendar is over" in text
    assert "3 upcoming blocking event(s)" in text, "a failed read keeps the time off it had"


def test_an_unexpected_error_in_the_background_check_is_answered_and_frees_the_person(team, slack_http, feeds,
                                                                                    monkeypatch):
    from bot.commands import calendar as command

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    original = command.add_feed
    monkeypatch.setattr(command, "add_feed", broken)
    feeds.docs["/a.ics"] = ics()
    slack_http.command(f"calendar <{feeds.url('/a.ics')}>", user_id="U2", response_url=team.response_url)
    assert "Something went wrong while reading the feed (error id" in reply(team)
    monkeypatch.setattr(command, "add_feed", original)
    slack_http.command(f"calendar <{feeds.url('/a.ics')}>", user_id="U2", response_url=team.response_url)
    assert "Saved your calendar feed" in reply(team)


def test_a_feed_the_parser_chokes_on_is_reported_not_raised(team, slack_http, feeds):
    feeds.docs["/y.ics"] = ics("BEGIN:VEVENT\r\nUID:y\r\nDTSTART;VALUE=DATE:99991231\r\nDURATION:P30D\r\n"
                               "RRULE:FREQ=YEARLY\r\nSUMMARY:x\r\nEND:VEVENT\r\n")
    slack_http.command(f"calendar <{feeds.url('/y.ics')}>", user_id="U2", response_url=team.response_url)
    assert "does not return a valid ICS calendar" in reply(team)
    slack_http.command("calendar", user_id="U2", response_url=team.response_url)
    assert ":warning: last read 2026-11-27 12:00 UTC: the address does not return a valid ICS calendar" in reply(team)


def test_the_periodic_refresh_skips_a_feed_being_checked_by_its_owner(team, slack_http, feeds):
    feeds.docs["/a.ics"] = ics(all_day("a", "2026-12-05"))
    slack_http.command(f"calendar <{feeds.url('/a.ics')}>", user_id="U2", response_url=team.response_url)
    assert "1 blocking event" in reply(team)
    feeds.requests.clear()
    assert calendar_jobs.claim("T1", "U2")
    try:
        refresh_calendar_feeds(team.ctx, NOW)
        assert feeds.requests == []
    finally:
        calendar_jobs.release("T1", "U2")
    refresh_calendar_feeds(team.ctx, NOW)
    assert [p for p, _host in feeds.requests] == ["/a.ics"]



@pytest.mark.parametrize("raw", [
    "text=calendar+%3Chttps%3A%2F%2Fcal.example.com%2F{s}.ics%3E&api_app_id=A1",  # HTTP form body
    '{{"command": "/oncall", "text": "calendar <https:\\/\\/cal.example.com\\/{s}.ics>"}}',  # Socket Mode JSON
    "text: Calendar   https://cal.example.com/{s}.ics",  # as typed, in any message
])
def test_a_feed_address_typed_after_calendar_is_masked_in_log_lines(raw):
    """slack_sdk's Socket Mode client logs every raw message at DEBUG before any listener runs."""
    from bot.redact import redact

    line = raw.format(s=SECRET)
    assert SECRET in line and SECRET not in redact(line)
