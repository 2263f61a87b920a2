from datetime import UTC, datetime, time

import pytest

from bot.rota.model import Member, Window
from bot.rota.pattern import ShiftPattern

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # Monday 09:00 Europe/Berlin


@pytest.fixture
def team() -> list[Member]:
    return [Member(f"m{k}") for k in range(5)]


@pytest.fixture
def daily() -> ShiftPattern:
    return ShiftPattern(time_zone="Europe/Berlin", handoff=time(9), order=tuple(f"m{k}" for k in range(5)))


@pytest.fixture
def window() -> Window:
    return Window.days(T0, 28)
