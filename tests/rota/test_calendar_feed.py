import time
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.rota.calendar_feed import FeedLimits, blocking_time_off, read_feed
from bot.rota.model import Window
from bot.sandbox.http import serve_in_thread
from bot.services.calendar_fetch import FeedHTTPStatus, fetch_ics

FIXTURES = Path(__file__).parent / "fixtures"
WINDOW = Window(datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))


def _utc(*a):
    return datetime(*a, tzinfo=UTC)


def test_blocking_events():
    offs = blocking_time_off((FIXTURES / "away.ics").read_text(), "42", WINDOW, "Europe/Berlin")
    spans = [(t.start, t.end) for t in offs]
    assert all(t.member_id == "42" and t.source == "calendar" for t in offs)
    assert spans == [
        (_utc(2025, 3, 3, 17), _utc(2025, 3, 3, 19)),  # recurring "no oncall", expanded
        (_utc(2025, 3, 5, 17), _utc(2025, 3, 5, 22)),  # title, case-insensitive, Berlin time
        (_utc(2025, 3, 6, 12), _utc(2025, 3, 6, 16)),  # Outlook out-of-office
        (
            _utc(2025, 3, 9, 23),
            _utc(2025, 3, 11, 23),
        ),  # all-day, in the member's zone (absorbs the 10th's choir)
        (_utc(2025, 3, 17, 17), _utc(2025, 3, 17, 19)),
    ]  # the plain meeting and the cancelled event never block


def test_window_clips():
    offs = blocking_time_off(
        (FIXTURES / "away.ics").read_text(), "42", Window(_utc(2025, 3, 10, 12), _utc(2025, 3, 11)), "UTC"
    )
    assert [(t.start, t.end) for t in offs] == [(_utc(2025, 3, 10, 12), _utc(2025, 3, 11))]


@pytest.fixture
def server():
    handler = partial(SimpleHTTPRequestHandler, directory=str(FIXTURES))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    stop = serve_in_thread(httpd, "ics-files")
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    stop()


def test_fetch_over_loopback(server):
    text = fetch_ics(f"{server}/away.ics", allow_private=True)
    assert blocking_time_off(text, "42", WINDOW, "Europe/Berlin")
    with pytest.raises(FeedHTTPStatus):
        fetch_ics(f"{server}/missing.ics", allow_private=True)


def _cal(*events: str) -> str:
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n"


def _event(uid: str, start: str, summary: str, extra: str = "") -> str:
    value = ";VALUE=DATE" if len(start) == 8 else ""
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20250101T000000Z\r\nDTSTART{value}:{start}\r\n{extra}"
            f"SUMMARY:{summary}\r\nEND:VEVENT\r\n")


def test_a_secondly_recurrence_bomb_is_cheap_and_reported():
    """A 150-byte FREQ=SECONDLY "no oncall" would be 2.7 million occurrences in a month."""
    text = _cal(_event("bomb", "20250101T000000Z", "no oncall", "DURATION:PT1S\r\nRRULE:FREQ=SECONDLY\r\n"),
                _event("beat", "20250101T000000Z", "heartbeat", "DURATION:PT1S\r\nRRULE:FREQ=SECONDLY\r\n"),
                _event("trip", "20250310", "Trip"))
    start = time.monotonic()
    feed = read_feed(text, "42", WINDOW, "UTC")
    assert time.monotonic() - start < 1.0
    assert [(t.start, t.end) for t in feed.time_off] == [(_utc(2025, 3, 10), _utc(2025, 3, 11))]
    assert feed.skipped == 1 and feed.limited == "skipped 1 recurring event(s) that repeat too often"


def test_a_short_frequent_recurrence_is_still_read():
    text = _cal(_event("m", "20250305T100000Z", "no oncall",
                       "DURATION:PT1M\r\nRRULE:FREQ=MINUTELY;INTERVAL=30;UNTIL=20250305T113000Z\r\n"),
                _event("r", "20250320T100000Z", "no oncall",
                       "DURATION:PT1M\r\nRDATE:20250321T100000Z,20250322T100000Z\r\nRDATE:20250323T100000Z\r\n"))
    feed = read_feed(text, "42", WINDOW, "UTC")
    assert [(t.start, t.end) for t in feed.time_off] == [
        (_utc(2025, 3, 5, 10), _utc(2025, 3, 5, 10, 1)), (_utc(2025, 3, 5, 10, 30), _utc(2025, 3, 5, 10, 31)),
        (_utc(2025, 3, 5, 11), _utc(2025, 3, 5, 11, 1)), (_utc(2025, 3, 5, 11, 30), _utc(2025, 3, 5, 11, 31)),
        *((_utc(2025, 3, day, 10), _utc(2025, 3, day, 10, 1)) for day in (20, 21, 22, 23))]
    assert feed.limited is None


def test_occurrences_and_window_are_capped():
    days = [_event(f"d{i}", f"202503{i + 1:02d}", "no oncall") for i in range(0, 30, 2)]
    feed = read_feed(_cal(*days), "42", WINDOW, "UTC", FeedLimits(max_occurrences=4))
    assert len(feed.time_off) == 4 and feed.time_off[-1].start == _utc(2025, 3, 7)
    assert feed.limited == "stopped after 4 events"
    feed = read_feed(_cal(*days), "42", WINDOW, "UTC", FeedLimits(max_window_days=5))
    assert [t.start.day for t in feed.time_off] == [1, 3, 5] and feed.limited is None
