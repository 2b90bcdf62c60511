"""Issue 5's escrow at the store: a close holds the detector's suspects' rewards in the ledger's
ESCROW account, and a hold ends once, released to the member or voided back to its source,
by a moderator or when `fraud.hold_days` run out. Real SQLite files throughout."""

from __future__ import annotations

import pytest

from bot.clock import ManualClock
from bot.domain.ledger import ESCROW, TREASURY
from bot.store import escrow
from bot.store.database import Database
from bot.store.day_close import DayCloseRepository
from bot.store.escrow import EscrowRepository
from bot.store.fraud import FraudDay
from bot.store.privacy import PrivacyRepository
from tests.services.builders import A, B, Engine, Events, G, at, balances, config, iso, rows

WHY = '[["burst","120 exchanges on the day; usually 5","0.8"]]'
CLOSED_AT = "2026-11-10T00:00:00+00:00"
SPARK = [{"name": "Spark", "days": 2, "tokens": 10, "freezes": 0}]


def cfg(**fraud: object):
    return config(tiers=SPARK, fraud={"enabled": False, "hold_days": 2, **fraud})


async def talked(db: Database, clock: ManualClock, days: int, **fraud: object) -> Engine:
    """A and B engage each other on days 1 to `days`; nothing closed yet."""
    engine = await Engine(db, cfg(**fraud), clock).start(fund=1000)
    events = Events()
    for n in range(1, days + 1):
        await engine.ingest(*events.mutual(A, B, at(n)))
    await engine.ingestor.flush()
    return engine


async def close(engine: Engine, days: list[int], found: dict[int, FraudDay] | None = None):
    repo = DayCloseRepository(engine.db)
    return await repo.close_days(
        G,
        [iso(n) for n in days],
        engine.config,
        CLOSED_AT,
        fraud={iso(n): day for n, day in (found or {}).items()},
    )


async def conserved(engine: Engine) -> None:
    totals = await engine.ledger.totals(G)
    assert totals.funded == totals.held == 1000
    assert totals.mismatched_accounts == 0


async def holds(db: Database) -> list[tuple]:
    return await rows(db, "SELECT member, a, b, amount, reason, status FROM holds ORDER BY id")


async def test_a_held_members_rewards_go_to_escrow_and_the_partner_is_paid(db, clock) -> None:
    engine = await talked(db, clock, 2)
    (first, second) = await close(engine, [1, 2], {2: FraudDay(held_members={A: WHY})})
    assert first.held == 0
    # Day 2: A's points and A's Spark tokens are held; B is paid both.
    paid_a = await rows(
        db,
        "SELECT target, amount, reason FROM ledger WHERE day = ? AND key LIKE ?",
        iso(2),
        f"%:{A}",
    )
    assert {target for target, _, _ in paid_a} == {ESCROW}
    assert sorted(reason for _, _, reason in paid_a) == ["points", "tier"]
    assert await holds(db) == [
        (A, None, None, 2, "points", "held"),
        (A, A, B, 10, "tier", "held"),
    ]
    assert second.held == 12
    money = await balances(db)
    assert money[ESCROW] == 12
    assert money[B] > money[A]
    await conserved(engine)


async def test_a_held_pair_holds_its_tier_tokens_only(db, clock) -> None:
    engine = await talked(db, clock, 2)
    await close(engine, [1, 2], {2: FraudDay(held_pairs={(A, B): WHY})})
    assert await holds(db) == [(A, A, B, 10, "tier", "held"), (B, A, B, 10, "tier", "held")]
    # Their points of the day were paid: a pair's signal says nothing about the rest of a day.
    paid = await rows(
        db, "SELECT target FROM ledger WHERE reason = 'points' AND day = ? ORDER BY target", iso(2)
    )
    assert paid == [(A,), (B,)]
    await conserved(engine)


async def test_a_moderator_releases_a_hold_once(db, clock) -> None:
    engine = await talked(db, clock, 2)
    await close(engine, [1, 2], {2: FraudDay(held_members={A: WHY})})
    before = (await balances(db))[A]
    repo = EscrowRepository(db)
    page, total, tokens = await repo.page(G, 0, 10)
    assert (total, tokens) == (2, 12)
    tier = next(hold for hold in page if hold.reason == "tier")
    decided = await repo.decide(
        G, escrow.RELEASE, moderator=7, day=iso(3), at=CLOSED_AT, ids=[tier.id], reason="ok"
    )
    assert (decided.holds, decided.tokens) == (1, 10)
    assert (await balances(db))[A] == before + 10
    again = await repo.decide(
        G, escrow.RELEASE, moderator=7, day=iso(3), at=CLOSED_AT, ids=[tier.id], reason="ok"
    )
    assert (again.holds, again.tokens) == (0, 0)
    assert (await balances(db))[A] == before + 10
    assert await rows(db, "SELECT moderator, action, target, amount FROM mod_actions") == [
        (7, "release", A, 10)
    ]
    await conserved(engine)


