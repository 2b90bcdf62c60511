"""Limited-time events that multiply points (and optionally tier tokens).

A multiplier is kept in percent (150 = x1.5) so that points stay integers: boosted points are
floored. When several events cover the same message, the largest multiplier applies (they do
not stack: stacking would let owners overspend by accident).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

MAX_PERCENT = 1000


@dataclass(frozen=True, slots=True)
class PointsEvent:
    id: int
    name: str
    percent: int
    starts: datetime
    ends: datetime
    channels: frozenset[int] = frozenset()
    """Empty: the whole guild."""
    tier_tokens: bool = False

    def covers(self, at: datetime, channel: int | None) -> bool:
        if not self.starts <= at < self.ends:
            return False
        return not self.channels or (channel is not None and channel in self.channels)


def boost_percent(events: Iterable[PointsEvent], at: datetime, channel: int | None) -> int:
    """The multiplier (percent) for points earned at `at` in `channel`: 100 without events."""
    return max((e.percent for e in events if e.covers(at, channel)), default=100)


def boosted(points: int, percent: int) -> int:
    return points * percent // 100


def parse_multiplier(text: str) -> int:
    """'2', '1.5', 'x2' or '150%' as a percent; ValueError with a plain message otherwise."""
    raw = text.strip().lower().removeprefix("x").strip()
    try:
        percent = Decimal(raw[:-1]) if raw.endswith("%") else Decimal(raw) * 100
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a multiplier: try 2, 1.5 or 150%") from None
    if percent != percent.to_integral_value():
        raise ValueError("a multiplier is kept to whole percents (e.g. 1.25, not 1.255)")
    if not 100 < percent <= MAX_PERCENT:
        raise ValueError("a multiplier must be more than 1 and at most 10")
    return int(percent)
