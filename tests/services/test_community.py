"""Community incentives through the engine: points events, pools, challenges (issue 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.services.community import CommunityError, CommunityService
from bot.store.community import pool_account
from bot.store.database import Database
from tests.services.builders import (
    A,
    B,
    C,
    D,
    Engine,
    Events,
    at,
    balances,
    config,
    iso,
    points,
    rows,
)  # fmt: skip


async def _engine(db, clock, **sections) -> tuple[Engine, CommunityService]:
    engine = await Engine(db, config(**sections), clock).start(fund=10_000)
    return engine, CommunityService(db, engine.ingestor, clock)


async def test_an_event_multiplies_points_only_while_it_runs_and_where_it_applies(
    db: Database, clock: ManualClock
):
    engine, community = await _engine(db, clock)
    ev = Events(channel=10)
    clock.set(at(1, 9))
    await community.start_event(1, "Double", "2", "3h", channels=(10,))
    await engine.ingest(*ev.mutual(A, B, at(1, 10)))  # in the event: mention 2x2, reply 3x2
    other = Events(channel=11, first_id=50_000)
    await engine.ingest(*other.mutual(C, D, at(1, 11)))  # another channel: 2 and 3
    late = Events(channel=10, first_id=60_000)
    await engine.ingest(*late.mutual(C, D, at(1, 13)))  # after it ended: 2 and 3 (cooldown ok)
    await engine.close(1)
    assert await points(db, 1) == {A: 4, B: 6, C: 4, D: 6}


async def test_an_event_with_tier_tokens_multiplies_what_tiers_pay(
    db: Database, clock: ManualClock
):
    tiers = [{"name": "Spark", "days": 1, "tokens": 10}]
    engine, community = await _engine(db, clock, tiers=tiers, points={"mention": 0, "reply": 0})
    clock.set(at(1, 8))
    await community.start_event(1, "Tier week", "1.5", "1w", tier_tokens=True)
    await engine.ingest(*Events().mutual(A, B, at(1)))
    [result] = await engine.close(1)
    assert result.paid == 30  # 10 x 1.5 for each of the two
    assert (await balances(db))[A] == 15


async def test_a_pool_pays_exchanges_in_its_channel_pro_rata_until_empty(
    db: Database, clock: ManualClock
):
    engine, community = await _engine(db, clock)
    clock.set(at(1, 8))
    await community.create_pool(1, "Art club", channel=10, per_exchange=4, by=A)
    await community.fund_pool(1, "Art club", 6, key="pool-fund:1", by=A)
    await engine.ingest(*Events(channel=10).mutual(A, B, at(1)))  # one exchange each: owes 8
    await engine.ingest(*Events(channel=11, first_id=70_000).mutual(C, D, at(1)))  # not pooled
    [result] = await engine.close(1)
    assert result.pool_paid == 6  # 3 and 3: scaled to what the pool held
    [pool] = await community.pools(1)
    assert (pool.balance, pool.paid) == (0, 6)
    assert (await balances(db))[pool_account(pool.id)] == 0
    totals = await engine.ledger.totals(1)
    assert (totals.funded, totals.held, totals.mismatched_accounts) == (10_006, 10_006, 0)


async def test_a_challenge_is_paid_once_to_contributing_members_when_met(
    db: Database, clock: ManualClock
):
    engine, community = await _engine(db, clock)
    clock.set(at(1, 8))
    challenge = await community.create_challenge(
        1, "Two pairs, two days", pairs=2, days=2, deadline=iso(5), reward=50
    )
    assert challenge.status == "open"
    ev = Events()
    for n in (1, 2):
        await engine.ingest(*ev.mutual(A, B, at(n)), *ev.mutual(C, D, at(n, 15)))
    [day1] = await engine.close(1)
    assert day1.challenges_met == []
    [status] = await community.challenges(1)
    assert status.holding == 0  # nobody at 2 days yet
    [day2] = await engine.close(2)
    assert day2.challenges_met == [(challenge.id, "Two pairs, two days", 4, 200)]
    rewards = await rows(db, "SELECT target, amount FROM ledger WHERE reason = 'challenge'")
    assert sorted(rewards) == [(A, 50), (B, 50), (C, 50), (D, 50)]
    await engine.ingest(*ev.mutual(A, B, at(3)), *ev.mutual(C, D, at(3, 15)))
    [day3] = await engine.close(3)
    assert day3.challenges_met == []  # once
    [status] = await community.challenges(1)
    assert (status.challenge.status, status.challenge.closed_day) == ("met", iso(2))


async def test_a_challenge_not_met_by_its_deadline_expires(db: Database, clock: ManualClock):
    engine, community = await _engine(db, clock)
    clock.set(at(1, 8))
    await community.create_challenge(1, "Big", pairs=5, days=1, deadline=iso(2), reward=10)
    await engine.ingest(*Events().mutual(A, B, at(1)), *Events(first_id=9000).mutual(A, B, at(2)))
    await engine.close(3)
    [status] = await community.challenges(1)
    assert (status.challenge.status, status.challenge.closed_day) == ("expired", iso(2))


@pytest.mark.parametrize(
    ("multiplier", "until", "message"),
    [
        ("1", "2h", "more than 1"),
        ("banana", "2h", "not a multiplier"),
        ("2", "yesterday", "not a time"),
        ("2", "2020-01-01", "already passed"),
        ("2", "400d", "more than a year"),
    ],
)
async def test_bad_event_arguments_are_refused_clearly(
    db: Database, clock: ManualClock, multiplier, until, message
):
    _, community = await _engine(db, clock)
    clock.set(at(1, 8))
    with pytest.raises(CommunityError, match=message):
        await community.start_event(1, "X", multiplier, until)
    assert await community.events(1) == []


async def test_names_are_unique_and_stopping_ends_an_event(db: Database, clock: ManualClock):
    _, community = await _engine(db, clock)
    clock.set(at(1, 8))
    await community.start_event(1, "Party", "2", "1d")
    with pytest.raises(CommunityError, match="already running"):
        await community.start_event(1, "Party", "3", "1d")
    clock.set(at(1, 9))
    await community.stop_event(1, "Party")
    assert await community.events(1) == []
    with pytest.raises(CommunityError, match="no event named"):
        await community.stop_event(1, "Party")
    clock.set(at(1, 9) + timedelta(minutes=1))
    await community.start_event(1, "Party", "3", "1d")  # the name is free again


async def test_pool_and_challenge_names_are_unique_per_guild(db: Database, clock: ManualClock):
    _, community = await _engine(db, clock)
    clock.set(at(1, 8))
    await community.create_pool(1, "Art", channel=10, per_exchange=1, by=A)
    with pytest.raises(CommunityError, match="a pool named 'Art' exists already"):
        await community.create_pool(1, "Art", channel=11, per_exchange=2, by=A)
    await community.create_challenge(1, "Goal", pairs=1, days=1, deadline=iso(3), reward=1)
    with pytest.raises(CommunityError, match="a challenge named 'Goal' exists already"):
        await community.create_challenge(1, "Goal", pairs=2, days=2, deadline=iso(3), reward=1)
    assert [p.name for p in await community.pools(1)] == ["Art"]
    assert [c.challenge.pairs for c in await community.challenges(1)] == [1]
