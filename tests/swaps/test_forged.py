"""Issue 10: forged swap payloads. Picker modals take team and requester from the verified request,
never from private_metadata; a cover's consent DM and its executed move come from the same stored
request, whatever shift ids a forged Confirm button carries."""

from __future__ import annotations

import json

from bot.ids import SwapBlockId, SwapCallbackId
from tests.slack.payloads import view_submission
from tests.swaps.test_dispatch import (
    env,  # noqa: F401 - the signed-request world
    last_answer,
)


def _picker(http, stub) -> tuple[dict, dict]:
    """Alice's ambiguous swap opens the shift picker; returns the view and its first options picked."""
    http.command("swap <@U2> 2027-03-01", user_id="U1", response_url=stub.response_url("cmd"))
    view = stub.bodies("views.open")[-1]["view"]
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    values = {block: {SwapBlockId.INPUT: {"type": "multi_static_select",
                                          "selected_options": [blocks[block]["element"]["options"][0]]}}
              for block in (SwapBlockId.SHIFTS_A, SwapBlockId.SHIFTS_B)}
    return view, values


def _forge(meta: str, **q) -> str:
    d = json.loads(meta)
    d["q"].update(q)
    return json.dumps(d)


def test_picker_takes_the_requester_from_the_request_not_the_metadata(env):  # noqa: F811
    slack, http, _, _, _ = env
    stub = slack.stub
    view, values = _picker(http, stub)
    # Carol replays Alice's modal metadata, naming Alice as the requester: she is neither of the two
    # people nor a manager
    forged = _forge(view["private_metadata"], requester="U1", team_id="T1")
    stub.reset()
    resp = http.interact(view_submission(SwapCallbackId.PICK_SHIFTS, values, private_metadata=forged, user_id="U3"))
    answer = resp.json()
    assert answer["response_action"] == "errors"
    assert "only swap or hand over your own shifts" in json.dumps(answer["errors"])
    assert not stub.bodies("response_url")  # no preview with a Confirm button for Carol


def test_picker_takes_the_team_from_the_request_not_the_metadata(env):  # noqa: F811
    slack, http, _, _, _ = env
    stub = slack.stub
    view, values = _picker(http, stub)
    forged = _forge(view["private_metadata"], team_id="T9")
    stub.reset()
    resp = http.interact(view_submission(SwapCallbackId.PICK_SHIFTS, values, private_metadata=forged, user_id="U1"))
    assert resp.status == 200 and "errors" not in resp.body
    assert "check before anything changes" in json.dumps(last_answer(stub)["blocks"])
