"""Moderators are told when a day close held rewards for review, in `[moderation] log_channel`:
holds nobody decides are released (or voided) after `[fraud] hold_days`, so someone must know.

The message names how many members and pairs were held and the tokens in escrow, never who
(suspects are not named in a channel others might read) and never why: `/mod review` shows
that to moderators. A missing or unusable channel is told to the owner once.
"""

from __future__ import annotations

from datetime import date, timedelta

import discord
from discord.ext import commands

from bot.client import StreakBot
from bot.store.day_close import DayCloseResult
from cogs.render import tell_owner


class HoldsLog(commands.Cog):
    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        self.services = bot.services

    async def cog_load(self) -> None:
        self.services.scheduler.listeners.append(self.on_days_closed)

    async def cog_unload(self) -> None:
        self.services.scheduler.listeners.remove(self.on_days_closed)

    async def on_days_closed(self, guild_id: int, results: list[DayCloseResult]) -> None:
        held = [result for result in results if result.held]
        if not held:
            return
        config = (await self.services.ingestor.guild(guild_id)).config
        guild = self.bot.get_guild(guild_id)
        if guild is None or config.moderation.log_channel is None:
            return
        channel = guild.get_channel(config.moderation.log_channel)
        text = held_summary(held, config.fraud.hold_days, config.fraud.on_expiry)
        if isinstance(channel, discord.abc.Messageable):
            try:
                await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
                return
            except discord.Forbidden:
                pass  # told to the owner below, as a missing channel is
        await tell_owner(
            self.bot,
            guild,
            "cannot-log-holds",
            str(config.moderation.log_channel),
            f"I could not tell moderators in <#{config.moderation.log_channel}> (the"
            " `moderation.log_channel`) that rewards were held for review: it does not exist,"
            " or I lack View Channel and Send Messages there.",
            meanwhile="Held rewards are still listed by /mod review",
        )


def held_summary(results: list[DayCloseResult], hold_days: int, on_expiry: str) -> str:
    """One line per closed day that held something, and what happens if nobody decides."""
    lines = ["🛡️ Rewards held for review by the anti-fraud checks:"]
    for result in results:
        ends = date.fromisoformat(result.day) + timedelta(days=hold_days)
        fate = "released to the members" if on_expiry == "release" else "voided"
        lines.append(
            f"• {result.day}: {result.held:,} tokens"
            f" ({result.held_members} member{'s' if result.held_members != 1 else ''},"
            f" {result.held_pairs} pair{'s' if result.held_pairs != 1 else ''});"
            f" {fate} at the close of {ends.isoformat()} unless decided."
        )
    lines.append("`/mod review` shows who and why; `/mod release` or `/mod void-held` decides.")
    return "\n".join(lines)


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(HoldsLog(bot))
