"""`create_app(ctx)`: the one bolt App behind both transports (Socket Mode and HTTP).

Single workspace: `SLACK_BOT_TOKEN`. Several workspaces: `SLACK_CLIENT_ID` + `SLACK_CLIENT_SECRET`
turn on bolt's OAuth flow (`/slack/install`, `/slack/oauth_redirect`) with slack-sdk's SQLAlchemy
installation store on the bot's own database, its tokens encrypted (`bot.store.slack_oauth`), and
signed, single-use OAuth states (`bot.oauth_state`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient

from bot import redact
from bot.commands import command_limit, register_all
from bot.commands.request import CONTEXT_KEY, report_unexpected
from bot.context import Context
from bot.oauth_state import SignedOAuthStateStore
from bot.store.slack_oauth import EncryptedInstallationStore

log = logging.getLogger(__name__)

# keep in sync with manifest.yml (oauth_config.scopes.bot)
BOT_SCOPES = ["commands", "chat:write", "users:read", "users:read.email", "channels:read", "groups:read",
              "usergroups:read", "usergroups:write"]
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
EVENTS_PATH = "/slack/events"
# Bolt's listener threads only parse, authorise, ack and hand off (slow work goes to the work pool,
# `bot.services.background`), so each is busy for milliseconds. In HTTP mode each of waitress's
# `bot.server.HTTP_THREADS` (8) waits on one ack; two more cover listeners still sending a quick
# reply after their ack. (Bolt's default is 5.)
LISTENER_THREADS = 10


def oauth_settings(ctx: Context) -> OAuthSettings:
    s = ctx.settings
    return OAuthSettings(
        client_id=s.slack_client_id,
        client_secret=s.slack_client_secret,
        scopes=BOT_SCOPES,
        installation_store=EncryptedInstallationStore(s.slack_client_id, ctx.engine, ctx.keys),
        state_store=SignedOAuthStateStore(s.slack_client_secret, ctx.engine),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
    )


def create_app(
    ctx: Context,
    *,
    client: WebClient | None = None,
    authorize: Callable | None = None,
    token_verification_enabled: bool = True,
    listener_executor: Executor | None = None,
) -> App:
    """Build the App. `client`/`authorize` are for tests and embedding; `listener_executor`
    lets tests run listeners synchronously."""
    redact.install()
    s = ctx.settings
    oauth = s.oauth_enabled and authorize is None
    if client is None:
        client = WebClient(token=None if oauth else s.slack_bot_token, base_url=s.slack_api_url)
    kwargs: dict = {
        "name": "oncall-bot",
        "signing_secret": s.slack_signing_secret or "",
        # Socket Mode requests are not signed; bolt skips the check for them on its own
        "request_verification_enabled": bool(s.slack_signing_secret) or not s.socket_mode,
        "client": client,
        "token_verification_enabled": token_verification_enabled,
    }
    kwargs["listener_executor"] = listener_executor or ThreadPoolExecutor(
        max_workers=LISTENER_THREADS, thread_name_prefix="oncall-listener")
    if authorize is not None:
        kwargs["authorize"] = authorize
    elif oauth:
        kwargs["oauth_settings"] = oauth_settings(ctx)
    elif client.token is None and s.slack_bot_token:
        kwargs["token"] = s.slack_bot_token
    app = App(**kwargs)

    @app.middleware
    def inject_context(context, next):
        context[CONTEXT_KEY] = ctx
        next()

    command_limit.install(app, ctx)

    @app.error
    def on_error(error, body, context, client):
        report_unexpected(error, body, context, client)

    register_all(app)
    return app
