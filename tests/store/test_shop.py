"""The shop on a real SQLite file: a purchase is one transaction (its ledger entry and the streak
change together), a refused one changes nothing, and the ledger stays conserved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.guild_config import ShopItem
from bot.services.shop import (
    FREEZE_REASON,
    RESTORE_REASON,
    DayNotClosed,
    ShopService,
    UnknownItem,
    earliest_restorable,
    find_item,
    matching_items,
)
from bot.store.database import Database
from bot.store.ledger import InsufficientFunds
from bot.store.profiles import ProfileRepository
from bot.store.shop import (
    AlreadyRestored,
    FreezesFull,
    NoLiveStreak,
    NothingToRestore,
    NotTracked,
    RestoreExpired,
    StillLive,
)
from tests.services.builders import (
    A,
    B,
    C,
    Engine,
    Events,
    G,
    at,
    balances,
    config,
    iso,
    rows,
    snapshot,
    streak,
)

SPARK = [{"name": "Spark", "days": 1, "tokens": 200}]
"""A tier on the first day, so that both members of a new pair hold tokens to spend."""


async def _setup(
    db: Database, clock: ManualClock, *, days: int = 1, **sections: object
) -> tuple[Engine, ShopService]:
    """A and B qualify on November 1..`days` (closed): a live streak of `days`, and each
    holds Spark's 200 tokens plus their points (A 2 a day, B 3 a day)."""
    sections.setdefault("tiers", SPARK)
    engine = await Engine(db, config(**sections), clock).start(fund=100_000)
    ev = Events()
    for n in range(1, days + 1):
        await engine.ingest(*ev.mutual(A, B, at(n)))
        await engine.close(n)
    return engine, ShopService(db, engine.ingestor, clock)


async def _conserved(engine: Engine) -> None:
    totals = await engine.ledger.totals(G)
    assert totals.funded == totals.held == 100_000
    assert totals.mismatched_accounts == 0


# -- freezes ----------------------------------------------------------------------------------


async def test_a_freeze_is_paid_to_the_treasury_with_the_streak_change(db, clock):
    engine, shop = await _setup(db, clock, shop={"freeze_price": 40})
    before = await balances(db)
    receipt = await shop.buy_freeze(G, A, B, interaction=5001)
    assert receipt.paid
    assert receipt.balance == before[A] - 40 == 162
    assert receipt.streak is not None
    assert receipt.streak.freezes == 1
    assert (await streak(db, A, B))["freezes"] == 1
    after = await balances(db)
    assert after[0] == before[0] + 40
    assert await rows(
        db, "SELECT key, source, target, amount, reason, day FROM ledger WHERE key LIKE 'shop:%'"
    ) == [(f"shop:{G}:5001", A, 0, 40, FREEZE_REASON, iso(2))]
    await _conserved(engine)
    # The freeze does its job at the next close: a day without an exchange spends it.
    [result] = await engine.close(2)
    assert result.frozen == 1
    assert (await streak(db, A, B))["current"] == 1


async def test_the_same_interaction_is_charged_once(db, clock):
    engine, shop = await _setup(db, clock)
    first = await shop.buy_freeze(G, A, B, interaction=5001)
    again = await shop.buy_freeze(G, A, B, interaction=5001)
    assert first.paid
    assert not again.paid
    assert again.balance == first.balance
    assert (await streak(db, A, B))["freezes"] == 1
    await _conserved(engine)


@pytest.mark.parametrize(
    ("partner", "sections", "error"),
    [
        (B, {"shop": {"freeze_price": 500}}, InsufficientFunds),
        (C, {}, NoLiveStreak),  # never a streak with C
        (B, {"streaks": {"max_freezes": 0}}, FreezesFull),
    ],
)
async def test_a_refused_freeze_changes_nothing(db, clock, partner, sections, error):
    engine, shop = await _setup(db, clock, **sections)
    before = await snapshot(db)
    with pytest.raises(error):
        await shop.buy_freeze(G, A, partner, interaction=5001)
    assert await snapshot(db) == before
    await _conserved(engine)


async def test_freezes_stop_at_the_configured_maximum(db, clock):
    engine, shop = await _setup(db, clock, streaks={"max_freezes": 2}, shop={"freeze_price": 10})
    await shop.buy_freeze(G, A, B, interaction=1)
    await shop.buy_freeze(G, B, A, interaction=2)  # either member may buy for the pair
    before = await snapshot(db)
    with pytest.raises(FreezesFull) as refused:
        await shop.buy_freeze(G, A, B, interaction=3)
    assert (refused.value.held, refused.value.limit) == (2, 2)
    assert await snapshot(db) == before
    await _conserved(engine)


