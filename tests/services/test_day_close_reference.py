"""Rules 6-8 and 10: the set-based close in SQL agrees with the pure rules, pair by pair.

Seeded random communities talk for three weeks; after every close the store's streaks and
tier rewards must equal what `bot.domain.streaks.close_pair` says for each pair.
"""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.domain.streaks import PairStreak, close_pair, pair_of
from bot.store.database import Database
from tests.services.builders import Engine, Events, G, at, balances, config, day, rows

MEMBERS = [101, 102, 103, 104, 105]
PAIRS = list(itertools.combinations(MEMBERS, 2))
DAYS = 21
CONFIG = config(
    streaks={"max_freezes": 2},
    tiers=[
        {"name": "Spark", "days": 2, "tokens": 5, "freezes": 1},
        {"name": "Flame", "days": 4, "tokens": 7, "freezes": 2},
        {"name": "Blaze", "days": 8, "tokens": 11, "freezes": 0},
    ],
    tokens={"daily_budget": 40},
)


def plan(seed: int) -> dict[int, dict[tuple[int, int], str]]:
    """Per day, what each pair does: 'both' ways, 'one' way, or nothing."""
    rng = random.Random(seed)
    days = {}
    for n in range(1, DAYS + 1):
        quiet = rng.random() < 0.15  # now and then a day where nobody talks
        days[n] = {
            pair: rng.choices(["both", "one", "none"], [0.6, 0.15, 0.25])[0]
            for pair in PAIRS
            if not quiet
        }
    return days


async def stored_streaks(db: Database) -> dict[tuple[int, int], PairStreak]:
    found = await rows(
        db,
        "SELECT a, b, current, best, last_day, freezes, run_start FROM streaks WHERE guild = ?",
        G,
    )
    return {
        (a, b): PairStreak(
            current, best, day_of(last_day), freezes, day_of(run_start) if run_start else None
        )
        for a, b, current, best, last_day, freezes, run_start in found
    }


def day_of(iso_day: str) -> date:
    return date.fromisoformat(iso_day)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_rules_6_to_8_the_sql_close_matches_the_pure_rules(
    db: Database, clock: ManualClock, seed: int
) -> None:
    engine = await Engine(db, CONFIG, clock).start(fund=10_000)
    ev = Events()
    reference: dict[tuple[int, int], PairStreak] = {}
    tiers_paid: dict[tuple[int, int], int] = {}
    for n, activity in plan(seed).items():
        events = []
        for k, (pair, what) in enumerate(activity.items()):
            a, b = pair
            ts = at(n, 8) + timedelta(minutes=k)
            if what in ("both", "one"):
                events.append(ev.message(a, ts, mentions=(b,)))
            if what == "both":
                events.append(ev.message(b, ts + timedelta(seconds=30), mentions=(a,)))
        await engine.ingest(*events)
        await engine.close(n)

        for pair in PAIRS:
            qualifies = activity.get(pair) == "both"
            before = reference.get(pair, PairStreak())
            if not qualifies and pair not in reference:
                continue
            after, reached = close_pair(
                before, qualifies, day(n), CONFIG.tiers_by_days, CONFIG.streaks.max_freezes
            )
            reference[pair] = after
            tiers_paid[pair] = tiers_paid.get(pair, 0) + len(reached)
        stored = await stored_streaks(db)
        assert stored.keys() == reference.keys(), f"day {n}"
        for pair, expected in reference.items():
            assert stored[pair] == expected, f"day {n}, pair {pair}"

    rewarded = await rows(db, "SELECT a, b, count(*) FROM tier_rewards GROUP BY a, b")
    assert {(a, b): count for a, b, count in rewarded} == {
        pair_of(*pair): count for pair, count in tiers_paid.items() if count
    }
    totals = await engine.ledger.totals(G)
    assert (totals.funded, totals.held, totals.mismatched_accounts) == (10_000, 10_000, 0)


async def test_rule7_a_catch_up_pays_exactly_what_day_by_day_closes_pay(tmp_path: Path) -> None:
    """Closing 21 days in one call (after downtime) gives the same streaks, ledger and
    balances as closing each day at its midnight, budget and freezes included."""
    results = []
    for step in (True, False):
        db = await Database.open(tmp_path / f"step_{step}.db")
        try:
            clock = ManualClock(at(1))
            engine = await Engine(db, CONFIG, clock).start(fund=10_000)
            ev = Events()
            for n, activity in plan(7).items():
                for k, (pair, what) in enumerate(activity.items()):
                    a, b = pair
                    ts = at(n, 8) + timedelta(minutes=k)
                    if what != "none":
                        await engine.ingest(ev.message(a, ts, mentions=(b,)))
                    if what == "both":
                        await engine.ingest(ev.message(b, ts, mentions=(a,)))
                if step:
                    await engine.close(n)
            await engine.close(DAYS)
            ledger = await rows(
                db, "SELECT key, source, target, amount, reason, day FROM ledger ORDER BY key"
            )
            results.append((await stored_streaks(db), ledger, await balances(db)))
        finally:
            await db.close()
    assert results[0] == results[1]
