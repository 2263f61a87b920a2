"""The HTTP endpoint's gate: size cap, Slack's signature rule before anything parses the body,
400/401/413 without a traceback, and one bounded, escaped log line per rejected request."""

from __future__ import annotations

import json
import logging
import time

import pytest

from tests.slack.loopback import loopback, post
from tests.slack.payloads import SIGNING_SECRET, form, interactive, sign, slash_command

MB = 1024 * 1024


def _raw_sign(body: bytes, timestamp: float | None = None) -> dict[str, str]:
    """Signature headers over raw bytes (bodies that are not UTF-8)."""
    import hashlib
    import hmac

    ts = str(int(time.time() if timestamp is None else timestamp))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def _post(driver, body: bytes, headers: dict[str, str], content_type="application/x-www-form-urlencoded",
          content_length: str | None = None):
    """Post raw bytes through the real WSGI app (HttpDriver only takes text)."""
    import io

    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "QUERY_STRING": "", "SERVER_NAME": "test",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(),
        "CONTENT_LENGTH": str(len(body)) if content_length is None else content_length,
        "CONTENT_TYPE": content_type,
    }
    for key, value in headers.items():
        environ["HTTP_" + key.upper().replace("-", "_")] = value
    seen: dict = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"] = int(status.split()[0])

    out = b"".join(driver.wsgi_app(environ, start_response))
    return seen["status"], out, environ["wsgi.input"].tell()


HELP = form(slash_command("help")).encode()
NEWLINES = b"token=x&text=ok\nINFO forged log line: admin granted\r\nERROR another" + b"A" * 5000

NOW = "now"  # stands for the current time when the request is sent (the suite may run for many minutes)


def _fresh(headers: dict[str, str]) -> dict[str, str]:
    return {k: str(int(time.time())) if v == NOW else v for k, v in headers.items()}


