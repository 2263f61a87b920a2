"""The fault-injected simulation, a few seeds (the long run is `python -m bench.faultsim`)."""

from __future__ import annotations

import pytest

from tests.faultsim.driver import Simulation

SEEDS = ((1, "sqlite_url"), (2, "sqlite_url"), (3, "pg_url"))  # a crash's new process: same database


@pytest.mark.parametrize(("seed", "database"), SEEDS)
def test_simulation_keeps_the_on_call_truth(seed, database, request, conformant_respx):
    url = request.getfixturevalue(database)
    result = Simulation(seed, url, conformant_respx, days=30).run(steps=120)
    assert not result.violations, result.report()
    assert result.steps >= 60 and result.syncs > 10
    assert result.faults > 20 and result.crashes >= 1 and result.swaps >= 3 and result.hand_edits >= 3
    assert result.settled > result.checks // 4, "the paging itself was checked often"


def test_a_broken_re_export_is_caught_with_a_replayable_report(sqlite_url, conformant_respx, monkeypatch):
    """A bot whose swap re-export deletes the old override but never creates the new one."""
    from dataclasses import replace

    from bot.sync import export

    real = export.restrict
    monkeypatch.setattr(export, "restrict", lambda plan, ids: replace(real(plan, ids), creates=()))
    result = Simulation(2, sqlite_url, conformant_respx, days=30).run(steps=120)
    assert result.violations and result.failed_step is not None
    report = result.report()
    assert f"python -m bench.faultsim --seed 2 --steps {result.failed_step + 1}" in report
    assert "re-export" in result.history[-1] and "is paged" in report, report
