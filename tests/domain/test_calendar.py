"""Rule 1: an instant belongs to the calendar date in the guild's IANA timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calendar import DayClock, day_end, day_start, days_between, guild_day

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
CHATHAM = ZoneInfo("Pacific/Chatham")
SANTIAGO = ZoneInfo("America/Santiago")
HAVANA = ZoneInfo("America/Havana")

# Zones with unusual offsets or DST rules, including jumps at local midnight (Santiago, Havana,
# Cairo, Beirut spring forward at 00:00; the Azores fall back to 00:00 so midnight happens twice).
ZONES = (
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Santiago",
    "America/Havana",
    "Africa/Cairo",
    "Asia/Beirut",
    "Atlantic/Azores",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
)
DST_ZONES = tuple(
    zone
    for zone in ZONES
    if zone not in {"UTC", "Asia/Kolkata", "Pacific/Kiritimati", "Pacific/Pago_Pago"}
)

# Discord snowflakes start in 2015: no event the bot sees is older.
DISCORD_EPOCH = datetime(2015, 1, 1, tzinfo=UTC)
HORIZON = datetime(2060, 1, 1, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold)


@cache
def transitions(name: str) -> tuple[datetime, ...]:
    """Every UTC-offset change of zone `name` between the Discord epoch and 2040, to the second."""
    zone = ZoneInfo(name)
    found = []
    step = timedelta(hours=6)
    instant = DISCORD_EPOCH
    offset = instant.astimezone(zone).utcoffset()
    while instant < datetime(2040, 1, 1, tzinfo=UTC):
        later = instant + step
        later_offset = later.astimezone(zone).utcoffset()
        if later_offset != offset:
            low, high = instant, later
            while high - low > timedelta(seconds=1):
                middle = (low + (high - low) / 2).replace(microsecond=0)
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            found.append(high)
            offset = later_offset
        instant = later
    return tuple(found)


# --- guild_day at the local midnight edges -------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "instant", "expected"),
    [
        # Paris in winter is UTC+1: its midnight is 23:00 UTC the day before.
        (PARIS, utc(2026, 11, 1, 22, 59, 59), date(2026, 11, 1)),
        (PARIS, utc(2026, 11, 1, 23, 0, 0), date(2026, 11, 2)),
        (PARIS, utc(2026, 11, 1, 23, 1, 0), date(2026, 11, 2)),
        # New York in winter is UTC-5: the UTC date runs ahead of the local one in the evening.
        (NEW_YORK, utc(2026, 11, 3, 4, 59, 59), date(2026, 11, 2)),
        (NEW_YORK, utc(2026, 11, 3, 5, 0, 0), date(2026, 11, 3)),
        (NEW_YORK, utc(2026, 11, 3, 5, 1, 0), date(2026, 11, 3)),
        # Kolkata is UTC+05:30, a half-hour offset.
        (KOLKATA, utc(2026, 11, 1, 18, 29, 59), date(2026, 11, 1)),
        (KOLKATA, utc(2026, 11, 1, 18, 30, 0), date(2026, 11, 2)),
        (KOLKATA, utc(2026, 11, 1, 18, 31, 0), date(2026, 11, 2)),
        # Chatham in its summer is UTC+13:45: local midnight is 10:15 UTC the previous day.
        (CHATHAM, utc(2026, 10, 31, 10, 14, 59), date(2026, 10, 31)),
        (CHATHAM, utc(2026, 10, 31, 10, 15, 0), date(2026, 11, 1)),
        (CHATHAM, utc(2026, 10, 31, 10, 16, 0), date(2026, 11, 1)),
    ],
)
def test_rule_1_guild_day_at_local_midnight(zone: ZoneInfo, instant: datetime, expected: date):
    """Rule 1: 23:59:59 local is still the old day, 00:00:00 and 00:01 local are the new one."""
    assert guild_day(instant, zone) == expected


def test_rule_1_guild_day_is_not_the_utc_date():
    """Rule 1: the same instant is a different day in different guild timezones."""
    instant = utc(2026, 11, 1, 20, 0, 0)
    assert guild_day(instant, ZoneInfo("UTC")) == date(2026, 11, 1)
    assert guild_day(instant, KOLKATA) == date(2026, 11, 2)
    assert guild_day(instant, CHATHAM) == date(2026, 11, 2)
    assert guild_day(utc(2026, 11, 1, 3, 0, 0), NEW_YORK) == date(2026, 10, 31)


def test_rule_1_guild_day_accepts_any_offset():
    """Rule 1: the instant matters, not the offset it happens to be written with."""
    written_in_tokyo = datetime(2026, 11, 2, 7, 59, 59, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert guild_day(written_in_tokyo, PARIS) == date(2026, 11, 1)
    assert guild_day(written_in_tokyo + timedelta(seconds=1), PARIS) == date(2026, 11, 2)


def test_rule_1_naive_instants_are_refused():
    """Rule 1: a naive datetime has no instant, so it has no guild day."""
    with pytest.raises(ValueError, match="timezone-aware"):
        guild_day(datetime(2026, 11, 1, 12, 0), PARIS)
    with pytest.raises((TypeError, ValueError)):
        DayClock(PARIS).day_of(datetime(2026, 11, 1, 12, 0))


# --- day_start / day_end on ordinary and DST days ------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "start", "hours"),
    [
        (PARIS, date(2026, 11, 1), utc(2026, 10, 31, 23), 24),
        (KOLKATA, date(2026, 11, 1), datetime(2026, 10, 31, 18, 30, tzinfo=UTC), 24),
        (CHATHAM, date(2026, 11, 1), datetime(2026, 10, 31, 10, 15, tzinfo=UTC), 24),
        # Spring forward: 23-hour days.
        (PARIS, date(2026, 3, 29), utc(2026, 3, 28, 23), 23),
        (NEW_YORK, date(2026, 3, 8), utc(2026, 3, 8, 5), 23),
        (CHATHAM, date(2026, 9, 27), datetime(2026, 9, 26, 11, 15, tzinfo=UTC), 23),
        # Fall back: 25-hour days.
        (PARIS, date(2026, 10, 25), utc(2026, 10, 24, 22), 25),
        (NEW_YORK, date(2026, 11, 1), utc(2026, 11, 1, 4), 25),
        (CHATHAM, date(2026, 4, 5), datetime(2026, 4, 4, 10, 15, tzinfo=UTC), 25),
    ],
)
def test_rule_1_day_bounds(zone: ZoneInfo, day: date, start: datetime, hours: int):
    """Rule 1: a day runs from local midnight to the next local midnight, 23 to 25 hours."""
    assert day_start(day, zone) == start
    assert day_end(day, zone) - day_start(day, zone) == timedelta(hours=hours)
    assert day_end(day, zone) == day_start(day + timedelta(days=1), zone)
    assert guild_day(start, zone) == day
    assert guild_day(start - timedelta(microseconds=1), zone) == day - timedelta(days=1)
    assert guild_day(day_end(day, zone) - timedelta(microseconds=1), zone) == day


def test_rule_1_spring_forward_day_in_new_york():
    """Rule 1: 01:59:59 EST and 03:00 EDT are the same day; the skipped hour changes nothing."""
    assert guild_day(local(NEW_YORK, 2026, 3, 8, 1, 59, 59), NEW_YORK) == date(2026, 3, 8)
    assert guild_day(utc(2026, 3, 8, 7, 0, 0), NEW_YORK) == date(2026, 3, 8)  # 03:00 EDT
    assert guild_day(utc(2026, 3, 9, 3, 59, 59), NEW_YORK) == date(2026, 3, 8)  # 23:59:59 EDT
    assert guild_day(utc(2026, 3, 9, 4, 0, 0), NEW_YORK) == date(2026, 3, 9)


def test_rule_1_fall_back_day_in_paris_counts_the_repeated_hour_once_per_day():
    """Rule 1: both 02:30s of the fall-back night in Paris belong to that same day."""
    first = local(PARIS, 2026, 10, 25, 2, 30, fold=0)
    second = local(PARIS, 2026, 10, 25, 2, 30, fold=1)
    # Same-zone subtraction is wall-clock arithmetic: compare the instants in UTC.
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    assert guild_day(first, PARIS) == guild_day(second, PARIS) == date(2026, 10, 25)
    assert guild_day(utc(2026, 10, 25, 22, 59, 59), PARIS) == date(2026, 10, 25)
    assert guild_day(utc(2026, 10, 25, 23, 0, 0), PARIS) == date(2026, 10, 26)


@pytest.mark.parametrize(
    ("zone", "day", "jump"),
    [
        # Santiago skipped 2022-09-11 00:00 -04: clocks went straight to 01:00 -03.
        (SANTIAGO, date(2022, 9, 11), utc(2022, 9, 11, 4)),
        # Havana skipped 2023-03-12 00:00 CST: clocks went straight to 01:00 CDT.
        (HAVANA, date(2023, 3, 12), utc(2023, 3, 12, 5)),
    ],
)
def test_rule_1_midnight_that_does_not_exist(zone: ZoneInfo, day: date, jump: datetime):
    """Rule 1: where local midnight is skipped, the day starts at the jump and lasts 23 hours."""
    assert day_start(day, zone) == jump
    assert day_end(day - timedelta(days=1), zone) == jump
    assert day_end(day, zone) - jump == timedelta(hours=23)
    assert guild_day(jump - timedelta(seconds=1), zone) == day - timedelta(days=1)
    assert guild_day(jump, zone) == day
    assert guild_day(jump + timedelta(minutes=1), zone) == day
    clock = DayClock(zone)
    assert clock.day_of(jump - timedelta(seconds=1)) == (day - timedelta(days=1)).isoformat()
    assert clock.day_of(jump) == day.isoformat()


@pytest.mark.parametrize(
    ("zone", "day", "start"),
    [
        # Santiago 2022-04-03 00:00 -03 fell back to 2022-04-02 23:00 -04: 04-02 lasts 25 h
        # and 04-03 starts at the one real midnight, 00:00 -04.
        (SANTIAGO, date(2022, 4, 2), utc(2022, 4, 2, 3)),
        # Havana 2023-11-05 01:00 CDT fell back to 00:00 CST: midnight happened twice; the day
        # starts at the first one.
        (HAVANA, date(2023, 11, 5), utc(2023, 11, 5, 4)),
    ],
)
def test_rule_1_fall_back_around_midnight(zone: ZoneInfo, day: date, start: datetime):
    """Rule 1: a fall back at or to midnight gives a 25-hour day starting at its first midnight."""
    assert day_start(day, zone) == start
    assert day_end(day, zone) - start == timedelta(hours=25)
    assert guild_day(start - timedelta(seconds=1), zone) == day - timedelta(days=1)
    for hour in range(25):
        assert guild_day(start + timedelta(hours=hour, minutes=59), zone) == day


def test_rule_1_santiago_hour_repeated_before_midnight_stays_on_the_old_day():
    """Rule 1: after Santiago fell back at midnight, 23:30 -04 is still 2022-04-02."""
    assert guild_day(utc(2022, 4, 3, 2, 59, 59), SANTIAGO) == date(2022, 4, 2)  # 23:59:59 -03
    assert guild_day(utc(2022, 4, 3, 3, 30), SANTIAGO) == date(2022, 4, 2)  # 23:30 -04
    assert guild_day(utc(2022, 4, 3, 4, 0), SANTIAGO) == date(2022, 4, 3)  # 00:00 -04


def test_days_between_includes_both_ends():
    """Rule 7 closes every day in order: the day range has no gap and both ends."""
    assert days_between(date(2026, 2, 27), date(2026, 3, 2)) == [
        date(2026, 2, 27),
        date(2026, 2, 28),
        date(2026, 3, 1),
        date(2026, 3, 2),
    ]
    assert days_between(date(2026, 3, 2), date(2026, 3, 2)) == [date(2026, 3, 2)]


# --- DayClock: the cached day must never disagree with guild_day ---------------------------


@pytest.mark.parametrize(
    ("zone", "last_second", "expected_before", "expected_after"),
    [
        (PARIS, utc(2026, 11, 1, 22, 59, 59), "2026-11-01", "2026-11-02"),
        (KOLKATA, utc(2026, 11, 1, 18, 29, 59), "2026-11-01", "2026-11-02"),
        (CHATHAM, utc(2026, 10, 31, 10, 14, 59), "2026-10-31", "2026-11-01"),
        (NEW_YORK, utc(2026, 3, 9, 3, 59, 59), "2026-03-08", "2026-03-09"),
        (NEW_YORK, utc(2026, 11, 2, 4, 59, 59), "2026-11-01", "2026-11-02"),
    ],
)
def test_rule_1_day_clock_turns_at_local_midnight(
    zone: ZoneInfo, last_second: datetime, expected_before: str, expected_after: str
):
    """Rule 1: a clock primed on a day moves to the next one exactly at local midnight."""
    clock = DayClock(zone)
    assert clock.day_of(last_second - timedelta(hours=12)) == expected_before
    assert clock.day_of(last_second) == expected_before
    assert clock.day_of(last_second + timedelta(microseconds=999_999)) == expected_before
    assert clock.day_of(last_second + timedelta(seconds=1)) == expected_after
    assert clock.day_of(last_second + timedelta(seconds=61)) == expected_after
    # Late events (going back in time) are still dated correctly.
    assert clock.day_of(last_second) == expected_before


@pytest.mark.parametrize(
    ("name", "day"),
    [
        ("Europe/Paris", date(2026, 3, 29)),
        ("Europe/Paris", date(2026, 10, 25)),
        ("America/New_York", date(2026, 3, 8)),
        ("America/New_York", date(2026, 11, 1)),
        ("Pacific/Chatham", date(2026, 9, 27)),
        ("Pacific/Chatham", date(2026, 4, 5)),
        ("America/Santiago", date(2022, 9, 11)),
        ("America/Santiago", date(2022, 4, 2)),
        ("America/Havana", date(2023, 3, 12)),
        ("America/Havana", date(2023, 11, 5)),
        ("Atlantic/Azores", date(2026, 10, 25)),
    ],
)
def test_rule_1_day_clock_walks_through_dst_days(name: str, day: date):
    """Rule 1: minute by minute across a DST day, DayClock agrees with guild_day."""
    zone = ZoneInfo(name)
    clock = DayClock(zone)
    instant = day_start(day, zone) - timedelta(hours=3)
    end = day_end(day, zone) + timedelta(hours=3)
    seen = []
    while instant < end:
        expected = guild_day(instant, zone)
        assert clock.day_of(instant) == expected.isoformat(), instant
        if not seen or seen[-1] != expected:
            seen.append(expected)
        instant += timedelta(minutes=1)
    assert seen == [day - timedelta(days=1), day, day + timedelta(days=1)]


def _check_instant(clock: DayClock, instant: datetime) -> None:
    day = guild_day(instant, clock.zone)
    assert clock.day_of(instant) == day.isoformat(), instant
    assert day_start(day, clock.zone) <= instant < day_end(day, clock.zone), instant


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(ZONES),
    start=st.datetimes(
        min_value=DISCORD_EPOCH.replace(tzinfo=None),
        max_value=HORIZON.replace(tzinfo=None),
        timezones=st.just(UTC),
    ),
    steps=st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=3 * 86_400),
            st.integers(min_value=-6 * 3600, max_value=3600),
        ),
        min_size=1,
        max_size=60,
    ),
)
def test_rule_1_day_clock_agrees_with_guild_day(name: str, start: datetime, steps: list[int]):
    """Rule 1 (property): over a walk crossing many days, DayClock.day_of == guild_day, and
    every instant lies in [day_start, day_end) of its day."""
    clock = DayClock(ZoneInfo(name))
    instant = start
    for seconds in steps:
        instant += timedelta(seconds=seconds)
        _check_instant(clock, instant)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), name=st.sampled_from(DST_ZONES))
def test_rule_1_day_clock_agrees_with_guild_day_around_offset_changes(name: str, data):
    """Rule 1 (property): the same agreement around the zone's real DST transitions."""
    change = data.draw(st.sampled_from(transitions(name)), label="transition")
    offsets = data.draw(
        st.lists(st.integers(min_value=-7200, max_value=7200), min_size=1, max_size=20),
        label="offsets",
    )
    clock = DayClock(ZoneInfo(name))
    for seconds in offsets:
        _check_instant(clock, change + timedelta(seconds=seconds))
        _check_instant(clock, change + timedelta(seconds=seconds, microseconds=-1))


def test_transitions_helper_finds_the_known_changes():
    """The property above only means something if it really samples DST changes."""
    assert utc(2026, 3, 29, 1) in transitions("Europe/Paris")
    assert utc(2026, 10, 25, 1) in transitions("Europe/Paris")
    assert utc(2022, 9, 11, 4) in transitions("America/Santiago")
