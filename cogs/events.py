"""Gateway listeners: every guild event becomes an engine event on the intake queue.

Nothing here awaits the store per event: listeners parse and queue; the intake task ingests
whole chunks. Bots, webhooks and system messages are ignored by the rules (rule 2), but their
messages are still indexed so that a reply to them is known to be no exchange.
"""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.client import StreakBot
from bot.ingest.discord_events import (
    delete_events,
    member_event,
    reaction_event,
)

log = logging.getLogger(__name__)


class Events(commands.Cog):
    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        self.services = bot.services

    # -- connection ---------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Fired on the first connection and after every new session (not after a resume)."""
        await self._catch_up()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        await self._catch_up()

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._register(guild)

    async def _catch_up(self) -> None:
        self.bot.caught_up.clear()
        for guild in self.bot.guilds:
            await self._register(guild)
        await self.services.scheduler.catch_up([guild.id for guild in self.bot.guilds])
        self.bot.caught_up.set()
        log.info("ready: %d guilds, missed days closed", len(self.bot.guilds))

    async def _register(self, guild: discord.Guild) -> None:
        await self.services.register_guild(guild.id)
        for member in guild.members:  # with the members intent: bots are known to be bots
            if member.bot:
                self.services.intake.put(member_event(member))

    # -- messages and reactions ---------------------------------------------------------------

    # Messages are taken in by StreakBot.on_message itself (the hot path, see bot/client.py).

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        author = payload.message_author_id
        guild = self.bot.get_guild(payload.guild_id) if payload.guild_id else None
        member = guild.get_member(author) if guild is not None and author else None
        event = reaction_event(
            payload,
            self.services.clock.now(),
            author_is_bot=author == self.bot.user.id or (member is not None and member.bot),
        )
        if event is not None:
            self.services.intake.put(event)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        # Rule 4 counts the act of reacting; taking a reaction back does not undo the exchange
        # (docs/rules.md). Logged for anyone tracing a member's question.
        log.debug("reaction removed on %s by %s: no change", payload.message_id, payload.user_id)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        for event in delete_events(
            payload.guild_id, payload.channel_id, [payload.message_id], self.services.clock.now()
        ):
            self.services.intake.put(event)

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        for event in delete_events(
            payload.guild_id,
            payload.channel_id,
            sorted(payload.message_ids),
            self.services.clock.now(),
        ):
            self.services.intake.put(event)

    # -- members ------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        self.services.intake.put(member_event(member))

    @commands.Cog.listener()
    async def on_member_remove(self, member: discord.Member) -> None:
        # A member who leaves keeps their streaks and tokens: they simply stop qualifying,
        # and come back to them if they return.
        log.info("guild %s: member %s left", member.guild.id, member.id)


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Events(bot))
