"""Rule 10, the ledger on a real SQLite file: random movements conserve tokens, never overdraw,
happen once per idempotency key, and the ledger table is append-only."""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.domain.ledger import TREASURY
from bot.guild_config import GuildConfig
from bot.store.database import Database
from bot.store.guilds import GuildRepository
from bot.store.ledger import InsufficientFunds, LedgerRepository

GUILDS = (1, 2)
MEMBERS = (101, 102, 103)
DAY = "2026-11-01"
AT = "2026-11-01T00:00:00+00:00"


@dataclass(frozen=True)
class Move:
    """One ledger movement; None is the outside world, TREASURY (0) the guild's treasury.

    `reuse` None asks for a fresh idempotency key; a number reuses one of the keys already
    tried (applied or refused), so that both kinds of repeat are exercised. `affordable` folds
    the amount into the source's balance when it has one, so that most spending moves succeed
    and the others try overdrafts.
    """

    guild: int
    source: int | None
    target: int | None
    amount: int
    reuse: int | None = None
    affordable: bool = False

    def resolved(self, balance: int) -> Move:
        if self.affordable and self.source is not None and balance > 0:
            return replace(self, amount=1 + (self.amount - 1) % balance, affordable=False)
        return self

    @property
    def reason(self) -> str:
        if self.source is None:
            return "fund"
        if self.target is None:
            return "withdraw"
        return "pay" if self.source == TREASURY else "transfer"


@dataclass
class Model:
    """What the ledger must hold: balances per (guild, account), net funding per guild."""

    balances: dict[tuple[int, int], int] = field(default_factory=dict)
    funded: dict[int, int] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)

    def balance(self, guild: int, account: int) -> int:
        return self.balances.get((guild, account), 0)

    def apply(self, move: Move, key: str) -> None:
        self.keys.add(key)
        if move.source is None:
            self.funded[move.guild] = self.funded.get(move.guild, 0) + move.amount
        else:
            self.balances[(move.guild, move.source)] -= move.amount
        if move.target is None:
            self.funded[move.guild] = self.funded.get(move.guild, 0) - move.amount
        else:
            account = (move.guild, move.target)
            self.balances[account] = self.balances.get(account, 0) + move.amount


reuse = st.one_of(st.none(), st.none(), st.none(), st.integers(min_value=0, max_value=50))
# Mostly the first guild, so that money accumulates where later moves can spend it.
guilds = st.sampled_from((GUILDS[0], GUILDS[0], GUILDS[0], GUILDS[1]))
members = st.sampled_from(MEMBERS)


def amounts(most: int) -> st.SearchStrategy[int]:
    return st.integers(min_value=1, max_value=most)


fund = st.builds(
    Move,
    guild=guilds,
    source=st.none(),
    target=st.just(TREASURY),
    amount=amounts(1000),
    reuse=reuse,
)
spend = {"amount": amounts(300), "reuse": reuse, "affordable": st.booleans()}
pay = st.builds(Move, guild=guilds, source=st.just(TREASURY), target=members, **spend)
transfer = st.builds(Move, guild=guilds, source=members, target=members, **spend)
withdraw = st.builds(Move, guild=guilds, source=members, target=st.none(), **spend)
# Every sequence opens with some funding and payouts, so that members have tokens to spend.
moves = st.tuples(
    st.lists(fund, min_size=1, max_size=3),
    st.lists(pay, min_size=1, max_size=4),
    st.lists(st.one_of(fund, pay, transfer, transfer, withdraw, withdraw), max_size=30),
).map(lambda parts: [move for part in parts for move in part])


async def open_ledger(directory: str) -> tuple[Database, LedgerRepository]:
    db = await Database.open(Path(directory) / "ledger.db")
    for guild in GUILDS:
        await GuildRepository(db).save_config(guild, GuildConfig())
    return db, LedgerRepository(db)


async def ledger_rows(db: Database) -> list[tuple]:
    async with db.connection.execute("SELECT * FROM ledger ORDER BY id") as cursor:
        return list(await cursor.fetchall())


async def stored_balances(db: Database) -> dict[tuple[int, int], int]:
    async with db.connection.execute("SELECT guild, account, balance FROM balances") as cursor:
        return {(guild, account): balance for guild, account, balance in await cursor.fetchall()}


async def check_invariants(db: Database, ledger: LedgerRepository, model: Model) -> None:
    """Rule 10 after every step: conservation, no negative balance, the model's numbers."""
    balances = await stored_balances(db)
    assert all(balance >= 0 for balance in balances.values()), balances
    assert {k: v for k, v in balances.items() if v} == {
        k: v for k, v in model.balances.items() if v
    }
    for guild in GUILDS:
        totals = await ledger.totals(guild)
        assert totals.funded == totals.held == model.funded.get(guild, 0), (guild, totals)
        assert totals.mismatched_accounts == 0
        for account in (TREASURY, *MEMBERS):
            assert await ledger.balance(guild, account) == model.balance(guild, account)


