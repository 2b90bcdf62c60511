"""`/privacy optout|optin|export|delete`: a member's say over what Streakbot keeps about them.

Erasing asks for a confirmation (a button only the member sees); what it does and what it keeps
is told before they confirm.
"""

from __future__ import annotations

import gzip
import io
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import StreakBot
from bot.services.privacy import PrivacyService
from bot.store.privacy import AlreadyErased, Erasure
from cogs.render import embed

log = logging.getLogger(__name__)

ATTACHMENT_LIMIT = 8 * 1024 * 1024
"""Exports larger than this are sent gzipped (Discord's smallest upload limit is 10 MiB)."""

ERASE_TEXT = (
    "This erases what Streakbot keeps about you in this server: your points and exchanges,"
    " your streaks (for your partners too), badges, the index of your messages, reminders and"
    " your token balance (it goes back to the server's treasury). Your token history stays in"
    " the server's ledger without your name, so the server's totals still add up.\n\n"
    "It can't be undone. If you keep talking here, Streakbot counts you again from zero:"
    " `/privacy optout` first to stop that."
)


class Privacy(commands.Cog):
    privacy = app_commands.Group(
        name="privacy", description="Your data: stop tracking, export it, erase it", guild_only=True
    )

    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        services = bot.services
        self.service = PrivacyService(
            services.db, services.intake, services.clock, services.closer.detector
        )

    @privacy.command(name="optout", description="Stop Streakbot tracking you in this server")
    async def optout(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        changed = await self.service.opt_out(interaction.guild_id, interaction.user.id)
        text = (
            "Streakbot no longer tracks you here: nothing you do counts, and your exchanges with"
            " others don't count for them either. Your streaks stop counting: they spend their"
            " freezes, then break. Your tokens and badges stay.\n"
            "`/privacy optin` to come back, `/privacy delete` to erase what is kept."
        )
        if not changed:
            text = "You had opted out already.\n" + text
        await interaction.response.send_message(embed=embed("Opted out", text), ephemeral=True)

    @privacy.command(name="optin", description="Let Streakbot track you again")
    async def optin(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        changed = await self.service.opt_in(interaction.guild_id, interaction.user.id)
        text = (
            "Welcome back: your exchanges count again from now on."
            if changed
            else "You weren't opted out: Streakbot is tracking your streaks."
        )
        await interaction.response.send_message(embed=embed("Opted in", text), ephemeral=True)

    @privacy.command(name="export", description="A copy of everything Streakbot keeps about you")
    async def export(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self.service.export(interaction.guild_id, interaction.user.id)
        name = f"streakbot-{interaction.guild_id}-{interaction.user.id}.json"
        if len(data) > ATTACHMENT_LIMIT:
            data, name = gzip.compress(data), name + ".gz"
        await interaction.followup.send(
            "Your data in this server, as JSON (IDs are strings).",
            file=discord.File(io.BytesIO(data), filename=name),
            ephemeral=True,
        )

    @privacy.command(name="delete", description="Erase what Streakbot keeps about you here")
    async def delete(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        view = ConfirmErase(self.service, interaction.guild_id, interaction.user.id, interaction.id)
        await interaction.response.send_message(
            embed=embed("Erase your data?", ERASE_TEXT), view=view, ephemeral=True
        )


class ConfirmErase(discord.ui.View):
    """Erase or cancel. The message is ephemeral: only the member who asked sees it and can
    click. Custom IDs carry the request, so two open confirmations never take each other's
    clicks."""

    def __init__(
        self, service: PrivacyService, guild: int, owner: int, request: int, timeout: float = 120
    ) -> None:
        super().__init__(timeout=timeout)
        self.service = service
        self.guild = guild
        self.owner = owner
        self.confirm.custom_id = f"privacy:erase:{request}"
        self.cancel.custom_id = f"privacy:cancel:{request}"

    @discord.ui.button(label="Erase my data", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.defer()
        try:
            erased = await self.service.erase(self.guild, self.owner, request=interaction.id)
        except AlreadyErased:
            await interaction.edit_original_response(
                embed=embed("Already erased", "This request was carried out already."),
                view=None,
            )
            return
        await interaction.edit_original_response(
            embed=embed("Your data is erased", render_erasure(erased)), view=None
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(
            embed=embed("Nothing erased", "Your data is as it was."), view=None
        )


def render_erasure(erased: Erasure) -> str:
    parts = [
        f"{erased.streaks} {'streak' if erased.streaks == 1 else 'streaks'}",
        f"{erased.days} {'day' if erased.days == 1 else 'days'} of points",
        f"{erased.messages} indexed {'message' if erased.messages == 1 else 'messages'}",
        f"{erased.badges} {'badge' if erased.badges == 1 else 'badges'}",
    ]
    text = "Erased: " + ", ".join(parts) + "."
    if erased.tokens_returned:
        text += f"\n{erased.tokens_returned} tokens went back to the server's treasury."
    return text


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Privacy(bot))