async def test_a_broken_streak_takes_no_freeze(db, clock):
    engine, shop = await _setup(db, clock)
    await engine.close(2)  # no exchange on the 2nd: broken
    before = await snapshot(db)
    with pytest.raises(NoLiveStreak):
        await shop.buy_freeze(G, A, B, interaction=5001)
    assert await snapshot(db) == before


async def test_nothing_is_sold_for_a_streak_with_an_opted_out_member(db, clock):
    _, shop = await _setup(db, clock)
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO opt_outs (guild, member, since) VALUES (?, ?, 'x')", (G, B))
    before = await snapshot(db)
    with pytest.raises(NotTracked) as refused:
        await shop.buy_freeze(G, A, B, interaction=5001)
    assert refused.value.member == B
    with pytest.raises(NotTracked):
        await shop.buy_restore(G, A, B, interaction=5002)
    assert await snapshot(db) == before


# -- restores ---------------------------------------------------------------------------------


async def _broken(db, clock, **sections) -> tuple[Engine, ShopService]:
    """A and B qualify on the 1st and 2nd, miss the 3rd: broken at length 2 by the close of
    the 3rd (the clock is then at the start of the 4th)."""
    engine, shop = await _setup(db, clock, days=2, **sections)
    await engine.close(3)
    assert await rows(db, "SELECT current, broken_length, broken_day FROM streaks") == [
        (0, 2, iso(3))
    ]
    return engine, shop


async def test_a_restore_gives_back_the_length_and_the_run(db, clock):
    engine, shop = await _broken(db, clock, shop={"restore_price": 60})
    clock.set(at(4, 10))
    before = await balances(db)
    receipt = await shop.buy_restore(G, A, B, interaction=7001)
    assert receipt.paid
    assert receipt.balance == before[A] - 60
    assert receipt.streak is not None
    assert (receipt.streak.current, receipt.streak.run_start) == (2, iso(1))
    assert await rows(db, "SELECT restored_run FROM streaks") == [(iso(1),)]
    assert await rows(
        db, "SELECT source, target, amount, reason, day FROM ledger WHERE key = ?", f"shop:{G}:7001"
    ) == [(A, 0, 60, RESTORE_REASON, iso(4))]
    await _conserved(engine)
    # Live again for the boards at once, not only after the next close.
    profiles = ProfileRepository(db)
    board = await profiles.leaderboard_pairs(G, 0, 10)
    assert [(row.a, row.b, row.current) for row in board.rows] == [(A, B, 2)]
    assert [s.partner for s in await profiles.live_streaks(G, A)] == [B]
    # It goes on when the pair counts today; the run's tiers are not paid twice.
    await engine.ingest(*Events(first_id=50_000).mutual(A, B, at(4, 12)))
    [result] = await engine.close(4)
    assert result.extended == 1
    assert result.tiers == []
    assert (await streak(db, A, B))["current"] == 3
    assert (await streak(db, A, B))["run_start"] == iso(1)


async def test_a_restored_streak_that_misses_its_day_breaks_again_for_good(db, clock):
    engine, shop = await _broken(db, clock)
    clock.set(at(4, 10))
    await shop.buy_restore(G, A, B, interaction=7001)
    [result] = await engine.close(4)  # no exchange on the 4th
    assert result.broken == 1
    assert await rows(db, "SELECT current, broken_length, broken_day FROM streaks") == [
        (0, 2, iso(4))
    ]
    clock.set(at(5, 10))
    before = await snapshot(db)
    with pytest.raises(AlreadyRestored):  # once per run
        await shop.buy_restore(G, B, A, interaction=7002)
    assert await snapshot(db) == before


async def test_a_restore_is_sold_until_the_broken_days_end_plus_the_hours(db, clock):
    engine, shop = await _broken(db, clock, shop={"restore_hours": 48})
    await engine.close(5)
    # The 3rd ended at midnight UTC starting the 4th: restores are sold until the 6th, 00:00.
    clock.set(at(6, 0, 0, 1))
    before = await snapshot(db)
    with pytest.raises(RestoreExpired) as refused:
        await shop.buy_restore(G, A, B, interaction=7001)
    assert refused.value.broken_day == iso(3)
    assert await shop.restore_deadline(G, iso(3)) == at(6, 0)
    assert await snapshot(db) == before
    clock.set(at(6, 0))
    assert (await shop.buy_restore(G, A, B, interaction=7002)).paid


