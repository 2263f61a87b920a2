"""Issue 10: every link/edit modal action that reads provider data checks admin like the command."""

from __future__ import annotations

import json

from bot.ids import ButtonId
from tests.plugins.world import add_connection, pd_account
from tests.slack.payloads import block_actions
from tests.slack.test_commands import team  # noqa: F401 - Alice (U1, admin), Bob (U2)


def test_link_modal_account_select_refuses_a_non_admin_before_any_provider_call(team, slack_http,  # noqa: F811
                                                                               conformant_respx):
    pd_account(conformant_respx)
    conn = add_connection(team.ctx)
    add_connection(team.ctx, name="Second")
    slack_http.command("link", response_url=team.response_url)  # Alice, an admin, opens the modal
    (opened,) = team.stub.wait_for("views.open")
    view = {**opened.body["view"], "id": "V9", "hash": "h1"}
    calls_before = len(conformant_respx.calls)
    team.stub.reset()
    # Bob, not an admin, picks the account in (a copy of) the link modal
    resp = slack_http.interact(block_actions(
        ButtonId.LINK_PICK_CONNECTION, view=view, channel_id=None, user_id="U2",
        selected_option={"value": str(conn), "text": {"type": "plain_text", "text": "x"}}))
    assert resp.status == 200
    assert len(conformant_respx.calls) == calls_before  # no provider request
    assert "PSCHED1" not in json.dumps([c.body for c in team.stub.calls()])
    assert not team.stub.bodies("views.update")
    assert "Only workspace admins" in team.stub.all_text()
