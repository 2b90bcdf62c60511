"""Rule 10: turning a day's points and tiers into token payments that the treasury can afford."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

TREASURY = 0
"""The guild treasury's account number in the ledger (member accounts are their user IDs)."""
ERASED = 1
"""The account of erased members' past entries (no Discord snowflake is 1)."""
ESCROW = 2
"""Rewards held by the anti-fraud detector until a moderator (or time) decides (issue 5)."""
LAST_SYSTEM_ACCOUNT = ESCROW
"""Accounts 0 to this are the guild's own; members' are their snowflakes, pools' negative."""


def tokens_for_points(points: int, per_point: Fraction) -> int:
    """A member's day of points converted at `per_point`, floored to whole tokens."""
    return math.floor(points * per_point)


def available_for_day(treasury: int, daily_budget: int) -> int:
    """What a day close may pay out: the treasury, further limited by a non-zero budget."""
    return min(treasury, daily_budget) if daily_budget > 0 else treasury


def pro_rata(amounts: Sequence[int], available: int) -> list[int]:
    """Scale every payment by available/total, each floored on its own, when the day's total
    exceeds what is available; otherwise pay in full. The flooring remainder stays unpaid."""
    total = sum(amounts)
    if total <= available:
        return list(amounts)
    return [amount * available // total for amount in amounts]
