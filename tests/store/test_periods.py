"""Weekly and monthly boards on real SQLite files: a period's totals, finalising an ended
period exactly once and in order (also after downtime), its standings as history, and the
records that move a winner role from one period's winners to the next's."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.domain.periods import Period, period_of
from bot.services.intake import Intake
from bot.services.periods import PeriodService
from bot.store.database import Database, migrations
from bot.store.periods import PeriodNotEnded, PeriodRepository, erase_member
from bot.store.profiles import MemberScore, Page
from tests.services.builders import A, B, C, D, Engine, Events, G, config, rows

E = 105
CLOSED_AT = "2026-12-01T00:05:00+00:00"


def week(first: str) -> Period:
    return period_of("week", date.fromisoformat(first))


def month(first: str) -> Period:
    return period_of("month", date.fromisoformat(first))


class Guild:
    """A guild's engine with the periodic boards' service, talking on chosen dates."""

    def __init__(self, db: Database, clock: ManualClock, zone: str = "UTC") -> None:
        self.db = db
        self.clock = clock
        self.engine = Engine(db, config(timezone=zone), clock)
        self.intake = Intake(self.engine.ingestor)
        self.periods = PeriodService(db, self.intake, clock)
        self.repo = PeriodRepository(db)
        self.events = Events()

    async def start(self) -> Guild:
        await self.engine.start()
        return self

    async def earn(self, member: int, when: datetime, points: int) -> None:
        """`points` plain messages (a point each), spaced beyond the cooldown."""
        await self.engine.ingest(
            *(self.events.message(member, when + timedelta(minutes=2 * n)) for n in range(points))
        )

    async def close_through(self, day: date) -> None:
        """Close every day through `day`, as the scheduler would just after it ended."""
        zone = self.engine.config.zone
        self.clock.set(datetime.combine(day + timedelta(days=1), datetime.min.time(), zone))
        await self.engine.closer.close_through(G, day)


def noon(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


@pytest.fixture
async def guild(db: Database, clock: ManualClock) -> Guild:
    return await Guild(db, clock).start()


async def test_a_periods_board_sums_the_points_of_its_days_only(guild: Guild) -> None:
    await guild.earn(A, noon("2026-11-01"), 5)  # Sunday: the week before, same month
    await guild.earn(A, noon("2026-11-02"), 1)  # Monday
    await guild.earn(B, noon("2026-11-04"), 3)
    await guild.earn(C, noon("2026-11-08"), 2)  # Sunday: still the week of 2 November
    await guild.earn(C, noon("2026-11-09"), 4)  # the next week
    await guild.earn(D, noon("2026-12-01"), 9)  # the next month
    await guild.engine.ingestor.flush()
    repo = guild.repo
    assert await repo.live_board(G, week("2026-11-02"), 0, 10) == Page(
        [MemberScore(1, B, 3), MemberScore(2, C, 2), MemberScore(3, A, 1)], 3
    )
    assert await repo.live_board(G, week("2026-10-26"), 0, 10) == Page([MemberScore(1, A, 5)], 1)
    assert await repo.live_board(G, month("2026-11-01"), 0, 10) == Page(
        [MemberScore(1, A, 6), MemberScore(1, C, 6), MemberScore(3, B, 3)], 3
    )
    assert await repo.live_board(G, month("2026-11-01"), 2, 10) == Page([MemberScore(3, B, 3)], 3)
    assert await repo.live_board(G, month("2026-11-01"), 5, 10) == Page([], 3)
    assert await repo.live_board(G, week("2026-11-30"), 0, 10) == Page([MemberScore(1, D, 9)], 1)
    assert await repo.live_rank(G, month("2026-11-01"), C) == (1, 6)
    assert await repo.live_rank(G, week("2026-11-02"), A) == (3, 1)
    assert await repo.live_rank(G, week("2026-11-02"), D) is None
    assert await repo.live_board(7, week("2026-11-02"), 0, 10) == Page([], 0)


async def test_a_periods_totals_are_a_range_of_the_member_days_key(guild: Guild) -> None:
    from bot.store import periods

    async with guild.db.connection.execute(
        f"EXPLAIN QUERY PLAN {periods._TOTALS}", (G, "2026-11-02", "2026-11-08")
    ) as cursor:
        plan = " ".join(row[3] for row in await cursor.fetchall())
    assert "SEARCH member_days USING PRIMARY KEY (guild=? AND day>? AND day<?)" in plan
    for sql, params in [
        (
            "SELECT rank, points FROM period_standings"
            " WHERE guild = ? AND period = ? AND first_day = ? AND member = ?",
            (G, "week", "2026-11-02", A),
        ),
        (
            "SELECT first_day FROM period_closes WHERE guild = ? AND period = ?"
            " ORDER BY first_day DESC LIMIT 1",
            (G, "week"),
        ),
        (
            "SELECT rank FROM period_standings WHERE guild = ? AND period = ? AND first_day = ?"
            " ORDER BY position LIMIT 10",
            (G, "week", "2026-11-02"),
        ),
    ]:
        async with guild.db.connection.execute(f"EXPLAIN QUERY PLAN {sql}", params) as cursor:
            plan = " ".join(row[3] for row in await cursor.fetchall())
        assert "SCAN" not in plan, (sql, plan)
        assert "TEMP B-TREE" not in plan, (sql, plan)


async def test_a_local_guilds_week_follows_its_own_days(db: Database, clock: ManualClock) -> None:
    """Sunday 8 November 20:00 UTC is Monday 9 November in Tokyo: the Tokyo guild counts it in
    its next week; the boards answer for the guild's own today."""
    tokyo = await Guild(db, clock, "Asia/Tokyo").start()
    await tokyo.earn(A, datetime(2026, 11, 8, 20, 0, tzinfo=UTC), 2)
    await tokyo.earn(B, datetime(2026, 11, 8, 14, 0, tzinfo=UTC), 1)  # 23:00 Sunday in Tokyo
    clock.set(datetime(2026, 11, 8, 21, 0, tzinfo=UTC))  # Monday morning in Tokyo
    this_week = await tokyo.periods.board(G, A, "this-week", 0)
    assert this_week.period == week("2026-11-09")
    assert this_week.rows == [MemberScore(1, A, 2)]
    assert this_week.my_rank == (1, 2)
    assert this_week.final is None
    assert not this_week.ended
    assert this_week.ends_at == datetime(2026, 11, 15, 15, 0, tzinfo=UTC)  # Monday 00:00 JST
    last_week = await tokyo.periods.board(G, A, "last-week", 0)
    assert last_week.rows == [MemberScore(1, B, 1)]
    assert last_week.my_rank is None


