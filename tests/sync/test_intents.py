"""`bot.sync.intents.claim`: intents left by an interrupted run, paired with the listed overrides."""

from __future__ import annotations

from bot.sync.intents import PENDING, claim
from bot.sync.plan import ExportedRecord, plan_export
from tests.sync.helpers import h, override, shift


def intent(sid: str, user: str, start: float, end: float, version: int = 1) -> ExportedRecord:
    return ExportedRecord(sid, PENDING + f"a-{sid}-{version}", user, h(start), h(end), version)


WINDOW = (h(1), h(100))


def test_an_intent_is_paired_with_the_unrecorded_override_that_matches_it():
    remote = [override("R1", "b", 24, 48), override("H1", "b", 24, 48), override("X", "a", 24, 48)]
    c = claim([intent("s1", "b", 24, 48, 2)], {"R1"}, remote, h(1), WINDOW)
    assert [(i.shift_id, o.id) for i, o in c.found] == [("s1", "H1")], "a recorded override is never claimed"
    assert c.records[0].override_id == "H1" and c.records[0].version == 2 and c.gone == []


def test_an_intent_without_its_override_is_gone_unless_it_lies_past_the_listed_window():
    intents = [intent("s1", "b", 24, 48), intent("s2", "b", 0, 0.5), intent("s3", "a", 120, 144)]
    c = claim(intents, set(), [override("O", "a", 24, 48)], h(1), WINDOW)
    assert c.found == [] and sorted(i.shift_id for i in c.gone) == ["s1", "s2"], "s3 was not listed: kept"


def test_each_override_is_claimed_once():
    c = claim([intent("s1", "b", 24, 48, 2), intent("s1", "b", 24, 48, 3)], set(),
              [override("O", "b", 24, 48)], h(1), WINDOW)
    assert len(c.found) == 1 and len(c.gone) == 1


def test_a_claimed_override_of_an_older_version_is_deleted_by_the_plan():
    """A crash after the POST of v2, then v3 before the next run: v2's override goes."""
    s1 = shift("s1", "c", 24, 48, version=3)
    remote = [override("P9", "b", 24, 48)]
    c = claim([intent("s1", "b", 24, 48, 2)], set(), remote, h(1), WINDOW)
    p = plan_export([s1], c.records, remote, h(48), h(1), h(48), destination_key="d")
    assert [c.user_id for c in p.creates] == ["c"] and [d.override_id for d in p.deletes] == ["P9"]
