"""Errors a slash command raises for the member to read (the central handler in cogs/errors.py
shows them as they are).

They live outside the cogs package on purpose: discord.py loads each extension as a fresh
module, so a class defined in an extension module can exist twice and fail `isinstance`.
"""

from __future__ import annotations

from discord import app_commands


class UserError(app_commands.AppCommandError):
    """A problem the member can act on; its message is shown to them as is."""
