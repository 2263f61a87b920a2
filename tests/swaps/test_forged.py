"""Issue 10: forged swap payloads. Picker modals take team and requester from the verified request,
never from private_metadata; a cover's consent DM and its executed move come from the same stored
request, whatever shift ids a forged Confirm button carries."""

from __future__ import annotations

import json
from datetime import date

from sqlmodel import select

from bot.ids import SwapBlockId, SwapButtonId, SwapCallbackId
from bot.services.swaps import answer
from bot.services.swaps.execute import moves
from bot.services.swaps.select import Window
from bot.services.swaps.store import info
from bot.store import SwapRequest, session_scope
from tests.slack.payloads import block_actions, view_submission
from tests.swaps.helpers import owners, query, shift_rows, submit
from tests.swaps.test_dispatch import (
    button,
    dms,
    env,  # noqa: F401 - the signed-request world
    last_answer,
    press,
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
    body = resp.json()
    assert body["response_action"] == "errors"
    assert "only swap or hand over your own shifts" in json.dumps(body["errors"])
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


def _texts(payload: dict) -> str:
    return json.dumps(payload["blocks"], ensure_ascii=False)


def test_a_forged_cover_confirmation_moves_only_what_the_consent_dm_shows(env):  # noqa: F811
    slack, http, _, world, _ = env
    stub = slack.stub
    http.command("cover <@U2> 2026-11-16", user_id="U1", response_url=stub.response_url("cmd"))
    preview = last_answer(stub)
    token = json.loads(button(preview, SwapButtonId.CONFIRM)["value"])
    assert token["k"] == "cover" and len(token["ga"]) == 1 and token["gb"] == []
    bobs = [s for s in shift_rows(slack.ctx, world.schedule_id) if s.start.day == 23]  # Bob's Nov 23 shift
    token["gb"] = [[bobs[0].id, bobs[0].version]]  # Alice slips Bob's shift into her cover request
    http.interact(block_actions(SwapButtonId.CONFIRM, json.dumps(token), user_id="U1",
                                response_url=stub.response_url("confirm")))
    ask = dms(stub, "U2")[-1]
    assert "• Mon 16 Nov" in _texts(ask) and "• Mon 23 Nov" not in _texts(ask)

    press(http, stub, ask, SwapButtonId.ACCEPT, "U2", channel="D2")
    # exactly what Bob was shown moved: Alice's Nov 16 shift to Bob; Bob keeps his Nov 23 shift
    assert owners(slack.ctx, world.schedule_id) == ["U1", "U2", "U2", "U2", "U1"]
    with session_scope(slack.ctx.engine) as session:
        req = session.exec(select(SwapRequest)).one()
        assert req.shifts_b == "" and info(session, req).shift_ids == [sid for sid, *_ in moves(req)]


def test_a_stored_cover_with_shifts_of_the_other_person_moves_only_the_listed_ones(ctx, world, clock):
    """A cover row that names the other person's shifts too (written before this fix): the DM's
    listing and the executed move both leave them out."""
    sent = submit(ctx, query("cover", b="U2", window=Window(date(2026, 11, 16), date(2026, 11, 16))))
    bobs = [s for s in shift_rows(ctx, world.schedule_id) if s.start.day == 23][0]
    with session_scope(ctx.engine) as session:
        req = session.get(SwapRequest, sent.id)
        req.shifts_b = str(bobs.id)
        req.shift_versions += f",{bobs.id}:{bobs.version}"
        shown = info(session, req)
        assert [s.id for s in shown.give_a + shown.give_b] == [sid for sid, *_ in moves(req)]
    answer.accept(ctx.engine, "T1", sent.id, "U2", clock())
    assert owners(ctx, world.schedule_id) == ["U1", "U2", "U2", "U2", "U1"]


def test_a_response_url_in_forged_metadata_is_not_posted_to(env, monkeypatch):  # noqa: F811
    import bot.commands.request as request_mod

    slack, http, _, _, _ = env
    stub = slack.stub
    view, values = _picker(http, stub)
    posted: list[str] = []
    real = request_mod.WebhookClient
    monkeypatch.setattr(request_mod, "WebhookClient", lambda url, **kw: posted.append(url) or real(url, **kw))
    meta = json.loads(view["private_metadata"])
    assert meta["r"] == stub.response_url("cmd")  # Slack's own, kept for the answer
    meta["r"] = "http://169.254.169.254/latest/meta-data"
    stub.reset()
    resp = http.interact(view_submission(SwapCallbackId.PICK_SHIFTS, values, private_metadata=json.dumps(meta),
                                         user_id="U1"))
    assert resp.status == 200
    assert posted == []  # not the forged URL: the preview went by ephemeral message instead
    assert "check before anything changes" in json.dumps(stub.bodies("chat.postEphemeral")[-1]["blocks"])
