"""The discord.py client: receives its services, loads the cogs, syncs the slash commands."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord.ext import commands

from bot.app import Services
from bot.ingest.discord_events import message_event

log = logging.getLogger(__name__)

COGS = (
    "cogs.errors",
    "cogs.events",
    "cogs.milestones",
    "cogs.streaks",
    "cogs.leaderboard",
    "cogs.wallet",
)


def intents(*, privileged: bool) -> discord.Intents:
    """What Streakbot listens to. Members and message content are used when the application
    is granted them, never required: streaks need neither."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.guild_reactions = True
    wanted.members = privileged
    wanted.message_content = privileged
    return wanted


class StreakBot(commands.Bot):
    def __init__(
        self, services: Services, *, privileged: bool = True, guild_ready_timeout: float = 2.0
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents(privileged=privileged),
            # Nobody is pinged unless a reply asks for it explicitly (display names are
            # members' words, not the bot's).
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
            enable_debug_events=False,
        )
        self.services = services
        self.caught_up = asyncio.Event()
        """Set once the guilds are registered and missed days closed after (re)connecting."""

    async def setup_hook(self) -> None:
        for extension in COGS:
            await self.load_extension(extension)
        self.services.intake.start()
        self.services.scheduler.start()
        await self.tree.sync()

    async def on_message(self, message: discord.Message, /) -> None:
        # The hottest path: queue the message for the intake, nothing else. Streakbot has no
        # text commands, so discord.py's default `process_commands` is skipped, and this runs
        # without the extra task a cog listener would cost per message.
        event = message_event(message)
        if event is not None:
            self.services.intake.put(event)

    async def close(self) -> None:
        # Flush what the gateway delivered before the connection goes: a clean shutdown
        # loses nothing accepted.
        await self.services.intake.stop()
        await super().close()
