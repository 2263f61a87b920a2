import threading
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.rota.calendar_feed import blocking_time_off
from bot.rota.model import Window
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
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_fetch_over_loopback(server):
    text = fetch_ics(f"{server}/away.ics", allow_private=True)
    assert blocking_time_off(text, "42", WINDOW, "Europe/Berlin")
    with pytest.raises(FeedHTTPStatus):
        fetch_ics(f"{server}/missing.ics", allow_private=True)
