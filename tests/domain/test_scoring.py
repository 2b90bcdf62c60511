"""Rule 9: points per message kind, the per-author cooldown and the daily cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.scoring import PointValues, capped, in_cooldown, message_points

DEFAULTS = PointValues()
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


# --- what a message is worth ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("has_reply", "has_mention", "expected"),
    [
        (True, True, 3),
        (True, False, 3),
        (False, True, 2),
        (False, False, 1),
    ],
)
def test_rule_9_reply_beats_mention_beats_plain_message(
    has_reply: bool, has_mention: bool, expected: int
):
    """Rule 9: a message earns its best kind once, not the sum of its kinds."""
    assert message_points(DEFAULTS, has_reply, has_mention) == expected


def test_rule_9_kind_order_holds_whatever_the_values():
    """Rule 9: the reply value applies to a reply even when a mention is worth more."""
    values = PointValues(message=7, mention=5, reply=1)
    assert message_points(values, has_reply=True, has_mention=True) == 1
    assert message_points(values, has_reply=False, has_mention=True) == 5
    assert message_points(values, has_reply=False, has_mention=False) == 7


# --- cooldown -------------------------------------------------------------------------------


def test_rule_9_first_message_is_never_in_cooldown():
    """Rule 9: with no earlier point-earning message there is nothing to cool down from."""
    assert not in_cooldown(DEFAULTS, T0, None)


@pytest.mark.parametrize(
    ("elapsed", "cooling"),
    [
        (timedelta(0), True),
        (timedelta(seconds=1), True),
        (timedelta(seconds=59, milliseconds=999), True),
        (timedelta(seconds=59, microseconds=999_999), True),
        (timedelta(seconds=60), False),
        (timedelta(seconds=60, microseconds=1), False),
        (timedelta(hours=5), False),
    ],
)
def test_rule_9_cooldown_boundary(elapsed: timedelta, cooling: bool):
    """Rule 9: 'less than cooldown_seconds after': 59.999 s earns nothing, 60 s earns again."""
    assert in_cooldown(DEFAULTS, T0 + elapsed, T0) is cooling


def test_rule_9_cooldown_compares_instants_not_wall_clocks():
    """Rule 9: the last earning instant may be written in another offset."""
    last = (T0 + timedelta(seconds=30)).astimezone(ZoneInfo("Asia/Kolkata"))
    assert in_cooldown(DEFAULTS, T0 + timedelta(seconds=89), last)
    assert not in_cooldown(DEFAULTS, T0 + timedelta(seconds=90), last)


@pytest.mark.parametrize("seconds", [0.5, 1, 300])
def test_rule_9_cooldown_follows_the_configured_length(seconds: float):
    """Rule 9: the boundary moves with points.cooldown_seconds."""
    values = PointValues(cooldown_seconds=seconds)
    assert in_cooldown(values, T0 + timedelta(seconds=seconds) - timedelta(microseconds=1), T0)
    assert not in_cooldown(values, T0 + timedelta(seconds=seconds), T0)


def test_rule_9_cooldown_zero_disables_it():
    """Rule 9: with cooldown_seconds = 0 every message earns, even at the same instant."""
    values = PointValues(cooldown_seconds=0)
    assert not in_cooldown(values, T0, T0)
    assert not in_cooldown(values, T0 + timedelta(microseconds=1), T0)


# --- daily cap ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "earned_today", "expected"),
    [
        (3, 0, 3),
        (3, 7, 3),  # reaches the cap exactly
        (3, 8, 2),  # partial award
        (3, 9, 1),
        (3, 10, 0),  # at the cap
        (3, 12, 0),  # never negative
        (0, 0, 0),
    ],
)
def test_rule_9_daily_cap(points: int, earned_today: int, expected: int):
    """Rule 9: daily_cap caps a member's points per day; the last award is cut, not dropped."""
    assert capped(PointValues(daily_cap=10), points, earned_today) == expected


@pytest.mark.parametrize("earned_today", [0, 10, 10**9])
def test_rule_9_daily_cap_zero_means_no_cap(earned_today: int):
    """Rule 9: daily_cap = 0 is no cap at all."""
    assert capped(PointValues(daily_cap=0), 3, earned_today) == 3


def test_rule_9_cap_over_a_day_of_messages():
    """Rule 9: summing capped awards over a day never exceeds the cap and reaches it."""
    values = PointValues(daily_cap=10)
    earned = 0
    for _ in range(6):
        earned += capped(values, message_points(values, has_reply=True, has_mention=False), earned)
    assert earned == 10
