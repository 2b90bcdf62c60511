"""Rule 7 at the store: each guild day closes exactly once, in order, none skipped."""

from __future__ import annotations

import pytest

from bot.clock import ManualClock
from bot.store.database import Database
from bot.store.day_close import DayCloseRepository, DayOrderError
from tests.services.builders import (
    TIERS_SPARK_FLAME,
    A,
    B,
    Engine,
    Events,
    G,
    at,
    config,
    iso,
    snapshot,
    value,
)

CLOSED_AT = "2026-11-10T00:00:00+00:00"


@pytest.fixture
async def engine(db: Database, clock: ManualClock) -> Engine:
    """Guild 1 with a mutual pair on days 1 to 3, flushed, nothing closed yet."""
    eng = await Engine(db, config(tiers=TIERS_SPARK_FLAME), clock).start(fund=1000)
    events = Events()
    for n in (1, 2, 3):
        await eng.ingest(*events.mutual(A, B, at(n)))
    await eng.ingestor.flush()
    return eng


async def test_rule7_the_first_close_must_be_the_first_day(engine: Engine) -> None:
    repo = DayCloseRepository(engine.db)
    before = await snapshot(engine.db)
    with pytest.raises(DayOrderError):
        await repo.close_days(G, [iso(2)], engine.config, CLOSED_AT)
    assert await snapshot(engine.db) == before


async def test_rule7_a_closed_day_is_never_closed_again(engine: Engine) -> None:
    repo = DayCloseRepository(engine.db)
    await repo.close_days(G, [iso(1), iso(2)], engine.config, CLOSED_AT)
    before = await snapshot(engine.db)
    for days in ([iso(1)], [iso(2)], [iso(1), iso(2)]):
        with pytest.raises(DayOrderError):
            await repo.close_days(G, days, engine.config, CLOSED_AT)
    assert await snapshot(engine.db) == before


async def test_rule7_skipping_a_day_is_refused(engine: Engine) -> None:
    repo = DayCloseRepository(engine.db)
    await repo.close_days(G, [iso(1)], engine.config, CLOSED_AT)
    before = await snapshot(engine.db)
    with pytest.raises(DayOrderError):
        await repo.close_days(G, [iso(3)], engine.config, CLOSED_AT)
    assert await snapshot(engine.db) == before


async def test_rule7_a_gap_inside_the_list_of_days_is_refused(engine: Engine) -> None:
    """The list starts at the right day but jumps over day 2: day 2 would never be closed."""
    repo = DayCloseRepository(engine.db)
    before = await snapshot(engine.db)
    with pytest.raises(DayOrderError):
        await repo.close_days(G, [iso(1), iso(3)], engine.config, CLOSED_AT)
    assert await snapshot(engine.db) == before


async def test_rule7_days_out_of_order_inside_the_list_are_refused(engine: Engine) -> None:
    repo = DayCloseRepository(engine.db)
    before = await snapshot(engine.db)
    with pytest.raises(DayOrderError):
        await repo.close_days(G, [iso(1), iso(3), iso(2)], engine.config, CLOSED_AT)
    assert await snapshot(engine.db) == before


async def test_rule7_a_guild_without_events_has_nothing_to_close(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO guilds (id, config) VALUES (1, '{}')")
    with pytest.raises(DayOrderError):
        await DayCloseRepository(db).close_days(G, [iso(1)], config(), CLOSED_AT)


async def test_rule7_each_close_records_its_day_in_the_same_transaction(engine: Engine) -> None:
    repo = DayCloseRepository(engine.db)
    results = await repo.close_days(G, [iso(1), iso(2), iso(3)], engine.config, CLOSED_AT)
    assert [r.day for r in results] == [iso(1), iso(2), iso(3)]
    assert [r.pairs for r in results] == [1, 1, 1]
    assert await value(engine.db, "SELECT last_closed_day FROM guilds WHERE id = ?", G) == iso(3)
    assert await value(engine.db, "SELECT count(*) FROM day_closes WHERE guild = ?", G) == 3
    # The third day reached Spark (3 days): 10 tokens each, plus each day's points.
    assert results[2].tiers == [(A, B, "Spark")]
    assert results[2].paid == 2 + 3 + 10 + 10