async def check_append_only(db: Database) -> None:
    """Rule 10: the ledger refuses UPDATE and DELETE (its triggers), and keeps every row."""
    before = await ledger_rows(db)
    if not before:
        return
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        await db.connection.execute("UPDATE ledger SET amount = amount + 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        await db.connection.execute(
            "UPDATE ledger SET target = NULL WHERE id = ?", (before[-1][0],)
        )
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        await db.connection.execute("DELETE FROM ledger")
    assert await ledger_rows(db) == before


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=moves)
async def test_rule_10_ledger_conserves_tokens_under_random_moves(steps: list[Move]):
    """Rule 10 (property): whatever the sequence of fund / pay / transfer / withdraw moves with
    reused keys, funded == held, balances match their entries and never go negative, an
    overdraft raises InsufficientFunds and writes nothing, a reused key returns False and writes
    nothing, a move to the same account is refused, and the ledger stays append-only. A fresh
    database file per example."""
    with tempfile.TemporaryDirectory() as directory:
        db, ledger = await open_ledger(directory)
        try:
            model = Model()
            tried: list[str] = []
            for n, drawn in enumerate(steps):
                step = drawn.resolved(model.balance(drawn.guild, drawn.source or TREASURY))
                key = (
                    f"key-{n}"
                    if step.reuse is None or not tried
                    else tried[step.reuse % len(tried)]
                )
                tried.append(key)
                rows_before = await ledger_rows(db)
                call = dict(
                    key=key,
                    source=step.source,
                    target=step.target,
                    amount=step.amount,
                    reason=step.reason,
                    day=DAY,
                    at=AT,
                )
                if step.source is not None and step.source == step.target:
                    # Moving to the same account means nothing: it is refused before the key is
                    # even looked at, and writes nothing.
                    event("same account")
                    with pytest.raises(ValueError, match="two different accounts"):
                        await ledger.move(step.guild, **call)
                    assert await ledger_rows(db) == rows_before
                elif key in model.keys:
                    event("reused key")
                    assert await ledger.move(step.guild, **call) is False
                    assert await ledger_rows(db) == rows_before
                elif (
                    step.source is not None and model.balance(step.guild, step.source) < step.amount
                ):
                    event("overdraft")
                    with pytest.raises(InsufficientFunds):
                        await ledger.move(step.guild, **call)
                    assert await ledger_rows(db) == rows_before
                else:
                    event(f"applied {step.reason}")
                    assert await ledger.move(step.guild, **call) is True
                    model.apply(step, key)
                    rows = await ledger_rows(db)
                    assert rows[: len(rows_before)] == rows_before
                    assert len(rows) == len(rows_before) + 1
                await check_invariants(db, ledger, model)
                await check_append_only(db)
        finally:
            await db.close()


async def test_rule_10_overdraft_leaves_its_key_free(db: Database):
    """Rule 10: a refused overdraft writes nothing, not even its idempotency key, so a later
    affordable move with that key goes through."""
    await GuildRepository(db).save_config(1, GuildConfig())
    ledger = LedgerRepository(db)
    assert await ledger.move(
        1, key="f", source=None, target=TREASURY, amount=50, reason="fund", day=None, at=AT
    )
    with pytest.raises(InsufficientFunds):
        await ledger.move(
            1,
            key="p",
            source=TREASURY,
            target=101,
            amount=51,
            reason="pay",
            day=DAY,
            at=AT,
        )
    assert await ledger.treasury(1) == 50
    assert await ledger.balance(1, 101) == 0
    assert len(await ledger_rows(db)) == 1
    assert await ledger.move(
        1, key="p", source=TREASURY, target=101, amount=50, reason="pay", day=DAY, at=AT
    )
    assert (await ledger.treasury(1), await ledger.balance(1, 101)) == (0, 50)


async def test_rule_10_reused_key_is_a_no_op(db: Database):
    """Rule 10: an idempotency key pays once, even if the second call names other accounts."""
    await GuildRepository(db).save_config(1, GuildConfig())
    ledger = LedgerRepository(db)
    assert await ledger.move(
        1, key="k", source=None, target=TREASURY, amount=10, reason="fund", day=None, at=AT
    )
    assert not await ledger.move(
        1, key="k", source=None, target=TREASURY, amount=10, reason="fund", day=None, at=AT
    )
    assert not await ledger.move(
        1, key="k", source=None, target=101, amount=99, reason="fund", day=DAY, at=AT
    )
    assert (await ledger.treasury(1), await ledger.balance(1, 101)) == (10, 0)
    totals = await ledger.totals(1)
    assert (totals.funded, totals.held, totals.mismatched_accounts) == (10, 10, 0)


@pytest.mark.parametrize("amount", [0, -5])
async def test_rule_10_tokens_move_in_positive_amounts(db: Database, amount: int):
    """Rule 10: a zero or negative move is refused before anything is written."""
    await GuildRepository(db).save_config(1, GuildConfig())
    ledger = LedgerRepository(db)
    with pytest.raises(ValueError, match="positive"):
        await ledger.move(
            1, key="z", source=None, target=TREASURY, amount=amount, reason="fund", day=None, at=AT
        )
    assert await ledger_rows(db) == []


@pytest.mark.parametrize("amount", [1, 10])
async def test_rule_10_move_to_the_same_account_is_a_domain_error(db: Database, amount: int):
    """Rule 10: a move whose source is its target is refused with a ValueError before any SQL
    runs, whatever the balance, like a non-positive amount (the store speaks domain errors,
    not sqlite3's)."""
    await GuildRepository(db).save_config(1, GuildConfig())
    ledger = LedgerRepository(db)
    await ledger.move(
        1, key="f", source=None, target=TREASURY, amount=5, reason="fund", day=None, at=AT
    )
    with pytest.raises(ValueError):  # noqa: PT011 - which ValueError is the store's choice
        await ledger.move(
            1, key="s", source=TREASURY, target=TREASURY, amount=amount, reason="x", day=None, at=AT
        )
    assert await ledger.treasury(1) == 5
    assert len(await ledger_rows(db)) == 1