async def test_finalising_is_refused_before_the_last_day_is_closed(guild: Guild) -> None:
    await guild.earn(A, noon("2026-11-02"), 1)
    await guild.close_through(date(2026, 11, 7))  # through Saturday
    with pytest.raises(PeriodNotEnded):
        await guild.repo.finalise(G, week("2026-11-02"), CLOSED_AT)
    assert await guild.periods.finalise_due(G) == []
    assert await rows(guild.db, "SELECT * FROM period_closes") == []


async def test_finalising_keeps_the_top_standings_once(guild: Guild) -> None:
    for member, points in {A: 3, B: 5, C: 3, D: 3, E: 1}.items():
        await guild.earn(member, noon("2026-11-03"), points)
    await guild.close_through(date(2026, 11, 8))
    first = await guild.repo.finalise(G, week("2026-11-02"), CLOSED_AT, top=2)
    assert first is not None
    assert (first.members, first.points, first.closed_at) == (5, 15, CLOSED_AT)
    # Everyone ranked within the top 2 is kept, so all three tied at rank 2 are.
    standings = await rows(
        guild.db,
        "SELECT position, rank, member, points FROM period_standings ORDER BY position",
    )
    assert standings == [(1, 1, B, 5), (2, 2, A, 3), (3, 2, C, 3), (4, 2, D, 3)]
    # Points written since (a late correction) never change a finalised period.
    async with guild.db.transaction() as conn:
        await conn.execute(
            "UPDATE member_days SET points = 50 WHERE guild = ? AND member = ?", (G, E)
        )
    assert await guild.repo.finalise(G, week("2026-11-02"), "later", top=2) is None
    assert await rows(guild.db, "SELECT members, points, closed_at FROM period_closes") == [
        (5, 15, CLOSED_AT)
    ]
    assert (
        await rows(
            guild.db,
            "SELECT position, rank, member, points FROM period_standings ORDER BY position",
        )
        == standings
    )
    period = week("2026-11-02")
    assert await guild.repo.standings(G, period, 0, 3) == Page(
        [MemberScore(1, B, 5), MemberScore(2, A, 3), MemberScore(2, C, 3)], 4
    )
    assert await guild.repo.standings(G, period, 3, 3) == Page([MemberScore(2, D, 3)], 4)
    assert await guild.repo.standings(G, period, 9, 3) == Page([], 4)
    assert await guild.repo.standing(G, period, C) == (2, 3)
    assert await guild.repo.standing(G, period, E) is None
    assert await guild.repo.winners(G, period) == [B]


