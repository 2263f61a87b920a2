"""Both transports into create_app: signatures, replays, health check, Socket Mode, error ids."""

from __future__ import annotations

import logging
import time

from tests.slack.payloads import form, interactive, slash_command


def test_signed_command_is_acked_and_answered(slack, slack_http):
    resp = slack_http.command("help", response_url=slack.response_url)
    assert resp.status == 200
    (call,) = slack.stub.wait_for("response_url")
    assert call.body["response_type"] == "ephemeral"
    assert "/oncall connect" in call.body["text"] or "connect" in str(call.body["blocks"])


def test_forged_signature_is_rejected(slack, slack_http):
    resp = slack_http.post(form(slash_command("help", response_url=slack.response_url)), signature="v0=" + "0" * 64)
    assert resp.status == 401
    assert slack.stub.calls("response_url") == []


def test_wrong_secret_is_rejected(slack, slack_http):
    slack_http.secret = "not-the-secret"
    assert slack_http.command("help", response_url=slack.response_url).status == 401


def test_replayed_request_with_old_timestamp_is_rejected(slack, slack_http):
    body = form(slash_command("help", response_url=slack.response_url))
    assert slack_http.post(body, timestamp=time.time() - 6 * 60).status == 401
    assert slack.stub.calls("response_url") == []


def test_health_and_unknown_paths(slack_http):
    assert slack_http.request("GET", "/healthz").status == 200
    assert slack_http.request("GET", "/elsewhere").status == 404
    assert slack_http.request("GET", "/slack/install").status == 404  # OAuth is off


def test_socket_mode_command(slack, slack_socket):
    ack = slack_socket.send("slash_commands", slash_command("help", response_url=slack.response_url))
    assert ack is None  # an empty ack
    assert slack.stub.wait_for("response_url")


def test_socket_mode_interactive_and_events(slack, slack_socket):
    slack.stub.add_user("U1", email="alice@example.com")
    slack_socket.send("events_api", __import__("tests.slack.payloads", fromlist=["x"]).app_home_opened("U1"))
    (call,) = slack.stub.wait_for("views.publish")
    assert call.body["user_id"] == "U1"


def test_unexpected_error_shows_only_an_id(slack, slack_http_threaded, monkeypatch, caplog):
    import bot.commands.status as status_cmd

    def boom(*_a, **_k):
        raise RuntimeError("database on fire: secret internals")

    monkeypatch.setattr(status_cmd, "schedule_status", boom)
    caplog.set_level(logging.ERROR)
    assert slack_http_threaded.command("status", response_url=slack.response_url).status == 200
    (call,) = slack.stub.wait_for("response_url")
    text = call.raw
    assert "error id" in text and "database on fire" not in text and "Traceback" not in text
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and "database on fire" in str(logged[0].exc_info[1])
    error_id = text.split("error id `")[1].split("`")[0]
    assert error_id in logged[0].getMessage()


def test_unexpected_error_in_modal_submission_replaces_modal_with_id(slack, slack_http, monkeypatch):
    import bot.commands.connect as connect_cmd
    from tests.slack.payloads import view_submission

    slack.stub.add_user("U1", is_admin=True)
    monkeypatch.setattr(connect_cmd.service, "read_form", lambda *a, **k: 1 / 0)
    resp = slack_http.interact(view_submission("connect_modal", {}))
    assert resp.status == 200
    body = resp.json()
    assert body["response_action"] == "update"
    assert "error id" in str(body["view"]) and "ZeroDivision" not in str(body["view"])


def test_interactive_payload_needs_signature(slack, slack_http):
    body = interactive({"type": "block_actions", "actions": []})
    assert slack_http.post(body, signature="v0=bad").status == 401
