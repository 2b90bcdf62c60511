"""Suspended and opted-out members: nothing they do counts, nobody's engaging them counts, and
nothing is paid to them (issue 4: "nothing counts and nothing is paid while suspended")."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.store.database import Database
from tests.services.builders import A, B, C, D, Engine, Events, at, balances, config, iso, rows


async def _suspend(db: Database, member: int, until: str | None, source: str = "command"):
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO suspensions (guild, member, since, until, source, moderator, reason)"
            " VALUES (1, ?, ?, ?, ?, 9, 'farming')",
            (member, at(1).isoformat(), until, source),
        )


async def test_a_suspended_members_exchanges_and_points_count_nowhere(
    db: Database, clock: ManualClock
):
    engine = await Engine(db, config(), clock).start(fund=1000)
    ev = Events()
    await _suspend(db, A, None)
    await engine.ingestor.refresh_exclusions(1)
    await engine.ingest(*ev.mutual(A, B, at(1)), *ev.mutual(B, C, at(1, 14)))
    [result] = await engine.close(1)
    assert result.pairs == 1  # B and C only
    assert await rows(db, "SELECT a, b FROM streaks") == [(B, C)]
    paid = await balances(db)
    assert A not in paid
    assert paid[B] > 0


async def test_a_timed_suspension_ends_by_itself(db: Database, clock: ManualClock):
    engine = await Engine(db, config(), clock).start(fund=1000)
    ev = Events()
    await _suspend(db, A, (at(1, 12) + timedelta(hours=6)).isoformat(), "timeout")
    await engine.ingestor.refresh_exclusions(1)
    await engine.ingest(*ev.mutual(A, B, at(1, 10)))  # while timed out: nothing
    [day1] = await engine.close(1)
    assert day1.pairs == 0
    await engine.ingest(*ev.mutual(A, B, at(2, 10)))  # after: counts again
    [day2] = await engine.close(2)
    assert day2.pairs == 1
    assert await rows(db, "SELECT last_day FROM streaks") == [(iso(2),)]


async def test_an_opted_out_member_is_neither_tracked_nor_paid(db: Database, clock: ManualClock):
    engine = await Engine(db, config(), clock).start(fund=1000)
    ev = Events()
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO opt_outs (guild, member, since) VALUES (1, ?, 'x')", (B,))
    await engine.ingestor.refresh_exclusions(1)
    await engine.ingest(*ev.mutual(A, B, at(1)))
    reaction = ev.reaction(A, ev.message(B, at(1, 13)).id, at(1, 14), message_author=B)
    await engine.ingest(reaction)
    [result] = await engine.close(1)
    assert result.pairs == 0
    assert B not in await balances(db)


async def test_only_counted_channels_count_and_ignored_ones_never(db: Database, clock: ManualClock):
    rules = config(channels={"counted": [10, 11], "ignored": [11]})
    engine = await Engine(db, rules, clock).start(fund=1000)
    in_counted = Events(channel=10)
    in_ignored = Events(channel=11, first_id=50_000)
    elsewhere = Events(channel=12, first_id=60_000)
    await engine.ingest(*in_counted.mutual(A, B, at(1)))
    await engine.ingest(*in_ignored.mutual(C, D, at(1)), *elsewhere.mutual(B, C, at(1, 15)))
    reaction = elsewhere.reaction(D, in_counted.message(A, at(1, 16)).id, at(1, 17))
    await engine.ingest(reaction)
    [result] = await engine.close(1)
    assert result.pairs == 1
    assert await rows(db, "SELECT a, b FROM streaks") == [(A, B)]
