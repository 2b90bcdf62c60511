"""Issue 5, account signals: account age from the snowflake, time in the guild, the gate."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.fraud import (
    TOO_NEW,
    FraudThresholds,
    account_age_days,
    is_new,
    member_days,
    snowflake_time,
    too_new,
)
from bot.domain.fraud.accounts import DISCORD_EPOCH_MS

DEFAULTS = FraudThresholds()
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def snowflake(created: datetime, low_bits: int = 0) -> int:
    """A Discord ID made at `created` (the low 22 bits are worker, process and increment)."""
    ms = round(created.timestamp() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | low_bits


def test_snowflake_time_reads_discords_documented_example():
    """Discord's API reference: 175928847299117063 was made 2016-04-30 11:18:25.796 UTC."""
    assert snowflake_time(175928847299117063) == datetime(2016, 4, 30, 11, 18, 25, 796000, UTC)


def test_snowflake_zero_is_the_discord_epoch():
    assert snowflake_time(0) == datetime(2015, 1, 1, tzinfo=UTC)


def test_a_negative_snowflake_is_refused():
    with pytest.raises(ValueError, match="snowflake"):
        snowflake_time(-1)


@given(
    st.integers(min_value=0, max_value=4_000_000_000_000),
    st.integers(min_value=0, max_value=(1 << 22) - 1),
)
def test_snowflake_time_is_exact_to_the_millisecond_whatever_the_low_bits(ms: int, low_bits: int):
    made = snowflake_time((ms << 22) | low_bits)
    assert made == datetime(2015, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    assert round(made.timestamp() * 1000) - DISCORD_EPOCH_MS == ms


def test_account_age_and_membership_in_days():
    user = snowflake(NOW - timedelta(days=3, hours=12), low_bits=12345)
    assert account_age_days(user, NOW) == pytest.approx(3.5)
    assert member_days(NOW - timedelta(hours=6), NOW) == pytest.approx(0.25)


def test_a_member_without_a_join_time_has_always_been_there():
    """replay's member event without `ts`: a founder, there before the log starts."""
    assert member_days(None, NOW) == math.inf


# --- the gate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "trips"),
    [
        (timedelta(minutes=10), True),
        (timedelta(hours=23, minutes=59), True),
        (timedelta(days=1), False),
        (timedelta(days=400), False),
    ],
)
def test_account_gate_at_its_edge(age: timedelta, trips: bool):
    """min_account_age_days (default 1): an account exactly a day old passes."""
    reason = too_new(snowflake(NOW - age), None, NOW, DEFAULTS)
    assert (reason is not None) is trips


def test_a_new_account_is_told_apart_by_age_only():
    reason = too_new(snowflake(NOW - timedelta(hours=6)), NOW - timedelta(hours=1), NOW, DEFAULTS)
    assert reason is not None
    assert reason.signal == TOO_NEW
    assert reason.detail == "account 0.2 days old (minimum 1)"
    assert reason.weight == DEFAULTS.weight_too_new


def test_by_default_joining_today_is_no_reason():
    """min_member_days is 0: an old account that just joined is welcome at once."""
    old = snowflake(NOW - timedelta(days=900))
    assert too_new(old, NOW - timedelta(minutes=5), NOW, DEFAULTS) is None


def test_membership_gate_when_configured():
    thresholds = FraudThresholds(min_member_days=3)
    old = snowflake(NOW - timedelta(days=900))
    assert too_new(old, NOW - timedelta(days=3), NOW, thresholds) is None
    reason = too_new(old, NOW - timedelta(days=2), NOW, thresholds)
    assert reason is not None
    assert reason.detail == "member for 2.0 days (minimum 3)"
    both = too_new(snowflake(NOW), NOW, NOW, thresholds)
    assert both is not None
    assert both.detail == "account 0.0 days old (minimum 1); member for 0.0 days (minimum 3)"


def test_founders_never_trip_the_membership_gate():
    thresholds = FraudThresholds(min_member_days=30)
    assert too_new(snowflake(NOW - timedelta(days=900)), None, NOW, thresholds) is None


def test_the_gate_is_off_at_zero():
    off = FraudThresholds(min_account_age_days=0, min_member_days=0)
    assert too_new(snowflake(NOW), NOW, NOW, off) is None


# --- new, for the ring signal ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account_age", "joined_ago", "new"),
    [
        (timedelta(days=900), None, False),  # a founder
        (timedelta(days=900), timedelta(days=10), True),  # an old account, just joined
        (timedelta(days=900), timedelta(days=30), False),  # new_member_days is 30: edge
        (timedelta(days=20), None, True),  # a young account
        (timedelta(days=90), None, False),  # new_account_days is 90: edge
        (timedelta(days=89), timedelta(days=60), True),
    ],
)
def test_is_new(account_age: timedelta, joined_ago: timedelta | None, new: bool):
    joined = None if joined_ago is None else NOW - joined_ago
    assert is_new(snowflake(NOW - account_age), joined, NOW, DEFAULTS) is new


def test_a_young_servers_founders_are_not_newcomers_but_its_later_joiners_are():
    """In a server whose tracking began ten days ago, everybody joined recently: its founders
    (joined in its first new_member_days) are not new members; someone joining after are."""
    founded = NOW - timedelta(days=40)
    old_account = snowflake(NOW - timedelta(days=900))
    assert not is_new(old_account, NOW - timedelta(days=29), NOW, DEFAULTS, founded)
    assert is_new(old_account, NOW - timedelta(days=5), NOW, DEFAULTS, founded)
    # A young account is new whatever the server's age.
    assert is_new(snowflake(NOW - timedelta(days=3)), founded, NOW, DEFAULTS, founded)
    # Without a founding date (unknown), a recent join is new, as before.
    assert is_new(old_account, NOW - timedelta(days=29), NOW, DEFAULTS)
