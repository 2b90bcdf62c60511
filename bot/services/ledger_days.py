"""The guild days a member's ledger entries can be on: what /history, /mod audit and a privacy
export or erasure look through (the ledger's member indexes lead with the day, migration 0002).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.domain.calendar import days_between, guild_day
from bot.services.guild_state import GuildState
from bot.store.ledger import LedgerRepository


async def ledger_days(
    ledger: LedgerRepository, state: GuildState, now: datetime, *, ahead: int = 0
) -> list[str]:
    """From the guild's first event, or its first ledger entry if earlier (an adjustment can
    come before anyone talked), through today plus `ahead` days; [] for a guild with neither."""
    known = [d for d in (state.first_day, await ledger.first_day(state.id)) if d]
    if not known:
        return []
    today = guild_day(now, state.config.zone)
    first = min(date.fromisoformat(min(known)), today)
    return [day.isoformat() for day in days_between(first, today + timedelta(days=ahead))]
