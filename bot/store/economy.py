"""Reads for the economy report: payouts per day, outstanding balances, the treasury."""

from __future__ import annotations

from bot.domain.ledger import LAST_SYSTEM_ACCOUNT, TREASURY
from bot.store.database import Database


class EconomyRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def paid_per_day(self, guild: int, days: int) -> list[tuple[str, int]]:
        """(day, tokens paid by its close) for the guild's last `days` closed days, oldest
        first (each close records what it paid, so no ledger scan is needed)."""
        async with self.db.connection.execute(
            "SELECT day, paid FROM (SELECT day, paid FROM day_closes WHERE guild = ?"
            " ORDER BY day DESC LIMIT ?) ORDER BY day",
            (guild, days),
        ) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def member_balances(self, guild: int) -> list[int]:
        """Every member's balance (the guild's liability, account by account)."""
        async with self.db.connection.execute(
            "SELECT balance FROM balances WHERE guild = ? AND account > ? AND balance > 0",
            (guild, LAST_SYSTEM_ACCOUNT),
        ) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    async def treasury(self, guild: int) -> int:
        async with self.db.connection.execute(
            "SELECT balance FROM balances WHERE guild = ? AND account = ?", (guild, TREASURY)
        ) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else 0
