"""The economy report owners read before and after changing the rules (`/economy report`,
`python -m bot simulate`): what is minted, what is owed, how long the treasury lasts, and who
holds the tokens."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.economy import runway_days, top_share
from bot.store.database import Database
from bot.store.economy import EconomyRepository

REPORT_DAYS = 30
RATE_DAYS = 7


@dataclass(frozen=True, slots=True)
class EconomyReport:
    paid_per_day: list[tuple[str, int]]
    """(day, tokens paid) of the last REPORT_DAYS closed days, oldest first."""
    outstanding: int
    """Tokens held by members: what the guild owes if they were all spent at once."""
    holders: int
    treasury: int
    runway_days: float | None
    """At the last RATE_DAYS days' payout rate; None when nothing was paid."""
    top1_share: float
    top10_share: float

    @property
    def minted(self) -> int:
        return sum(paid for _, paid in self.paid_per_day)


async def economy_report(db: Database, guild: int) -> EconomyReport:
    repo = EconomyRepository(db)
    paid = await repo.paid_per_day(guild, REPORT_DAYS)
    balances = await repo.member_balances(guild)
    treasury = await repo.treasury(guild)
    return EconomyReport(
        paid_per_day=paid,
        outstanding=sum(balances),
        holders=len(balances),
        treasury=treasury,
        runway_days=runway_days(treasury, [amount for _, amount in paid[-RATE_DAYS:]]),
        top1_share=top_share(balances, 0.01),
        top10_share=top_share(balances, 0.10),
    )
