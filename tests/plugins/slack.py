"""Slack fixtures: a stub Slack Web API, an app context on it, the app, and drivers for both transports.

    def test_x(slack, slack_http, conformant_respx):   # providers at their public URLs, on respx
        slack.stub.add_user("U1", email="a@example.com", is_admin=True)
        slack_http.command("status", response_url=slack.response_url)
        slack.stub.wait_for("response_url")
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from dataclasses import dataclass

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.config import Settings
from bot.context import Context
from bot.crypto import KeyBox
from tests.slack.payloads import SIGNING_SECRET, HttpDriver, SocketDriver
from tests.slack.stub import SlackStub


class InlineExecutor(Executor):
    """Runs listeners in the calling thread: a dispatch returns once the listener is done.

    Bolt resets the ack when a listener raises after ack(), which this ordering turns into a
    404 every time (on bolt's threads, only when the raise wins a race): every listener is
    guarded against it (`bot.commands.guard`), and tests/slack/test_inputs.py checks that here."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


@dataclass
class SlackEnv:
    stub: SlackStub
    ctx: Context

    @property
    def response_url(self) -> str:
        return self.stub.response_url("cmd")


@pytest.fixture
def slack_stub():
    """The stub; the test fails at teardown if Slack would have refused a call it did not expect."""
    stub = SlackStub().start()
    yield stub
    stub.stop()
    stub.assert_no_refusals()


@pytest.fixture
def slack_settings(slack_stub) -> Settings:
    return Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_stub.api_url,
        secret_key=Fernet.generate_key().decode(),
    )


@pytest.fixture
def slack(engine, slack_stub, slack_settings):
    """The stub plus a Context on a migrated SQLite database; providers go through respx."""
    with httpx.HTTPTransport() as transport:
        ctx = Context(settings=slack_settings, engine=engine, keys=KeyBox(slack_settings.secret_key),
                      transport=transport, sleep=lambda _s: None)
        yield SlackEnv(slack_stub, ctx)
        ctx.close()


@pytest.fixture
def slack_app(slack):
    from bot.app import create_app

    return create_app(slack.ctx, listener_executor=InlineExecutor())


@pytest.fixture
def slack_http(slack, slack_app) -> HttpDriver:
    from bot.server import make_wsgi_app

    return HttpDriver(make_wsgi_app(slack_app), stub=slack.stub)


@pytest.fixture
def slack_http_threaded(slack) -> HttpDriver:
    """Like `slack_http` but listeners run on bolt's own thread pool, as in production: the HTTP
    answer comes back at ack() and the listener goes on; wait for its Slack calls on the stub."""
    from bot.app import create_app
    from bot.server import make_wsgi_app

    return HttpDriver(make_wsgi_app(create_app(slack.ctx)), stub=slack.stub)


@pytest.fixture
def slack_socket(slack, slack_app):
    from bot.server import make_socket_handler

    ctx = slack.ctx
    ctx.settings = Settings(**{**ctx.settings.__dict__, "slack_app_token": "xapp-test"})
    handler = make_socket_handler(slack_app, ctx)
    yield SocketDriver(handler, stub=slack.stub)
    handler.client.close()
