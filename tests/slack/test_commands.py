"""Dispatch-level tests of connections, schedules, link, status, who, unlink, edit and App Home."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.ids import ButtonId, CallbackId, FormBlock
from bot.store import Connection, Destination, Member, ProviderUser, Schedule, Shift, session_scope
from tests.plugins.world import add_connection, add_schedule, pd_account
from tests.slack.blockkit import assert_view
from tests.slack.payloads import (
    app_home_opened,
    block_actions,
    conversation,
    multi,
    number,
    users,
    view_submission,
)
from tests.slack.payloads import (
    select as sel,
)

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


@pytest.fixture
def team(slack):
    """Alice (U1, admin), Bob (U2), channel C1 with the bot, C2 without; the clock at NOW."""
    slack.stub.add_user("U1", email="alice@example.com", name="alice", is_admin=True)
    slack.stub.add_user("U2", email="bob@example.com", name="bob")
    slack.stub.add_channel("C1", is_member=True)
    slack.stub.add_channel("C2", is_member=False)
    slack.ctx.clock = lambda: NOW
    return slack


def reply(slack) -> str:
    return json.dumps(slack.stub.wait_for("response_url")[-1].body, ensure_ascii=False)


def meta(slack, **extra) -> str:
    return json.dumps({"c": "C1", "r": slack.response_url, **extra})


# ---------------------------------------------------------------- help and bad input


def test_help_lists_every_registered_subcommand(team, slack_http):
    slack_http.command("help", response_url=team.response_url)
    text = reply(team)
    for sub in ("connect", "connections", "schedules", "link", "status", "who", "unlink", "edit"):
        assert f"/oncall {sub}" in text


def test_unknown_subcommand_shows_help(team, slack_http):
    slack_http.command("frobnicate now", response_url=team.response_url)
    text = reply(team)
    assert "frobnicate" in text and "/oncall status" in text


def test_registering_a_subcommand_shows_it_in_help(team, slack_http):
    from bot.commands import registry

    registry.add(registry.Subcommand("ping", "ping", "Answer pong", lambda args: None,
                                     lambda req, cmd: req.reply("pong")))
    try:
        slack_http.command("ping", response_url=team.response_url)
        assert "pong" in reply(team)
        slack_http.command("help", response_url=team.response_url)
        assert "/oncall ping" in reply(team)
    finally:
        registry._REGISTRY.pop("ping")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("connect extra", "takes no arguments"),
        ("unlink", "Missing the schedule name"),
        ("edit", "Missing the schedule name"),
        ("status <@U2|bob>", "Expected a schedule name"),
        ("status Nope", "Link one with `/oncall link`"),
        ("schedules Nope", "connect"),
        ("away 2026-02-31", "YYYY-MM-DD"),
    ],
)
def test_bad_input_gets_an_ephemeral_message_saying_what_to_type(team, slack_http, text, words):
    slack_http.command(text, response_url=team.response_url)
    call = team.stub.wait_for("response_url")[-1]
    assert call.body["response_type"] == "ephemeral"
    assert words in call.raw


def test_unknown_schedule_lists_known_ones(team, slack_http):
    add_schedule(team.ctx, add_connection(team.ctx))
    slack_http.command("status Nope", response_url=team.response_url)
    assert "Known schedules: `Platform primary`" in reply(team)


# ---------------------------------------------------------------- connections


def test_connections_list_and_remove_refused_while_in_use(team, slack_http):
    conn = add_connection(team.ctx)
    add_schedule(team.ctx, conn)
    slack_http.command("connections", response_url=team.response_url)
    text = reply(team)
    assert "Acme PD" in text and "…cdef" in text and "read-write" in text and "Platform primary" in text
    slack_http.interact(block_actions(ButtonId.REMOVE_CONNECTION, str(conn), response_url=team.response_url))
    text = reply(team)
    assert "Cannot remove" in text and "Platform primary" in text
    with session_scope(team.ctx.engine) as session:
        assert session.get(Connection, conn) is not None


def test_remove_unused_connection(team, slack_http):
    conn = add_connection(team.ctx)
    slack_http.interact(block_actions(ButtonId.REMOVE_CONNECTION, str(conn), response_url=team.response_url))
    call = team.stub.wait_for("response_url")[-1]
    assert "Removed" in call.raw and call.body["replace_original"] is True
    with session_scope(team.ctx.engine) as session:
        assert session.get(Connection, conn) is None


def test_remove_a_connection_after_unlinking_its_schedule(team, slack_http):
    conn = add_connection(team.ctx)
    add_schedule(team.ctx, conn, shifts_from=NOW)
    with session_scope(team.ctx.engine) as session:  # what linking caches
        session.add(ProviderUser(team_id="T1", connection_id=conn, user_id="PU1", email="alice@example.com"))
    slack_http.command("unlink Platform primary", response_url=team.response_url)
    (opened,) = team.stub.wait_for("views.open")
    slack_http.interact(view_submission(CallbackId.UNLINK, {}, private_metadata=opened.body["view"]["private_metadata"]))
    assert "Unlinked *Platform primary*" in reply(team)

    slack_http.interact(block_actions(ButtonId.REMOVE_CONNECTION, str(conn), response_url=team.response_url))

    assert "Removed *Acme PD*" in reply(team)
    with session_scope(team.ctx.engine) as session:
        assert session.get(Connection, conn) is None and session.exec(select(ProviderUser)).all() == []


def test_remove_is_refused_for_non_admins(team, slack_http):
    conn = add_connection(team.ctx)
    slack_http.interact(block_actions(ButtonId.REMOVE_CONNECTION, str(conn), user_id="U2",
                                      response_url=team.response_url))
    assert "Only workspace admins and owners can remove connections" in reply(team)
    with session_scope(team.ctx.engine) as session:
        assert session.get(Connection, conn) is not None


def test_connections_of_another_workspace_are_invisible(team, slack_http):
    add_connection(team.ctx, team_id="T2", name="Other team")
    slack_http.command("connections", response_url=team.response_url)
    assert "Other team" not in reply(team)


# ---------------------------------------------------------------- schedules


def test_schedules_of_a_connection_with_link_buttons(team, slack_http, conformant_respx):
    pd_account(conformant_respx)
    add_connection(team.ctx)
    slack_http.command("schedules Acme", response_url=team.response_url)
    text = reply(team)
    assert "Platform primary" in text and "3 members" in text and ButtonId.LINK in text


def test_schedules_without_connections(team, slack_http):
    slack_http.command("schedules", response_url=team.response_url)
    assert "/oncall connect" in reply(team)


def test_schedules_is_acked_before_the_provider_answers(team, slack_http_threaded, respx_mock):
    import time

    import httpx

    add_connection(team.ctx)
    respx_mock.get("https://api.pagerduty.com/schedules").mock(
        side_effect=lambda r: time.sleep(1.0) or httpx.Response(200, json={"schedules": [], "more": False}))
    started = time.monotonic()
    assert slack_http_threaded.command("schedules", response_url=team.response_url).status == 200
    assert time.monotonic() - started < 0.8
    assert "no schedules" in team.stub.wait_for("response_url")[-1].raw


# ---------------------------------------------------------------- link


def link_values(conn: int, channel: str | None = "C1", extras=(), horizon=30):
    return {
        FormBlock.LINK_SCHEDULE: {FormBlock.INPUT: sel("PSCHED1")},
        FormBlock.LINK_HORIZON: {FormBlock.INPUT: number(horizon)},
        FormBlock.LINK_CHANNEL: {FormBlock.INPUT: conversation(channel)},
        FormBlock.LINK_DESTINATIONS: {FormBlock.INPUT: multi(extras)},
    }


def test_link_button_opens_the_modal_with_the_schedule_chosen(team, slack_http, conformant_respx):
    pd_account(conformant_respx)
    conn = add_connection(team.ctx)
    slack_http.interact(block_actions(ButtonId.LINK, f"{conn}:PSCHED1", response_url=team.response_url))
    (opened,) = team.stub.wait_for("views.open")
    assert "Loading" in str(opened.body["view"])
    (updated,) = team.stub.wait_for("views.update")
    view = updated.body["view"]
    assert_view(view)
    sched = next(b for b in view["blocks"] if b.get("block_id") == FormBlock.LINK_SCHEDULE)
    assert sched["element"]["initial_option"]["value"] == "PSCHED1"
    assert json.loads(view["private_metadata"]) == {"c": "C1", "r": team.response_url, "k": conn}
    assert view["submit"]["text"] == "Link" and "submit" not in opened.body["view"]


def test_link_command_and_connection_picker(team, slack_http, conformant_respx):
    pd_account(conformant_respx)
    conn = add_connection(team.ctx)
    add_connection(team.ctx, name="Second")
    slack_http.command("link", response_url=team.response_url)
    (opened,) = team.stub.wait_for("views.open")
    assert FormBlock.LINK_SCHEDULE not in str(opened.body["view"])  # two accounts: pick one first
    view = {**opened.body["view"], "id": "V9", "hash": "h1"}
    slack_http.interact(block_actions(ButtonId.LINK_PICK_CONNECTION, view=view, channel_id=None,
                                      selected_option={"value": str(conn), "text": {"type": "plain_text", "text": "x"}}))
    updates = team.stub.wait_for("views.update", 2)
    assert "PSCHED1" in str(updates[-1].body["view"])
    assert json.loads(updates[-1].body["view"]["private_metadata"])["k"] == conn  # what the submission links


def test_app_home_link_button_opens_the_modal(team, slack_http, conformant_respx):
    pd_account(conformant_respx)
    add_connection(team.ctx)
    home = {"id": "VHOME", "type": "home", "callback_id": "home_view", "hash": "h1"}
    slack_http.interact(block_actions(ButtonId.HOME_LINK, channel_id=None, view=home))
    (opened,) = team.stub.wait_for("views.open")
    assert opened.body["view"]["callback_id"] == CallbackId.LINK
    (updated,) = team.stub.wait_for("views.update")  # one account: its schedules at once
    assert "PSCHED1" in str(updated.body["view"]) and updated.body["view"]["submit"]["text"] == "Link"


def test_answer_without_response_url_goes_by_dm_when_the_person_left_the_channel(team, slack_http, conformant_respx):
    """No response_url: the answer is an ephemeral message in the channel; Slack refuses it for someone
    no longer in the channel (user_not_in_channel), so it comes as a direct message instead."""
    pd_account(conformant_respx)
    team.stub.add_channel("C1", members=["U2"])  # Alice (U1) left C1
    team.stub.expect_refusal("user_not_in_channel")
    conn = add_connection(team.ctx)
    slack_http.interact(view_submission(CallbackId.LINK, link_values(conn), private_metadata=json.dumps({"c": "C1",
                                                                                                           "k": conn})))
    assert [r.error for r in team.stub.refusals] == ["user_not_in_channel"]
    (dm,) = [b for b in team.stub.bodies("chat.postMessage") if b["channel"] == "U1"]
    assert "Linked *Platform primary*" in json.dumps(dm, ensure_ascii=False)


def test_link_all_members_mapped(team, slack_http, conformant_respx):
    pd_account(conformant_respx)
    team.stub.add_user("U3", email="carol@example.com", name="carol")
    conn = add_connection(team.ctx)
    resp = slack_http.interact(view_submission(CallbackId.LINK, link_values(conn), private_metadata=meta(team, k=conn)))
    assert resp.status == 200 and not resp.body
    text = reply(team)
    assert "Linked *Platform primary*: 3 members mapped" in text and "could not be matched" not in text
    with session_scope(team.ctx.engine) as session:
        sched = session.exec(select(Schedule)).one()
        assert (sched.team_id, sched.channel_id, sched.horizon_days, sched.source_schedule_id) == \
            ("T1", "C1", 30, "PSCHED1")
        assert "weekly" in json.loads(sched.pattern_json)["summary"]
        members = session.exec(select(Member).order_by(Member.position)).all()
        assert [m.slack_user_id for m in members] == ["U1", "U2", "U3"]
        (dest,) = session.exec(select(Destination)).all()
        assert dest.provider_schedule_id == "PSCHED1" and dest.status == "pending"
        history = session.exec(select(Shift).where(Shift.source == "history")).all()
        assert len(history) == 2
    assert team.stub.calls("views.publish")


def test_link_some_members_unmapped(team, slack_http, conformant_respx):
    pd_account(conformant_respx)  # Carol has no Slack account; Bob's is deactivated
    team.stub.add_user("U2", email="bob@example.com", deleted=True)
    conn = add_connection(team.ctx)
    slack_http.interact(view_submission(CallbackId.LINK, link_values(conn), private_metadata=meta(team, k=conn)))
    text = reply(team)
    assert "1 members mapped" in text
    assert "carol@example.com" in text and "no Slack account uses this email" in text
    assert "deactivated" in text and "/oncall edit Platform primary" in text
    with session_scope(team.ctx.engine) as session:
        members = session.exec(select(Member).order_by(Member.position)).all()
        assert [m.slack_user_id for m in members] == ["U1", None, None]


def test_link_into_a_channel_without_the_bot(team, slack_http, conformant_respx):
    conn = add_connection(team.ctx)
    body = slack_http.interact(view_submission(CallbackId.LINK, link_values(conn, channel="C2"),
                                               private_metadata=meta(team, k=conn))).json()
    assert body["response_action"] == "errors" and "invite me" in body["errors"][FormBlock.LINK_CHANNEL]


def test_link_twice_is_refused_under_the_field(team, slack_http, conformant_respx):
    conn = add_connection(team.ctx)
    add_schedule(team.ctx, conn)
    body = slack_http.interact(view_submission(CallbackId.LINK, link_values(conn), private_metadata=meta(team, k=conn))).json()
    assert "Already linked" in body["errors"][FormBlock.LINK_SCHEDULE]


def test_link_with_an_extra_destination_on_another_connection(team, slack_http, conformant_respx):
    pd_account(conformant_respx)
    conn = add_connection(team.ctx)
    other = add_connection(team.ctx, name="Backup PD")
    slack_http.interact(view_submission(CallbackId.LINK, link_values(conn, extras=[(f"{other}:PBACK", "Backup")]),
                                        private_metadata=meta(team, k=conn)))
    assert "Backup" in reply(team)
    with session_scope(team.ctx.engine) as session:
        dests = session.exec(select(Destination).order_by(Destination.id)).all()
        assert [(d.connection_id, d.provider_schedule_id) for d in dests] == [(conn, "PSCHED1"), (other, "PBACK")]


def test_link_and_edit_refuse_a_read_only_account_as_a_new_destination(team, slack_http, conformant_respx):
    """A value the modal never offers (a read-only account's schedule) is refused under the field."""
    pd_account(conformant_respx)
    conn = add_connection(team.ctx)
    ro = add_connection(team.ctx, name="Read only PD", can_write=False)
    body = slack_http.interact(view_submission(
        CallbackId.LINK, link_values(conn, extras=[(f"{ro}:PBACK", "Backup")]), private_metadata=meta(team, k=conn))).json()
    assert "read-only" in body["errors"][FormBlock.LINK_DESTINATIONS]
    sched = add_schedule(team.ctx, conn)
    body = slack_http.interact(view_submission(
        CallbackId.EDIT, edit_values(["U1", "U2"], dests=[(f"{conn}:PSCHED1", "Platform"), (f"{ro}:PBACK", "Backup")]),
        private_metadata=json.dumps({"s": sched}))).json()
    assert "read-only" in body["errors"][FormBlock.EDIT_DESTINATIONS]
    with session_scope(team.ctx.engine) as session:
        assert [d.connection_id for d in session.exec(select(Destination))] == [conn]


def test_link_refused_for_non_admins(team, slack_http):
    slack_http.command("link", user_id="U2", response_url=team.response_url)
    assert "Only workspace admins and owners" in reply(team)
    body = slack_http.interact(view_submission(CallbackId.LINK, link_values(1), user_id="U2")).json()
    assert body["response_action"] == "update"


# ---------------------------------------------------------------- status and who


def test_status_of_a_schedule(team, slack_http):
    add_schedule(team.ctx, add_connection(team.ctx), shifts_from=NOW - timedelta(days=2))
    slack_http.command("status platform", response_url=team.response_url)
    text = reply(team)
    for words in ("Platform primary", "Layer 1: weekly", "Horizon:* 30 days", "<#C1>", "<@U1>", "<@U2>",
                  "Next shifts", "Exported until", "2026-12-20", "last sync"):
        assert words in text, words


def test_status_without_shifts(team, slack_http):
    add_schedule(team.ctx, add_connection(team.ctx))
    slack_http.command("status Platform primary", response_url=team.response_url)
    assert "No shifts assigned yet" in reply(team)


def test_who_in_the_schedules_channel(team, slack_http):
    conn = add_connection(team.ctx)
    add_schedule(team.ctx, conn, shifts_from=NOW - timedelta(days=2))
    add_schedule(team.ctx, conn, name="Elsewhere", channel_id="C9")
    slack_http.command("who", response_url=team.response_url)
    text = reply(team)
    assert "Platform primary" in text and "Elsewhere" not in text
    now_line = text.split("Now: ")[1]
    assert now_line.startswith("<@U1>") and "Next: <@U2>" in text


def test_who_without_shifts_and_by_name(team, slack_http):
    add_schedule(team.ctx, add_connection(team.ctx))
    slack_http.command("who Platform", channel_id="C7", response_url=team.response_url)
    assert "No shifts assigned yet" in reply(team)


# ---------------------------------------------------------------- unlink and edit


def test_unlink_with_confirmation(team, slack_http):
    sched = add_schedule(team.ctx, add_connection(team.ctx), shifts_from=NOW)
    slack_http.command("unlink Platform primary", response_url=team.response_url)
    (opened,) = team.stub.wait_for("views.open")
    view = opened.body["view"]
    assert view["callback_id"] == CallbackId.UNLINK and json.loads(view["private_metadata"])["s"] == sched
    resp = slack_http.interact(view_submission(CallbackId.UNLINK, {}, private_metadata=view["private_metadata"]))
    assert resp.status == 200
    assert "Unlinked *Platform primary*" in reply(team)
    with session_scope(team.ctx.engine) as session:
        assert session.exec(select(Schedule)).all() == [] and session.exec(select(Shift)).all() == []


def test_unlink_refused_for_non_admins(team, slack_http):
    add_schedule(team.ctx, add_connection(team.ctx))
    slack_http.command("unlink Platform primary", user_id="U2", response_url=team.response_url)
    assert "can unlink schedules" in reply(team)
    assert team.stub.calls("views.open") == []


def edit_values(members, channel="C1", horizon=45, dests=(("1:PSCHED1", "Platform primary"),)):
    return {
        FormBlock.EDIT_HORIZON: {FormBlock.INPUT: number(horizon)},
        FormBlock.EDIT_CHANNEL: {FormBlock.INPUT: conversation(channel)},
        FormBlock.EDIT_MEMBERS: {FormBlock.INPUT: users(members)},
        FormBlock.EDIT_DESTINATIONS: {FormBlock.INPUT: multi(dests)},
    }


def test_edit_modal_and_save(team, slack_http, conformant_respx):
    pd_account(conformant_respx)
    team.stub.add_user("U3", email="carol@example.com", name="carol")
    conn = add_connection(team.ctx)
    sched = add_schedule(team.ctx, conn)
    slack_http.command("edit Platform primary", response_url=team.response_url)
    view = team.stub.wait_for("views.update")[-1].body["view"]
    assert_view(view)
    assert view["callback_id"] == CallbackId.EDIT
    resp = slack_http.interact(view_submission(
        CallbackId.EDIT, edit_values(["U2", "U3", "U1"], dests=[(f"{conn}:PSCHED1", "Platform primary")]),
        private_metadata=json.dumps({"c": "C1", "r": team.response_url, "s": sched})))
    assert resp.status == 200 and not resp.body
    assert "Saved *Platform primary*" in reply(team)
    with session_scope(team.ctx.engine) as session:
        members = session.exec(select(Member).where(Member.left_at.is_(None)).order_by(Member.position)).all()
        assert [m.slack_user_id for m in members] == ["U2", "U3", "U1"]
        assert members[1].source_user_id == "PU3"
        assert session.get(Schedule, sched).horizon_days == 45


@pytest.mark.parametrize(
    ("members", "channel", "block", "words"),
    [
        (["U1", "U9"], "C1", FormBlock.EDIT_MEMBERS, "does not know"),
        (["U1", "U4"], "C1", FormBlock.EDIT_MEMBERS, "deactivated"),
        (["U1", "U5"], "C1", FormBlock.EDIT_MEMBERS, "no user with that email"),
        (["U1"], "C2", FormBlock.EDIT_CHANNEL, "invite me"),
        ([], "C1", FormBlock.EDIT_MEMBERS, "at least one"),
    ],
)
def test_edit_bad_input(team, slack_http, conformant_respx, members, channel, block, words):
    pd_account(conformant_respx)
    team.stub.add_user("U4", email="dee@example.com", deleted=True)
    team.stub.add_user("U5", email="eve@example.com")
    conn = add_connection(team.ctx)
    sched = add_schedule(team.ctx, conn)
    body = slack_http.interact(view_submission(
        CallbackId.EDIT, edit_values(members, channel, dests=[(f"{conn}:PSCHED1", "x")]),
        private_metadata=json.dumps({"s": sched}))).json()
    assert body["response_action"] == "errors" and words in body["errors"][block]


# ---------------------------------------------------------------- App Home


def test_app_home_shows_my_shifts_and_every_schedule(team, slack_http):
    add_schedule(team.ctx, add_connection(team.ctx), shifts_from=NOW - timedelta(days=2))
    assert slack_http.event(app_home_opened("U2")).status == 200
    (call,) = team.stub.wait_for("views.publish")
    view = call.body["view"]
    assert_view(view)
    text = json.dumps(view)
    assert call.body["user_id"] == "U2"
    assert "Your next shifts" in text and "Platform primary" in text and "Exported until" in text
    assert ButtonId.STATUS in text and ButtonId.HOME_CONNECT not in text  # Bob is not an admin


def test_app_home_for_an_admin_without_data(team, slack_http):
    slack_http.event(app_home_opened("U1"))
    view = team.stub.wait_for("views.publish")[0].body["view"]
    text = json.dumps(view)
    assert ButtonId.HOME_CONNECT in text and "No shifts assigned to you yet" in text


def test_home_buttons(team, slack_http):
    sched = add_schedule(team.ctx, add_connection(team.ctx))
    home = {"id": "VHOME", "type": "home"}
    slack_http.interact(block_actions(ButtonId.STATUS, str(sched), view=home, channel_id=None))
    status = team.stub.wait_for("views.open")[-1].body["view"]
    assert_view(status)
    slack_http.interact(block_actions(ButtonId.HOME_CONNECT, view=home, channel_id=None, user_id="U2"))
    refusal = team.stub.wait_for("views.open", 2)[-1].body["view"]
    assert "Not allowed" in json.dumps(refusal)
    slack_http.interact(block_actions(ButtonId.HOME_CONNECT, view=home, channel_id=None))
    connect = team.stub.wait_for("views.open", 3)[-1].body["view"]
    assert connect["callback_id"] == CallbackId.CONNECT


def test_link_refuses_a_destination_another_schedule_exports_to(team, slack_http, conformant_respx):
    pd_account(conformant_respx)
    conn = add_connection(team.ctx)
    other = add_connection(team.ctx, name="Backup PD")
    owner = add_schedule(team.ctx, other, name="Backup rota")  # exports to PSCHED1 on the backup account
    body = slack_http.interact(view_submission(
        CallbackId.LINK, link_values(conn, extras=[(f"{other}:PSCHED1", "Backup")]), private_metadata=meta(team, k=conn))).json()
    assert body["response_action"] == "errors"
    assert "already receives the shifts of `Backup rota`" in body["errors"][FormBlock.LINK_DESTINATIONS]
    with session_scope(team.ctx.engine) as session:
        assert [s.id for s in session.exec(select(Schedule)).all()] == [owner], "nothing linked"
