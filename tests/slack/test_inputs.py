"""Input a person can type, or a payload that is not what the bot sent (issue 9), through signed
requests into create_app: each gets a clear ephemeral answer, HTTP 200, no error id, nothing written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from bot.ids import ButtonId, CallbackId, SwapButtonId, SwapCallbackId, SyncButtonId
from tests.plugins.world import NOW, platform_team
from tests.slack.payloads import block_actions, multi, view_submission
from tests.slack.payloads import select as sel


@pytest.fixture
def team(slack):
    return platform_team(slack)


def row_counts(ctx) -> dict[str, int]:
    with ctx.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables}


def answers(slack) -> list[str]:
    return [json.dumps(c.body, ensure_ascii=False) for c in slack.stub.calls("response_url")]


def only_answer(slack) -> str:
    slack.stub.wait_for("response_url")
    [text] = answers(slack)
    return text


def refused(slack, http, text: str, *, user: str = "U1") -> str:
    """Run `/oncall <text>`: 200, one ephemeral answer without an error id, no row written."""
    before = row_counts(slack.ctx)
    resp = http.command(text, user_id=user, response_url=slack.response_url)
    assert resp.status == 200
    answer = only_answer(slack)
    assert '"response_type": "ephemeral"' in answer
    assert "error id" not in answer and "Something went wrong" not in answer, answer
    assert row_counts(slack.ctx) == before
    return answer


# ---------------------------------------------------------------- dates far away


@pytest.mark.parametrize("text", [
    "away 9999-12-31", "away 9999-12-30 9999-12-31", "away 12-24 9999-12-31", "away 9999-12-31 23:00",
    "away 0001-01-01", "away 0001-01-01 12-24", "away <@U2|bob> 9999-12-31 family",
    "swap <@U2|bob> 9999-12-31", "swap <@U1|alice> <@U2|bob> 12-24..9999-12-31", "cover <@U2|bob> 9999-12-31",
    "cover <@U2|bob> 0001-01-01",
])
def test_dates_far_away_say_what_to_type(team, slack_http, text):
    answer = refused(team, slack_http, text, user="U9" if "@U2" in text and text.startswith("away") else "U1")
    assert "10 years" in answer and "/oncall" in answer


def test_a_date_within_ten_years_is_still_taken(team, slack_http):
    slack_http.command("away 2036-11-26", user_id="U1", response_url=team.response_url)
    assert "You are away" in only_answer(team)


# ---------------------------------------------------------------- ids


@pytest.mark.parametrize("text", [
    "undo 99999999999999999999", "undo 2147483648", "undo ²", "undo ٣", "undo #²", "undo 0", "undo -1",
    "away cancel 99999999999999999999", "away cancel 2147483648", "away cancel ²", "away cancel ٣",
    "away cancel #٣", "away cancel 0",
])
def test_ids_that_cannot_be_a_row_say_what_to_type(team, slack_http, text):
    answer = refused(team, slack_http, text)
    assert "e.g. `/oncall" in answer


def test_the_largest_id_is_looked_up(team, slack_http):
    answer = refused(team, slack_http, "away cancel 2147483647")
    assert "There is no time off #2147483647" in answer


# ---------------------------------------------------------------- mistyped commands keep secrets


SECRET_URL = "https://calendar.example.com/private-0123abcd/basic.ics"


@pytest.mark.parametrize("text", [
    f"calendr <{SECRET_URL}>", f"calendr {SECRET_URL}", f"<{SECRET_URL}>", f"{SECRET_URL}",
    f"connect <{SECRET_URL}>", f"connections {SECRET_URL}", f"status <{SECRET_URL}>", f"who {SECRET_URL}",
    f"edit <{SECRET_URL}>", f"away <{SECRET_URL}>", f"away tomorrow to <{SECRET_URL}>",
    f"swap <@U2|bob> \"x\" <{SECRET_URL}>", f"undo <{SECRET_URL}>", f"away cancel <{SECRET_URL}>",
    f"pattern Platform length <{SECRET_URL}>", f"fairness Platform <{SECRET_URL}>",
    f"drift <{SECRET_URL}> auto", f"help <{SECRET_URL}>",
])
def test_a_mistyped_command_does_not_echo_a_link(team, slack_http, text):
    slack_http.command(text, user_id="UADM", response_url=team.response_url)
    team.stub.wait_for("response_url")
    sent = team.stub.all_text()
    assert "private-0123abcd" not in sent and "basic.ics" not in sent and "calendar.example.com/" not in sent


# ---------------------------------------------------------------- buttons and modals the bot did not send


GARBAGE = ["garbage", "99999999999999999999", "2147483648", "²", "٣", "-1", "", None, "1:2", "[1]"]
BUTTONS = [ButtonId.STATUS, ButtonId.EDIT, ButtonId.REMOVE_CONNECTION, SyncButtonId.DRIFT_REAPPLY,
           SyncButtonId.DRIFT_KEEP, SwapButtonId.UNDO, SwapButtonId.ACCEPT, SwapButtonId.DECLINE,
           SwapButtonId.WITHDRAW]


def stale_answer(slack) -> str:
    """The one answer to a stale button: ephemeral (response_url or chat.postEphemeral), no error id."""
    slack.stub.wait_for("chat.postEphemeral")
    sent = [json.dumps(b, ensure_ascii=False) for b in slack.stub.bodies("chat.postEphemeral")]
    assert len(sent) == 1 and not slack.stub.calls("response_url") and not slack.stub.calls("views.open")
    assert "error id" not in sent[0] and "out of date" in sent[0] and "run the command again" in sent[0], sent[0]
    return sent[0]


@pytest.mark.parametrize(("action_id", "values"), [
    *((action_id, GARBAGE) for action_id in BUTTONS),
    (ButtonId.LINK, ["garbage", "x:PSCHED1", "99999999999999999999:PSCHED1", "²:PSCHED1", ":", "", None]),
])
def test_a_button_value_the_bot_did_not_send_is_refused(team, slack_http, action_id, values):
    before = row_counts(team.ctx)
    for value in values:
        team.stub.reset()
        assert slack_http.interact(block_actions(action_id, value, user_id="UADM")).status == 200, value
        stale_answer(team)
    assert row_counts(team.ctx) == before


def test_a_connection_option_the_bot_did_not_send_is_refused(team, slack_http):
    view = {"id": "V1", "type": "modal", "callback_id": CallbackId.LINK, "private_metadata": "{}", "hash": "h"}
    for value in ("garbage", "99999999999999999999", "²"):
        team.stub.reset()
        payload = block_actions(ButtonId.LINK_PICK_CONNECTION, user_id="UADM", view=view,
                                selected_option={"text": {"type": "plain_text", "text": "x"}, "value": value})
        assert slack_http.interact(payload).status == 200
        stale_answer(team)
        assert not team.stub.calls("views.update")
    team.stub.reset()
    payload = block_actions(ButtonId.LINK_PICK_CONNECTION, user_id="UADM",  # not from the link modal
                            selected_option={"text": {"type": "plain_text", "text": "x"}, "value": "1"})
    assert slack_http.interact(payload).status == 200
    stale_answer(team)


BAD_META = ["not json", "[1, 2]", "{}", '{"s": "x"}', '{"s": "²"}', '{"s": 99999999999999999999}', '{"s": 1.5}',
            '{"s": true}', '{"q": "x"}', '{"q": {"kind": "swap"}}', '{"q": [1]}']


def stale_modal(slack, resp) -> None:
    """A stale submission: 200, the modal says it is out of date, no error id, nothing else sent."""
    assert resp.status == 200
    body = resp.json()
    assert body["response_action"] == "update", body
    text = json.dumps(body["view"], ensure_ascii=False)
    assert "out of date" in text and "error id" not in text
    assert not slack.stub.calls("response_url") and not slack.stub.calls("chat.postEphemeral")


@pytest.mark.parametrize("callback_id", [CallbackId.UNLINK, CallbackId.EDIT, SwapCallbackId.PICK_SCHEDULE,
                                         SwapCallbackId.PICK_SHIFTS])
def test_modal_metadata_the_bot_did_not_write_is_refused(team, slack_http, callback_id):
    before = row_counts(team.ctx)
    values = {"swap_schedule": {"input": sel(str(team.schedule_id))},
              "swap_shifts_a": {"input": multi([("1", "a")])}, "swap_shifts_b": {"input": multi([("2", "b")])}}
    for meta in BAD_META:
        team.stub.reset()
        resp = slack_http.interact(view_submission(callback_id, values, private_metadata=meta, user_id="UADM"))
        stale_modal(team, resp)
    assert row_counts(team.ctx) == before


@pytest.mark.parametrize("callback_id", [SwapCallbackId.PICK_SCHEDULE, SwapCallbackId.PICK_SHIFTS])
def test_picked_options_the_bot_did_not_offer_are_refused(team, slack_http, callback_id):
    from bot.commands.swap import _encode
    from bot.services.swaps import SwapQuery
    from bot.services.swaps.select import Window

    before = row_counts(team.ctx)
    q = SwapQuery(team_id="T1", kind="swap", requester="U1", a_user="U1", b_user="U2")
    far = SwapQuery(team_id="T1", kind="swap", requester="U1", a_user="U1", b_user="U2",
                    window=Window(NOW.date(), NOW.date().replace(year=9999)))
    fine = {"swap_schedule": {"input": sel(str(team.schedule_id))}, "swap_shifts_a": {"input": multi([("1", "a")])},
            "swap_shifts_b": {"input": multi([("2", "b")])}}
    cases = [(q, {"swap_schedule": {"input": sel(value)}, "swap_shifts_a": {"input": multi([(value, "a")])},
                  "swap_shifts_b": {"input": multi([(value, "b")])}})
             for value in ("garbage", "99999999999999999999", "²")] + [(far, fine)]
    for query, values in cases:
        team.stub.reset()
        meta = json.dumps({"c": "C1", "q": _encode(query)})
        resp = slack_http.interact(view_submission(callback_id, values, private_metadata=meta, user_id="U1"))
        stale_modal(team, resp)
    assert row_counts(team.ctx) == before


@pytest.mark.parametrize(("meta", "values"), [
    ({"k": value}, {"link_schedule": {"input": sel("PSCHED1")}})  # the account the form was filled for
    for value in ("garbage", "99999999999999999999", "²", -1, 2**31)
] + [({"k": 1}, {"link_schedule": {"input": sel("PSCHED1")}, "link_destinations": {"input": multi([(value, "x")])}})
     for value in ("x:P", "1", "1:", "²:P")])
def test_a_link_submission_with_options_the_bot_did_not_offer_is_refused(team, slack_http, meta, values):
    resp = slack_http.interact(view_submission(CallbackId.LINK, values, private_metadata=json.dumps(meta),
                                               user_id="UADM"))
    stale_modal(team, resp)


# ---------------------------------------------------------------- every path acks


def boom(*_a, **_k):
    raise RuntimeError("database on fire")


def one_error_id(slack) -> str:
    calls = slack.stub.calls("response_url") + slack.stub.calls("chat.postEphemeral")
    assert len(calls) == 1, [c.raw for c in calls]
    assert "error id" in calls[0].raw and "database on fire" not in calls[0].raw
    return calls[0].raw


def test_a_raising_command_is_still_acked_with_one_error_id(team, slack_http, monkeypatch):
    import bot.commands.status as status_cmd

    monkeypatch.setattr(status_cmd, "schedule_status", boom)
    assert slack_http.command("status", user_id="U1", response_url=team.response_url).status == 200
    one_error_id(team)


def test_a_raising_button_is_still_acked_with_one_error_id(team, slack_http, monkeypatch):
    import bot.commands.status as status_cmd

    monkeypatch.setattr(status_cmd, "schedule_status", boom)
    assert slack_http.interact(block_actions(ButtonId.STATUS, str(team.schedule_id), user_id="U1")).status == 200
    one_error_id(team)


def test_a_submission_raising_after_its_ack_is_answered_with_one_error_id(team, slack_http, monkeypatch):
    import bot.commands.unlink as unlink_cmd

    monkeypatch.setattr(unlink_cmd, "unlink_schedule", boom)
    meta = json.dumps({"c": "C1", "s": team.schedule_id})
    resp = slack_http.interact(view_submission(CallbackId.UNLINK, {}, private_metadata=meta, user_id="UADM"))
    assert resp.status == 200
    one_error_id(team)


def test_a_submission_raising_before_its_ack_shows_the_id_in_the_modal(team, slack_http, monkeypatch):
    import bot.commands.edit as edit_cmd

    monkeypatch.setattr(edit_cmd, "edit_schedule", boom)
    meta = json.dumps({"c": "C1", "s": team.schedule_id})
    resp = slack_http.interact(view_submission(CallbackId.EDIT, {}, private_metadata=meta, user_id="UADM"))
    assert resp.status == 200 and resp.json()["response_action"] == "update"
    assert "error id" in json.dumps(resp.json())


def test_every_listener_is_guarded(slack_app):
    from bot.commands.guard import is_guarded

    listeners = slack_app._listeners
    assert len(listeners) > 20
    unguarded = [getattr(li.ack_function, "__name__", li) for li in listeners if not is_guarded(li.ack_function)]
    assert unguarded == []


def test_a_swap_token_with_ids_beyond_the_columns_is_out_of_date(team, slack_http):
    before = row_counts(team.ctx)
    big = 2**31
    for token in ({"k": "swap", "s": big, "a": 1, "b": 2, "ga": [], "gb": []},
                  {"k": "swap", "s": team.schedule_id, "a": big, "b": 2, "ga": [], "gb": []},
                  {"k": "swap", "s": team.schedule_id, "a": 1, "b": 2, "ga": [[big, 1]], "gb": []},
                  {"k": "swap", "s": "²", "a": 1, "b": 2, "ga": [], "gb": []}):
        team.stub.reset()
        payload = block_actions(SwapButtonId.CONFIRM, json.dumps(token), user_id="U1")
        assert slack_http.interact(payload).status == 200
        stale_answer(team)
    assert row_counts(team.ctx) == before


def test_a_raising_command_over_socket_mode_is_acked_with_one_error_id(team, slack_socket, monkeypatch):
    import bot.commands.status as status_cmd
    from tests.slack.payloads import slash_command

    monkeypatch.setattr(status_cmd, "schedule_status", boom)
    slack_socket.send("slash_commands", slash_command("status", response_url=team.response_url))  # asserts the ack
    one_error_id(team)
