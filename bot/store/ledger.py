"""The token ledger: append-only entries with idempotency keys, and the balances they imply."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.domain.ledger import TREASURY
from bot.store.database import Database

MEMBER_ENTRIES = (
    "SELECT id, day, created_at, amount, reason, key, source FROM ledger"
    " INDEXED BY ledger_by_day_target"
    " WHERE guild = ?1 AND day IN (SELECT value FROM json_each(?3)) AND target = ?2"
    " UNION ALL"
    " SELECT id, day, created_at, -amount, reason, key, target FROM ledger"
    " INDEXED BY ledger_by_day_source"
    " WHERE guild = ?1 AND day IN (SELECT value FROM json_each(?3)) AND source = ?2"
    "   AND source > 0"
)
"""A member's entries on some guild days, each a seek into the day-led indexes (migration
0002): (id, day, created_at, signed amount, reason, key, counterparty). Parameters: ?1 the
guild, ?2 the member, ?3 the days as a JSON array."""


class InsufficientFunds(ValueError):
    """A movement would take an account below zero; nothing was written."""


@dataclass(slots=True, frozen=True)
class LedgerTotals:
    funded: int
    """Net tokens that entered the guild from outside (funding minus withdrawals)."""
    held: int
    """Tokens in the treasury and all member accounts together."""
    mismatched_accounts: int
    """Accounts whose balance differs from the sum of their entries (always 0)."""


class LedgerRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def move(
        self,
        guild: int,
        *,
        key: str,
        source: int | None,
        target: int | None,
        amount: int,
        reason: str,
        day: str | None,
        at: str,
    ) -> bool:
        """Move `amount` between accounts (None = outside), in one transaction with its
        balance changes. False if `key` was already used; InsufficientFunds if `source` holds
        less than `amount` (nothing is written either way)."""
        async with self.db.transaction() as conn:
            return await move_in(
                conn,
                guild,
                key=key,
                source=source,
                target=target,
                amount=amount,
                reason=reason,
                day=day,
                at=at,
            )

    async def balance(self, guild: int, account: int) -> int:
        return await balance_in(self.db.connection, guild, account)

    async def first_day(self, guild: int) -> str | None:
        """The earliest guild day of any entry (a seek into ledger_by_day_target)."""
        async with self.db.connection.execute(
            "SELECT min(day) FROM ledger WHERE guild = ?", (guild,)
        ) as cursor:
            return (await cursor.fetchone())[0]

    async def treasury(self, guild: int) -> int:
        return await self.balance(guild, TREASURY)

    async def totals(self, guild: int) -> LedgerTotals:
        """What conservation is checked against: funded == held, every balance == its entries."""
        conn = self.db.connection
        async with conn.execute(
            "SELECT coalesce(sum(CASE WHEN source IS NULL THEN amount ELSE 0 END), 0)"
            "     - coalesce(sum(CASE WHEN target IS NULL THEN amount ELSE 0 END), 0)"
            " FROM ledger WHERE guild = ?",
            (guild,),
        ) as cursor:
            funded = (await cursor.fetchone())[0]
        async with conn.execute(
            "SELECT coalesce(sum(balance), 0) FROM balances WHERE guild = ?", (guild,)
        ) as cursor:
            held = (await cursor.fetchone())[0]
        async with conn.execute(
            # Per account, entries in minus entries out minus balance must be zero.
            "SELECT count(*) FROM (SELECT account, sum(amount) AS diff FROM ("
            "  SELECT target AS account, amount FROM ledger WHERE guild = ?1 AND target IS NOT NULL"
            "  UNION ALL SELECT source, -amount FROM ledger WHERE guild = ?1 AND source IS NOT NULL"
            "  UNION ALL SELECT account, -balance FROM balances WHERE guild = ?1"
            ") GROUP BY account HAVING diff != 0)",
            (guild,),
        ) as cursor:
            mismatched = (await cursor.fetchone())[0]
        return LedgerTotals(funded, held, mismatched)


async def move_in(
    conn: aiosqlite.Connection,
    guild: int,
    *,
    key: str,
    source: int | None,
    target: int | None,
    amount: int,
    reason: str,
    day: str | None,
    at: str,
) -> bool:
    """`LedgerRepository.move` inside a transaction the caller holds (`db.transaction()`), so
    that a use case can move tokens and change other rows all or nothing (a purchase, a void).
    False if `key` was already used; InsufficientFunds if `source` holds less than `amount`
    (raise it on, and the caller's transaction rolls back)."""
    if amount <= 0:
        raise ValueError("amount must be positive")
    if source == target:
        raise ValueError("a movement needs two different accounts")
    if day is None and any(account not in (None, TREASURY) for account in (source, target)):
        # Members' histories find their entries by day (see migration 0002).
        raise ValueError("a movement of a member's tokens must carry its guild day")
    async with conn.execute("SELECT 1 FROM ledger WHERE key = ?", (key,)) as cursor:
        if await cursor.fetchone():
            return False
    if source is not None:
        if await balance_in(conn, guild, source) < amount:
            raise InsufficientFunds(f"account {source} holds less than {amount}")
        await conn.execute(
            "UPDATE balances SET balance = balance - ? WHERE guild = ? AND account = ?",
            (amount, guild, source),
        )
    if target is not None:
        await conn.execute(
            "INSERT INTO balances (guild, account, balance) VALUES (?, ?, ?)"
            " ON CONFLICT (guild, account) DO UPDATE SET balance = balance + excluded.balance",
            (guild, target, amount),
        )
    await conn.execute(
        "INSERT INTO ledger (guild, key, source, target, amount, reason, day, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (guild, key, source, target, amount, reason, day, at),
    )
    return True


async def balance_in(conn: aiosqlite.Connection, guild: int, account: int) -> int:
    """An account's balance (0 when it has none), on `conn`: inside a caller's transaction it
    sees that transaction's own moves."""
    async with conn.execute(
        "SELECT balance FROM balances WHERE guild = ? AND account = ?", (guild, account)
    ) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else 0
