"""`serve(ctx)`: run the Slack app (Socket Mode or HTTP under waitress) and the sync scheduler.

In HTTP mode every POST to /slack/events passes `SlackGate` before bolt sees a byte of it: the
body is capped (`MAX_BODY_BYTES`, 413 unread), Slack's signature rule is checked on the raw
bytes (timestamp within 5 minutes, HMAC-SHA256 `v0=`), and only then is the body decoded and
parsed. A rejected request gets 400/401/413 and one log line (reason, length, a short escaped
prefix), never a traceback or the body itself.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request.internals import parse_body

from bot import jobs
from bot.app import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, create_app
from bot.context import Context
from bot.services import background

log = logging.getLogger(__name__)

# Slack's own payloads are small (the largest, a view submission of a 100-block modal, is tens of
# KB); 512 KiB leaves room for long messages carried in block_actions and refuses anything else.
MAX_BODY_BYTES = 512 * 1024
MAX_AGE_SECONDS = 5 * 60  # Slack's replay window
LOG_PREFIX_BYTES = 32
HTTP_THREADS = 8
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_STATUS = {400: "400 Bad Request", 401: "401 Unauthorized", 413: "413 Payload Too Large",
           500: "500 Internal Server Error"}


class Rejected(Exception):
    """A request the gate refuses: the HTTP status and the reason (for the log, never the client)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def body_length(raw: str | None) -> int:
    """Content-Length as a number within the cap (missing means empty)."""
    if raw is None or raw == "":
        return 0
    if not raw.isdigit():
        raise Rejected(400, "malformed Content-Length")
    length = int(raw)
    if length > MAX_BODY_BYTES:
        raise Rejected(413, f"Content-Length {length} over the {MAX_BODY_BYTES}-byte cap")
    return length


def verify_signature(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float) -> None:
    """Slack's rule on the raw bytes: `v0=` HMAC-SHA256 of `v0:{ts}:{body}`, ts within 5 minutes."""
    if not secret:
        raise Rejected(401, "no signing secret is configured")
    if timestamp is None or signature is None:
        raise Rejected(401, "missing signature headers")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Rejected(400, "malformed X-Slack-Request-Timestamp")
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        raise Rejected(401, "timestamp outside the 5-minute window")
    if not _SIGNATURE.fullmatch(signature):
        raise Rejected(401, "malformed X-Slack-Signature")
    expected = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest("v0=" + expected, signature):
        raise Rejected(401, "signature mismatch")


def check_payload(body: bytes, content_type: str | None) -> str:
    """The body as text, once it parses the way bolt will parse it into a JSON object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "body is not UTF-8") from None
    kind = (content_type or "").split(";")[0].strip() or None
    try:
        parsed = parse_body(text, kind)
    except ValueError:
        raise Rejected(400, "body or payload= is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise Rejected(400, "body or payload= is not a JSON object")
    return text


def escaped_prefix(body: bytes) -> str:
    """The first bytes of a body, every control or non-ASCII byte escaped (safe for one log line)."""
    return repr(body[:LOG_PREFIX_BYTES]) + ("…" if len(body) > LOG_PREFIX_BYTES else "")


def _answer(start_response: Callable, status: int, text: str) -> list[bytes]:
    start_response(_STATUS[status], [("Content-Type", "text/plain; charset=utf-8")])
    return [text.encode() + b"\n"]


class SlackGate:
    """WSGI middleware in front of bolt for POSTs to /slack/events (see the module docstring)."""

    def __init__(self, app: Callable, signing_secret: str, *, clock: Callable[[], float] = time.time):
        self.app = app
        self.secret = signing_secret
        self.clock = clock

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = b""
        try:
            length = body_length(environ.get("CONTENT_LENGTH"))
            body = environ["wsgi.input"].read(length) if length else b""
            verify_signature(self.secret, _header(environ, "X-Slack-Request-Timestamp"),
                             _header(environ, "X-Slack-Signature"), body, self.clock())
            check_payload(body, environ.get("CONTENT_TYPE"))
        except Rejected as exc:
            log.info("rejected Slack request: %s (%d bytes, starts %s)", exc.reason, len(body), escaped_prefix(body))
            return _answer(start_response, exc.status, "invalid request" if exc.status != 413 else "too large")
        inner = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        try:
            return self.app(inner, start_response)
        except Exception:  # a signed request that bolt could not handle: log it with an id
            error_id = uuid.uuid4().hex[:8]
            log.exception("error %s while dispatching a signed Slack request", error_id)
            return _answer(start_response, 500, f"error id {error_id}")


def _header(environ: Mapping[str, str], name: str) -> str | None:
    return environ.get("HTTP_" + name.upper().replace("-", "_"))


def make_wsgi_app(app: App, signing_secret: str | None = None) -> Callable:
    """WSGI app: bolt on /slack/events behind `SlackGate` (+ OAuth paths when enabled), /healthz,
    404 elsewhere. The signing secret defaults to the one the App was built with."""
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)
    gate = SlackGate(bolt, app._signing_secret if signing_secret is None else signing_secret)
    oauth_paths = {INSTALL_PATH, REDIRECT_PATH} if app.oauth_flow is not None else set()

    def wsgi(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        if path == EVENTS_PATH and method == "POST":
            return gate(environ, start_response)
        if path in oauth_paths and method == "GET":
            return bolt(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"not found\n"]

    return wsgi


def http_server(ctx: Context, app: App, *, host: str = "0.0.0.0", port: int | None = None):
    """The waitress server for HTTP mode; waitress itself refuses bodies over the cap (413)."""
    import waitress

    return waitress.create_server(make_wsgi_app(app), host=host, port=ctx.settings.port if port is None else port,
                                  threads=HTTP_THREADS, max_request_body_size=MAX_BODY_BYTES)


def make_socket_handler(app: App, ctx: Context) -> SocketModeHandler:
    return SocketModeHandler(app, ctx.settings.slack_app_token, web_client=app.client)


def start_scheduler(ctx: Context, app: App):
    """Start the bot's timers (`bot.jobs.start_scheduler`) with the app's Slack client."""
    return jobs.start_scheduler(ctx, app.client)


def serve(ctx: Context) -> int:
    app = create_app(ctx)
    scheduler = start_scheduler(ctx, app)
    try:
        if ctx.settings.socket_mode:
            log.info("Connecting to Slack in Socket Mode")
            make_socket_handler(app, ctx).start()
        else:
            log.info("Listening for Slack on http://0.0.0.0:%s%s", ctx.settings.port, EVENTS_PATH)
            http_server(ctx, app).run()
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        background.pool.shutdown(wait=False)  # queued hand-offs are dropped; running ones end by their deadline
        ctx.close()  # the pooled provider transports
    return 0
