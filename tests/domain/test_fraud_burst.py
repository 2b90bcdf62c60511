"""Issue 5, burst: a member's exchanges far above their own history and the guild's day."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.fraud import BURST, FraudThresholds, burst, guild_level

DEFAULTS = FraudThresholds()
USUAL = [2, 3, 0, 4, 1, 0, 3, 5, 2, 0, 2, 6, 3, 1]  # a long-standing, ordinary member
QUIET_GUILD = 18.0  # the 95th percentile of active members on an ordinary simulated day


def test_guild_level_is_a_nearest_rank_quantile_of_active_members():
    counts = [0, 0, *range(1, 101)]
    assert guild_level(counts, 0.95) == 95.0
    assert guild_level(counts, 1.0) == 100.0
    assert guild_level(counts, 0.0) == 1.0
    assert guild_level([7], 0.95) == 7.0
    assert guild_level([0, 0], 0.95) == 0.0
    assert guild_level([], 0.95) == 0.0


def test_a_burst_farmer_is_flagged():
    """The burst attack: 70 to 145 exchanges against a usual 0 to 12."""
    reason = burst(110, USUAL, QUIET_GUILD, DEFAULTS)
    assert reason is not None
    assert reason.signal == BURST
    assert reason.weight == DEFAULTS.weight_burst
    assert reason.detail == (
        "110 exchanges on the day; usually 3 on 11 active of 14 days (limit 45);"
        " guild's 95% level 18"
    )


def test_an_honest_busy_day_is_no_burst_when_the_guild_is_busy_too():
    """An event day: everybody talks a lot, this member too."""
    assert burst(60, USUAL, 75.0, DEFAULTS) is None


def test_the_busiest_members_tower_over_the_guild_but_not_over_themselves():
    assert burst(200, [150, 180, 90, 210, 170, 160], QUIET_GUILD, DEFAULTS) is None


def test_coming_back_from_a_holiday_is_not_a_burst():
    """The usual day is the median of the active days: two weeks away are no baseline."""
    history = [120, 95, 130, 110, 140, 105] + [0] * 14
    assert burst(135, history, QUIET_GUILD, DEFAULTS) is None


def test_a_quiet_member_with_one_long_conversation_is_not_a_burst():
    """The margin: 25 exchanges on one day from a member who usually makes 1."""
    assert burst(25, [1, 0, 0, 1, 2, 0, 1], QUIET_GUILD, DEFAULTS) is None


def test_a_member_with_no_active_day_is_measured_against_zero():
    reason = burst(40, [0, 0, 0, 0], QUIET_GUILD, DEFAULTS)
    assert reason is not None
    assert "usually 0 on 0 active of 4 days" in reason.detail


@pytest.mark.parametrize(("days", "fires"), [(3, False), (4, True)])
def test_a_burst_needs_some_history(days: int, fires: bool):
    """A first day is not a jump: burst_min_history_days (4) of history first."""
    assert (burst(110, USUAL[:days], QUIET_GUILD, DEFAULTS) is not None) is fires


@pytest.mark.parametrize(("today", "fires"), [(45, False), (46, True)])
def test_own_limit_at_its_edge(today: int, fires: bool):
    """Usually 3 (the median of the 11 active days): the limit is 5 × 3 + 30 = 45; above it,
    not at it."""
    assert (burst(today, USUAL, QUIET_GUILD, DEFAULTS) is not None) is fires


@pytest.mark.parametrize(("guild", "fires"), [(110.0, False), (109.0, True)])
def test_guild_level_at_its_edge(guild: float, fires: bool):
    assert (burst(110, USUAL, guild, DEFAULTS) is not None) is fires


@given(
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=0, max_value=300),
    st.lists(st.integers(min_value=0, max_value=50), min_size=4, max_size=28),
    st.floats(min_value=0, max_value=200),
)
def test_more_exchanges_never_clear_a_burst(today: int, more: int, history: list[int], guild):
    if burst(today, history, guild, DEFAULTS) is not None:
        assert burst(today + more, history, guild, DEFAULTS) is not None
