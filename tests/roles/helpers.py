"""Checks shared by the two-role tests."""

from __future__ import annotations

from bot.store import Shift


def overlapping_pairs(rows: list[Shift]) -> list[tuple[Shift, Shift]]:
    """Pairs of a primary and a secondary shift that overlap in time."""
    primary = [s for s in rows if s.role == "primary"]
    secondary = [s for s in rows if s.role == "secondary"]
    return [(p, s) for p in primary for s in secondary if p.start < s.end and s.start < p.end]


def assert_nobody_holds_both(rows: list[Shift]) -> None:
    pairs = overlapping_pairs(rows)
    assert pairs, "the schedule has overlapping primary and secondary shifts"
    clashes = [(p.start, p.member_id) for p, s in pairs if p.member_id == s.member_id]
    assert clashes == [], "one person never holds both roles at once"
