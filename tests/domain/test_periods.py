"""Periods of guild days: ISO weeks (Monday to Sunday) and calendar months, which member's
choice means which period, and which periods have ended once days are closed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import day_start, guild_day
from bot.domain.periods import Period, chosen_period, ended_periods, period_of

WEEKDAYS = st.dates(min_value=date(2015, 1, 1), max_value=date(2060, 12, 31))


def week(first: str, last: str) -> Period:
    return Period("week", date.fromisoformat(first), date.fromisoformat(last))


def month(first: str, last: str) -> Period:
    return Period("month", date.fromisoformat(first), date.fromisoformat(last))


def test_a_week_runs_monday_to_sunday_within_a_month():
    assert period_of("week", date(2026, 11, 4)) == week("2026-11-02", "2026-11-08")
    assert period_of("week", date(2026, 11, 2)) == week("2026-11-02", "2026-11-08")  # Monday
    assert period_of("week", date(2026, 11, 8)) == week("2026-11-02", "2026-11-08")  # Sunday
    assert period_of("week", date(2026, 11, 9)).first == date(2026, 11, 9)


def test_a_week_across_a_month_end_is_one_week():
    assert period_of("week", date(2026, 9, 30)) == week("2026-09-28", "2026-10-04")
    assert period_of("week", date(2026, 10, 1)) == week("2026-09-28", "2026-10-04")


def test_a_week_across_a_year_end_is_one_iso_week():
    # 2026-12-31 is a Thursday: its week is week 53 of 2026 and holds 1-3 January 2027.
    week_53 = period_of("week", date(2027, 1, 2))
    assert week_53 == week("2026-12-28", "2027-01-03")
    assert week_53.first.isocalendar()[:2] == (2026, 53)
    assert week_53.next() == week("2027-01-04", "2027-01-10")
    # 2025-12-29 (a Monday) starts ISO week 1 of 2026.
    assert period_of("week", date(2026, 1, 1)) == week("2025-12-29", "2026-01-04")
    assert date(2025, 12, 29).isocalendar()[:2] == (2026, 1)


def test_months_have_their_calendar_lengths():
    assert period_of("month", date(2026, 11, 17)) == month("2026-11-01", "2026-11-30")
    assert period_of("month", date(2026, 12, 31)) == month("2026-12-01", "2026-12-31")
    assert period_of("month", date(2027, 2, 3)).days == 28
    assert period_of("month", date(2028, 2, 29)) == month("2028-02-01", "2028-02-29")
    assert period_of("month", date(2026, 12, 5)).next() == month("2027-01-01", "2027-01-31")
    assert period_of("month", date(2027, 1, 5)).previous() == month("2026-12-01", "2026-12-31")


@given(WEEKDAYS)
def test_weeks_tile_the_calendar_from_monday_to_sunday(day):
    period = period_of("week", day)
    assert period.contains(day)
    assert period.first.weekday() == 0
    assert period.days == 7
    assert period.next().first == period.last + timedelta(days=1)
    assert period.previous().last == period.first - timedelta(days=1)
    assert period.first.isocalendar()[:2] == day.isocalendar()[:2]


@given(WEEKDAYS)
def test_months_tile_the_calendar(day):
    period = period_of("month", day)
    assert period.contains(day)
    assert (period.first.year, period.first.month, period.first.day) == (day.year, day.month, 1)
    assert (period.last.year, period.last.month) == (day.year, day.month)
    assert (period.last + timedelta(days=1)).day == 1
    assert period.next().first == period.last + timedelta(days=1)


def test_a_members_choice_names_a_period_of_the_guild_day():
    today = date(2027, 1, 1)  # a Friday in week 53 of 2026
    assert chosen_period("all-time", today) is None
    assert chosen_period("this-week", today) == week("2026-12-28", "2027-01-03")
    assert chosen_period("last-week", today) == week("2026-12-21", "2026-12-27")
    assert chosen_period("this-month", today) == month("2027-01-01", "2027-01-31")
    assert chosen_period("last-month", today) == month("2026-12-01", "2026-12-31")
    with pytest.raises(ValueError, match="unknown period"):
        chosen_period("next-year", today)  # type: ignore[arg-type]


def test_in_a_guild_east_of_utc_the_week_turns_at_local_midnight():
    """The guild day decides (rule 1): late Sunday evening in UTC is already Monday in Tokyo,
    so a Tokyo guild's new week has begun while a UTC guild's has not."""
    tokyo = ZoneInfo("Asia/Tokyo")
    sunday_evening_utc = datetime(2026, 11, 8, 20, 0, tzinfo=UTC)
    assert period_of("week", guild_day(sunday_evening_utc, UTC)) == week("2026-11-02", "2026-11-08")
    tokyo_week = period_of("week", guild_day(sunday_evening_utc, tokyo))
    assert tokyo_week == week("2026-11-09", "2026-11-15")
    assert day_start(tokyo_week.first, tokyo) == datetime(2026, 11, 8, 15, 0, tzinfo=UTC)


def test_in_a_guild_west_of_utc_the_month_turns_later():
    los_angeles = ZoneInfo("America/Los_Angeles")
    new_year_utc = datetime(2027, 1, 1, 3, 0, tzinfo=UTC)  # still 31 December, 19:00 local
    assert chosen_period("this-month", guild_day(new_year_utc, los_angeles)) == month(
        "2026-12-01", "2026-12-31"
    )
    assert chosen_period("last-month", guild_day(new_year_utc, UTC)) == month(
        "2026-12-01", "2026-12-31"
    )


def test_a_period_ends_when_its_last_day_is_closed():
    first_day = date(2026, 11, 4)  # a Wednesday: the guild's first week is a partial one
    assert ended_periods("week", first_day, None, None) == []
    assert ended_periods("week", first_day, date(2026, 11, 7), None) == []  # Saturday closed
    assert ended_periods("week", first_day, date(2026, 11, 8), None) == [
        week("2026-11-02", "2026-11-08")
    ]


def test_every_ended_period_after_the_latest_finalised_one_comes_in_order():
    first_day = date(2026, 11, 4)
    done = week("2026-11-02", "2026-11-08")
    # Downtime: closed through Tuesday 1 December.
    assert ended_periods("week", first_day, date(2026, 12, 1), done) == [
        week("2026-11-09", "2026-11-15"),
        week("2026-11-16", "2026-11-22"),
        week("2026-11-23", "2026-11-29"),
    ]
    assert ended_periods("month", first_day, date(2026, 12, 1), None) == [
        month("2026-11-01", "2026-11-30")
    ]
    assert (
        ended_periods("month", first_day, date(2026, 12, 1), month("2026-11-01", "2026-11-30"))
        == []
    )
