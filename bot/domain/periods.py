"""Periodic boards: which guild days make a week or a month, and which periods have ended.

A period is a run of guild days (rule 1 decides which day an instant belongs to; this module
never looks at instants): an ISO week, Monday to Sunday, or a calendar month. A period has
ended once its last day is closed (rule 7), and only then are its standings final: points of
a closed day never change, so a snapshot taken after that close is the period's result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

PeriodKind = Literal["week", "month"]
PERIOD_KINDS: tuple[PeriodKind, ...] = get_args(PeriodKind)

PeriodChoice = Literal["all-time", "this-week", "last-week", "this-month", "last-month"]
"""What a member asks `/leaderboard` for; "all-time" is no period at all."""


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """The guild days `first` to `last`, both included, of one week or month."""

    kind: PeriodKind
    first: date
    last: date

    @property
    def key(self) -> str:
        """How the store names the period: its first day (with its kind)."""
        return self.first.isoformat()

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last

    def next(self) -> Period:
        return period_of(self.kind, self.last + timedelta(days=1))

    def previous(self) -> Period:
        return period_of(self.kind, self.first - timedelta(days=1))


def period_of(kind: PeriodKind, day: date) -> Period:
    """The week (Monday to Sunday, as ISO 8601 counts them) or month that holds `day`."""
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        return Period(kind, first, first + timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(kind, first, following - timedelta(days=1))
    raise ValueError(f"unknown period kind {kind!r}")


def chosen_period(choice: PeriodChoice, today: date) -> Period | None:
    """The period a member means on the guild day `today`; None for all time."""
    match choice:
        case "all-time":
            return None
        case "this-week":
            return period_of("week", today)
        case "last-week":
            return period_of("week", today).previous()
        case "this-month":
            return period_of("month", today)
        case "last-month":
            return period_of("month", today).previous()
    raise ValueError(f"unknown period {choice!r}")


def ended_periods(
    kind: PeriodKind, first_day: date, last_closed: date | None, after: Period | None
) -> list[Period]:
    """The periods to finalise, oldest first: every period whose last day is closed, from the
    one after `after` (the latest already finalised) or, without one, from the period holding
    the guild's first day. Empty when nothing new has ended."""
    if last_closed is None:
        return []
    period = after.next() if after is not None else period_of(kind, first_day)
    found = []
    while period.last <= last_closed:
        found.append(period)
        period = period.next()
    return found
