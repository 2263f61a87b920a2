"""`serve(ctx)`: run the Slack app (Socket Mode or HTTP under waitress) and the sync scheduler."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.app import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, create_app
from bot.context import Context

log = logging.getLogger(__name__)


def make_wsgi_app(app: App) -> Callable:
    """WSGI app: bolt on /slack/events (+ OAuth paths when enabled), /healthz, 404 elsewhere."""
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)
    slack_paths = {EVENTS_PATH} | ({INSTALL_PATH, REDIRECT_PATH} if app.oauth_flow is not None else set())

    def wsgi(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        if path in slack_paths:
            return bolt(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"not found\n"]

    return wsgi


def make_socket_handler(app: App, ctx: Context) -> SocketModeHandler:
    return SocketModeHandler(app, ctx.settings.slack_app_token, web_client=app.client)


def start_scheduler(ctx: Context, app: App):
    """Start the sync scheduler (`bot.sync.job.start_scheduler`) when that module exists."""
    try:
        from bot.sync import job
    except ModuleNotFoundError as exc:
        if exc.name != "bot.sync.job":
            raise
        log.warning("bot.sync.job is not available: running without the sync scheduler")
        return None
    return job.start_scheduler(ctx, app.client)


def serve(ctx: Context) -> int:
    app = create_app(ctx)
    scheduler = start_scheduler(ctx, app)
    try:
        if ctx.settings.socket_mode:
            log.info("Connecting to Slack in Socket Mode")
            make_socket_handler(app, ctx).start()
        else:
            import waitress

            log.info("Listening for Slack on http://0.0.0.0:%s%s", ctx.settings.port, EVENTS_PATH)
            waitress.serve(make_wsgi_app(app), host="0.0.0.0", port=ctx.settings.port, threads=8)
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0
