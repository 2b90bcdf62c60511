"""The economy's health, from plain numbers: runway and how concentrated holdings are."""

from __future__ import annotations

import math
from collections.abc import Sequence


def runway_days(treasury: int, recent_daily_paid: Sequence[int]) -> float | None:
    """Days the treasury lasts at the recent rate of payouts; None when nothing is paid."""
    if not recent_daily_paid:
        return None
    rate = sum(recent_daily_paid) / len(recent_daily_paid)
    return None if rate <= 0 else treasury / rate


def top_share(balances: Sequence[int], fraction: float) -> float:
    """Share of all tokens held by the richest `fraction` of holders (at least one holder).

    0.0 when nobody holds anything."""
    held = sorted((b for b in balances if b > 0), reverse=True)
    total = sum(held)
    if not total:
        return 0.0
    top = max(1, math.ceil(len(held) * fraction))
    return sum(held[:top]) / total
