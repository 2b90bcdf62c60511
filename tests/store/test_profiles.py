"""The members' read queries on real SQLite files: streaks seen from either side of a pair,
a day's directions, leaderboard pages with competition ranks, badges and token history."""

from __future__ import annotations

from typing import Any

import pytest

from bot.clock import ManualClock
from bot.store.database import Database
from bot.store.day_close import LEADERS
from bot.store.ledger import LedgerRepository
from bot.store.profiles import (
    Badge,
    MemberScore,
    Page,
    PairScore,
    PairStreak,
    ProfileRepository,
    TierReached,
)
from bot.store.reports import ReportRepository
from tests.services.builders import (
    TIERS_SPARK_FLAME,
    A,
    B,
    C,
    D,
    Engine,
    Events,
    G,
    at,
    config,
    iso,
    rows,
)

E = 105
AT = "2026-11-10T00:00:00+00:00"


@pytest.fixture
async def engine(db: Database, clock: ManualClock) -> Engine:
    """A-B mutual on days 1-5, A-C and A-D on days 3-5, B-D on days 1-2 (broken on day 3),
    closed through day 5 with Spark at 3 days."""
    eng = await Engine(db, config(tiers=TIERS_SPARK_FLAME), clock).start(fund=1000)
    ev = Events()
    schedule = {(A, B): range(1, 6), (C, A): range(3, 6), (D, A): range(3, 6), (B, D): (1, 2)}
    for (first, second), days in schedule.items():
        for n in days:
            await eng.ingest(*ev.mutual(first, second, at(n, 10)))
    await eng.close(5)
    return eng


async def test_live_streaks_from_either_side_longest_first_ties_by_partner(engine: Engine):
    repo = ProfileRepository(engine.db)
    assert await repo.live_streaks(G, A) == [
        PairStreak(B, 5, 5, iso(5), 0, iso(1)),
        PairStreak(C, 3, 3, iso(5), 0, iso(3)),  # A is `a` of (A, C) and (A, D): a tie
        PairStreak(D, 3, 3, iso(5), 0, iso(3)),
    ]
    # B is the `b` side of (A, B); its broken streak with D is not live.
    assert await repo.live_streaks(G, B) == [PairStreak(A, 5, 5, iso(5), 0, iso(1))]
    assert await repo.live_streaks(G, D) == [PairStreak(A, 3, 3, iso(5), 0, iso(3))]
    assert await repo.live_streaks(G, 999) == []
    assert await repo.live_streaks(2, A) == []


async def test_a_pair_in_any_order_whatever_its_state(engine: Engine):
    repo = ProfileRepository(engine.db)
    assert await repo.pair(G, A, B) == PairStreak(B, 5, 5, iso(5), 0, iso(1))
    assert await repo.pair(G, B, A) == PairStreak(A, 5, 5, iso(5), 0, iso(1))
    broken = PairStreak(B, 0, 2, iso(2), 0, iso(1))
    assert await repo.pair(G, D, B) == broken
    assert await repo.pair(G, B, D) == PairStreak(D, 0, 2, iso(2), 0, iso(1))
    assert await repo.pair(G, B, C) is None
    assert await repo.pair(G, A, A) is None


async def test_pair_tiers_and_badges_from_the_close(engine: Engine):
    repo = ProfileRepository(engine.db)
    spark = [TierReached("Spark", iso(1), iso(3))]
    assert await repo.pair_tiers(G, A, B) == spark
    assert await repo.pair_tiers(G, B, A) == spark
    assert await repo.pair_tiers(G, C, A) == [TierReached("Spark", iso(3), iso(5))]
    assert await repo.pair_tiers(G, B, D) == []  # broken after 2 days
    assert await repo.badges(G, B) == [Badge("Spark", iso(3))]
    assert await repo.badges(G, C) == [Badge("Spark", iso(5))]
    assert await repo.badges(G, E) == []


