"""Rule 10's ledger on a real file: append-only, idempotent, never negative, conserved."""

from __future__ import annotations

import sqlite3

import pytest

from bot.domain.ledger import TREASURY
from bot.store.database import Database
from bot.store.ledger import InsufficientFunds, LedgerRepository
from tests.services.builders import balances, rows

DAY = "2026-11-01"
AT = "2026-11-01T00:00:00+00:00"


@pytest.fixture
async def ledger(db: Database) -> LedgerRepository:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO guilds (id, config) VALUES (1, '{}')")
    return LedgerRepository(db)


async def test_rule10_a_key_moves_tokens_once(ledger: LedgerRepository, db: Database) -> None:
    assert await ledger.move(
        1, key="fund", source=None, target=TREASURY, amount=100, reason="fund", day=None, at=AT
    )
    assert not await ledger.move(
        1, key="fund", source=None, target=TREASURY, amount=100, reason="fund", day=None, at=AT
    )
    assert await ledger.treasury(1) == 100
    assert len(await rows(db, "SELECT * FROM ledger")) == 1


async def test_rule10_no_balance_goes_negative(ledger: LedgerRepository, db: Database) -> None:
    await ledger.move(
        1, key="fund", source=None, target=TREASURY, amount=5, reason="fund", day=None, at=AT
    )
    with pytest.raises(InsufficientFunds):
        await ledger.move(
            1, key="pay", source=TREASURY, target=101, amount=6, reason="x", day=DAY, at=AT
        )
    assert await balances(db, 1) == {TREASURY: 5}
    assert len(await rows(db, "SELECT * FROM ledger")) == 1


async def test_rule10_the_ledger_is_append_only(ledger: LedgerRepository, db: Database) -> None:
    await ledger.move(
        1, key="fund", source=None, target=TREASURY, amount=5, reason="fund", day=None, at=AT
    )
    for statement in ("UPDATE ledger SET amount = 50", "DELETE FROM ledger"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with db.transaction() as conn:
                await conn.execute(statement)
    assert await rows(db, "SELECT amount FROM ledger") == [(5,)]


async def test_rule10_totals_conserve_what_was_funded(ledger: LedgerRepository) -> None:
    await ledger.move(
        1, key="f1", source=None, target=TREASURY, amount=70, reason="fund", day=None, at=AT
    )
    await ledger.move(
        1, key="p1", source=TREASURY, target=101, amount=20, reason="x", day=DAY, at=AT
    )
    await ledger.move(1, key="p2", source=101, target=102, amount=5, reason="x", day=DAY, at=AT)
    totals = await ledger.totals(1)
    assert (totals.funded, totals.held, totals.mismatched_accounts) == (70, 70, 0)
    assert await ledger.balance(1, 101) == 15
    assert await ledger.balance(1, 102) == 5


async def test_a_members_movement_must_carry_its_day(db):
    """Histories find a member's entries by guild day: an entry without one would be lost."""
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO guilds (id, config) VALUES (1, '{}')")
    repo = LedgerRepository(db)
    await repo.move(1, key="f", source=None, target=0, amount=10, reason="fund", day=None, at="t")
    with pytest.raises(ValueError, match="guild day"):
        await repo.move(1, key="x", source=0, target=5, amount=1, reason="r", day=None, at="t")
    assert await repo.treasury(1) == 10
