"""`/treasury`: the tokens that pay every reward, for members with Manage Server. A live guild
starts with an empty treasury; owners fund it, and see what it holds and how fast it pays out."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import StreakBot
from bot.services.guild_admin import MAX_FUND, GuildAdmin, TreasuryReport
from cogs.checks import manager_only
from cogs.render import embed


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class Treasury(
    commands.GroupCog,
    group_name="treasury",
    group_description="The server's token treasury, which pays rewards (Manage Server)",
):
    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        self.admin = GuildAdmin.from_services(bot.services)

    @app_commands.command(name="fund", description="Add tokens to the treasury")
    @app_commands.describe(amount=f"Tokens to add (1 to {MAX_FUND:,})")
    @manager_only()
    async def fund(
        self, interaction: discord.Interaction, amount: app_commands.Range[int, 1, MAX_FUND]
    ) -> None:
        assert interaction.guild_id is not None
        funding = await self.admin.fund(
            interaction.guild_id,
            amount,
            # One funding per interaction, however often Discord or discord.py retries it.
            key=f"fund:{interaction.guild_id}:{interaction.id}",
            funder=interaction.user.id,
            funder_name=interaction.user.name,
        )
        if funding.funded:
            text = f"Added **{amount:,}** tokens: the treasury holds **{funding.balance:,}**."
        else:
            text = f"That funding was already made: the treasury holds **{funding.balance:,}**."
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="show", description="What the treasury holds and pays out")
    @manager_only()
    async def show(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        report = await self.admin.treasury_report(interaction.guild_id)
        await interaction.response.send_message(embed=render_report(report), ephemeral=True)


def render_report(report: TreasuryReport) -> discord.Embed:
    text = f"The treasury holds **{report.balance:,}** tokens."
    if report.balance == 0:
        text += "\nRewards are paid only once it is funded: `/treasury fund`."
    result = embed("Treasury", text)
    result.add_field(
        name=f"Paid by the last {report.days} day close{'' if report.days == 1 else 's'}",
        value=f"**{report.paid:,}** tokens",
    )
    result.add_field(
        name="Daily budget",
        value=f"**{report.daily_budget:,}** tokens" if report.daily_budget else "none",
    )
    days_left = report.days_left
    if days_left is not None:
        result.add_field(
            name="At that pace",
            value=f"it lasts about **{days_left:,}** more days",
            inline=False,
        )
    return result


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Treasury(bot))
