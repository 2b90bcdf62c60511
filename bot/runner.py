"""Running the live bot: services, client, intents fallback and a clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import discord

from bot.app import Services
from bot.client import StreakBot
from bot.clock import Clock
from bot.settings import Settings

log = logging.getLogger(__name__)


def point_at(api_base: str | None) -> None:
    """Talk to a Discord-compatible server (the bundled emulator) instead of Discord."""
    if api_base:
        from bot.emulator.target import use_api_base

        use_api_base(api_base)


async def run_bot(settings: Settings, clock: Clock, token: str) -> None:
    """Run until the connection ends or the process is asked to stop (SIGINT/SIGTERM)."""
    point_at(settings.api_base)
    services = await Services.open(settings, clock)
    try:
        for privileged in (True, False):
            bot = StreakBot(
                services,
                privileged=privileged,
                guild_ready_timeout=settings.guild_ready_timeout,
            )
            try:
                async with bot:
                    _stop_on_signals(bot)
                    await bot.start(token)
                return
            except discord.PrivilegedIntentsRequired:
                if not privileged:
                    raise
                log.warning(
                    "the Server Members and Message Content intents are not enabled for this"
                    " application: running without them (streaks work; member names and"
                    " message content are not used)"
                )
    finally:
        await services.close()


def _stop_on_signals(bot: StreakBot) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
