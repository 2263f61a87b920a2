"""serve(): transport choice, scheduler hook, OAuth install paths; the signed OAuth state."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import inspect

from bot.oauth_state import SignedOAuthStateStore
from tests.slack.payloads import HttpDriver


def test_http_mode_serves_the_wsgi_app_under_waitress(slack, monkeypatch):
    import waitress

    import bot.server as server

    seen = {}

    class Server:
        def run(self):
            seen["ran"] = True

    monkeypatch.setattr(waitress, "create_server", lambda app, **kw: (seen.update(app=app, **kw), Server())[1])
    monkeypatch.setattr(server, "start_scheduler", lambda ctx, app: None)
    assert server.serve(slack.ctx) == 0
    assert seen["port"] == slack.ctx.settings.port and seen["ran"]
    assert seen["max_request_body_size"] == server.MAX_BODY_BYTES
    assert HttpDriver(seen["app"]).request("GET", "/healthz").status == 200
    assert slack.stub.calls("auth.test")  # the bot token was verified at start


def test_socket_mode_when_an_app_token_is_set(slack, monkeypatch):
    import bot.server as server

    started = []
    slack.ctx.settings = replace(slack.ctx.settings, slack_app_token="xapp-1-test")
    monkeypatch.setattr(server.SocketModeHandler, "start", lambda self: started.append(self.app_token))
    monkeypatch.setattr(server, "start_scheduler", lambda ctx, app: None)
    assert server.serve(slack.ctx) == 0
    assert started == ["xapp-1-test"]


def test_serve_starts_the_timers_with_the_apps_client(slack, monkeypatch):
    import bot.server as server
    from bot.app import create_app

    class Scheduler:
        def shutdown(self, wait=True):
            self.stopped = True

    seen = []
    monkeypatch.setattr(server.jobs, "start_scheduler", lambda ctx, client: seen.append(client) or Scheduler())
    app = create_app(slack.ctx)
    assert isinstance(server.start_scheduler(slack.ctx, app), Scheduler) and seen == [app.client]


def test_oauth_install_paths_when_client_id_and_secret_are_set(slack, engine):
    from bot.app import create_app
    from bot.server import make_wsgi_app

    slack.ctx.settings = replace(slack.ctx.settings, slack_bot_token=None, slack_client_id="111.222",
                                 slack_client_secret="client-secret")
    driver = HttpDriver(make_wsgi_app(create_app(slack.ctx)))
    page = driver.request("GET", "/slack/install")
    assert page.status == 200 and "oauth/v2/authorize" in page.body and "client_id=111.222" in page.body
    assert {"slack_installations", "slack_bots"} <= set(inspect(engine).get_table_names())
    assert driver.request("GET", "/slack/oauth_redirect").status in (400, 401, 200)


def test_signed_oauth_state(engine):
    now = [1000.0]
    store = SignedOAuthStateStore("secret", engine, expiration_seconds=60, clock=lambda: now[0])
    state = store.issue()
    assert not store.consume(state[:-2] + "xx")
    assert not SignedOAuthStateStore("other", engine, clock=lambda: now[0]).consume(state)
    assert not store.consume("")
    for forged in ("a.²", "²", "1.x.ÿ", state + "²", "٣" * 9 + "." + state.rpartition(".")[2]):
        assert not store.consume(forged)  # a typed state with non-ASCII text is refused, not a TypeError
    assert store.consume(state)
    expired = store.issue()
    now[0] += 61
    assert not store.consume(expired)
