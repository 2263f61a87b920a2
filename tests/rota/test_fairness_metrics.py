from datetime import timedelta

from bot.rota.fairness import fairness_report, text_bar
from bot.rota.generate import generate
from bot.rota.metrics import evaluate, gini, grafana_score
from bot.rota.model import Member, Shift, TimeOff, Window

from .conftest import T0


def test_gini_and_text_bar():
    assert gini([1, 1, 1]) == 0 and gini([0, 0, 0]) == 0
    assert round(gini([0, 0, 0, 4]), 2) == 0.75
    assert text_bar(0.5, 4) == "██░░" and text_bar(2, 3) == "███" and text_bar(-1, 2) == "░░"


def test_metrics_count_zero_shift_people_gaps_and_violations(daily, window):
    members = [Member("a"), Member("b"), Member("c")]
    shifts = [
        Shift("primary", T0 + timedelta(days=k), T0 + timedelta(days=k + 1), "ab"[k % 2]) for k in range(27)
    ]
    off = [TimeOff("a", T0, T0 + timedelta(hours=3))]
    q = evaluate(shifts, pattern=daily, window=window, members=members, time_off=off)
    assert q.gap_hours == 24 and q.time_off_violation_hours == 3
    assert q.hours_range == 14 * 24  # c never serves and still counts
    assert q.back_to_back == 0 and q.min_rest_hours == 24
    assert q.score == grafana_score(shifts, window)  # blind to c: balance is near perfect
    assert q.score > 90


def test_report(daily, team, window):
    plan = generate(daily, team, (), (), (), window)
    now = T0 + timedelta(days=14)
    r = fairness_report(plan, pattern=daily, members=team, period=window, now=now)
    assert [row.member_id for row in r.rows] == [m.id for m in team]
    assert sum(row.served_hours for row in r.rows) == 14 * 24
    assert round(sum(row.share for row in r.rows), 6) == 1
    assert all(abs(row.target_share - 0.2) < 1e-9 for row in r.rows)
    assert r.gap_hours == 0 and r.quality_line.startswith("Quality ")
    # a time window with a different period works too
    Window(T0, now)


def test_membership_starts_from_the_imported_history():
    from datetime import UTC, datetime, timedelta

    from bot.rota.fairness import membership_starts

    t0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
    day = timedelta(days=1)
    served = [("a", t0), ("b", t0 + day), ("c", t0 + 2 * day), ("a", t0 + 3 * day), ("d", t0 + 40 * day)]
    until = t0 + 60 * day
    got = membership_starts(served, ["a", "b", "c", "d", "e"], 3 * day, until)
    # served in the first turn of the rotation: with the history; later: at the first shift;
    # never served in a history longer than a cycle: at the link
    assert got == {"a": t0, "b": t0, "c": t0, "d": t0 + 40 * day, "e": until}
    # a history shorter than one cycle cannot tell: everyone starts with it
    assert membership_starts(served[:2], ["a", "b", "c"], 10 * day, t0 + 5 * day) == {"a": t0, "b": t0, "c": t0}
    assert membership_starts([], ["a"], day, until) == {}
