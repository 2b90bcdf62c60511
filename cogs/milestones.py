"""What a day close means on Discord: tier roles granted and milestones announced.

A missing permission or a role placed above the bot's own must not break anything else: the
guild's owner is told once, clearly, and the rest of the close's rewards go on.
"""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.client import StreakBot
from bot.guild_config import GuildConfig, Tier
from bot.store.day_close import DayCloseResult
from cogs.render import plain, tell_owner

log = logging.getLogger(__name__)


class Milestones(commands.Cog):
    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        self.services = bot.services

    async def cog_load(self) -> None:
        self.services.scheduler.listeners.append(self.on_days_closed)

    async def cog_unload(self) -> None:
        self.services.scheduler.listeners.remove(self.on_days_closed)

    async def on_days_closed(self, guild_id: int, results: list[DayCloseResult]) -> None:
        guild = self.bot.get_guild(guild_id)
        # A pair whose rewards the detector held gets no role and no announcement meanwhile.
        reached = [
            reached
            for result in results
            for reached in result.tiers
            if reached not in result.held_tiers
        ]
        met = [challenge for result in results for challenge in result.challenges_met]
        if guild is None or not (reached or met):
            return
        config = (await self.services.ingestor.guild(guild_id)).config
        if config.announce.channel:
            for _, name, members, paid in met:
                await self._post(
                    guild,
                    config,
                    f"🎯 Challenge **{plain(name)}** met! {members} members share {paid:,} tokens.",
                    discord.AllowedMentions.none(),
                )
        tiers = {tier.name: tier for tier in config.tiers}
        roles: dict[str, discord.Role | None] = {}
        for a, b, name in reached:
            tier = tiers.get(name)
            if tier is None:  # the tier was removed from the config since
                continue
            if tier.role:
                if name not in roles:
                    roles[name] = await self._tier_role(guild, tier)
                if roles[name] is not None:
                    await self._grant(guild, roles[name], tier, (a, b))
            if config.announce.channel:
                await self._announce(guild, config, tier, a, b)

    # -- roles --------------------------------------------------------------------------------

    async def _tier_role(self, guild: discord.Guild, tier: Tier) -> discord.Role | None:
        """The tier's role: by ID, or by name (created on first use)."""
        assert tier.role is not None
        if tier.role.isdigit():
            role = guild.get_role(int(tier.role))
            if role is None:
                await self._tell_owner(
                    guild,
                    "unknown-role",
                    tier.role,
                    f"the tier **{plain(tier.name)}** names role ID {tier.role}, which does not"
                    " exist in the server. Fix the tier's `role` in the config.",
                )
            return role
        role = discord.utils.get(guild.roles, name=tier.role)
        if role is not None:
            return role
        try:
            return await guild.create_role(
                name=tier.role, reason=f"Streakbot: role of the {tier.name} streak tier"
            )
        except discord.Forbidden:
            await self._tell_owner(
                guild,
                "cannot-create-role",
                tier.role,
                f"I could not create the role **{plain(tier.role)}** for the tier"
                f" **{plain(tier.name)}**: I need the Manage Roles permission.",
            )
            return None

    async def _grant(
        self, guild: discord.Guild, role: discord.Role, tier: Tier, members: tuple[int, int]
    ) -> None:
        for member_id in members:
            member = guild.get_member(member_id)
            try:
                if member is None:
                    member = await guild.fetch_member(member_id)
                if role in member.roles:
                    continue
                await member.add_roles(role, reason=f"Streakbot: reached the {tier.name} tier")
            except discord.NotFound:
                continue  # left the server
            except discord.Forbidden:
                await self._tell_owner(
                    guild,
                    "cannot-grant-role",
                    str(role.id),
                    f"I could not give members the role **{plain(role.name)}** (tier"
                    f" **{plain(tier.name)}**): I need the Manage Roles permission, and my own"
                    " role must be placed above it in Server Settings → Roles.",
                )
                return

    # -- announcements ------------------------------------------------------------------------

    async def _announce(
        self, guild: discord.Guild, config: GuildConfig, tier: Tier, a: int, b: int
    ) -> None:
        pinged = (
            discord.AllowedMentions(users=[discord.Object(a), discord.Object(b)])
            if config.announce.mention_members
            else discord.AllowedMentions.none()
        )
        await self._post(guild, config, milestoneplain(tier, a, b), pinged)

    async def _post(
        self,
        guild: discord.Guild,
        config: GuildConfig,
        text: str,
        pinged: discord.AllowedMentions,
    ) -> None:
        channel = guild.get_channel(config.announce.channel)
        if not isinstance(channel, discord.abc.Messageable):
            await self._tell_owner(
                guild,
                "unknown-channel",
                str(config.announce.channel),
                f"the announcement channel ({config.announce.channel}) does not exist or is"
                " not a text channel.",
            )
            return
        try:
            await channel.send(text, allowed_mentions=pinged)
        except discord.Forbidden:
            await self._tell_owner(
                guild,
                "cannot-announce",
                str(channel.id),
                f"I could not post milestones in <#{channel.id}>: I need the View Channel and"
                " Send Messages permissions there.",
            )

    # -- owners -------------------------------------------------------------------------------

    async def _tell_owner(self, guild: discord.Guild, kind: str, detail: str, text: str) -> None:
        await tell_owner(
            self.bot, guild, kind, detail, text,
            meanwhile="Streaks and tokens keep working meanwhile",
        )  # fmt: skip


def milestoneplain(tier: Tier, a: int, b: int) -> str:
    return (
        f"🔥 <@{a}> and <@{b}> reached **{plain(tier.name)}**: a {tier.days}-day streak together!"
    )


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Milestones(bot))
