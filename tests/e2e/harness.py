"""The real bot (discord.py, its cogs and services, a real SQLite file) against the emulator,
with a manual clock shared by both: tests decide when midnight comes.

A simulated midnight runs the scheduler's own job function (what APScheduler calls at the
guild's midnight plus the grace); the job's planning is tested in tests/services.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import Services
from bot.client import StreakBot
from bot.clock import ManualClock
from bot.emulator import Emulator
from bot.emulator.models import Channel, Guild, User
from bot.guild_config import GuildConfig, parse_config
from bot.settings import Settings

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Live:
    def __init__(self, tmp: Path, *, privileged: frozenset[str] | None = None) -> None:
        self.clock = ManualClock(START)
        kwargs: dict[str, Any] = {"clock": self.clock}
        if privileged is not None:
            kwargs["privileged_intents"] = privileged
        self.emu = Emulator(**kwargs)
        self.db_path = tmp / "streakbot.db"
        self.owner: User
        self.guild: Guild
        self.general: Channel
        self.services: Services | None = None
        self.bot: StreakBot | None = None
        self._running: contextlib.AsyncExitStack | None = None

    async def setup(self, *members: str) -> list[User]:
        await self.emu.start()
        self.owner = self.emu.create_user("owner")
        self.guild = self.emu.create_guild("Test Guild", self.owner)
        self.general = self.guild.channel("general")
        users = []
        for name in members:
            user = self.emu.create_user(name)
            self.guild.add_member(user)
            users.append(user)
        return users

    async def configure(self, **sections: Any) -> GuildConfig:
        """Save a guild config (as an owner would) before or while the bot runs."""
        config = parse_config(dict(sections), source="test")
        services = self.services
        assert services is not None
        await services.ingestor.guild(self.guild.id, config)
        services.scheduler.plan(self.guild.id, config.zone)
        return config

    async def start_bot(self, *, privileged: bool = True) -> StreakBot:
        settings = Settings(
            _env_file=None,
            database=self.db_path,
            api_base=self.emu.api_base,
            guild_ready_timeout=0.05,
        )
        self.services = await Services.open(settings, self.clock)
        self.bot = StreakBot(self.services, privileged=privileged, guild_ready_timeout=0.05)
        self._running = contextlib.AsyncExitStack()
        await self._running.enter_async_context(self.emu.running(self.bot))
        async with asyncio.timeout(5):
            await self.bot.caught_up.wait()
        return self.bot

    async def stop_bot(self) -> None:
        if self._running is not None:
            await self._running.aclose()
            self._running = None
        if self.services is not None:
            await self.services.close()
            self.services = None

    async def restart_bot(self) -> StreakBot:
        await self.stop_bot()
        return await self.start_bot()

    async def close(self) -> None:
        await self.stop_bot()
        await self.emu.close()

    async def settle(self) -> None:
        """Wait until the bot has taken in everything sent so far: a command round trip
        (the gateway delivers in order, and listeners queue events before any await)."""
        await self.emu.wait_idle()
        await self.emu.command(self.guild, self.general, self.owner, "balance")

    async def midnight(self, grace: timedelta = timedelta(minutes=2)) -> list:
        """Move the clock past the next UTC midnight (plus the grace) and run the close job."""
        await self.settle()
        now = self.clock.now()
        next_midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
        self.clock.set(next_midnight + grace)
        assert self.services is not None
        results = await self.services.scheduler.fire(self.guild.id)
        self.clock.set(next_midnight + timedelta(hours=9))  # the next day's morning
        return results

    async def exchange(self, a: User, b: User) -> None:
        """a mentions b, b replies: a qualifying day for the pair."""
        first = await self.emu.say(self.general, a, f"hey {b.mention}", mentions=[b])
        self.clock.set(self.clock.now() + timedelta(minutes=5))
        await self.emu.say(self.general, b, "hi!", reply_to=first)
        self.clock.set(self.clock.now() + timedelta(minutes=5))


@contextlib.asynccontextmanager
async def live(tmp: Path, *members: str, **kwargs: Any) -> AsyncIterator[tuple[Live, list[User]]]:
    harness = Live(tmp, **kwargs)
    try:
        users = await harness.setup(*members)
        yield harness, users
    finally:
        await harness.close()
