"""One error handler for every slash command: short ephemeral replies, never a traceback.

Errors a member can fix (a bad argument, a missing permission, a rule of the economy) are
`UserError`s or discord.py's check failures and are told as they are; anything else is logged
with its traceback and the member gets a plain apology.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import StreakBot
from bot.interaction_errors import UserError

__all__ = ["Errors", "UserError", "describe"]

log = logging.getLogger(__name__)


def describe(error: app_commands.AppCommandError) -> str:
    if isinstance(error, app_commands.CommandInvokeError) and isinstance(error.original, UserError):
        error = error.original
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"You need the {needed} permission to do that."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in a server, not in direct messages."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You can't use this command here."
    if isinstance(error, app_commands.TransformerError):
        return f"I couldn't understand {error.value!r} there."
    return "Something went wrong on my side; it has been logged. Please try again later."


class Errors(commands.Cog):
    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        bot.tree.on_error = self.on_app_command_error

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = app_commands.CommandTree.on_error.__get__(self.bot.tree)

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        message = describe(error)
        if message.startswith("Something went wrong"):
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("/%s failed", command, exc_info=error)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(message, ephemeral=True)
            else:
                await interaction.response.send_message(message, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the member about an error: %s", message)


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Errors(bot))