async def test_tiers_of_several_runs_and_badges_are_in_the_order_reached(db: Database):
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO guilds (id, config) VALUES (1, '{}')")
        await conn.executemany(
            "INSERT INTO tier_rewards (guild, a, b, tier, run_start, day)"
            " VALUES (1, ?, ?, ?, ?, ?)",
            [
                (A, B, "Spark", iso(10), iso(12)),
                (A, B, "Flame", iso(1), iso(7)),
                (A, B, "Spark", iso(1), iso(3)),
                (A, C, "Spark", iso(1), iso(3)),
            ],
        )
        await conn.executemany(
            "INSERT INTO member_badges (guild, member, tier, day) VALUES (1, ?, ?, ?)",
            [(B, "Spark", iso(3)), (B, "Blaze", iso(3)), (B, "Flame", iso(2)), (A, "X", iso(1))],
        )
    repo = ProfileRepository(db)
    assert await repo.pair_tiers(G, B, A) == [
        TierReached("Spark", iso(1), iso(3)),
        TierReached("Flame", iso(1), iso(7)),
        TierReached("Spark", iso(10), iso(12)),
    ]
    assert await repo.badges(G, B) == [
        Badge("Flame", iso(2)),
        Badge("Blaze", iso(3)),
        Badge("Spark", iso(3)),
    ]


async def test_day_directions_by_partner_with_kinds_filtered(engine: Engine):
    ev = Events(first_id=50_000)
    mention = ev.message(A, at(6, 9), mentions=(B,))  # A→B mention
    d_said = ev.message(D, at(6, 9, 1))
    c_reply = ev.message(C, at(6, 9, 2), reply_to=mention.id)  # C→A reply
    react = ev.reaction(A, d_said.id, at(6, 9, 3), message_author=D)  # A→D reaction
    gone = ev.message(E, at(6, 9, 4), mentions=(A,))  # E→A mention, deleted: count 0
    await engine.ingest(mention, d_said, c_reply, react, gone, ev.delete(gone.id, at(6, 9, 5)))
    await engine.ingestor.flush()
    repo = ProfileRepository(engine.db)
    talk = ("reply", "mention")
    assert await repo.day_directions(G, iso(6), A, talk) == {B: (True, False), C: (False, True)}
    assert await repo.day_directions(G, iso(6), A, ("reaction",)) == {D: (True, False)}
    assert await repo.day_directions(G, iso(6), A, ("reply", "mention", "reaction")) == {
        B: (True, False),
        C: (False, True),
        D: (True, False),
    }
    # From the `b` side of each pair.
    assert await repo.day_directions(G, iso(6), B, talk) == {A: (False, True)}
    assert await repo.day_directions(G, iso(6), C, talk) == {A: (True, False)}
    assert await repo.day_directions(G, iso(6), E, talk) == {}
    assert await repo.day_directions(G, iso(5), A, talk) == {
        B: (True, True),
        C: (True, True),
        D: (True, True),
    }
    assert await repo.day_directions(G, iso(6), A, ()) == {}


async def test_pair_days_only_the_asked_days_that_had_exchanges(engine: Engine):
    repo = ProfileRepository(engine.db)
    asked = [iso(n) for n in (9, 1, 3, 4)]  # A-B were mutual on days 1-5: A mentions, B replies
    both = dict.fromkeys([iso(1), iso(3), iso(4)], (True, True))
    assert await repo.pair_days(G, A, B, asked, ("reply", "mention")) == both
    assert await repo.pair_days(G, A, B, asked, ("mention",)) == {
        day: (True, False) for day in both
    }
    assert await repo.pair_days(G, B, A, asked, ("mention",)) == {
        day: (False, True) for day in both
    }
    assert await repo.pair_days(G, B, A, asked, ("reaction",)) == {}
    assert await repo.pair_days(G, D, B, [iso(n) for n in range(1, 6)], ("reply",)) == {
        iso(1): (True, False),  # B mentions D, D replies: D (the `b` side) engaged B
        iso(2): (True, False),
    }
    assert await repo.pair_days(G, A, B, [], ("reply",)) == {}


