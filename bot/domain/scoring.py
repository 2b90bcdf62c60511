"""Rule 9: points for engagement, with a per-author cooldown and a daily cap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True, frozen=True)
class PointValues:
    message: int = 1
    mention: int = 2
    reply: int = 3
    reaction: int = 1
    cooldown_seconds: float = 60
    daily_cap: int = 0


def message_points(values: PointValues, has_reply: bool, has_mention: bool) -> int:
    """What a counted message is worth before cooldown and cap: its best engagement kind."""
    if has_reply:
        return values.reply
    if has_mention:
        return values.mention
    return values.message


def in_cooldown(values: PointValues, ts: datetime, last_earning: datetime | None) -> bool:
    """True when a message comes too soon after the author's last point-earning message."""
    if last_earning is None or values.cooldown_seconds <= 0:
        return False
    return (ts - last_earning).total_seconds() < values.cooldown_seconds


def capped(values: PointValues, points: int, earned_today: int) -> int:
    """`points` reduced so that the day's total stays within `daily_cap` (0 = no cap)."""
    if values.daily_cap <= 0:
        return points
    return max(0, min(points, values.daily_cap - earned_today))
