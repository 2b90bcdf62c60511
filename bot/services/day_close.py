"""Closing guild days: exactly once, in order, none skipped, catching up after downtime."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from bot.clock import Clock
from bot.domain.calendar import day_end, days_between, guild_day
from bot.services.fraud import FraudDetector
from bot.services.ingest import Ingestor
from bot.store.database import Database
from bot.store.day_close import DayCloseRepository, DayCloseResult

log = logging.getLogger(__name__)


class DayCloser:
    def __init__(
        self, db: Database, ingestor: Ingestor, clock: Clock, *, checkpoint: bool = True
    ) -> None:
        self.repo = DayCloseRepository(db)
        self.detector = FraudDetector(db)
        self.ingestor = ingestor
        self.clock = clock
        # Replay builds a scratch file and syncs it once at the end: no checkpoint per close.
        self.checkpoint = checkpoint

    async def close_through(self, guild: int, through: date) -> list[DayCloseResult]:
        """Close every open day of `guild` up to and including `through`, in order.

        Days already closed are skipped (the store's record decides), so calling this twice,
        or after a restart, changes nothing the first call did.
        """
        state = await self.ingestor.guild(guild)
        # The detector judges before ingest is paused, so that the live bot keeps taking
        # messages while it works: the days' events are flushed first (a straggler arriving
        # meanwhile still counts in the close, it only escapes the detector).
        await self.ingestor.flush()
        judged = _open_days(state.first_day, state.last_closed, through)
        found = await self.detector.judge(guild, judged, state.config, state.first_day)
        async with self.ingestor.paused():
            days = _open_days(state.first_day, state.last_closed, through)
            if not days:  # closed by another caller meanwhile
                return []
            unjudged = [day for day in days if day not in judged]  # a first event meanwhile
            found |= await self.detector.judge(guild, unjudged, state.config, state.first_day)
            zone = state.config.zone
            results = await self.repo.close_days(
                guild,
                days,
                state.config,
                self.clock.now().isoformat(),
                {day: day_end(date.fromisoformat(day), zone).isoformat() for day in days},
                found,
            )
            self.ingestor.day_closed(guild, days[-1])
        if self.checkpoint:
            await self.repo.db.checkpoint()  # ingest goes on meanwhile
        for result in results:
            log.info(
                "guild %s closed %s: %d pairs (%d new, %d extended), %d frozen, %d broken,"
                " %d tiers, %d tokens paid of %d owed (%d held)",
                guild,
                result.day,
                result.pairs,
                result.started,
                result.extended,
                result.frozen,
                result.broken,
                len(result.tiers),
                result.paid,
                result.owed,
                result.held,
            )
        return results

    async def close_due(self, guild: int) -> list[DayCloseResult]:
        """Close every day of `guild` that has ended by the clock's now, in its timezone."""
        state = await self.ingestor.guild(guild)
        yesterday = guild_day(self.clock.now(), state.config.zone) - timedelta(days=1)
        return await self.close_through(guild, yesterday)

    async def catch_up(self) -> list[DayCloseResult]:
        """Close, for every known guild, each day that has ended by the clock's now."""
        results = []
        for state in await self.ingestor.all_guilds():
            results.extend(await self.close_due(state.id))
        return results


def _open_days(first_day: str | None, last_closed: str, through: date) -> list[str]:
    """The guild days still to close, up to and including `through`."""
    if first_day is None:
        return []
    start = (
        date.fromisoformat(last_closed) + timedelta(days=1)
        if last_closed
        else date.fromisoformat(first_day)
    )
    return [day.isoformat() for day in days_between(start, through)] if start <= through else []