async def _many_pairs(db: Database, clock: ManualClock) -> list[tuple]:
    """125 live streaks (40 of 3 days, 40 of 2, 45 of 1) and a broken one; returns the
    expected board as (rank, a, b, current)."""
    engine = await Engine(db, config(), clock).start()
    ev = Events()
    pairs = [(1000 + 2 * i, 1001 + 2 * i) for i in range(125)]
    lengths = [3] * 40 + [2] * 40 + [1] * 45
    # Interleave the pairs so that the tie order (by member IDs) is not the insertion order.
    order = list(zip(pairs[::2] + pairs[1::2], lengths, strict=True))
    await engine.ingest(*ev.mutual(A, B, at(1, 9)))  # broken at day 2
    for n in (1, 2, 3):
        for (a, b), length in order:
            if n > 3 - length:
                await engine.ingest(*ev.mutual(a, b, at(n, 10)))
    await engine.close(3)
    ranked = sorted(((-length, a, b) for (a, b), length in order))
    ahead = {3: 0, 2: 40, 1: 80}
    return [(ahead[-minus] + 1, a, b, -minus) for minus, a, b in ranked]


async def test_pair_board_pages_within_and_beyond_the_snapshot(db: Database, clock: ManualClock):
    expected = await _many_pairs(db, clock)
    repo = ProfileRepository(db)
    assert len(expected) > LEADERS
    for size in (10, 7, 125):
        seen = []
        for offset in range(0, 130, size):
            page = await repo.leaderboard_pairs(G, offset, size)
            assert page.total == 125
            seen += [(r.rank, r.a, r.b, r.current) for r in page.rows]
        assert seen == expected, size
    # A page astride the snapshot's end, and the same rows read from the snapshot.
    astride = await repo.leaderboard_pairs(G, 95, 10)
    assert [(r.rank, r.a, r.b, r.current) for r in astride.rows] == expected[95:105]
    assert (await repo.leaderboard_pairs(G, 95, 5)).rows == astride.rows[:5]
    _, a, b, _ = expected[95]
    assert astride.rows[0] == PairScore(rank=81, a=a, b=b, current=1, best=1)
    assert await repo.leaderboard_pairs(G, 0, 0) == Page([], 125)
    assert (await repo.leaderboard_pairs(G, 200, 10)).rows == []
    # The board's ranks agree with a member's rank in the reports.
    reports = ReportRepository(db)
    for rank, _, b, current in expected[38:42] + expected[-2:]:
        assert await reports.member_rank(G, b) == (rank, current)
    empty = await repo.leaderboard_pairs(2, 0, 10)
    assert (empty.rows, empty.total) == ([], 0)


M1, M2, M3, M4, M5 = 201, 202, 203, 204, 205


async def test_member_board_sums_points_with_shared_ranks(db: Database):
    async with db.transaction() as conn:
        await conn.executemany("INSERT INTO guilds (id, config) VALUES (?, '{}')", [(1,), (2,)])
        await conn.executemany(
            "INSERT INTO member_days (guild, day, member, points) VALUES (?, ?, ?, ?)",
            [
                (1, iso(1), M2, 4),
                (1, iso(2), M2, 6),
                (1, iso(1), M1, 10),
                (1, iso(1), M3, 7),
                (1, iso(2), M4, 0),  # took part, earned nothing: not on the board
                (1, iso(3), M5, 3),
                (2, iso(1), M5, 50),  # another guild
            ],
        )
    repo = ProfileRepository(db)
    board = [MemberScore(1, M1, 10), MemberScore(1, M2, 10), MemberScore(3, M3, 7)]
    board.append(MemberScore(4, M5, 3))
    assert await repo.leaderboard_members(G, 0, 10) == Page(board, 4)
    page = await repo.leaderboard_members(G, 1, 2)
    assert (page.rows, page.total) == (board[1:3], 4)
    for offset, limit in ((0, 0), (10, 5)):
        page = await repo.leaderboard_members(G, offset, limit)
        assert (page.rows, page.total) == ([], 4)
    assert [await repo.member_points_rank(G, m) for m in (M1, M2, M3, M5)] == [
        (1, 10),
        (1, 10),
        (3, 7),
        (4, 3),
    ]
    assert await repo.member_points_rank(G, M4) is None
    assert await repo.member_points_rank(G, 999) is None
    assert await repo.member_points_rank(2, M5) == (1, 50)
    assert (await repo.leaderboard_members(3, 0, 10)).total == 0


