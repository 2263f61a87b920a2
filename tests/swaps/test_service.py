"""The swap use cases on the database: selection, every refusal, consent, expiry, manager swaps, undo."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot.services import swaps
from bot.services.errors import UserError
from bot.services.swaps import answer, execute, request
from bot.services.swaps.select import Window
from bot.store import AuditEvent, Schedule, SwapRequest, session_scope
from bot.store.models import SwapClaim
from tests.plugins.world import add_world
from tests.swaps.helpers import add_time_off, owners, prepare, query, ready, shift_rows, submit
from tests.sync_io.fakes import T0

ALICE_BOB = ["U1", "U2", "U1", "U2", "U1"]


def yes() -> bool:
    return True


def test_next_shifts_are_picked_and_previewed(ctx, world):
    r = ready(ctx, query())
    p = r.proposal
    assert [s.start for s in p.give_a] == [T0 + timedelta(days=14)]  # Alice's next (not the one in progress)
    assert [s.start for s in p.give_b] == [T0 + timedelta(days=7)]
    assert (r.direct, r.consent_from) == (False, ("U2",))


def test_request_then_accept_moves_both_shifts_bumps_versions_and_audits(ctx, world, clock):
    info = submit(ctx, query())
    assert info.status == "pending" and info.expires_at == T0 + timedelta(days=7)
    assert owners(ctx, world.schedule_id) == ALICE_BOB  # nothing moved yet
    result = answer.accept(ctx.engine, "T1", info.id, "U2", clock())
    assert result.state == "executed"
    assert owners(ctx, world.schedule_id) == ["U1", "U1", "U2", "U2", "U1"]
    rows = shift_rows(ctx, world.schedule_id)
    assert [s.version for s in rows] == [1, 2, 2, 1, 1] and rows[1].source == "swap"
    with session_scope(ctx.engine) as session:
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "swap.execute")).all()
        assert len(audit) == 1 and audit[0].actor == "U2"
        assert session.exec(select(SwapClaim)).all() == []


def test_requester_cannot_accept_own_request_and_accept_twice_is_refused(ctx, world, clock):
    info = submit(ctx, query())
    with pytest.raises(UserError, match="for <@U2> to answer"):
        answer.accept(ctx.engine, "T1", info.id, "U1", clock())
    answer.accept(ctx.engine, "T1", info.id, "U2", clock())
    with pytest.raises(swaps.SwapConflict, match="already accepted and carried out"):
        answer.accept(ctx.engine, "T1", info.id, "U2", clock())


def test_decline_leaves_everything_and_frees_the_shifts(ctx, world, clock):
    info = submit(ctx, query())
    declined = answer.decline(ctx.engine, "T1", info.id, "U2", clock())
    assert declined.status == "declined" and declined.decided_by == "U2"
    assert owners(ctx, world.schedule_id) == ALICE_BOB
    submit(ctx, query())  # the shifts are free for a new request


def test_expiry_at_accept_time_and_in_the_sweep(ctx, world, clock):
    info = submit(ctx, query())
    clock.now = T0 + timedelta(days=7)  # Bob's shift starts
    assert answer.accept(ctx.engine, "T1", info.id, "U2", clock()).state == "expired"
    assert owners(ctx, world.schedule_id) == ALICE_BOB
    clock.now = T0 + timedelta(days=2)
    second = submit(ctx, query(window=Window(date(2026, 11, 23), date(2026, 11, 30))))
    assert answer.expire_due(ctx.engine, T0 + timedelta(days=20)) == []
    expired = answer.expire_due(ctx.engine, T0 + timedelta(days=21))
    assert [e.id for e in expired] == [second.id] and expired[0].status == "expired"


def test_cover_moves_one_shift(ctx, world, clock):
    info = submit(ctx, query("cover", b="U3"))
    assert info.give_b == ()
    answer.accept(ctx.engine, "T1", info.id, "U3", clock())
    assert owners(ctx, world.schedule_id) == ["U1", "U2", "U3", "U2", "U1"]


def test_manager_swaps_any_two_directly(ctx, world, clock):
    info = submit(ctx, query(requester="UMGR", a="U1", b="U2"))
    assert info.status == "executed" and info.consent_from == ()
    assert owners(ctx, world.schedule_id) == ["U1", "U1", "U2", "U2", "U1"]
    admin = submit(ctx, query(requester="UADMIN", a="U1", b="U2"), admin=yes)
    assert admin.status == "executed"


def test_manager_swap_needs_consent_when_the_schedule_says_so(ctx, world, clock):
    with session_scope(ctx.engine) as session:
        session.get(Schedule, world.schedule_id).swap_requires_consent = True
    info = submit(ctx, query(requester="UMGR"))
    assert info.status == "pending" and info.consent_from == ("U1", "U2")
    assert answer.accept(ctx.engine, "T1", info.id, "U1", clock()).state == "waiting"
    assert owners(ctx, world.schedule_id) == ALICE_BOB
    assert answer.accept(ctx.engine, "T1", info.id, "U2", clock()).state == "executed"


def test_date_and_range_selection(ctx, world):
    on = ready(ctx, query(window=Window(date(2026, 11, 18), date(2026, 11, 18)))).proposal
    assert [s.start.day for s in on.give_a] == [16] and [s.start.day for s in on.give_b] == [9]  # ended 2 days before
    rng = ready(ctx, query(window=Window(date(2026, 11, 9), date(2026, 11, 29)))).proposal
    assert [s.start.day for s in rng.give_a] == [16] and [s.start.day for s in rng.give_b] == [9, 23]


def test_ambiguous_no_shift_in_the_window_offers_a_choice(ctx, world):
    choice = prepare(ctx, query(window=Window(date(2027, 3, 1), date(2027, 3, 1))))
    assert isinstance(choice, swaps.Choice) and "no shift on or around that date" in choice.reason
    assert choice.selected_a and choice.selected_b  # the nearest ones preselected
    assert [s.start.day for s in choice.options_a] == [16, 30]


def test_ambiguous_several_shared_schedules(ctx, world):
    add_world(ctx, name="Platform secondary", weeks=3, provider_schedule_id="PSCHED2")
    choice = prepare(ctx, query())
    assert isinstance(choice, swaps.Choice) and [n for _, n in choice.schedules] == ["Platform primary",
                                                                                        "Platform secondary"]
    named = ready(ctx, query(schedule="Platform secondary"))
    assert named.proposal.schedule_name == "Platform secondary"


# ---------------------------------------------------------------- refusals


def refusal(ctx, q, admin=None) -> str:
    result = prepare(ctx, q, admin or (lambda: False))
    assert isinstance(result, swaps.Refused), result
    return " ".join(result.reasons)


def test_refused_same_person_twice(ctx, world):
    assert "twice" in refusal(ctx, query(b="U1"))


def test_refused_person_not_in_the_schedule(ctx, world):
    assert "<@U9> is not a member of any schedule" in refusal(ctx, query(b="U9"))
    assert "<@U9> is not a member of *Platform primary*" in refusal(ctx, query(b="U9", schedule="Platform"))


def test_refused_someone_elses_shifts(ctx, world):
    assert "only swap or hand over your own shifts" in refusal(ctx, query(requester="U3"))


def test_refused_shift_already_started_or_ended(ctx, world, clock):
    in_progress = shift_rows(ctx, world.schedule_id)[0]
    text = refusal(ctx, query("cover", b="U3", picked_a=(in_progress.id,)))
    assert "has already started" in text
    clock.now = T0 + timedelta(days=9)
    assert "has ended" in refusal(ctx, query("cover", b="U3", picked_a=(in_progress.id,)))


def test_refused_conflicting_pending_request(ctx, world):
    first = submit(ctx, query())
    assert f"pending swap request #{first.id}" in refusal(ctx, query("cover", a="U2", requester="U2", b="U3"))


def test_refused_time_off_unless_a_manager_forces_it(ctx, world, clock):
    add_time_off(ctx, "U2", T0 + timedelta(days=15), T0 + timedelta(days=16), "dentist")
    result = prepare(ctx, query())
    assert isinstance(result, swaps.Refused) and not result.forceable
    assert "<@U2> is on time off (dentist)" in result.reasons[0]
    managed = prepare(ctx, query(requester="UMGR"))
    assert isinstance(managed, swaps.Refused) and managed.forceable
    forced = ready(ctx, query(requester="UMGR", force=True))
    assert forced.warnings[0].startswith("Forced by <@UMGR>: <@U2> is on time off")
    info = request.submit(ctx.engine, "T1", forced.proposal.token(), "UMGR", admin=lambda: False, now=clock())
    assert info.status == "executed" and info.forced and "Forced by <@UMGR>" in info.note
    assert "Only this schedule's managers, workspace admins and owners can force a swap" in refusal(ctx, query(force=True, window=Window(date(2026, 11, 23),
                                                                                        date(2026, 11, 30))))


def test_refused_double_booking_across_roles(ctx, world):
    from bot.store import Shift

    with session_scope(ctx.engine) as session:
        session.add(Shift(team_id="T1", schedule_id=world.schedule_id, role="secondary", start=T0 + timedelta(days=14),
                          end=T0 + timedelta(days=21), member_id=world.member_ids[1]))
    assert "on call twice at once" in refusal(ctx, query())


def test_a_preview_confirmed_after_the_shifts_changed_is_refused(ctx, world, clock):
    token = ready(ctx, query()).proposal.token()
    submit(ctx, query(requester="UMGR"))  # a manager swaps them meanwhile
    with pytest.raises(swaps.SwapConflict, match="changed since the preview"):
        request.submit(ctx.engine, "T1", token, "U1", admin=lambda: False, now=clock())


# ---------------------------------------------------------------- undo


def test_undo_by_either_party_restores_and_is_once_only(ctx, world, clock):
    info = submit(ctx, query())
    answer.accept(ctx.engine, "T1", info.id, "U2", clock())
    undone = execute.undo(ctx.engine, "T1", "U2", None, admin=lambda: False, now=clock())
    assert undone.status == "undone" and undone.id == info.id
    assert owners(ctx, world.schedule_id) == ALICE_BOB
    assert [s.version for s in shift_rows(ctx, world.schedule_id)] == [1, 3, 3, 1, 1]
    with pytest.raises(UserError, match="no swap that can still be undone"):
        execute.undo(ctx.engine, "T1", "U1", None, admin=lambda: False, now=clock())
    with pytest.raises(UserError, match="undone"):
        execute.undo(ctx.engine, "T1", "U1", info.id, admin=lambda: False, now=clock())


def test_undo_refused_for_others_and_after_the_first_shift_started(ctx, world, clock):
    info = submit(ctx, query(requester="UMGR"))
    with pytest.raises(UserError, match="can undo"):
        execute.undo(ctx.engine, "T1", "U3", info.id, admin=lambda: False, now=clock())
    clock.now = T0 + timedelta(days=7, minutes=1)
    with pytest.raises(UserError, match="has started"):
        execute.undo(ctx.engine, "T1", "UMGR", info.id, admin=lambda: False, now=clock())


def test_undo_refused_when_a_shift_changed_since(ctx, world, clock):
    first = submit(ctx, query(requester="UMGR"))
    submit(ctx, query("cover", requester="UMGR", a="U1", b="U3"))  # Alice's new shift (Nov 9) goes to Carol
    with pytest.raises(swaps.SwapConflict, match="changed since"):
        execute.undo(ctx.engine, "T1", "UMGR", first.id, admin=lambda: False, now=clock())
    with session_scope(ctx.engine) as session:
        assert session.get(SwapRequest, first.id).status == "executed"


# ---------------------------------------------------------------- checked again when accepted


def test_time_off_entered_after_the_request_is_caught_at_accept(ctx, world, clock):
    info = submit(ctx, query())  # Bob would receive Alice's Nov 16 shift
    add_time_off(ctx, "U2", T0 + timedelta(days=15), T0 + timedelta(days=16), "dentist")
    result = answer.accept(ctx.engine, "T1", info.id, "U2", clock())
    assert result.state == "refused"
    assert len(result.reasons) == 1 and result.reasons[0].startswith("<@U2> is on time off (dentist) during Mon 16 Nov")
    assert result.info.status == "refused" and result.info.decided_by == "U2"
    assert result.reasons[0] in result.info.note
    assert owners(ctx, world.schedule_id) == ALICE_BOB
    assert [s.version for s in shift_rows(ctx, world.schedule_id)] == [1, 1, 1, 1, 1]
    with session_scope(ctx.engine) as session:
        assert session.exec(select(SwapClaim)).all() == []  # the shifts are free again
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "swap.execute")).all() == []
    with pytest.raises(swaps.SwapConflict, match="already refused when it was accepted"):
        answer.accept(ctx.engine, "T1", info.id, "U2", clock())


def test_a_shift_of_another_role_taken_after_the_request_is_caught_at_accept(ctx, world, clock):
    from bot.store import Shift

    info = submit(ctx, query("cover", b="U3"))
    with session_scope(ctx.engine) as session:
        session.add(Shift(team_id="T1", schedule_id=world.schedule_id, role="secondary", start=T0 + timedelta(days=17),
                          end=T0 + timedelta(days=18), member_id=world.member_ids[2]))
    result = answer.accept(ctx.engine, "T1", info.id, "U3", clock())
    assert result.state == "refused" and "<@U3> would be on call twice at once" in result.reasons[0]
    assert owners(ctx, world.schedule_id) == ["U1", "U2", "U1", "U3", "U2", "U1"]  # U3: the secondary shift


def test_a_forced_request_goes_through_over_new_time_off_and_says_so(ctx, world, clock):
    with session_scope(ctx.engine) as session:
        session.get(Schedule, world.schedule_id).swap_requires_consent = True
    info = submit(ctx, query(requester="UMGR", force=True))
    assert info.status == "pending" and info.forced and info.note == ""
    add_time_off(ctx, "U2", T0 + timedelta(days=15), T0 + timedelta(days=16), "dentist")
    assert answer.accept(ctx.engine, "T1", info.id, "U1", clock()).state == "waiting"
    result = answer.accept(ctx.engine, "T1", info.id, "U2", clock())
    assert result.state == "executed"
    assert owners(ctx, world.schedule_id) == ["U1", "U1", "U2", "U2", "U1"]
    assert result.info.note.startswith("Forced by <@UMGR>: <@U2> is on time off (dentist) during Mon 16 Nov")


def test_a_request_not_forced_by_its_manager_is_refused_over_new_time_off(ctx, world, clock):
    with session_scope(ctx.engine) as session:
        session.get(Schedule, world.schedule_id).swap_requires_consent = True
    info = submit(ctx, query(requester="UMGR"))
    add_time_off(ctx, "U1", T0 + timedelta(days=7), T0 + timedelta(days=8), "conference")
    answer.accept(ctx.engine, "T1", info.id, "U2", clock())
    result = answer.accept(ctx.engine, "T1", info.id, "U1", clock())
    assert result.state == "refused" and "<@U1> is on time off (conference)" in result.reasons[0]
    assert owners(ctx, world.schedule_id) == ALICE_BOB


def test_someone_who_left_the_schedule_since_the_request_is_caught_at_accept(ctx, world, clock):
    from bot.store import Member

    info = submit(ctx, query("cover", b="U3"))
    with session_scope(ctx.engine) as session:
        session.get(Member, world.member_ids[2]).left_at = clock() - timedelta(minutes=1)
    result = answer.accept(ctx.engine, "T1", info.id, "U3", clock())
    assert result.state == "refused" and result.reasons == ("<@U3> is no longer a member of *Platform primary*.",)


def test_a_managers_direct_swap_checks_again_when_confirmed(ctx, world, clock):
    token = ready(ctx, query(requester="UMGR")).proposal.token()
    add_time_off(ctx, "U2", T0 + timedelta(days=15), T0 + timedelta(days=16), "dentist")  # after the preview
    with pytest.raises(UserError, match=r"<@U2> is on time off \(dentist\)"):
        request.submit(ctx.engine, "T1", token, "UMGR", admin=lambda: False, now=clock())
    assert owners(ctx, world.schedule_id) == ALICE_BOB
    with session_scope(ctx.engine) as session:
        assert session.exec(select(SwapRequest)).all() == [] and session.exec(select(SwapClaim)).all() == []