async def test_voiding_a_members_holds_returns_them_to_the_treasury(db, clock) -> None:
    engine = await talked(db, clock, 2)
    await close(engine, [1, 2], {2: FraudDay(held_members={A: WHY})})
    treasury = (await balances(db))[TREASURY]
    decided = await EscrowRepository(db).decide(
        G, escrow.VOID, moderator=7, day=iso(3), at=CLOSED_AT, member=A, reason="farming"
    )
    assert (decided.holds, decided.tokens) == (2, 12)
    money = await balances(db)
    assert money[TREASURY] == treasury + 12
    assert money.get(ESCROW, 0) == 0
    assert [status for *_, status in await holds(db)] == ["voided", "voided"]
    await conserved(engine)


@pytest.mark.parametrize(("on_expiry", "status"), [("release", "released"), ("void", "voided")])
async def test_an_unreviewed_hold_ends_after_hold_days(db, clock, on_expiry, status) -> None:
    engine = await talked(db, clock, 5, on_expiry=on_expiry)
    results = await close(engine, [1, 2, 3], {2: FraudDay(held_members={A: WHY})})
    assert [s for *_, s in await holds(db)] == ["held", "held"]  # day 3: one day later
    (day4,) = await close(engine, [4])
    assert [s for *_, s in await holds(db)] == [status, status]  # day 4: two days later
    assert (day4.released, day4.voided) == ((12, 0) if on_expiry == "release" else (0, 12))
    assert results[1].held == 12
    assert (await balances(db)).get(ESCROW, 0) == 0
    await conserved(engine)


async def test_held_rewards_are_paid_once_even_when_a_close_is_retried(db, clock) -> None:
    """The close is one transaction: a failure part-way leaves no hold and no payment."""
    engine = await talked(db, clock, 2)
    await close(engine, [1])
    await db.connection.execute(
        "CREATE TRIGGER fail_hold BEFORE INSERT ON holds BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    before = await balances(db)
    with pytest.raises(Exception, match="boom"):
        await close(engine, [2], {2: FraudDay(held_members={A: WHY})})
    assert await balances(db) == before
    await db.connection.execute("DROP TRIGGER fail_hold")
    await close(engine, [2], {2: FraudDay(held_members={A: WHY})})
    assert len(await holds(db)) == 2
    await conserved(engine)


async def test_erasing_a_member_voids_their_holds_and_forgets_their_evidence(db, clock) -> None:
    engine = await talked(db, clock, 2)
    await close(engine, [1, 2], {2: FraudDay(held_members={A: WHY}, held_pairs={(A, B): WHY})})
    await db.connection.execute(
        "INSERT INTO fraud_flags (guild, day, a, b, score, held, reasons)"
        " VALUES (?, ?, ?, 0, 0.8, 1, ?)",
        (G, iso(2), A, WHY),
    )
    await db.connection.commit()
    await PrivacyRepository(db).erase(
        G, A, [iso(1), iso(2), iso(3)], key=f"erase:{G}:{A}", day=iso(3), at=CLOSED_AT
    )
    assert await rows(db, "SELECT count(*) FROM holds WHERE member = ?", A) == [(0,)]
    assert await rows(db, "SELECT count(*) FROM fraud_flags WHERE a = ? OR b = ?", A, A) == [(0,)]
    # B's hold on the pair stays B's, but no longer names A.
    assert await rows(db, "SELECT member, a, b, status FROM holds") == [(B, None, None, "held")]
    assert (await balances(db)).get(ESCROW) == 10
    await conserved(engine)


async def test_a_members_export_lists_their_held_rewards_with_the_reasons(db, clock) -> None:
    engine = await talked(db, clock, 2)
    await close(engine, [1, 2], {2: FraudDay(held_members={A: WHY})})
    data = await PrivacyRepository(db).export(G, A, [iso(1), iso(2)])
    assert [(h["day"], h["amount"], h["reward"], h["status"]) for h in data["held_rewards"]] == [
        (iso(2), 2, "points", "held"),
        (iso(2), 10, "tier", "held"),
    ]
    assert data["held_rewards"][0]["reasons"] == [
        ["burst", "120 exchanges on the day; usually 5", "0.8"]
    ]
    assert (await PrivacyRepository(db).export(G, B, [iso(1), iso(2)]))["held_rewards"] == []
