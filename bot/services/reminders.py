"""Streak reminders for members who opted in: the data behind the decision, and the record that
each member is reminded at most once per guild day. Who and when is decided by the pure
`bot.domain.reminders`; sending the DM is the cog's part (cogs/reminders.py)."""

from __future__ import annotations

from datetime import date

from bot.clock import Clock
from bot.domain.reminders import Candidate, Pending, Reminder, due_day, reminders_due
from bot.guild_config import GuildConfig
from bot.services.intake import Intake
from bot.services.profiles import StreakToday
from bot.store.database import Database
from bot.store.profiles import ProfileRepository
from bot.store.reminders import ReminderRepository


class ReminderService:
    def __init__(self, db: Database, intake: Intake, clock: Clock) -> None:
        self.store = ReminderRepository(db)
        self.profiles = ProfileRepository(db)
        self.intake = intake
        self.ingestor = intake.ingestor
        self.clock = clock

    async def set(self, guild: int, member: int, on: bool) -> bool:
        """Opt the member in (or out) of reminders; False if nothing changed."""
        return await self.store.set(guild, member, on)

    async def is_on(self, guild: int, member: int) -> bool:
        return await self.store.is_on(guild, member)

    async def due(self, guild: int) -> list[Reminder]:
        """The reminders due now in the guild (none outside its reminder window)."""
        config = (await self.ingestor.guild(guild)).config
        zone, hours = config.zone, config.reminders.hours_before
        now = self.clock.now()
        day = due_day(now, zone, hours)
        if day is None:
            return []  # most runs: no store access at all
        waiting = await self.store.not_reminded(guild, day.isoformat())
        if not waiting:
            return []
        # Today's exchanges include what the gateway delivered a moment ago.
        await self.intake.drain()
        await self.ingestor.flush()
        candidates = [
            Candidate(
                member,
                date.fromisoformat(last) if last else None,
                await self._pending(guild, member, day.isoformat(), config),
            )
            for member, last in waiting
        ]
        return reminders_due(now, zone, hours, candidates)

    async def _pending(
        self, guild: int, member: int, day: str, config: GuildConfig
    ) -> tuple[Pending, ...]:
        """The member's live streaks that `day` does not count for yet (ProfileService's
        `my_streaks`, read straight from the store: one drain and flush serve every member)."""
        directions = await self.profiles.day_directions(guild, day, member, config.streaks.count)
        pending = []
        for streak in await self.profiles.live_streaks(guild, member):
            sent, received = directions.get(streak.partner, (False, False))
            status = StreakToday(streak, sent, received, config.streaks.require_mutual)
            if status.waiting_on is not None:
                pending.append(Pending(streak.partner, streak.current, status.waiting_on))
        return tuple(pending)

    async def claim(self, guild: int, reminder: Reminder) -> bool:
        """Record the reminder as sent before sending it: True once per member and day."""
        return await self.store.claim(guild, reminder.member, reminder.day.isoformat())
