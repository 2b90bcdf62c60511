"""Leaderboards read the snapshot each day close takes: the longest live streaks and how many
live streaks have each length (a member's rank is one plus the number of longer streaks)."""

from __future__ import annotations

import pytest

from bot.clock import ManualClock
from bot.store.database import Database
from bot.store.day_close import LEADERS
from bot.store.reports import ReportRepository
from tests.services.builders import A, B, C, D, Engine, Events, at, config

E, F = 105, 106


@pytest.fixture
async def engine(db: Database, clock: ManualClock) -> Engine:
    return await Engine(db, config(), clock).start()


async def talk(engine: Engine, ev: Events, pairs: dict[tuple[int, int], range]) -> None:
    """Each pair engages mutually on each of its days (November day numbers)."""
    for (a, b), days in pairs.items():
        for n in days:
            await engine.ingest(*ev.mutual(a, b, at(n, 10)))


async def test_top_streaks_are_the_longest_live_ones_in_order(engine: Engine) -> None:
    ev = Events()
    # A-B: days 1-5 (5); C-D: days 3-5 (3); E-F: days 1-2 then silence (broken, best 2).
    await talk(engine, ev, {(A, B): range(1, 6), (C, D): range(3, 6), (E, F): range(1, 3)})
    await engine.close(5)
    reports = ReportRepository(engine.db)
    top = await reports.top_streaks(1, 10)
    assert [(s.a, s.b, s.current, s.best) for s in top] == [(A, B, 5, 5), (C, D, 3, 3)]
    assert [(s.a, s.b) for s in await reports.top_streaks(1, 1)] == [(A, B)]


async def test_a_members_rank_counts_longer_streaks_and_ties_share_a_rank(engine: Engine) -> None:
    ev = Events()
    await talk(engine, ev, {(A, B): range(1, 6), (C, D): range(3, 6), (E, F): range(3, 6)})
    await engine.close(5)
    reports = ReportRepository(engine.db)
    assert await reports.member_rank(1, A) == (1, 5)
    assert await reports.member_rank(1, B) == (1, 5)
    assert await reports.member_rank(1, D) == (2, 3)
    assert await reports.member_rank(1, E) == (2, 3)  # tied with C-D
    assert await reports.member_rank(1, 999) is None


async def test_the_snapshot_follows_each_close(engine: Engine) -> None:
    """A streak that breaks leaves the board at the next close; the rank of the others moves."""
    ev = Events()
    await talk(engine, ev, {(A, B): range(1, 4), (C, D): range(1, 6)})
    await engine.close(3)
    reports = ReportRepository(engine.db)
    assert await reports.member_rank(1, C) == (1, 3)
    await engine.close(5)  # A-B silent on day 4: broken (no freeze below Flame)
    assert [(s.a, s.b, s.current) for s in await reports.top_streaks(1)] == [(C, D, 5)]
    assert await reports.member_rank(1, A) is None
    assert await reports.member_rank(1, C) == (1, 5)


async def test_a_longer_list_than_the_snapshot_reads_the_streaks(engine: Engine) -> None:
    ev = Events()
    await talk(engine, ev, {(A, B): range(1, 3), (C, D): range(2, 3)})
    await engine.close(2)
    reports = ReportRepository(engine.db)
    beyond = await reports.top_streaks(1, LEADERS + 1)
    assert [(s.a, s.b, s.current) for s in beyond] == [(A, B, 2), (C, D, 1)]
    assert beyond == await reports.top_streaks(1, LEADERS)


async def test_the_length_histogram_matches_the_streaks_after_every_close(
    db: Database, clock: ManualClock
) -> None:
    """The close builds `streak_lengths` from the rows it changed; it must equal a count over
    all live streaks, through extensions, new runs, freezes spent and breaks."""
    flame = config(
        tiers=[{"name": "Spark", "days": 2, "tokens": 1, "freezes": 1}],
        streaks={"max_freezes": 1},
    )
    engine = await Engine(db, flame, clock).start()
    ev = Events()
    people = [A, B, C, D, E, F]
    schedule = {  # pair: the days it is mutual
        (A, B): {1, 2, 3, 4, 5, 6, 7, 8},
        (C, D): {1, 2, 4, 5, 8},  # Spark's freeze bridges day 3; day 6-7 break it
        (E, F): {2, 3, 6, 7, 8},
        (A, C): {1, 3, 5, 7},
        (B, F): {4, 5, 6},
    }
    for n in range(1, 9):
        for (a, b), days in schedule.items():
            if n in days:
                await engine.ingest(*ev.mutual(a, b, at(n, 9 + people.index(a))))
        await engine.close(n)
        async with db.connection.execute(
            "SELECT current, count(*) FROM streaks WHERE guild = 1 AND current > 0"
            " GROUP BY current ORDER BY current"
        ) as cursor:
            expected = [tuple(row) for row in await cursor.fetchall()]
        async with db.connection.execute(
            "SELECT current, pairs FROM streak_lengths WHERE guild = 1 ORDER BY current"
        ) as cursor:
            assert [tuple(row) for row in await cursor.fetchall()] == expected, f"day {n}"
