"""The fault-injected simulation, a few seeds (the long run is `python -m bench.faultsim`)."""

from __future__ import annotations

import pytest

from tests.faultsim.driver import Simulation

SEEDS = (1, 2, 3)


@pytest.mark.parametrize("seed", SEEDS)
def test_simulation_keeps_the_on_call_truth(seed, sqlite_url, conformant_respx):
    result = Simulation(seed, sqlite_url, conformant_respx, days=30).run(steps=120)
    assert not result.violations, result.report()
    assert result.steps >= 60 and result.syncs > 10
