"""Slack's rules (tests/slack/rules.py): each refuses a payload that breaks it and accepts one at the limit;
and the stub answers and fails tests as Slack would."""

from __future__ import annotations

import copy
import json
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.slack import rules
from tests.slack.payloads import new_trigger_id
from tests.slack.stub import SlackStub


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def opt(text: str, value: str) -> dict:
    return {"text": plain(text), "value": value}


def good_modal() -> dict:
    options = [opt(f"Option {i}", f"v{i}") for i in range(3)]
    return {"type": "modal", "callback_id": "cb", "title": plain("Title"), "submit": plain("Save"),
            "close": plain("Cancel"), "private_metadata": "{}", "blocks": [
                {"type": "header", "text": plain("Header")},
                {"type": "section", "block_id": "s1", "text": {"type": "mrkdwn", "text": "Hello"},
                 "accessory": {"type": "button", "action_id": "b", "text": plain("Go"), "value": "1"}},
                {"type": "section", "block_id": "s2", "fields": [{"type": "mrkdwn", "text": "a"}]},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": "small print"}]},
                {"type": "actions", "block_id": "a1", "elements": [
                    {"type": "button", "action_id": "x", "text": plain("X")},
                    {"type": "static_select", "action_id": "y", "options": options, "initial_option": options[1],
                     "placeholder": plain("Pick")}]},
                {"type": "input", "block_id": "i1", "label": plain("Label"), "hint": plain("Hint"),
                 "element": {"type": "static_select", "action_id": "input", "options": options}},
                {"type": "input", "block_id": "i2", "label": plain("Many"),
                 "element": {"type": "multi_static_select", "action_id": "input",
                             "option_groups": [{"label": plain("G"), "options": options}],
                             "initial_options": [options[0]]}},
                {"type": "divider"},
            ]}


