"""A member's rewards: `/badges`, `/balance` and `/history` (every ledger entry, and why)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import StreakBot
from bot.interaction_errors import UserError
from bot.store.profiles import LedgerLine
from cogs.render import embed, plain, who


class Wallet(commands.Cog):
    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        self.profiles = bot.services.profiles

    @app_commands.command(name="badges", description="Tier badges earned (yours, or a member's)")
    @app_commands.describe(member="Whose badges (default: yours)")
    @app_commands.guild_only()
    async def badges(
        self, interaction: discord.Interaction, member: discord.Member | None = None
    ) -> None:
        assert interaction.guild_id is not None
        target = member or interaction.user
        if target.bot:
            raise UserError("Bots don't earn badges.")
        badges = await self.profiles.badges(interaction.guild_id, target.id)
        whose = "Your" if target.id == interaction.user.id else f"{who(target.id)}'s"
        if badges:
            text = "\n".join(f"🏅 **{plain(b.tier)}** — since {b.day}" for b in badges)
        else:
            text = "No badges yet: a pair streak that reaches a tier earns one for both."
        await interaction.response.send_message(
            embed=embed("Badges", f"{whose} badges\n{text}"), ephemeral=True
        )

    @app_commands.command(name="balance", description="Your token balance")
    @app_commands.guild_only()
    async def balance(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        tokens = await self.profiles.balance(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(
            embed=embed("Balance", f"You have **{tokens}** tokens."), ephemeral=True
        )

    @app_commands.command(name="history", description="Your token history: what you earned and why")
    @app_commands.describe(page="Page, newest first (10 entries a page)")
    @app_commands.guild_only()
    async def history(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 100_000] = 1
    ) -> None:
        assert interaction.guild_id is not None
        lines, pages = await self.profiles.history(
            interaction.guild_id, interaction.user.id, page - 1
        )
        if page > pages:
            raise UserError(f"There {'is' if pages == 1 else 'are'} only {pages} page(s).")
        if not lines.rows:
            text = "Nothing yet: tokens come with each day's points and with streak tiers."
        else:
            text = "\n".join(describe_entry(line) for line in lines.rows)
        result = embed("Token history", text)
        result.set_footer(text=f"Page {page}/{pages} · {lines.total} entries")
        await interaction.response.send_message(embed=result, ephemeral=True)


def describe_entry(line: LedgerLine) -> str:
    """One ledger entry as a member reads it: amount, why, when."""
    amount = f"+{line.amount}" if line.amount > 0 else str(line.amount)
    when = line.day or line.created_at[:10]
    # A held reward released later keeps its payment's key after `release:` (store/escrow).
    released = line.key.startswith("release:")
    key = line.key.removeprefix("release:")
    if line.reason == "points":
        # Points keys read points:<guild>:<day>:<member>: the day they were earned.
        parts = key.split(":")
        why = f"points of {parts[2] if released and len(parts) == 4 else line.day}"
    elif line.reason == "tier" and not key.startswith("tier:"):
        why = "tier reward"  # the key was anonymised when a partner erased their data
    elif line.reason == "tier":
        # Tier payment keys read tier:<guild>:<day>:<a>-<b>:<tier>:<member> (store/day_close).
        parts = key.split(":")
        pair, tier = (parts[3], ":".join(parts[4:-1])) if len(parts) >= 6 else ("", "")
        partner = next((p for p in pair.split("-") if p and p != parts[-1]), None)
        why = f"**{plain(tier)}** tier" + (f" with {who(int(partner))}" if partner else "")
    else:
        why = plain(line.reason)
    if released:
        why += ", held then released"
    return f"`{amount:>6}` {why} · {when}"


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Wallet(bot))