DAYS = [iso(1), iso(2), iso(3)]


@pytest.fixture
async def ledger(db: Database) -> LedgerRepository:
    """Treasury funded; M1 and M2 hold 60, M3 22 (received, spent), M4 spent all it got."""
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO guilds (id, config) VALUES (1, '{}')")
    repo = LedgerRepository(db)
    moves: list[tuple[Any, ...]] = [
        ("fund", None, 0, 1000, "funding", None),
        ("r1", 0, M1, 50, "day reward", iso(1)),
        ("r3", 0, M3, 30, "day reward", iso(1)),
        ("g3", None, M3, 7, "grant", iso(1)),
        ("gift", M3, M1, 10, "gift", iso(1)),
        ("shop", M3, 0, 5, "shop", iso(2)),
        ("r2", 0, M2, 60, "tier Spark", iso(2)),
        ("r4", 0, M4, 5, "day reward", iso(2)),
        ("back4", M4, 0, 5, "shop", iso(3)),
    ]
    for key, source, target, amount, reason, day in moves:
        await repo.move(
            G, key=key, source=source, target=target, amount=amount, reason=reason, day=day, at=AT
        )
    return repo


async def test_token_board_balances_and_ranks(db: Database, ledger: LedgerRepository):
    repo = ProfileRepository(db)
    board = [MemberScore(1, M1, 60), MemberScore(1, M2, 60), MemberScore(3, M3, 22)]
    page = await repo.leaderboard_tokens(G, 0, 10)
    assert (page.rows, page.total) == (board, 3)  # not the treasury, not M4 (0 left)
    page = await repo.leaderboard_tokens(G, 2, 10)
    assert (page.rows, page.total) == (board[2:], 3)
    page = await repo.leaderboard_tokens(G, 0, 0)
    assert (page.rows, page.total) == ([], 3)
    assert await repo.member_tokens_rank(G, M2) == (1, 60)
    assert await repo.member_tokens_rank(G, M3) == (3, 22)
    assert await repo.member_tokens_rank(G, M4) is None
    assert await repo.member_tokens_rank(G, 999) is None
    assert await repo.member_tokens_rank(G, 0) is None  # the treasury is no member
    assert [await repo.balance(G, m) for m in (M1, M3, M4, 999)] == [60, 22, 0, 0]


async def test_history_newest_first_with_signs_and_counterparties(
    db: Database, ledger: LedgerRepository
):
    repo = ProfileRepository(db)
    page = await repo.history(G, M3, DAYS, 0, 10)
    assert page.total == 4
    assert [(line.amount, line.counterparty, line.reason, line.key) for line in page.rows] == [
        (-5, 0, "shop", "shop"),  # spent to the treasury
        (-10, M1, "gift", "gift"),
        (7, None, "grant", "g3"),  # from the outside world
        (30, 0, "day reward", "r3"),
    ]
    assert [line.day for line in page.rows] == [iso(2), iso(1), iso(1), iso(1)]
    assert all(line.created_at == AT for line in page.rows)
    assert [line.id for line in page.rows] == sorted((line.id for line in page.rows), reverse=True)
    middle = await repo.history(G, M3, DAYS, 1, 2)
    assert (middle.rows, middle.total) == (page.rows[1:3], 4)
    assert [(x.amount, x.counterparty) for x in (await repo.history(G, M1, DAYS, 0, 10)).rows] == [
        (10, M3),
        (50, 0),
    ]
    count_only = await repo.history(G, M3, DAYS, 0, 0)
    assert (count_only.rows, count_only.total) == ([], 4)
    nothing = await repo.history(G, 999, DAYS, 0, 10)
    assert (nothing.rows, nothing.total) == ([], 0)
    only_day_2 = await repo.history(G, M3, [iso(2)], 0, 10)
    assert [line.key for line in only_day_2.rows] == ["shop"]
    assert (await repo.history(G, M3, [], 0, 10)).total == 0