def good_message() -> dict:
    return {"channel": "C1", "text": "hello", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_good_payloads_pass():
    assert rules.violations("views.open", {"trigger_id": "1.2.3", "view": good_modal()}) == []
    assert rules.violations("views.update", {"view_id": "V1", "view": json.dumps(good_modal())}) == []
    home = {**good_modal(), "type": "home"}
    for key in ("title", "submit", "close"):
        home.pop(key)
    assert rules.violations("views.publish", {"user_id": "U1", "view": home}) == []
    for method in ("chat.postMessage", "chat.postEphemeral", "chat.update", "response_url"):
        assert rules.violations(method, good_message()) == []
    assert rules.violations("ack", {"response_action": "update", "view": good_modal()}) == []
    assert rules.violations("ack", {"response_action": "errors", "errors": {"i1": "no"}}) == []


def _set(path: str, value):
    """A mutation setting `value` at a dotted path of the modal (numbers index lists)."""
    def mutate(view: dict) -> None:
        *head, last = path.split(".")
        node = view
        for key in head:
            node = node[int(key)] if key.isdigit() else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return mutate


def _drop(key: str):
    return lambda view: view.pop(key)


BAD_MODALS = {
    # name: (mutation, words in the violation); at the limit passes, one over fails
    "input without submit": (_drop("submit"), "needs a submit"),
    "title over 24": (_set("title", plain("x" * 25)), "/view/title/text"),
    "submit over 24": (_set("submit", plain("x" * 25)), "/view/submit/text"),
    "close over 24": (_set("close", plain("x" * 25)), "/view/close/text"),
    "title is mrkdwn": (_set("title", {"type": "mrkdwn", "text": "t"}), "plain_text"),
    "101 blocks": (lambda v: v["blocks"].extend([{"type": "divider"}] * 93), "no more than 100"),
    "private_metadata over 3000": (_set("private_metadata", "x" * 3001), "private_metadata"),
    "duplicate block_id": (_set("blocks.2.block_id", "s1"), "duplicate block_id"),
    "duplicate action_id in a block": (_set("blocks.4.elements.1.action_id", "x"), "duplicate action_id"),
    "section text over 3000": (_set("blocks.1.text.text", "x" * 3001), "/view/blocks/1/text/text"),
    "empty section text": (_set("blocks.1.text.text", ""), "at least 1"),
    "field over 2000": (_set("blocks.2.fields", [{"type": "mrkdwn", "text": "x" * 2001}]), "/fields/0/text"),
    "11 fields": (_set("blocks.2.fields", [{"type": "mrkdwn", "text": "x"}] * 11), "no more than 10"),
    "header over 150": (_set("blocks.0.text", plain("x" * 151)), "/view/blocks/0/text/text"),
    "button text over 75": (_set("blocks.1.accessory.text", plain("x" * 76)), "/accessory/text/text"),
    "button value over 2000": (_set("blocks.1.accessory.value", "x" * 2001), "/accessory/value"),
    "option text over 75": (_set("blocks.5.element.options.0", opt("x" * 76, "v0")), "/options/0/text/text"),
    "option value over 150": (_set("blocks.5.element.options.0", opt("o", "v" * 151)), "/options/0/value"),
    "101 options": (_set("blocks.5.element.options", [opt(f"o{i}", f"v{i}") for i in range(101)]), "1 to 100"),
    "placeholder over 150": (_set("blocks.4.elements.1.placeholder", plain("x" * 151)), "/placeholder/text"),
    "label over 2000": (_set("blocks.5.label", plain("x" * 2001)), "/label/text"),
    "hint over 2000": (_set("blocks.5.hint", plain("x" * 2001)), "/hint/text"),
    "initial_option not an option": (_set("blocks.4.elements.1.initial_option", opt("Other", "v9")),
                                     "initial_option must exactly match"),
    "initial_options not options": (_set("blocks.6.element.initial_options", [opt("Option 0", "zz")]),
                                    "initial_options"),
    "group label over 75": (_set("blocks.6.element.option_groups.0.label", plain("x" * 76)), "/label/text"),
    "26 actions": (_set("blocks.4.elements", [{"type": "button", "action_id": f"b{i}", "text": plain("b")}
                                              for i in range(26)]), "1 to 25"),
    "11 context elements": (_set("blocks.3.elements", [{"type": "mrkdwn", "text": "c"}] * 11), "1 to 10"),
    "unknown block": (_set("blocks.7", {"type": "banner"}), "unknown block type"),
}


@pytest.mark.parametrize("name", list(BAD_MODALS))
def test_each_view_rule_refuses_a_bad_modal(name):
    mutate, words = BAD_MODALS[name]
    view = copy.deepcopy(good_modal())
    mutate(view)
    found = rules.violations("views.open", {"trigger_id": "1.2.3", "view": view})
    assert any(words in v for v in found), found


@pytest.mark.parametrize(("path", "limit"), [
    ("title", 24), ("submit", 24), ("close", 24), ("blocks.0.text", 150), ("blocks.1.accessory.text", 75),
    ("blocks.5.label", 2000), ("blocks.5.hint", 2000), ("blocks.4.elements.1.placeholder", 150),
])
def test_plain_text_at_its_limit_passes(path, limit):
    view = copy.deepcopy(good_modal())
    _set(path, plain("x" * limit))(view)
    assert rules.violations("views.open", {"trigger_id": "1.2.3", "view": view}) == []


def test_text_at_the_limits_passes():
    view = copy.deepcopy(good_modal())
    _set("blocks.1.text.text", "x" * 3000)(view)
    _set("blocks.2.fields", [{"type": "mrkdwn", "text": "x" * 2000}] * 10)(view)
    _set("private_metadata", "x" * 3000)(view)
    options = [opt("x" * 75, f"{i:0>150}") for i in range(100)]
    _set("blocks.5.element.options", options)(view)
    view["blocks"].extend([{"type": "divider"}] * 92)
    assert len(view["blocks"]) == 100
    assert rules.violations("views.open", {"trigger_id": "1.2.3", "view": view}) == []


def test_method_arguments():
    modal = good_modal()
    assert "trigger_id" in rules.violations("views.open", {"view": modal})[0]
    assert "trigger_id" in rules.violations("views.push", {"view": modal})[0]
    assert "view_id or external_id" in rules.violations("views.update", {"view": modal})[0]
    assert rules.violations("views.update", {"external_id": "e1", "view": modal}) == []
    assert any("user_id" in v for v in rules.violations("views.publish", {"view": {**modal, "type": "home"}}))
    assert any("type must be home" in v for v in rules.violations("views.publish", {"user_id": "U1", "view": modal}))
    assert any("type must be modal" in v
               for v in rules.violations("views.open", {"trigger_id": "t", "view": {**modal, "type": "home"}}))
    assert "view must be" in rules.violations("views.open", {"trigger_id": "t", "view": "not json"})[0]


def test_message_rules():
    many = {"text": "t", "blocks": [{"type": "divider"}] * 51}
    assert any("no more than 50" in v for v in rules.violations("chat.postMessage", many))
    assert rules.violations("chat.postMessage", {"text": "t", "blocks": [{"type": "divider"}] * 50}) == []
    assert any("no_text" in v for v in rules.violations("chat.postMessage", {"channel": "C1"}))
    assert any("msg_too_long" in v for v in rules.violations("response_url", {"text": "x" * 40_001}))
    assert rules.violations("response_url", {"delete_original": True}) == []
    dup = {"text": "t", "blocks": [{"type": "divider", "block_id": "d"}, {"type": "divider", "block_id": "d"}]}
    assert any("duplicate block_id" in v for v in rules.violations("chat.update", dup))
    long_button = {"text": "t", "blocks": [{"type": "actions", "elements": [
        {"type": "button", "action_id": "a", "text": plain("x" * 76)}]}]}
    assert any("/blocks/0/elements/0/text/text" in v for v in rules.violations("chat.postEphemeral", long_button))


def test_ack_rules():
    no_submit = {**good_modal()}
    no_submit.pop("submit")
    assert rules.violations("ack", {"response_action": "update", "view": no_submit})
    assert rules.violations("ack", {"response_action": "push"})
    assert rules.violations("ack", {"response_action": "errors", "errors": {}})
    assert rules.violations("ack", {"response_action": "frobnicate"})
    assert rules.violations("ack", {"text": "t", "blocks": [{"type": "divider"}] * 51})
    assert rules.violations("ack", {}) == []


# ---------------------------------------------------------------- the stub


@pytest.fixture
def stub():
    s = SlackStub().start()
    yield s
    s.stop()


def client(stub) -> WebClient:
    return WebClient(token="xoxb-test", base_url=stub.api_url)


def test_stub_answers_a_refused_view_as_slack_does_and_records_it(stub):
    view = good_modal()
    view.pop("submit")
    with pytest.raises(SlackApiError) as err:
        client(stub).views_open(trigger_id=new_trigger_id(), view=view)
    assert err.value.response["error"] == "invalid_arguments"
    assert "needs a submit" in err.value.response["response_metadata"]["messages"][0]
    with pytest.raises(AssertionError, match="Slack would have refused"):
        stub.assert_no_refusals()
    stub.expect_refusal("needs a submit")
    stub.assert_no_refusals()


def test_stub_refuses_bad_blocks_in_messages(stub):
    stub.add_channel("C1")
    with pytest.raises(SlackApiError) as err:
        client(stub).chat_postMessage(channel="C1", text="t", blocks=[{"type": "divider"}] * 51)
    assert err.value.response["error"] == "invalid_blocks"
    assert len(stub.unexpected_refusals()) == 1


def test_trigger_id_is_single_use_and_may_expire(stub):
    trigger = new_trigger_id()
    assert client(stub).views_open(trigger_id=trigger, view=good_modal())["ok"]
    with pytest.raises(SlackApiError) as err:
        client(stub).views_push(trigger_id=trigger, view=good_modal())
    assert err.value.response["error"] == "exchanged_trigger_id"
    stub.trigger_ttl = 3.0
    old = f"1.{int((time.time() - 4) * 1000)}.abc"
    with pytest.raises(SlackApiError) as err:
        client(stub).views_open(trigger_id=old, view=good_modal())
    assert err.value.response["error"] == "expired_trigger_id"
    assert client(stub).views_open(trigger_id=new_trigger_id(), view=good_modal())["ok"]
    assert [r.error for r in stub.refusals] == ["exchanged_trigger_id", "expired_trigger_id"]


def test_channel_membership(stub):
    stub.add_user("U1")
    stub.add_user("U2")
    stub.add_channel("C1", members=["U1"])
    stub.add_channel("C2", is_member=False)
    slack = client(stub)
    assert slack.chat_postMessage(channel="C1", text="hi")["ok"]
    assert slack.chat_postMessage(channel="U2", text="a DM")["ok"]
    assert slack.chat_postMessage(channel="D123", text="a DM")["ok"]
    assert slack.chat_postEphemeral(channel="C1", user="U1", text="psst")["ok"]
    assert slack.chat_postEphemeral(channel="C2", user="U2", text="everyone is in C2")["ok"]
    for call, error in ((lambda: slack.chat_postMessage(channel="C2", text="hi"), "not_in_channel"),
                        (lambda: slack.chat_postMessage(channel="C404", text="hi"), "channel_not_found"),
                        (lambda: slack.chat_postMessage(channel="U404", text="hi"), "channel_not_found"),
                        (lambda: slack.chat_postEphemeral(channel="C1", user="U2", text="x"), "user_not_in_channel")):
        with pytest.raises(SlackApiError) as err:
            call()
        assert err.value.response["error"] == error
    assert len(stub.refusals) == 4


def test_answers_set_with_on_apply_only_to_calls_that_pass_the_rules(stub):
    stub.on("views.open", {"ok": False, "error": "expired_trigger_id"})
    with pytest.raises(SlackApiError) as err:
        client(stub).views_open(trigger_id=new_trigger_id(), view=good_modal())
    assert err.value.response["error"] == "expired_trigger_id" and stub.refusals == []


def test_errors_name_input_blocks_of_the_view():
    view = good_modal()
    assert rules.errors_violations(view, {"i1": "Pick one", "i2": "And this"}) == []
    assert "'s1'" in rules.errors_violations(view, {"s1": "a section"})[0]
    assert "'nope'" in rules.errors_violations(view, {"nope": "x"})[0]


def test_stub_checks_errors_against_the_view_it_served(stub):
    client(stub).views_open(trigger_id=new_trigger_id(), view=good_modal())
    submitted = {"type": "view_submission", "view": {"callback_id": "cb"}}
    stub.check_submission_ack(submitted, {"response_action": "errors", "errors": {"i1": "fine"}})
    stub.check_submission_ack({"view": {"callback_id": "never served"}}, {"response_action": "errors",
                                                                          "errors": {"x": "unchecked"}})
    assert stub.refusals == []
    stub.check_submission_ack(submitted, {"response_action": "errors", "errors": {"s1": "not an input"}})
    assert [r.error for r in stub.refusals] == ["invalid_arguments"]


def test_a_refused_response_url_post_is_a_400_with_the_error(stub):
    from slack_sdk.webhook import WebhookClient

    resp = WebhookClient(stub.response_url()).send(text="t", blocks=[{"type": "divider"}] * 51)
    assert (resp.status_code, resp.body) == (400, "invalid_blocks")
    assert WebhookClient(stub.response_url()).send(text="fine").status_code == 200


def test_chat_update_needs_a_message_that_was_posted(stub):
    stub.add_user("U1")
    stub.add_channel("C1")
    slack = client(stub)
    dm = slack.chat_postMessage(channel="U1", text="hi")
    assert dm["channel"] == "DU1"
    assert slack.chat_update(channel=dm["channel"], ts=dm["ts"], text="edited")["ts"] == dm["ts"]
    posted = slack.chat_postMessage(channel="C1", text="hi")
    for channel, ts in (("C1", "1.000001"), ("U1", dm["ts"]), ("C2", posted["ts"])):
        with pytest.raises(SlackApiError) as err:
            slack.chat_update(channel=channel, ts=ts, text="x")
        assert err.value.response["error"] == "message_not_found"