KINDS = {
    # name: (body, headers (None: correctly signed), content type, expected status)
    "forged non-JSON payload=": (b"payload=%7Bnot-json", {"X-Slack-Request-Timestamp": NOW,
                                                          "X-Slack-Signature": "v0=" + "0" * 64}, None, 401),
    "signed non-JSON payload=": (b"payload=%7Bnot-json", None, None, 400),
    "signed payload= that is not an object": (interactive([1, 2]).encode(), None, None, 400),
    "signed JSON body that is not JSON": (b"{oops", None, "application/json", 400),
    "timestamp abc": (HELP, {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=" + "0" * 64}, None, 400),
    "timestamp with 30 digits": (HELP, {"X-Slack-Request-Timestamp": "9" * 30,
                                        "X-Slack-Signature": "v0=" + "0" * 64}, None, 400),
    "no signature headers": (HELP, {}, None, 401),
    "timestamp but no signature": (HELP, {"X-Slack-Request-Timestamp": NOW}, None, 401),
    "signature of another scheme": (HELP, {"X-Slack-Request-Timestamp": NOW,
                                           "X-Slack-Signature": "v1=abc"}, None, 401),
    "forged non-UTF-8 body": (b"text=\xff\xfe\xfa", {"X-Slack-Request-Timestamp": NOW,
                                                   "X-Slack-Signature": "v0=" + "1" * 64}, None, 401),
    "signed non-UTF-8 body": (b"text=\xff\xfe\xfa", None, None, 400),
    "newlines that forge log lines": (NEWLINES, {"X-Slack-Request-Timestamp": NOW,
                                                 "X-Slack-Signature": "v0=" + "2" * 64}, None, 401),
}


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def _assert_quiet(logs, *, most: int = 400):
    assert not [r for r in logs.records if r.exc_info], "a traceback was logged"
    assert "Traceback" not in logs.text
    assert len(logs.text) < most, f"{len(logs.text)} bytes of log for one rejected request"


@pytest.mark.parametrize("kind", list(KINDS))
def test_malformed_or_unsigned_requests_are_refused_quietly(kind, slack, slack_http, logs):
    body, headers, content_type, status = KINDS[kind]
    headers = _raw_sign(body) if headers is None else _fresh(headers)
    got, out, _read = _post(slack_http, body, headers, content_type or "application/x-www-form-urlencoded")
    assert got == status
    assert b"Traceback" not in out
    _assert_quiet(logs)
    assert slack.stub.calls("response_url") == []


def test_rejected_body_is_logged_as_one_escaped_line(slack_http, logs):
    body, headers, _ct, _st = KINDS["newlines that forge log lines"]
    _post(slack_http, body, _fresh(headers))
    (record,) = [r for r in logs.records if r.name == "bot.server"]
    line = record.getMessage()
    assert "\n" not in line and "\r" not in line
    assert "forged log line" not in line and "ERROR another" not in line  # only a short prefix
    assert str(len(body)) in line and "signature" in line


def test_huge_body_is_answered_413_without_being_read(slack_http, logs):
    body = b"payload=" + b"x" * (2 * MB)
    status, _out, read = _post(slack_http, body, _raw_sign(body))
    assert status == 413
    assert read == 0
    _assert_quiet(logs)
    assert f"Content-Length {len(body)} over the" in logs.text


def test_five_one_megabyte_bodies_add_little_log(slack_http, logs):
    body = b"A" * MB
    for _ in range(5):
        assert _post(slack_http, body, {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=0"})[0] == 413
    body = b"B" * 400_000  # under the cap: read, refused for its signature, logged in one short line
    for _ in range(5):
        assert _post(slack_http, body, {"X-Slack-Request-Timestamp": str(int(time.time())),
                                        "X-Slack-Signature": "v0=" + "0" * 64})[0] == 401
    _assert_quiet(logs, most=2000)


def test_malformed_content_length_is_a_bad_request(slack_http, logs):
    assert _post(slack_http, HELP, _raw_sign(HELP), content_length="12abc")[0] == 400
    assert _post(slack_http, HELP, _raw_sign(HELP), content_length="-5")[0] == 400
    _assert_quiet(logs)


def test_stale_and_future_timestamps_are_refused(slack_http, logs):
    assert _post(slack_http, HELP, _raw_sign(HELP, time.time() - 301))[0] == 401
    assert _post(slack_http, HELP, _raw_sign(HELP, time.time() + 301))[0] == 401
    _assert_quiet(logs)


def test_signed_command_still_works(slack, slack_http):
    body = form(slash_command("help", response_url=slack.response_url)).encode()
    status, _out, _ = _post(slack_http, body, _raw_sign(body))
    assert status == 200
    assert slack.stub.calls("response_url")


def test_signed_event_json_still_works(slack, slack_http):
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"}).encode()
    status, out, _ = _post(slack_http, body, _raw_sign(body), "application/json")
    assert status == 200 and b"c-123" in out


def test_through_the_real_waitress_server_on_loopback(slack, caplog):
    import socket

    from bot.app import create_app

    caplog.set_level(logging.INFO)

    def oversized(port: int, length: int) -> int:
        """Announce a body over the cap, send a little of it: the answer comes before the rest."""
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode() + b"x" * 1000)
            return int(sock.recv(200).split()[1])

    with loopback(slack.ctx, create_app(slack.ctx)) as port:
        assert post(port, b"payload=%7Bnot-json", {"X-Slack-Request-Timestamp": "abc",
                                                   "X-Slack-Signature": "v0=" + "0" * 64})[0] == 400
        assert post(port, b"payload=%7Bnot-json", _raw_sign(b"payload=%7Bnot-json"))[0] == 400
        assert post(port, b"text=\xff\xfe", {})[0] == 401
        assert oversized(port, 2 * MB) == 413
        _assert_quiet(caplog, most=1000)
        body = form(slash_command("help", response_url=slack.response_url))
        assert post(port, body.encode(), sign(body))[0] == 200
        slack.stub.wait_for("response_url")
    assert not [r for r in caplog.records if r.exc_info] and "Traceback" not in caplog.text
