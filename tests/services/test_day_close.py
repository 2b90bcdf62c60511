"""The day close through DayCloser on ingested events, on a real SQLite file: rules 6-8 and 10,
idempotence, catch-up, conservation and restarts.

`Events.mutual(a, b, ts)`: a mentions b (a: 2 points), b replies (b: 3 points), so a pair that
talks every day earns a 2 and b 3 points a day with the default point values.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.domain.ledger import TREASURY
from bot.guild_config import GuildConfig
from bot.store.database import Database
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
    balances,
    config,
    day,
    iso,
    rows,
    snapshot,
    streak,
    value,
)


async def talk(engine: Engine, ev: Events, days: list[int], a: int = A, b: int = B) -> None:
    for n in days:
        await engine.ingest(*ev.mutual(a, b, at(n)))


async def assert_conserved(engine: Engine, funded: int, guild: int = G) -> None:
    """Rule 10: treasury + balances == funded, each balance matches its entries, none < 0."""
    totals = await engine.ledger.totals(guild)
    assert (totals.funded, totals.held, totals.mismatched_accounts) == (funded, funded, 0)
    assert all(balance >= 0 for balance in (await balances(engine.db, guild)).values())


@pytest.fixture
def ev() -> Events:
    return Events()


async def started(db: Database, clock: ManualClock, cfg: GuildConfig, fund: int = 1000) -> Engine:
    return await Engine(db, cfg, clock).start(fund=fund)


# -- rule 6: qualifying pairs ---------------------------------------------------------------


async def test_rule6_a_mutual_pair_qualifies(db: Database, clock: ManualClock, ev: Events):
    engine = await started(db, clock, config())
    await talk(engine, ev, [1])
    (result,) = await engine.close(1)
    assert result.pairs == 1
    assert await streak(db, A, B) == {
        "current": 1,
        "best": 1,
        "last_day": iso(1),
        "freezes": 0,
        "run_start": iso(1),
    }


async def test_rule6_one_direction_is_not_enough(db: Database, clock: ManualClock, ev: Events):
    engine = await started(db, clock, config())
    await engine.ingest(ev.message(A, at(1), mentions=(B,)), ev.message(B, at(1, 13)))
    (result,) = await engine.close(1)
    assert result.pairs == 0
    assert await streak(db, A, B) is None


async def test_rule6_one_direction_is_enough_without_require_mutual(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config(streaks={"require_mutual": False}))
    await engine.ingest(ev.message(A, at(1), mentions=(B,)))
    await engine.close(1)
    assert (await streak(db, A, B))["current"] == 1


async def test_rule6_reactions_do_not_count_by_default(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config())
    a_msg, b_msg = ev.message(A, at(1)), ev.message(B, at(1))
    await engine.ingest(
        a_msg, b_msg, ev.reaction(A, b_msg.id, at(1, 13)), ev.reaction(B, a_msg.id, at(1, 13))
    )
    await engine.close(1)
    assert await streak(db, A, B) is None


async def test_rule6_reactions_count_when_listed(db: Database, clock: ManualClock, ev: Events):
    engine = await started(db, clock, config(streaks={"count": ["reaction"]}))
    a_msg, b_msg = ev.message(A, at(1)), ev.message(B, at(1))
    await engine.ingest(
        a_msg, b_msg, ev.reaction(A, b_msg.id, at(1, 13)), ev.reaction(B, a_msg.id, at(1, 13))
    )
    # Mentions alone no longer count with count = ["reaction"].
    await engine.ingest(*ev.mutual(C, D, at(1, 14)))
    await engine.close(1)
    assert (await streak(db, A, B))["current"] == 1
    assert await streak(db, C, D) is None


async def test_rule5_rule6_a_same_day_delete_unqualifies_the_pair(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config())
    mention, reply = ev.mutual(A, B, at(1))
    await engine.ingest(mention, reply, ev.delete(reply.id, at(1, 20)))
    await engine.close(1)
    assert await streak(db, A, B) is None
    assert await balances(db) == {TREASURY: 1000 - 2, A: 2}


async def test_rule5_rule6_a_same_day_delete_after_a_flush_unqualifies_the_pair(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config())
    mention, reply = ev.mutual(A, B, at(1))
    await engine.ingest(mention, reply)
    await engine.ingestor.flush()
    await engine.ingest(ev.delete(reply.id, at(1, 20)))
    await engine.close(1)
    assert await streak(db, A, B) is None
    assert await balances(db) == {TREASURY: 1000 - 2, A: 2}


# -- rule 7: exactly once, in order, catch-up ------------------------------------------------


async def test_rule7_the_close_flushes_what_ingest_holds(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config())
    await talk(engine, ev, [1])
    assert engine.ingestor.unflushed > 0
    await engine.close(1)
    assert (await streak(db, A, B))["current"] == 1


async def test_rule7_closing_twice_changes_nothing(db: Database, clock: ManualClock, ev: Events):
    engine = await started(db, clock, config(tiers=TIERS_SPARK_FLAME))
    await talk(engine, ev, [1, 2, 3])
    first = await engine.close(3)
    assert [r.day for r in first] == [iso(1), iso(2), iso(3)]
    before = await snapshot(db)
    assert await engine.close(3) == []
    assert await engine.close(2) == []
    assert await snapshot(db) == before
    # A second DayCloser over the same store (another process, a restart) agrees.
    other = Engine(db, engine.config, clock)
    assert await other.close(3) == []
    assert await snapshot(db) == before
    assert await balances(db) == {TREASURY: 1000 - 35, A: 6 + 10, B: 9 + 10}


async def test_rule7_an_open_day_is_not_closed(db: Database, clock: ManualClock, ev: Events):
    engine = await started(db, clock, config())
    await talk(engine, ev, [2])
    assert await engine.closer.close_through(G, day(1)) == []
    assert await value(db, "SELECT count(*) FROM day_closes") == 0


async def test_rule7_catch_up_closes_every_missed_day_in_order(
    db: Database, clock: ManualClock, ev: Events
):
    """Days 1, 2 and 4 qualify, 3 and 5 are empty: one call closes 1 to 5, and without a
    freeze the streak breaks on each empty day."""
    engine = await started(db, clock, config())
    await talk(engine, ev, [1, 2, 4])
    results = await engine.close(5)
    assert [r.day for r in results] == [iso(n) for n in range(1, 6)]
    assert [(r.started, r.extended, r.broken) for r in results] == [
        (1, 0, 0),
        (0, 1, 0),
        (0, 0, 1),
        (1, 0, 0),
        (0, 0, 1),
    ]
    assert await rows(db, "SELECT day FROM day_closes WHERE guild = ? ORDER BY day", G) == [
        (iso(n),) for n in range(1, 6)
    ]
    assert await value(db, "SELECT last_closed_day FROM guilds WHERE id = ?", G) == iso(5)
    assert await streak(db, A, B) == {
        "current": 0,
        "best": 2,
        "last_day": iso(4),
        "freezes": 0,
        "run_start": iso(4),
    }


async def test_rule7_catch_up_by_the_clock(db: Database, clock: ManualClock, ev: Events):
    """`catch_up` closes each day that has ended by now, and only those."""
    engine = await started(db, clock, config())
    await talk(engine, ev, [1, 2])
    clock.set(at(4, 0, 30))
    results = await engine.closer.catch_up()
    assert [r.day for r in results] == [iso(1), iso(2), iso(3)]
    assert (await streak(db, A, B))["current"] == 0
    clock.set(at(4, 23, 59))
    assert await engine.closer.catch_up() == []


async def test_rule7_catch_up_on_start_closes_the_days_missed_while_down(
    db_path: Path, clock: ManualClock, ev: Events
):
    """The bot stops after day 2 was closed and starts again on day 5: a fresh Ingestor and
    DayCloser over the same file must close days 3 and 4 on start."""
    cfg = config()
    db = await Database.open(db_path)
    engine = await Engine(db, cfg, clock).start(fund=1000)
    await talk(engine, ev, [1, 2])
    await engine.close(2)
    await db.close()

    clock.set(at(5, 0, 30))
    db = await Database.open(db_path)
    try:
        restarted = Engine(db, cfg, clock)
        results = await restarted.closer.catch_up()
        assert [r.day for r in results] == [iso(3), iso(4)]
        assert await value(db, "SELECT last_closed_day FROM guilds WHERE id = ?", G) == iso(4)
        assert (await streak(db, A, B))["current"] == 0
    finally:
        await db.close()


# -- rules 7 and 8: freezes and tiers --------------------------------------------------------


async def test_rule7_rule8_a_freeze_from_a_tier_bridges_an_empty_day(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(
        db, clock, config(tiers=[{"name": "Spark", "days": 2, "tokens": 0, "freezes": 1}])
    )
    await talk(engine, ev, [1, 2])
    await engine.close(2)
    assert (await streak(db, A, B))["freezes"] == 1
    await talk(engine, ev, [4])
    results = await engine.close(4)
    assert [(r.day, r.frozen, r.broken) for r in results] == [(iso(3), 1, 0), (iso(4), 0, 0)]
    assert await streak(db, A, B) == {
        "current": 3,
        "best": 3,
        "last_day": iso(4),
        "freezes": 0,
        "run_start": iso(1),
    }
    # Frozen, the run goes on: Spark (2 days) is not reached again at 3, nor paid again.
    assert await value(db, "SELECT count(*) FROM tier_rewards") == 1
    # Two empty days and no freeze left: the streak breaks on the first of them.
    results = await engine.close(6)
    assert [(r.day, r.frozen, r.broken) for r in results] == [(iso(5), 0, 1), (iso(6), 0, 0)]
    assert (await streak(db, A, B))["current"] == 0
    # The break keeps what it took, for a restore from the shop; the freeze took nothing.
    assert await rows(db, "SELECT broken_length, broken_day FROM streaks") == [(3, iso(5))]


async def test_rule8_freezes_are_capped_by_max_freezes(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(
        db,
        clock,
        config(
            streaks={"max_freezes": 2},
            tiers=[
                {"name": "Spark", "days": 1, "freezes": 3},
                {"name": "Flame", "days": 2, "freezes": 1},
            ],
        ),
    )
    await talk(engine, ev, [1])
    await engine.close(1)
    assert (await streak(db, A, B))["freezes"] == 2
    await talk(engine, ev, [2])
    await engine.close(2)
    assert (await streak(db, A, B))["freezes"] == 2
    # Two freezes carry the streak over two empty days; the third breaks it.
    await engine.close(5)
    assert [r[0] for r in await rows(db, "SELECT current FROM streaks")] == [0]
    results = await rows(db, "SELECT day, pairs FROM day_closes ORDER BY day")
    assert [d for d, _ in results] == [iso(n) for n in range(1, 6)]


async def test_rule7_a_freeze_is_per_pair(db: Database, clock: ManualClock, ev: Events):
    """Only the pair that earned the freeze spends it."""
    engine = await started(
        db, clock, config(tiers=[{"name": "Spark", "days": 2, "tokens": 0, "freezes": 1}])
    )
    await talk(engine, ev, [1, 2], A, B)
    await talk(engine, ev, [2], C, D)
    await engine.close(3)
    assert (await streak(db, A, B))["current"] == 2
    assert (await streak(db, C, D))["current"] == 0


async def test_rule8_a_tier_pays_once_per_run_and_again_in_a_new_run(
    db: Database, clock: ManualClock, ev: Events
):
    """Spark at 2 days: days 1-3 (Spark on day 2), break on 4, days 5-6 (Spark on day 6)."""
    engine = await started(db, clock, config(tiers=[{"name": "Spark", "days": 2, "tokens": 10}]))
    await talk(engine, ev, [1, 2, 3, 5, 6])
    results = await engine.close(6)
    assert [r.day for r in results if r.tiers] == [iso(2), iso(6)]
    assert await rows(db, "SELECT run_start, day FROM tier_rewards ORDER BY day") == [
        (iso(1), iso(2)),
        (iso(5), iso(6)),
    ]
    # Five talking days of points plus two Spark rewards each.
    assert await balances(db) == {TREASURY: 1000 - 25 - 40, A: 10 + 20, B: 15 + 20}
    assert (await streak(db, A, B))["best"] == 3


async def test_rule8_every_tier_reached_pays_and_badges_in_tier_order(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config(tiers=TIERS_SPARK_FLAME))
    await talk(engine, ev, range(1, 8))
    await engine.close(7)
    # 7 days of points (a 2, b 3 a day) plus Spark (10) and Flame (25) each.
    assert await balances(db) == {TREASURY: 1000 - 35 - 70, A: 14 + 35, B: 21 + 35}
    members = await ReportRepository(db).members(G, ["Spark", "Flame"])
    assert [(m.id, m.badges) for m in members] == [(A, ("Spark", "Flame")), (B, ("Spark", "Flame"))]
    assert (await streak(db, A, B))["freezes"] == 1  # Flame's freeze


async def test_rule8_badges_are_kept_after_the_streak_breaks(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config(tiers=TIERS_SPARK_FLAME))
    await talk(engine, ev, [1, 2, 3])
    await engine.close(5)
    assert (await streak(db, A, B))["current"] == 0
    members = await ReportRepository(db).members(G, ["Spark", "Flame"])
    assert [(m.id, m.badges) for m in members] == [(A, ("Spark",)), (B, ("Spark",))]
    # A new run reaching Spark again does not give a second badge.
    await talk(engine, ev, [6, 7, 8])
    await engine.close(8)
    assert await value(db, "SELECT count(*) FROM member_badges") == 2
    assert await value(db, "SELECT count(*) FROM tier_rewards") == 2


# -- rule 10: tokens --------------------------------------------------------------------------


async def test_rule10_points_are_paid_at_the_close_of_their_day(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config())
    await talk(engine, ev, [1, 2])
    await engine.close(1)
    assert await balances(db) == {TREASURY: 995, A: 2, B: 3}
    await engine.close(2)
    assert await balances(db) == {TREASURY: 990, A: 4, B: 6}
    keys = {key for (key,) in await rows(db, "SELECT key FROM ledger WHERE reason = 'points'")}
    assert keys == {f"points:{G}:{iso(n)}:{m}" for n in (1, 2) for m in (A, B)}


async def test_rule10_per_point_is_floored_per_member_and_day(
    db: Database, clock: ManualClock, ev: Events
):
    """0.5 a point: a's 2 points give 1, b's 3 points give floor(1.5) = 1, every day."""
    engine = await started(db, clock, config(tokens={"per_point": 0.5}, tiers=[]))
    await talk(engine, ev, [1, 2, 3])
    await engine.close(3)
    assert await balances(db) == {TREASURY: 994, A: 3, B: 3}


async def test_rule10_pro_rata_when_the_treasury_is_short(
    db: Database, clock: ManualClock, ev: Events
):
    """Owed a 3, b 1, c 3, d 1 = 8 with 5 in the treasury: each payment × 5/8, floored on its
    own: 1, 0, 1, 0. The remaining 3 stay in the treasury."""
    engine = await started(db, clock, config(), fund=5)
    first = ev.message(B, at(1))
    await engine.ingest(
        first,
        ev.message(A, at(1, 12, 5), reply_to=first.id),
        ev.message(C, at(1, 12, 6), reply_to=first.id),
        ev.message(D, at(1, 12, 7)),
    )
    (result,) = await engine.close(1)
    assert (result.owed, result.paid) == (8, 2)
    assert await balances(db) == {TREASURY: 3, A: 1, C: 1}
    await assert_conserved(engine, 5)


async def test_rule10_pro_rata_under_the_daily_budget_pays_each_payment_apart(
    db: Database, clock: ManualClock, ev: Events
):
    """Budget 12, owed a: 2 points + 10 Spark, b: 3 points + 10 Spark = 25. Each payment is
    scaled on its own: 2→0, 3→1, 10→4, 10→4 (a 4, b 5; per member it would be 5 and 6)."""
    engine = await started(
        db,
        clock,
        config(tokens={"daily_budget": 12}, tiers=[{"name": "Spark", "days": 1, "tokens": 10}]),
    )
    await talk(engine, ev, [1])
    (result,) = await engine.close(1)
    assert (result.owed, result.paid) == (25, 9)
    assert await balances(db) == {TREASURY: 991, A: 4, B: 5}
    entries = await rows(db, "SELECT key, target, amount, reason FROM ledger WHERE source = 0")
    assert sorted(entries) == [
        (f"points:{G}:{iso(1)}:{B}", B, 1, "points"),
        (f"tier:{G}:{iso(1)}:{A}-{B}:Spark:{A}", A, 4, "tier"),
        (f"tier:{G}:{iso(1)}:{A}-{B}:Spark:{B}", B, 4, "tier"),
    ]
    # The budget is per day: day 2 owes 5 and pays it in full.
    await talk(engine, ev, [2])
    (result,) = await engine.close(2)
    assert (result.owed, result.paid) == (5, 5)
    await assert_conserved(engine, 1000)


async def test_rule10_an_empty_treasury_pays_nothing(db: Database, clock: ManualClock, ev: Events):
    engine = await started(db, clock, config(), fund=0)
    await talk(engine, ev, [1])
    (result,) = await engine.close(1)
    assert (result.owed, result.paid) == (5, 0)
    assert await rows(db, "SELECT * FROM ledger") == []
    assert (await streak(db, A, B))["current"] == 1  # streaks do not depend on money


async def test_rule10_tokens_are_conserved_after_every_close(
    db: Database, clock: ManualClock, ev: Events
):
    """Three pairs over ten days with tiers, a daily budget and a treasury that runs dry."""
    engine = await started(
        db,
        clock,
        config(tokens={"daily_budget": 20}, tiers=TIERS_SPARK_FLAME),
        fund=120,
    )
    for n in range(1, 11):
        await talk(engine, ev, [n], A, B)
        if n % 3:
            await talk(engine, ev, [n], C, D)
        if n < 5:
            await talk(engine, ev, [n], A, C)
        await engine.close(n)
        await assert_conserved(engine, 120)
    paid = await value(db, "SELECT sum(paid) FROM day_closes")
    assert paid == await value(db, "SELECT sum(amount) FROM ledger WHERE source = 0")
    assert await engine.ledger.treasury(G) == 120 - paid
    assert all(closed <= 20 for (closed,) in await rows(db, "SELECT paid FROM day_closes")), (
        "no day pays more than the daily budget"
    )


# -- restarts ---------------------------------------------------------------------------------


async def test_restart_keeps_state_and_the_open_days_points_and_cooldowns(
    db_path: Path, clock: ManualClock, ev: Events
):
    """Days 1-2 closed, day 3 half ingested when the bot stops. After a restart, a new
    Ingestor knows a's 5 points of day 3 (cap 6: a reply now earns 1, not 3) and b's last
    point-earning message (a message 30 s later earns nothing)."""
    cfg = config(points={"daily_cap": 6}, tiers=[{"name": "Spark", "days": 3, "tokens": 10}])
    db = await Database.open(db_path)
    engine = await Engine(db, cfg, clock).start(fund=1000)
    await talk(engine, ev, [1, 2])
    await engine.close(2)
    await engine.ingest(
        ev.message(A, at(3, 10), reply_to=1, reply_to_author=B),  # 3
        ev.message(A, at(3, 10, 2), mentions=(B,)),  # 2
        ev.message(B, at(3, 10, 5), reply_to=2, reply_to_author=A),  # 3
    )
    await engine.ingestor.flush()
    await db.close()

    db = await Database.open(db_path)
    try:
        restarted = Engine(db, cfg, clock)
        assert (await streak(db, A, B))["current"] == 2
        assert await balances(db) == {TREASURY: 990, A: 4, B: 6}
        await restarted.ingest(
            ev.message(B, at(3, 10, 5, 30)),  # 30 s after b's last earning message: 0
            ev.message(A, at(3, 10, 10), reply_to=3, reply_to_author=B),  # capped: 1
        )
        await restarted.ingestor.flush()
        assert dict(
            await rows(db, "SELECT member, points FROM member_days WHERE day = ?", iso(3))
        ) == {A: 6, B: 3}
        # Days 1-2 are not closed again; day 3 extends the streak to Spark.
        results = await restarted.close(3)
        assert [r.day for r in results] == [iso(3)]
        assert (await streak(db, A, B))["current"] == 3
        assert await balances(db) == {TREASURY: 990 - 29, A: 4 + 6 + 10, B: 6 + 3 + 10}
        await assert_conserved(restarted, 1000)
    finally:
        await db.close()


async def test_restart_refunding_with_the_same_key_adds_nothing(db_path: Path, clock: ManualClock):
    db = await Database.open(db_path)
    await Engine(db, config(), clock).start(fund=1000)
    await db.close()
    db = await Database.open(db_path)
    try:
        engine = await Engine(db, config(), clock).start(fund=1000)
        await assert_conserved(engine, 1000)
    finally:
        await db.close()


async def test_rule7_a_late_event_does_not_reopen_a_closed_day(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config())
    await engine.ingest(ev.message(A, at(1), mentions=(B,)))
    await engine.close(1)
    before = await snapshot(db)
    await engine.ingest(ev.message(B, at(1, 23), mentions=(A,)))
    assert await engine.close(1) == []
    await engine.ingestor.flush()
    after = await snapshot(db)
    # Only the message index learns of the late message; nothing that counts changes.
    for table in ("exchanges", "member_days", "streaks", "ledger", "balances", "day_closes"):
        assert after[table] == before[table], table
    assert engine.ingestor.stats.late == 1


async def test_rule7_the_close_is_stamped_with_the_clock(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config())
    await talk(engine, ev, [1])
    clock.set(at(2, 0, 5))
    await engine.closer.close_through(G, day(1))
    assert await value(db, "SELECT closed_at FROM day_closes") == at(2, 0, 5).isoformat()


async def test_a_close_commits_without_an_inline_checkpoint_then_checkpoints(
    db: Database, db_path: Path, clock: ManualClock, ev: Events
):
    """The close's commit leaves the write-ahead log to a separate checkpoint (a big close
    would otherwise pay for it inline); after `close_through` nothing is left to copy."""
    engine = await started(db, clock, config())
    await talk(engine, ev, [1, 2])
    await engine.close(2)
    # Read the main file alone (immutable: the log is ignored): the close is in it already.
    with sqlite3.connect(f"file:{db_path}?immutable=1", uri=True) as raw:
        in_main_file = raw.execute("SELECT current FROM streaks WHERE a = ? AND b = ?", (A, B))
        assert in_main_file.fetchall() == [(2,)]
    raw.close()
    assert await value(db, "PRAGMA wal_autocheckpoint") == 1000