@pytest.mark.parametrize(
    ("days", "close_third", "sections", "error"),
    [
        (2, False, {}, StillLive),  # the streak never broke
        (0, False, {}, NothingToRestore),  # no streak at all
        (2, True, {"shop": {"restore_price": 1000}}, InsufficientFunds),
    ],
)
async def test_a_refused_restore_changes_nothing(db, clock, days, close_third, sections, error):
    engine, shop = await _setup(db, clock, days=max(days, 1), **sections)
    partner = B if days else C
    if close_third:
        await engine.close(3)  # broken at length 2
    before = await snapshot(db)
    with pytest.raises(error):
        await shop.buy_restore(G, A, partner, interaction=7001)
    assert await snapshot(db) == before
    await _conserved(engine)


async def test_no_restore_before_yesterday_is_closed(db, clock):
    """Between midnight and the close (its grace, or a catch-up) a restored streak would be
    judged on a day already over, and break again at once."""
    engine, shop = await _setup(db, clock, days=2)
    await engine.close(3)  # broken on the 3rd; the clock is at the 4th's midnight
    clock.set(at(5, 0, 1))  # the 4th has ended, its close has not run
    before = await snapshot(db)
    with pytest.raises(DayNotClosed):
        await shop.buy_restore(G, A, B, interaction=7001)
    assert await snapshot(db) == before
    await engine.close(4)
    clock.set(at(5, 0, 3))
    assert (await shop.buy_restore(G, A, B, interaction=7002)).paid


async def test_a_streak_that_started_a_new_run_cannot_be_restored(db, clock):
    engine, shop = await _broken(db, clock)
    await engine.ingest(*Events(first_id=50_000).mutual(A, B, at(4, 12)))
    await engine.close(4)  # a new run from the 4th
    with pytest.raises(StillLive):
        await shop.buy_restore(G, A, B, interaction=7001)


def test_the_restore_window_follows_the_guilds_midnight():
    paris = ZoneInfo("Europe/Paris")  # UTC+1 in November: the 3rd ends at 23:00 UTC
    deadline = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)  # + 2 hours
    assert earliest_restorable(deadline, paris, 2).isoformat() == "2026-11-03"
    later = deadline + timedelta(seconds=1)
    assert earliest_restorable(later, paris, 2).isoformat() == "2026-11-04"
    # Two weeks of hours reach back two weeks of days.
    assert earliest_restorable(deadline, paris, 24 * 14).isoformat() == "2026-10-21"


# -- roles ------------------------------------------------------------------------------------

ITEMS = [
    {"name": "Night Owl", "role": 777, "price": 80},
    {"name": "Early Bird", "role": 778, "price": 30},
]


async def test_a_role_item_is_paid_once_per_interaction(db, clock):
    engine, shop = await _setup(db, clock, shop={"roles": ITEMS})
    catalogue = await shop.catalogue(G)
    owl = find_item(catalogue.shop, "night owl")
    receipt = await shop.buy_role(G, A, owl, interaction=9001)
    assert receipt.paid
    assert receipt.balance == 202 - 80
    again = await shop.buy_role(G, A, owl, interaction=9001)
    assert not again.paid
    assert again.balance == receipt.balance
    assert await rows(db, "SELECT reason, amount FROM ledger WHERE key LIKE 'shop:%'") == [
        ("role bought: Night Owl", 80)
    ]
    await _conserved(engine)


async def test_a_role_item_beyond_the_members_tokens_writes_nothing(db, clock):
    _, shop = await _setup(db, clock, shop={"roles": ITEMS})
    before = await snapshot(db)
    expensive = ShopItem(name="Gold", role=779, price=203)
    with pytest.raises(InsufficientFunds):
        await shop.buy_role(G, A, expensive, interaction=9001)
    assert await snapshot(db) == before


def test_role_items_are_found_by_name_whatever_the_case():
    shop = config(shop={"roles": ITEMS}).shop
    assert find_item(shop, " EARLY bird ").role == 778
    with pytest.raises(UnknownItem):
        find_item(shop, "Owl")
    assert [item.name for item in matching_items(shop, "ir")] == ["Early Bird"]
    assert [item.name for item in matching_items(shop, "")] == ["Night Owl", "Early Bird"]
    assert matching_items(shop, "", limit=1) == [shop.roles[0]]
