"""Hand mappings in `/oncall edit` (issue 13), for JSM with a hidden email: through the Slack stub, the
JSM simulator (respx + conformance) and the real sync engine. A person whose JSM profile hides the
email is never matched by name; an admin picks who is who, the pick is audited and the export uses it.
A member not in Slack gets a Slack account picked; a Slack member without an account at a JSM
destination gets one of that site's users without a visible email."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.ids import CallbackId, FormBlock
from bot.notify.sync import sync_and_notify
from bot.providers.base import RemoteSchedule, RemoteUser
from bot.services.directory import Directory
from bot.services.edit import EditData
from bot.services.link import LinkRequest, Target, link_schedule
from bot.services.schedules import ConnectionRef, ProviderSchedules
from bot.store import AuditEvent, Connection, Destination, Member, ProviderUser, session_scope
from bot.sync.inputs import cache_users
from bot.views.edit import edit_modal, slack_block, user_block
from tests.plugins.world import JSM_SECRET, JSM_USERS, PEOPLE, Clock, add_world
from tests.slack.blockkit import assert_view
from tests.slack.payloads import conversation, multi, number, users, view_submission
from tests.slack.payloads import select as sel
from tests.sync_io.fakes import T0, FakeJsm, FakePagerDuty

NOW = T0 + timedelta(days=2, hours=3)
BOB = JSM_USERS[1]


@pytest.fixture
def team(slack, conformant_respx):
    clock = Clock(NOW)
    slack.ctx.clock = clock
    for uid, name, email in PEOPLE:
        slack.stub.add_user(uid, name=name.split()[0].lower(), email=email, is_admin=uid == "U1")
    slack.stub.add_channel("C1", is_member=True)
    slack.client = WebClient(token="xoxb-test-token", base_url=slack.stub.api_url)
    slack.router = conformant_respx
    return slack


def open_modal(team, slack_http, name: str = "Platform primary") -> dict:
    team.stub.reset()
    slack_http.command(f"edit {name}", response_url=team.response_url)
    view = team.stub.wait_for("views.update")[-1].body["view"]
    assert_view(view)
    return view


def block(view: dict, block_id: str) -> dict | None:
    return next((b for b in view["blocks"] if b.get("block_id") == block_id), None)


def submit(team, slack_http, schedule_id: int, members: list[str], destinations: list[tuple[str, str]],
           picks: dict[str, dict]) -> dict | None:
    values = {
        FormBlock.EDIT_HORIZON: {FormBlock.INPUT: number(28)},
        FormBlock.EDIT_CHANNEL: {FormBlock.INPUT: conversation("C1")},
        FormBlock.EDIT_MEMBERS: {FormBlock.INPUT: users(members)},
        FormBlock.EDIT_DESTINATIONS: {FormBlock.INPUT: multi(destinations)},
        **{b: {FormBlock.INPUT: v} for b, v in picks.items()},
    }
    resp = slack_http.interact(view_submission(CallbackId.EDIT, values, user_id="U1", private_metadata=json.dumps(
        {"c": "C1", "r": team.response_url, "s": schedule_id})))
    assert resp.status == 200
    return resp.json() if resp.body else None


def audit_details(team) -> list[str]:
    with session_scope(team.ctx.engine) as session:
        return [e.detail for e in session.exec(select(AuditEvent).where(AuditEvent.action == "member.map"))]


def jsm_beside_pagerduty(team):
    FakePagerDuty(team.router, team.ctx.clock)
    jsm = FakeJsm(team.router, team.ctx.clock)
    jsm.account.hidden_emails.add(BOB)  # Bob's profile hides his email
    world = add_world(team.ctx, weeks=5)
    with session_scope(team.ctx.engine) as session:
        conn = Connection(team_id="T1", provider="jsm", region="us", name="Acme JSM",
                          api_key_encrypted=team.ctx.keys.encrypt(JSM_SECRET), key_hint="…cdef", can_write=True)
        session.add(conn)
        session.flush()
        session.add(Destination(team_id="T1", schedule_id=world.schedule_id, connection_id=conn.id,
                                provider_schedule_id=jsm.schedule_id, provider_schedule_name="Platform primary"))
        conn_id = conn.id
    return jsm, world, conn_id


def test_a_jsm_account_with_a_hidden_email_is_picked_by_hand_and_exported_to(team, slack_http):
    jsm, world, conn_id = jsm_beside_pagerduty(team)
    first = sync_and_notify(team.ctx, world.schedule_id, client=team.client).destinations[1]
    assert first.status == "warning" and "Bob Brown (bob@example.com) has no JSM account" in first.error
    alice_only = len(jsm.live())
    assert alice_only and BOB not in {o.user_id for o in jsm.live()}, "never matched by name"

    view = open_modal(team, slack_http)
    bob = world.member_ids[1]
    field = block(view, user_block(bob, conn_id))
    assert field is not None and field["optional"] is True
    assert field["label"]["text"] == "Bob Brown in JSM · Acme JSM"
    offered = [o["value"] for o in field["element"]["options"]]
    assert offered == [BOB], "only the site's users without a visible email, nobody matched already"
    assert block(view, user_block(world.member_ids[0], conn_id)) is None, "Alice is found by her email"

    dests = [(f"{world.connection_id}:PSCHED1", "PD"), (f"{conn_id}:{jsm.schedule_id}", "JSM")]
    assert submit(team, slack_http, world.schedule_id, ["U1", "U2"], dests,
                  {user_block(bob, conn_id): sel(BOB, "Bob Brown")}) is None
    assert audit_details(team) == [f"<@U2> is Bob Brown ({BOB}) in `Acme JSM`"]

    jsm.log.clear()
    again = sync_and_notify(team.ctx, world.schedule_id, client=team.client).destinations[1]
    assert again.status == "ok" and again.created > 0 and again.deleted == 0, again.error
    assert BOB in {o.user_id for o in jsm.live()}, "Bob's shifts exported with the account picked"
    assert len(jsm.live()) == alice_only + again.created
    assert block(open_modal(team, slack_http), user_block(bob, conn_id)) is None, "mapped: no picker any more"

    # a later read of the site's users (Bob's email still hidden) keeps the hand mapping
    with session_scope(team.ctx.engine) as session:
        cache_users(session, "T1", conn_id, [RemoteUser(BOB, "", "Bob Brown")])
    with session_scope(team.ctx.engine) as session:
        row = session.exec(select(ProviderUser).where(ProviderUser.connection_id == conn_id,
                                                      ProviderUser.user_id == BOB)).one()
        assert row.email == "bob@example.com"


def test_a_picked_account_must_still_be_free(team, slack_http):
    jsm, world, conn_id = jsm_beside_pagerduty(team)
    sync_and_notify(team.ctx, world.schedule_id, client=team.client)
    bob = world.member_ids[1]
    dests = [(f"{world.connection_id}:PSCHED1", "PD"), (f"{conn_id}:{jsm.schedule_id}", "JSM")]
    # Alice's account is visible (hers already): picking it for Bob is refused under the picker
    body = submit(team, slack_http, world.schedule_id, ["U1", "U2"], dests,
                  {user_block(bob, conn_id): sel(JSM_USERS[0], "Alice Adams")})
    assert body["response_action"] == "errors"
    assert "mapped to someone else" in body["errors"][user_block(bob, conn_id)]
    assert audit_details(team) == []
    # a forged block id is out of date, not an error id
    body = submit(team, slack_http, world.schedule_id, ["U1", "U2"], dests,
                  {f"{FormBlock.EDIT_MAP_USER}.x.{conn_id}": sel(BOB)})
    assert body["view"]["title"]["text"] == "Out of date" and audit_details(team) == []


def linked_from_jsm(team, hidden: tuple[str, ...] = (BOB,)):
    """A JSM site (Bob's email hidden unless told otherwise) and its Platform schedule linked."""
    jsm = FakeJsm(team.router, team.ctx.clock)
    jsm.account.hidden_emails.update(hidden)
    with session_scope(team.ctx.engine) as session:
        conn = Connection(team_id="T1", provider="jsm", region="us", name="Acme JSM",
                          api_key_encrypted=team.ctx.keys.encrypt(JSM_SECRET), key_hint="…cdef", can_write=True)
        session.add(conn)
        session.flush()
        conn_id = conn.id
    result = link_schedule(team.ctx, Directory(team.client), "T1", "U1", LinkRequest(conn_id, jsm.schedule_id, 28,
                                                                                       "C1"))
    return jsm, conn_id, result


def test_a_member_linked_from_jsm_without_an_email_gets_a_slack_account_picked(team, slack_http):
    jsm, conn_id, result = linked_from_jsm(team)
    assert [u.name for u in result.unmapped] == ["Bob Brown"] and "no email" in result.unmapped[0].reason
    with session_scope(team.ctx.engine) as session:
        bob = session.exec(select(Member).where(Member.source_user_id == BOB)).one()
    assert (bob.slack_user_id, bob.email) == (None, "")

    view = open_modal(team, slack_http)
    field = block(view, slack_block(bob.id))
    assert field["element"]["type"] == "users_select" and field["label"]["text"] == "Slack account of Bob Brown"
    assert "Never matched by name" in field["hint"]["text"]
    # Carol's Slack account belongs to a member already
    body = submit(team, slack_http, result.schedule_id, ["U1", "U3"], [(f"{conn_id}:{jsm.schedule_id}", "P")],
                  {slack_block(bob.id): {"type": "users_select", "selected_user": "U3"}})
    assert "already a member" in body["errors"][slack_block(bob.id)]
    # Bob added under Members and picked for the linked person: one member, his turn kept
    assert submit(team, slack_http, result.schedule_id, ["U1", "U2", "U3"], [(f"{conn_id}:{jsm.schedule_id}", "P")],
                  {slack_block(bob.id): {"type": "users_select", "selected_user": "U2"}}) is None
    with session_scope(team.ctx.engine) as session:
        members = session.exec(select(Member).where(Member.left_at.is_(None)).order_by(Member.position)).all()
        assert [(m.slack_user_id, m.source_user_id) for m in members] == list(zip(["U1", "U2", "U3"], JSM_USERS,
                                                                                 strict=True))
        assert members[1].email == "bob@example.com"
        cached = session.exec(select(ProviderUser).where(ProviderUser.user_id == BOB)).one()
        assert cached.email == "bob@example.com", "other schedules on this site find Bob by his Slack email"
    assert audit_details(team) == ["Bob Brown is <@U2>"]
    assert block(open_modal(team, slack_http), slack_block(bob.id)) is None


def test_a_jsm_schedule_named_like_the_opsgenie_destination_is_suggested_first():
    og, jsm = ConnectionRef(1, "Acme OG", "opsgenie", True), ConnectionRef(2, "Acme JSM", "jsm", True)
    groups = [ProviderSchedules(og, (RemoteSchedule("og-1", "Platform primary", "UTC"),)),
              ProviderSchedules(jsm, tuple(RemoteSchedule(f"j{i}", n, "UTC") for i, n in
                                           enumerate(["Database", "PLATFORM PRIMARY", "Web"])))]
    data = EditData(7, "Platform", 30, "C1", ("U1",), (), (Target(1, "og-1", "Platform primary"),))
    view = edit_modal(data, groups)
    assert_view(view)
    element = block(view, FormBlock.EDIT_DESTINATIONS)["element"]
    first, *rest = element["option_groups"]
    assert first["label"]["text"] == "Same name as the Opsgenie destination"
    assert [(o["text"]["text"], o["value"]) for o in first["options"]] == [("PLATFORM PRIMARY", "2:j1")]
    assert [[o["value"] for o in g["options"]] for g in rest] == [["1:og-1"], ["2:j0", "2:j2"]]
    assert [o["value"] for o in element["initial_options"]] == ["1:og-1"], "the Opsgenie one stays until removed"

    # nothing to suggest without an Opsgenie destination of that name
    plain_view = edit_modal(EditData(7, "Platform", 30, "C1", ("U1",), (), (Target(2, "j0", "Database"),)), groups)
    labels = [g["label"]["text"] for g in block(plain_view, FormBlock.EDIT_DESTINATIONS)["element"]["option_groups"]]
    assert "Same name as the Opsgenie destination" not in labels


def test_a_refresh_keeps_an_email_the_provider_hides_and_takes_a_shown_one(any_engine):
    from sqlmodel import Session

    with Session(any_engine) as session:
        conn = Connection(team_id="T", provider="jsm", name="J", api_key_encrypted="x", key_hint="…")
        session.add(conn)
        session.commit()
        conn_id = conn.id
    with Session(any_engine) as session:
        cache_users(session, "T", conn_id, [RemoteUser(BOB, "", "Bob"), RemoteUser("A", "", "Ann")])
        session.exec(select(ProviderUser).where(ProviderUser.user_id == BOB)).one().email = "bob@example.com"
        session.commit()
    with Session(any_engine) as session:
        cache_users(session, "T", conn_id, [RemoteUser(BOB, "", "Bob B"), RemoteUser("A", "ann@example.com", "Ann")])
        session.commit()
    with Session(any_engine) as session:
        rows = session.exec(select(ProviderUser).order_by(ProviderUser.user_id)).all()
        assert sorted((r.user_id, r.email, r.name) for r in rows) == sorted(
            [(BOB, "bob@example.com", "Bob B"), ("A", "ann@example.com", "Ann")])


def test_a_person_added_whose_jsm_email_is_hidden_is_accepted_and_offered_a_pick(team, slack_http):
    """Adding a Slack member whom the JSM site shows without an email used to be refused ("add them there
    first", though they are there): now they are added, the reply says to pick their user, and the next
    edit offers the site's users without a visible email for them."""
    jsm, conn_id, result = linked_from_jsm(team)
    team.stub.reset()
    # Bob is added under Members, not picked for the linked person: his Slack email matches no visible one
    assert submit(team, slack_http, result.schedule_id, ["U1", "U3", "U2"], [(f"{conn_id}:{jsm.schedule_id}", "P")],
                  {}) is None
    reply = team.stub.wait_for("response_url")[-1].body["text"]
    assert "shows no email matching <@U2>" in reply and "pick their user" in reply
    with session_scope(team.ctx.engine) as session:
        added = session.exec(select(Member).where(Member.slack_user_id == "U2")).one()
        assert added.source_user_id is None and added.email == "bob@example.com"
    field = block(open_modal(team, slack_http), user_block(added.id, conn_id))
    assert field is not None and [o["value"] for o in field["element"]["options"]] == [BOB]


def test_a_person_added_who_is_not_at_the_provider_is_still_refused(team, slack_http):
    jsm, conn_id, result = linked_from_jsm(team, hidden=())  # every email visible: nobody to pick by hand
    team.stub.add_user("U4", name="dan", email="dan@example.com")
    body = submit(team, slack_http, result.schedule_id, ["U1", "U2", "U3", "U4"],
                  [(f"{conn_id}:{jsm.schedule_id}", "P")], {})
    assert "add them there first" in body["errors"][FormBlock.EDIT_MEMBERS]