async def test_a_period_nobody_earned_in_is_finalised_empty(guild: Guild) -> None:
    await guild.earn(A, noon("2026-11-02"), 1)
    await guild.close_through(date(2026, 11, 15))
    await guild.periods.finalise_due(G)
    quiet = await guild.repo.period_close(G, week("2026-11-09"))
    assert quiet is not None
    assert (quiet.members, quiet.points) == (0, 0)
    assert await guild.repo.winners(G, week("2026-11-09")) == []


async def test_after_downtime_every_ended_period_is_finalised_in_order_once(
    guild: Guild,
) -> None:
    await guild.earn(A, noon("2026-11-04"), 2)  # the guild's first day is a Wednesday
    await guild.earn(B, noon("2026-11-10"), 2)
    await guild.earn(C, noon("2026-11-17"), 2)
    await guild.earn(D, noon("2026-11-24"), 2)
    await guild.earn(A, noon("2026-11-25"), 1)
    await guild.close_through(date(2026, 12, 1))  # the bot was away: one catch-up close
    done = await guild.periods.finalise_due(G)
    assert [(c.period.kind, c.period.key) for c in done] == [
        ("week", "2026-11-02"),
        ("week", "2026-11-09"),
        ("week", "2026-11-16"),
        ("week", "2026-11-23"),
        ("month", "2026-11-01"),
    ]
    assert await guild.periods.finalise_due(G) == []  # twice: nothing more
    history = await guild.periods.history(G, "week")
    assert [c.period.key for c in history] == [
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
        "2026-11-23",
    ]
    assert [await guild.repo.winners(G, c.period) for c in history] == [[A], [B], [C], [D]]
    assert await guild.repo.winners(G, month("2026-11-01")) == [A]  # 3 points, the others 2


async def test_the_board_shows_a_finalised_periods_snapshot(guild: Guild) -> None:
    await guild.earn(A, noon("2026-11-03"), 2)
    await guild.earn(B, noon("2026-11-04"), 3)
    await guild.close_through(date(2026, 11, 8))
    guild.clock.set(datetime(2026, 11, 9, 0, 3, tzinfo=UTC))
    provisional = await guild.periods.board(G, A, "last-week", 0)
    assert provisional.final is None  # ended, not finalised yet: the live totals
    assert provisional.ended
    assert provisional.rows == [MemberScore(1, B, 3), MemberScore(2, A, 2)]
    await guild.periods.finalise_due(G)
    final = await guild.periods.board(G, A, "last-week", 0)
    assert final.final is not None
    assert final.final.period == week("2026-11-02")
    assert (final.rows, final.my_rank, final.pages) == (provisional.rows, (2, 2), 1)
    this_week = await guild.periods.board(G, A, "this-week", 3)  # clamped to its last page
    assert (this_week.rows, this_week.page, this_week.pages, this_week.my_rank) == ([], 0, 1, None)


async def test_a_rank_below_the_kept_standings_comes_from_the_periods_days(
    guild: Guild,
) -> None:
    for n, member in enumerate(range(200, 215)):
        await guild.earn(member, noon("2026-11-03") + timedelta(minutes=n), 15 - n)
    await guild.close_through(date(2026, 11, 8))
    await guild.repo.finalise(G, week("2026-11-02"), CLOSED_AT, top=12)
    guild.clock.set(datetime(2026, 11, 10, tzinfo=UTC))
    board = await guild.periods.board(G, 214, "last-week", 1)
    assert (board.page, board.pages, board.total) == (1, 2, 12)
    assert [row.rank for row in board.rows] == [11, 12]
    assert board.my_rank == (15, 1)


