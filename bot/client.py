"""The discord.py client: receives its services, loads the cogs, syncs the slash commands."""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
from typing import Any

import discord
from discord.ext import commands

from bot.app import Services
from bot.ingest.discord_events import message_event

log = logging.getLogger(__name__)


def cog_extensions() -> list[str]:
    """Every module of the `cogs` package that is an extension (defines `setup`)."""
    import cogs

    found = []
    for module in pkgutil.iter_modules(cogs.__path__):
        name = f"cogs.{module.name}"
        if not module.name.startswith("_") and hasattr(importlib.import_module(name), "setup"):
            found.append(name)
    return sorted(found)


def intents(*, privileged: bool) -> discord.Intents:
    """What Streakbot listens to. Members and message content are used when the application
    is granted them, never required: streaks need neither."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.guild_reactions = True
    wanted.moderation = True  # bans suspend a member from rewards (not privileged)
    wanted.members = privileged
    wanted.message_content = privileged
    return wanted


class _NoHandler:
    """A class attribute that reads as missing: discord.py calls the `on_<event>` coroutine it
    finds by name, and finds none."""

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        raise AttributeError("no handler")


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
        for extension in cog_extensions():
            await self.load_extension(extension)
        self.services.intake.start()
        self.services.scheduler.start()
        await self.tree.sync()

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        # The hottest path: a message is queued for the intake right here, as discord.py
        # parses it, before any listener task exists. An `on_message` coroutine would cost a
        # task (and a coroutine) per message for a few microseconds of work that never awaits.
        if event_name == "message":
            message = args[0]
            try:
                event = message_event(message)
            except Exception:  # never into the gateway's read loop, which would reconnect
                log.exception("message %s could not be read", message.id)
            else:
                if event is not None:
                    self.services.intake.put(event)
        super().dispatch(event_name, *args, **kwargs)

    on_message = _NoHandler()
    """Streakbot has no text commands: discord.py's default `on_message` (`process_commands`)
    is hidden, so dispatching a message schedules no task of the bot's own."""

    async def close(self) -> None:
        # Flush what the gateway delivered before the connection goes: a clean shutdown
        # loses nothing accepted.
        await self.services.intake.stop()
        await super().close()
