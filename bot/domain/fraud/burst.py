"""Burst: a member's exchanges on a day far above their own history and above the guild's day.

Both, because each alone punishes honest people: the busiest members always tower over the
guild (but not over themselves), and a quiet member's one long conversation towers over their
own median (but not over the guild's busiest).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from bot.domain.fraud.evidence import BURST, Reason
from bot.domain.fraud.thresholds import FraudThresholds


def guild_level(counts: Sequence[int], quantile: float) -> float:
    """The `quantile` of the day's exchange counts of the guild's active members (nearest
    rank: always one member's actual count); 0 when nobody was active. Computed once a day."""
    active = sorted(count for count in counts if count > 0)
    if not active:
        return 0.0
    rank = max(1, math.ceil(quantile * len(active)))
    return float(active[rank - 1])


def burst(
    today: int, history: Sequence[int], guild: float, thresholds: FraudThresholds
) -> Reason | None:
    """Fires when `today` (the member's exchanges made on the day) is above
    `burst_factor` × their usual day + `burst_margin` and above `guild` (`guild_level` of the
    day at `burst_guild_quantile`).

    `history`: the member's exchanges made on each of their trailing days in the guild (up to
    `burst_history_days`; zeros for days they were quiet; the day itself excluded), at least
    `burst_min_history_days` of them: a member without a past has no burst, only a first day.
    Their usual day is the median of the active days (0 when none): people come back from a
    holiday at their normal pace, and a median counting the empty days would call it a burst.
    """
    if len(history) < max(1, thresholds.burst_min_history_days):
        return None
    active = [count for count in history if count > 0]
    usual = statistics.median(active) if active else 0
    own_limit = thresholds.burst_factor * usual + thresholds.burst_margin
    if today <= own_limit or today <= guild:
        return None
    detail = (
        f"{today} exchanges on the day; usually {usual:g} on {len(active)} active of"
        f" {len(history)} days"
        f" (limit {own_limit:g}); guild's {thresholds.burst_guild_quantile:.0%} level {guild:g}"
    )
    return Reason(BURST, detail, thresholds.weight_burst)
