"""Who may run what: members everything personal, moderators the moderation, owners the config.

Moderator commands: the guild's moderator role (`[moderation] role`) or Manage Messages.
Owner configuration: Manage Server. Both are checked by the bot itself on every call, whatever
Discord's own command permissions say (those only hide commands, and owners can change them).
"""

from __future__ import annotations

import discord
from discord import app_commands


class NotModerator(app_commands.CheckFailure):
    pass


class NotManager(app_commands.CheckFailure):
    pass


def moderator_only():
    async def predicate(interaction: discord.Interaction) -> bool:
        member = interaction.user
        if not isinstance(member, discord.Member) or interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if interaction.permissions.manage_messages or interaction.permissions.manage_guild:
            return True
        services = interaction.client.services  # type: ignore[attr-defined]
        config = (await services.ingestor.guild(interaction.guild_id)).config
        role = config.moderation.role
        if role is not None and any(r.id == role for r in member.roles):
            return True
        raise NotModerator(
            "This is a moderator command: it needs the server's moderator role or the Manage"
            " Messages permission."
        )

    return app_commands.check(predicate)


def manager_only():
    async def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if interaction.permissions.manage_guild:
            return True
        raise NotManager("This is an owner command: it needs the Manage Server permission.")

    return app_commands.check(predicate)
