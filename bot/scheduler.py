"""The day-close schedule: one APScheduler job per guild, shortly after its local midnight.

The job only asks the closer to close what has ended; the store's record of closed days decides
what that is. So a job that fires twice, late, or after a restart closes each day exactly once,
and a missed midnight is caught up by the next run (or by `catch_up` on start and reconnect).

The grace after midnight lets a message stamped 23:59:59 by Discord, but delivered a little
late, still count for its own day: events are dated by their Discord timestamp, not arrival.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.services.day_close import DayCloser
from bot.services.intake import Intake
from bot.store.day_close import DayCloseResult

log = logging.getLogger(__name__)

ClosedHandler = Callable[[int, list[DayCloseResult]], Awaitable[None]]


def _job_id(guild: int) -> str:
    return f"day-close:{guild}"


class DayCloseScheduler:
    def __init__(
        self,
        closer: DayCloser,
        intake: Intake,
        *,
        grace: timedelta = timedelta(minutes=2),
        on_closed: ClosedHandler | None = None,
    ) -> None:
        if not timedelta(0) <= grace < timedelta(hours=23):
            raise ValueError("the close's grace after midnight must be under 23 hours")
        self.closer = closer
        self.intake = intake
        self.grace = grace
        self.listeners: list[ClosedHandler] = [on_closed] if on_closed is not None else []
        """Called with each guild's closed days (cogs add theirs: milestones, moderators' log)."""
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._zones: dict[int, str] = {}
        self._lock = asyncio.Lock()

    def start(self) -> None:
        if not self.scheduler.running:
            self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def plan(self, guild: int, zone: ZoneInfo) -> None:
        """(Re)schedule the guild's close at local midnight plus the grace, in `zone`."""
        if self._zones.get(guild) == zone.key and self.scheduler.get_job(_job_id(guild)):
            return
        seconds = int(self.grace.total_seconds())
        trigger = CronTrigger(
            hour=seconds // 3600, minute=seconds // 60 % 60, second=seconds % 60, timezone=zone
        )
        self.scheduler.add_job(
            self.fire,
            trigger,
            args=[guild],
            id=_job_id(guild),
            replace_existing=True,
            coalesce=True,  # after a suspension, run once: the store closes every missed day
            misfire_grace_time=None,
            max_instances=1,
        )
        self._zones[guild] = zone.key
        log.info("guild %s: day close planned daily at %s %s", guild, self.grace, zone.key)

    def next_run(self, guild: int) -> datetime | None:
        job = self.scheduler.get_job(_job_id(guild))
        return None if job is None else job.next_run_time

    async def fire(self, guild: int) -> list[DayCloseResult]:
        """The job: take in what the gateway delivered, then close what has ended."""
        async with self._lock:
            await self.intake.drain()
            results = await self.closer.close_due(guild)
        for listener in self.listeners if results else ():
            try:
                await listener(guild, results)
            except Exception:  # one listener's failure must not keep the others from running
                log.exception("guild %s: handling the closed days failed", guild)
        return results

    async def catch_up(self, guilds: list[int]) -> None:
        """Close every missed day of these guilds, in order (on start and after reconnects)."""
        for guild in guilds:
            try:
                await self.fire(guild)
            except Exception:
                log.exception("guild %s: catching up on missed days failed", guild)
