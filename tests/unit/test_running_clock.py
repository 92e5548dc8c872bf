"""The clock of `microneedling web --today`: it says the day asked for, and runs on from there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from microneedling.services.clock import running_from


def test_a_running_clock_starts_at_its_moment_and_moves_forward_at_the_real_pace() -> None:
    start = datetime(2026, 12, 8, 7, 0, tzinfo=UTC)
    clock = running_from(start)
    first, second = clock(), clock()
    assert start <= first <= second < start + timedelta(seconds=5)


def test_a_running_clock_needs_a_time_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        running_from(datetime(2026, 12, 8, 7, 0))
