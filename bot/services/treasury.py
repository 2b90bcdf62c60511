"""The guild treasury: funded explicitly, the only source of rewards."""

from __future__ import annotations

from bot.clock import Clock
from bot.domain.ledger import TREASURY
from bot.store.database import Database
from bot.store.ledger import LedgerRepository


class TreasuryService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.ledger = LedgerRepository(db)
        self.clock = clock

    async def fund(self, guild: int, amount: int, *, key: str, reason: str = "fund") -> bool:
        """Add `amount` new tokens to the treasury; False if `key` was funded already."""
        if amount <= 0:
            return False
        return await self.ledger.move(
            guild,
            key=key,
            source=None,
            target=TREASURY,
            amount=amount,
            reason=reason,
            day=None,
            at=self.clock.now().isoformat(),
        )

    async def balance(self, guild: int) -> int:
        return await self.ledger.treasury(guild)