async def test_the_winner_role_moves_from_one_periods_winners_to_the_next(
    guild: Guild,
) -> None:
    periods = guild.periods
    await guild.earn(A, noon("2026-11-03"), 3)
    await guild.earn(B, noon("2026-11-03"), 3)  # tied with A: they share the win
    await guild.earn(C, noon("2026-11-03"), 1)
    await guild.close_through(date(2026, 11, 8))
    await periods.finalise_due(G)
    assert await periods.role_moves(G) == []  # no role chosen: nothing to move
    await periods.set_role(G, "week", 555, by=C)
    [move] = await periods.role_moves(G)
    assert (move.kind, move.role, move.period, move.give, move.take) == (
        "week",
        555,
        week("2026-11-02"),
        [A, B],
        [],
    )
    await periods.given(G, move, A, added=True)
    [move] = await periods.role_moves(G)  # half done (a failure, a restart): B still to go
    assert move.give == [B]
    await periods.given(G, move, B, added=False)  # B had the role already
    assert await periods.role_moves(G) == []

    await guild.earn(C, noon("2026-11-10"), 2)
    await guild.earn(A, noon("2026-11-10"), 1)
    await guild.close_through(date(2026, 11, 15))
    await periods.finalise_due(G)
    [move] = await periods.role_moves(G)
    assert move.period == week("2026-11-09")
    assert move.give == [C]
    assert [(h.member, h.role, h.first_day, h.given) for h in move.take] == [
        (A, 555, "2026-11-02", True),
        (B, 555, "2026-11-02", False),
    ]
    for holder in move.take:
        await periods.taken(G, "week", holder.member)
    await periods.given(G, move, C, added=True)
    assert await periods.role_moves(G) == []

    # Another role: the holder's old one is taken and the new one given.
    await periods.set_role(G, "week", 777, by=C)
    [move] = await periods.role_moves(G)
    assert (move.give, [(h.member, h.role) for h in move.take]) == ([C], [(C, 555)])
    await periods.taken(G, "week", C)
    await periods.given(G, move, C, added=True)
    # No role any more: holders only lose theirs.
    assert await periods.set_role(G, "week", None, by=C) == {}
    [move] = await periods.role_moves(G)
    assert (move.role, move.give, [h.member for h in move.take]) == (None, [], [C])


async def test_weekly_and_monthly_roles_are_kept_apart(guild: Guild) -> None:
    await guild.earn(A, noon("2026-11-03"), 3)
    await guild.earn(B, noon("2026-11-28"), 5)
    await guild.close_through(date(2026, 11, 30))
    await guild.periods.finalise_due(G)
    roles = await guild.periods.set_role(G, "week", 1, by=A)
    roles = await guild.periods.set_role(G, "month", 2, by=A)
    assert roles == {"week": 1, "month": 2}
    moves = {
        move.kind: (move.role, move.period, move.give) for move in await guild.periods.role_moves(G)
    }
    assert moves == {
        "week": (1, week("2026-11-23"), [B]),
        "month": (2, month("2026-11-01"), [B]),
    }


async def test_erasing_a_member_removes_their_lines_from_the_history(guild: Guild) -> None:
    await guild.earn(A, noon("2026-11-03"), 3)
    await guild.earn(B, noon("2026-11-03"), 1)
    await guild.close_through(date(2026, 11, 8))
    await guild.periods.finalise_due(G)
    await guild.periods.set_role(G, "week", 555, by=B)
    [move] = await guild.periods.role_moves(G)
    await guild.periods.given(G, move, A, added=True)
    async with guild.db.transaction() as conn:
        assert await erase_member(conn, G, A) == 1
    assert await rows(guild.db, "SELECT member, rank FROM period_standings") == [(B, 2)]
    assert await guild.repo.holders(G, "week") == []


async def test_a_database_of_the_previous_version_gains_the_period_tables(
    db_path: Path,
) -> None:
    shipped = migrations()
    mine = next(n for n, (_, name, _) in enumerate(shipped) if name.endswith("_period_boards.sql"))
    with closing(sqlite3.connect(db_path)) as raw, raw:
        for version, _, sql in shipped[:mine]:
            raw.executescript(sql)
            raw.execute(f"PRAGMA user_version = {version}")
        raw.execute("INSERT INTO guilds (id, config) VALUES (1, '{}')")
        raw.execute("INSERT INTO member_days VALUES (1, '2026-11-02', 101, 4)")
        raw.execute("INSERT INTO day_closes VALUES (1, '2026-11-08', 'x', 0, 0)")
    async with await Database.open(db_path) as db:
        assert await db.schema_version() == len(shipped)
        repo = PeriodRepository(db)
        closed = await repo.finalise(1, week("2026-11-02"), CLOSED_AT)
        assert closed is not None
        assert closed.members == 1
        assert await repo.winners(1, week("2026-11-02")) == [101]


async def test_a_standing_needs_its_period_close(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO guilds (id, config) VALUES (1, '{}')")
        with pytest.raises(sqlite3.IntegrityError):
            await conn.execute(
                "INSERT INTO period_standings VALUES (1, 'week', '2026-11-02', 1, 1, 101, 3)"
            )