class _Recorder:
    """Stands in for the connection to record each statement the repository runs."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.statements: list[tuple[str, tuple]] = []

    def execute(self, sql: str, params: tuple = ()) -> Any:
        self.statements.append((sql, params))
        return self.connection.execute(sql, params)


BIG = ("streaks", "ledger", "pair_days", "member_days")


@pytest.mark.parametrize("analyzed", [False, True])
async def test_every_query_seeks_an_index(
    db: Database, clock: ManualClock, ledger: LedgerRepository, analyzed: bool
):
    engine = await Engine(db, config(tiers=TIERS_SPARK_FLAME), clock).start()
    ev = Events()
    for n in range(1, 4):
        for i in range(30):
            await engine.ingest(*ev.mutual(300 + i, 400 + i, at(n, 10)))
    await engine.close(3)
    if analyzed:  # with the statistics a closing connection leaves, as well as without
        await db.connection.execute("ANALYZE")
    repo = ProfileRepository(db)
    recorder = _Recorder(db.connection)
    db.connection = recorder
    try:
        await repo.live_streaks(G, 400)
        await repo.pair(G, 400, 300)
        await repo.day_directions(G, iso(3), 400, ("reply", "mention"))
        await repo.pair_days(G, 400, 300, [iso(1), iso(2), iso(3)], ("reply",))
        await repo.pair_tiers(G, 300, 400)
        await repo.leaderboard_pairs(G, 0, 10)
        await repo.leaderboard_pairs(G, LEADERS, 10)
        await repo.leaderboard_members(G, 0, 10)
        await repo.leaderboard_members(G, 0, 0)
        await repo.leaderboard_tokens(G, 0, 0)
        await repo.member_points_rank(G, 300)
        await repo.member_tokens_rank(G, M1)
        await repo.badges(G, 300)
        await repo.history(G, M3, DAYS, 0, 10)
    finally:
        db.connection = recorder.connection
    plans = {}
    for sql, params in recorder.statements:
        found = await rows(db, f"EXPLAIN QUERY PLAN {sql}", *params)
        plans[sql] = [detail for *_, detail in found]
    every = [detail for details in plans.values() for detail in details]
    assert not [d for d in every for t in BIG if f"{d} ".startswith(f"SCAN {t} ")]
    whole_guild = [
        sql
        for sql, details in plans.items()
        if any(
            d.startswith(f"SEARCH {t} ") and d.endswith("(guild=?)") for t in BIG for d in details
        )
    ]
    # Accepted: member totals need all of the guild's member_days; a board page beyond the
    # snapshot reads the guild's streaks.
    assert all("member_days" in sql or "OFFSET" in sql for sql in whole_guild), whole_guild
    assert len(whole_guild) == 4
    text = "\n".join(every)
    for expected in (
        "SEARCH streaks USING INDEX streaks_by_b (guild=? AND b=?)",
        "SEARCH pair_days USING PRIMARY KEY (guild=? AND day=? AND a=? AND b=?)",
        "SEARCH pair_days USING PRIMARY KEY (guild=? AND day=? AND a=?)",
        "SEARCH pair_days USING PRIMARY KEY (guild=? AND day=? AND a<?)",
        "SEARCH streak_leaders USING PRIMARY KEY (guild=? AND position>? AND position<?)",
        "SEARCH ledger USING INDEX ledger_by_day_target (guild=? AND day=? AND target=?)",
        "SEARCH ledger USING INDEX ledger_by_day_source (guild=? AND day=? AND source=?)",
    ):
        assert expected in text
