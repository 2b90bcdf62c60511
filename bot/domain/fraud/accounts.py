"""Account signals: how old a Discord account is (from its snowflake) and how long it has been in
the guild. `at` is always given by the caller: the domain never reads the clock."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from bot.domain.fraud.evidence import TOO_NEW, Reason
from bot.domain.fraud.thresholds import FraudThresholds

DISCORD_EPOCH_MS = 1_420_070_400_000
"""2015-01-01T00:00:00Z: the zero of every Discord snowflake's timestamp."""
_EPOCH = datetime.fromtimestamp(DISCORD_EPOCH_MS // 1000, tz=UTC)
DAY_SECONDS = 86_400


def snowflake_time(snowflake: int) -> datetime:
    """When a Discord ID was made (UTC): its top 42 bits are milliseconds since the epoch."""
    if snowflake < 0:
        raise ValueError(f"a snowflake is not negative: {snowflake}")
    return _EPOCH + timedelta(milliseconds=snowflake >> 22)


def account_age_days(user: int, at: datetime) -> float:
    """Days from the account's creation (its ID) to `at`; negative if `at` is before it."""
    return (at - snowflake_time(user)).total_seconds() / DAY_SECONDS


def member_days(joined_at: datetime | None, at: datetime) -> float:
    """Days from joining the guild to `at`. A member with no join time has been there since
    before anything was recorded (replay's member event without `ts`): infinitely long."""
    if joined_at is None:
        return math.inf
    return (at - joined_at).total_seconds() / DAY_SECONDS


def too_new(
    user: int, joined_at: datetime | None, at: datetime, thresholds: FraudThresholds
) -> Reason | None:
    """The account gate: an account younger than `min_account_age_days`, or a member for less
    than `min_member_days`; its exchanges count for streaks only after that."""
    age, membership = account_age_days(user, at), member_days(joined_at, at)
    parts = []
    # A negative age means `at` is not the act's own time (an export dates a reaction by its
    # message): nothing to judge.
    if 0 <= age < thresholds.min_account_age_days:
        parts.append(f"account {age:.1f} days old (minimum {thresholds.min_account_age_days:g})")
    if membership < thresholds.min_member_days:
        parts.append(f"member for {membership:.1f} days (minimum {thresholds.min_member_days:g})")
    if not parts:
        return None
    return Reason(TOO_NEW, "; ".join(parts), thresholds.weight_too_new)


def is_new(
    user: int,
    joined_at: datetime | None,
    at: datetime,
    thresholds: FraudThresholds,
    founded: datetime | None = None,
) -> bool:
    """New for the ring signal: a young account (`new_account_days`) or a recent member
    (`new_member_days`). Far looser than the gate: it only matters inside a closed group.

    `founded`: when the guild's tracking began. Whoever joined in its first `new_member_days`
    is one of its founders, not a newcomer: in a young server everybody joined recently, and
    its friends must not look like a ring for that (a young *account* still counts as new)."""
    if account_age_days(user, at) < thresholds.new_account_days:
        return True
    if joined_at is None or member_days(joined_at, at) >= thresholds.new_member_days:
        return False
    return founded is None or joined_at >= founded + timedelta(days=thresholds.new_member_days)
