"""The edit modal's "Secondary destinations": shown while the schedule has a secondary role (or still
has secondary destinations), saved as `Destination(role="secondary")` rows, and never one of the
primary destinations (a provider schedule pages everyone in it). Status and App Home name each
destination's role."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.ids import CallbackId, FormBlock
from bot.store import Destination, Schedule, session_scope
from tests.plugins.world import USERS, add_connection, add_schedule, pd_account
from tests.providers.fixtures import pd_layer, pd_schedule
from tests.slack.blockkit import assert_view
from tests.slack.payloads import app_home_opened, conversation, multi, number, users, view_submission

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
LAYER = [pd_layer("L1", [(u, n) for u, (n, _) in USERS.items()])]
SCHEDULES = [pd_schedule("PSCHED1", "Platform primary", layers=LAYER),
             pd_schedule("PSCHED2", "Platform secondary", layers=LAYER)]


@pytest.fixture
def team(slack, conformant_respx):
    slack.stub.add_user("U1", email="alice@example.com", name="alice", is_admin=True)
    slack.stub.add_user("U2", email="bob@example.com", name="bob")
    slack.stub.add_channel("C1", is_member=True)
    slack.ctx.clock = lambda: NOW
    pd_account(conformant_respx, schedules=SCHEDULES)
    slack.conn = add_connection(slack.ctx)
    slack.sched = add_schedule(slack.ctx, slack.conn)
    return slack


def set_roles(team, roles: str) -> None:
    with session_scope(team.ctx.engine) as s:
        s.get(Schedule, team.sched).roles = roles


def open_modal(team, slack_http, n: int = 1) -> dict:
    slack_http.command("edit Platform primary", response_url=team.response_url)
    view = team.stub.wait_for("views.update", n)[-1].body["view"]
    assert_view(view)
    return view


def block(view: dict, block_id: str) -> dict | None:
    return next((b for b in view["blocks"] if b.get("block_id") == block_id), None)


def submit(team, slack_http, primary=("PSCHED1",), secondary=None):
    values = {
        FormBlock.EDIT_HORIZON: {FormBlock.INPUT: number(30)},
        FormBlock.EDIT_CHANNEL: {FormBlock.INPUT: conversation("C1")},
        FormBlock.EDIT_MEMBERS: {FormBlock.INPUT: users(["U1", "U2"])},
        FormBlock.EDIT_DESTINATIONS: {FormBlock.INPUT: multi([(f"{team.conn}:{p}", p) for p in primary])},
    }
    if secondary is not None:
        values[FormBlock.EDIT_SECONDARY] = {FormBlock.INPUT: multi([(f"{team.conn}:{p}", p) for p in secondary])}
    resp = slack_http.interact(view_submission(CallbackId.EDIT, values, private_metadata=json.dumps(
        {"c": "C1", "r": team.response_url, "s": team.sched})))
    assert resp.status == 200
    return resp.json() if resp.body else None


def destinations(team) -> list[tuple[str, str]]:
    with session_scope(team.ctx.engine) as s:
        return sorted((d.role, d.provider_schedule_id) for d in s.exec(select(Destination)))


def test_one_role_shows_no_secondary_field(team, slack_http):
    view = open_modal(team, slack_http)
    assert block(view, FormBlock.EDIT_SECONDARY) is None
    assert block(view, FormBlock.EDIT_DESTINATIONS)["label"]["text"] == "Destinations"
    assert submit(team, slack_http) is None
    assert destinations(team) == [("primary", "PSCHED1")]


def test_secondary_destinations_are_added_shown_and_removed(team, slack_http):
    set_roles(team, "primary,secondary")
    view = open_modal(team, slack_http)
    field = block(view, FormBlock.EDIT_SECONDARY)
    assert field["label"]["text"] == "Secondary destinations" and field["optional"] is True
    assert "initial_options" not in field["element"]
    values = [o["value"] for g in field["element"]["option_groups"] for o in g["options"]]
    assert values == [f"{team.conn}:PSCHED1", f"{team.conn}:PSCHED2"]
    assert block(view, FormBlock.EDIT_DESTINATIONS)["label"]["text"] == "Primary destinations"

    assert submit(team, slack_http, secondary=["PSCHED2"]) is None
    assert "Saved *Platform primary*" in json.dumps(team.stub.wait_for("response_url")[-1].body)
    assert destinations(team) == [("primary", "PSCHED1"), ("secondary", "PSCHED2")]
    with session_scope(team.ctx.engine) as s:
        dest = s.exec(select(Destination).where(Destination.role == "secondary")).one()
        assert (dest.status, dest.connection_id, dest.provider_schedule_name) == ("pending", team.conn, "PSCHED2")

    field = block(open_modal(team, slack_http, 2), FormBlock.EDIT_SECONDARY)
    assert [o["value"] for o in field["element"]["initial_options"]] == [f"{team.conn}:PSCHED2"]

    slack_http.command("status Platform primary", response_url=team.response_url)
    status = json.dumps(team.stub.wait_for("response_url", 2)[-1].body, ensure_ascii=False)
    assert "Platform primary* (PagerDuty · Acme PD) · primary role" in status
    assert "PSCHED2* (PagerDuty · Acme PD) · secondary role" in status
    slack_http.event(app_home_opened("U2"))
    home = json.dumps(team.stub.wait_for("views.publish")[-1].body["view"], ensure_ascii=False)
    assert "· primary role" in home and "· secondary role" in home

    # leaving the primary destinations alone and the secondary field empty removes the secondary one
    assert submit(team, slack_http, secondary=[]) is None
    assert destinations(team) == [("primary", "PSCHED1")]


@pytest.mark.parametrize("secondary", [["PSCHED1"], ["PSCHED2", "PSCHED1"]])
def test_one_provider_schedule_never_serves_both_roles(team, slack_http, secondary):
    set_roles(team, "primary,secondary")
    body = submit(team, slack_http, secondary=secondary)
    assert body["response_action"] == "errors"
    error = body["errors"][FormBlock.EDIT_SECONDARY]
    assert "PSCHED1 is already a primary destination" in error and "page both people" in error
    assert destinations(team) == [("primary", "PSCHED1")], "nothing written"


def test_moving_a_provider_schedule_from_primary_to_secondary(team, slack_http):
    set_roles(team, "primary,secondary")
    assert submit(team, slack_http, primary=["PSCHED2"], secondary=["PSCHED1"]) is None
    assert destinations(team) == [("primary", "PSCHED2"), ("secondary", "PSCHED1")]


def test_without_the_role_secondary_destinations_can_only_be_removed(team, slack_http):
    body = submit(team, slack_http, secondary=["PSCHED2"])
    assert "no secondary role" in body["errors"][FormBlock.EDIT_SECONDARY]
    assert "/oncall pattern Platform primary roles primary,secondary" in body["errors"][FormBlock.EDIT_SECONDARY]
    with session_scope(team.ctx.engine) as s:
        s.add(Destination(team_id="T1", schedule_id=team.sched, role="secondary", connection_id=team.conn,
                          provider_schedule_id="PSCHED2", provider_schedule_name="Platform secondary"))
    view = open_modal(team, slack_http)
    assert block(view, FormBlock.EDIT_SECONDARY) is not None
    assert "The secondary role is off" in json.dumps(view)
    assert submit(team, slack_http) is None, "a form without the field keeps them"
    assert destinations(team) == [("primary", "PSCHED1"), ("secondary", "PSCHED2")]
    assert submit(team, slack_http, secondary=[]) is None
    assert destinations(team) == [("primary", "PSCHED1")]


def test_a_provider_schedule_of_another_bot_schedule_is_refused(team, slack_http):
    with session_scope(team.ctx.engine) as s:
        other = Schedule(team_id="T1", name="Other team", connection_id=team.conn, source_schedule_id="PSCHED2")
        s.add(other)
        s.flush()
        s.add(Destination(team_id="T1", schedule_id=other.id, connection_id=team.conn, provider_schedule_id="PSCHED2"))
    body = submit(team, slack_http, primary=("PSCHED1", "PSCHED2"))
    assert body["response_action"] == "errors"
    error = body["errors"][FormBlock.EDIT_DESTINATIONS]
    assert "already receives the shifts of `Other team`" in error
    assert destinations(team) == [("primary", "PSCHED1"), ("primary", "PSCHED2")], "nothing written"
