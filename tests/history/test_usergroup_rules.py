"""Slack's user group rules as the stub and the sandbox's Slack simulator enforce them (one state
model: bot/sandbox/slack_usergroups.py, each rule cited there): a group cannot be emptied, only
known people who are not bots join, names and handles are unique, disabled groups are hidden unless
asked for, and a restricted workspace refuses every write."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.http import LoopbackServer
from bot.sandbox.slack_api import SlackSim
from bot.sandbox.slack_rules import violations
from bot.sandbox.slack_usergroups import Usergroups, user_list


@pytest.fixture(params=["stub", "sandbox"])
def api(request, slack_stub):
    """(WebClient, Usergroups state, stub or None) for the tests' stub and the sandbox simulator."""
    if request.param == "stub":
        slack_stub.add_user("U1", name="alice")
        slack_stub.add_user("U2", name="bob")
        slack_stub.add_user("UBOT2", name="helper", is_bot=True)
        slack_stub.add_channel("C1", name="oncall")
        yield WebClient(token="xoxb-t", base_url=slack_stub.api_url), slack_stub.usergroups, slack_stub
        return
    sim = SlackSim(token="xoxb-t", rules=violations)
    sim.add_user("U1", "alice", "alice@example.com")
    sim.add_user("U2", "bob", "bob@example.com")
    sim.add_user("UBOT2", "helper", "helper@example.com")["is_bot"] = True
    sim.add_channel("C1", "oncall")
    server = LoopbackServer(sim.handle).start()
    sim.base_url = server.url
    yield WebClient(token="xoxb-t", base_url=f"{server.url}/api/"), sim.usergroups, None
    server.stop()


def error_of(call) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value.response["error"]


def test_create_list_update_and_the_refusals(api):
    client, groups, stub = api
    made = client.usergroups_create(name="Platform on-call", handle="platform-oncall")["usergroup"]
    assert made["id"].startswith("S") and made["users"] == []
    assert error_of(lambda: client.usergroups_create(name="platform ON-CALL", handle="x")) == "name_already_exists"
    assert error_of(lambda: client.usergroups_create(name="Other", handle="platform-oncall")) == \
        "handle_already_exists"
    assert error_of(lambda: client.usergroups_create(name="People", handle="bob")) == "handle_already_exists"
    assert error_of(lambda: client.usergroups_create(name="Chan", handle="oncall")) == "handle_already_exists"

    # users: comma separated (spaces allowed) or a JSON array; the whole list is replaced
    assert client.usergroups_users_update(usergroup=made["id"], users="U1, U2")["usergroup"]["users"] == ["U1", "U2"]
    assert client.usergroups_users_update(usergroup=made["id"], users=["U2"])["usergroup"]["users"] == ["U2"]
    assert client.usergroups_users_list(usergroup=made["id"])["users"] == ["U2"]

    if stub is not None:  # calls the bot must never make are kept as refusals by the stub
        for mistake in ("no_users_provided", "invalid_users", "invalid_user"):
            stub.expect_refusal(mistake)
    assert error_of(lambda: client.usergroups_users_update(usergroup=made["id"], users="")) == "no_users_provided"
    assert error_of(lambda: client.usergroups_users_update(usergroup=made["id"], users="U1,U404")) == "invalid_users"
    assert error_of(lambda: client.usergroups_users_update(usergroup=made["id"], users="U1,UBOT2")) == "invalid_user"
    assert groups.members(made["id"]) == ["U2"], "a refused update changes nothing"
    assert error_of(lambda: client.usergroups_users_update(usergroup="S404", users="U1")) == "no_such_subteam"
    if stub is not None:
        assert sorted(r.error for r in stub.refusals) == ["invalid_user", "invalid_users", "no_users_provided"]

    client.usergroups_disable(usergroup=made["id"])
    assert client.usergroups_list()["usergroups"] == []
    listed = client.usergroups_list(include_disabled=True, include_users=True)["usergroups"]
    assert [(g["handle"], g["users"], bool(g["date_delete"])) for g in listed] == [("platform-oncall", ["U2"], True)]
    client.usergroups_enable(usergroup=made["id"])
    assert [g["handle"] for g in client.usergroups_list()["usergroups"]] == ["platform-oncall"]


def test_a_restricted_workspace_refuses_every_write_but_lists(api):
    client, groups, _ = api
    made = groups.add("Platform on-call", "platform-oncall", users=("U1",))
    groups.restricted = "permission_denied"
    assert error_of(lambda: client.usergroups_create(name="X", handle="x")) == "permission_denied"
    assert error_of(lambda: client.usergroups_users_update(usergroup=made["id"], users="U2")) == "permission_denied"
    assert error_of(lambda: client.usergroups_enable(usergroup=made["id"])) == "permission_denied"
    assert [g["id"] for g in client.usergroups_list()["usergroups"]] == [made["id"]]
    assert groups.members(made["id"]) == ["U1"]


def test_user_list_reads_both_forms():
    assert user_list("U1, U2,,U3 ") == ["U1", "U2", "U3"]
    assert user_list(["U1", " U2"]) == ["U1", "U2"]
    assert user_list(None) == [] and user_list("") == []
    assert Usergroups().handle("usergroups.users.update", {"usergroup": "S1", "users": "U1"})["error"] == \
        "no_such_subteam"
