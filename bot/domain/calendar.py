"""Rule 1, the guild day: the one place that maps an instant to a guild's calendar date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def guild_day(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar date of `instant` (timezone-aware) in the guild's timezone."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(zone).date()


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) of `day` in `zone`.

    Where local midnight does not exist (a DST jump at 00:00), the day starts at the jump.
    """
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    # A skipped midnight is read with the pre-jump offset: that lands on the jump when the jump
    # is at midnight, and after the day's real start when a jump spans midnight; step back.
    while guild_day(start - timedelta(minutes=1), zone) == day:
        start -= timedelta(minutes=1)
    return start


def day_end(day: date, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) after `day` in `zone`: when that day can be closed."""
    return day_start(day + timedelta(days=1), zone)


def days_between(first: date, last: date) -> list[date]:
    """Every date from `first` to `last`, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class DayClock:
    """`guild_day` with the current day's bounds cached: events arrive in near time order."""

    __slots__ = ("_end", "_label", "_start", "zone")

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._start = self._end = datetime.min.replace(tzinfo=UTC)
        self._label = ""

    def day_of(self, instant: datetime) -> str:
        """The guild day of `instant` as an ISO date string (the form the store keeps)."""
        if self._start <= instant < self._end:
            return self._label
        day = guild_day(instant, self.zone)
        self._start, self._end = day_start(day, self.zone), day_end(day, self.zone)
        self._label = day.isoformat()
        return self._label
