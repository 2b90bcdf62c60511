"""`/economy report` for owners: minted per day, outstanding tokens, runway, concentration."""

from __future__ import annotations

import asyncio
import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import StreakBot
from bot.services.economy import RATE_DAYS, EconomyReport, economy_report
from cogs.checks import manager_only
from cogs.render import embed


class Economy(commands.Cog):
    economy = app_commands.Group(
        name="economy",
        description="The token economy of this server",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot

    @economy.command(name="report", description="Tokens minted, owed, runway and concentration")
    @manager_only()
    async def report(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await economy_report(self.bot.services.db, interaction.guild_id)
        # matplotlib is imported on first use, not at start-up: its objects would weigh on
        # every garbage collection of the bot's hot path. Drawing runs off the event loop.
        from bot.charts import economy_chart

        png = await asyncio.to_thread(economy_chart, report)
        chart = discord.File(io.BytesIO(png), filename="economy.png")
        result = render_report(report)
        result.set_image(url="attachment://economy.png")
        await interaction.followup.send(embed=result, file=chart, ephemeral=True)


def render_report(report: EconomyReport) -> discord.Embed:
    days = len(report.paid_per_day)
    runway = (
        "no payouts yet"
        if report.runway_days is None
        else f"{report.runway_days:,.0f} days at the last {RATE_DAYS} days' rate"
    )
    result = embed("Economy report")
    result.add_field(name=f"Minted (last {days} days)", value=f"{report.minted:,} tokens")
    result.add_field(
        name="Outstanding", value=f"{report.outstanding:,} tokens held by {report.holders:,}"
    )
    result.add_field(name="Treasury", value=f"{report.treasury:,} tokens · runway {runway}")
    result.add_field(
        name="Concentration",
        value=f"top 1 %: {report.top1_share:.0%} · top 10 %: {report.top10_share:.0%} of tokens",
    )
    return result


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Economy(bot))
