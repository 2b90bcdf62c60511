"""Streak reminders: when a guild's reminders are due, and whom they go to.

Pure: the instant is given, never read. A member who opted in is reminded at most once per
guild day, from `hours_before` the guild's midnight until midnight, when at least one of their
live streaks still lacks the day's exchange.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.domain.calendar import day_end, guild_day

Waiting = Literal["both", "you", "them"]
"""Who still has to engage the other today (as in bot.services.profiles.StreakToday)."""


@dataclass(frozen=True, slots=True)
class Pending:
    partner: int
    days: int
    """The streak's current length."""
    waiting_on: Waiting


@dataclass(frozen=True, slots=True)
class Candidate:
    """An opted-in member, when they were last reminded, and their live streaks that today
    does not count for yet."""

    member: int
    last_reminded: date | None
    pending: tuple[Pending, ...]


@dataclass(frozen=True, slots=True)
class Reminder:
    member: int
    day: date
    ends_at: datetime
    pending: tuple[Pending, ...]


def reminder_window(day: date, zone: ZoneInfo, hours_before: int) -> tuple[datetime, datetime]:
    """[start, end) of `day`'s reminders: `hours_before` its end, until its end. On a day that
    DST makes 23 or 25 hours long, the hours are real hours before the real midnight."""
    end = day_end(day, zone)
    return end - timedelta(hours=hours_before), end


def due_day(now: datetime, zone: ZoneInfo, hours_before: int) -> date | None:
    """The guild day whose reminders are due at `now`; None outside its window."""
    today = guild_day(now, zone)
    start, end = reminder_window(today, zone, hours_before)
    return today if start <= now < end else None


def reminders_due(
    now: datetime, zone: ZoneInfo, hours_before: int, candidates: Iterable[Candidate]
) -> list[Reminder]:
    """The reminders to send at `now`: inside the window, once per member and day, only to
    members with a live streak still waiting on today's exchange."""
    day = due_day(now, zone, hours_before)
    if day is None:
        return []
    ends_at = day_end(day, zone)
    return [
        Reminder(candidate.member, day, ends_at, candidate.pending)
        for candidate in candidates
        if candidate.pending and (candidate.last_reminded is None or candidate.last_reminded < day)
    ]
