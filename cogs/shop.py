"""The shop: `/shop` (items and prices) and `/buy freeze|restore|role`.

A freeze or a restore is one store transaction: the ledger entry (keyed by the interaction)
and the streak change together, all or nothing. A role is a Discord change that no database
transaction can hold, so the order makes a failure change nothing: the role is granted first,
then paid for; if Discord refuses the grant, nothing was charged, and if the payment then fails
(the tokens were spent meanwhile), the role is taken back.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import StreakBot
from bot.interaction_errors import UserError
from bot.services.shop import (
    Catalogue,
    DayNotClosed,
    ShopService,
    UnknownItem,
    find_item,
    matching_items,
)
from bot.store.ledger import InsufficientFunds
from bot.store.shop import (
    AlreadyRestored,
    FreezesFull,
    NoLiveStreak,
    NothingToRestore,
    NotTracked,
    PurchaseRefused,
    RestoreExpired,
    StillLive,
)
from cogs.render import embed, flame, plain, who

log = logging.getLogger(__name__)

LISTED_ROLES = 20
"""Role items listed by /shop (an embed holds 4,096 characters); /buy role finds them all."""


def _partner(interaction: discord.Interaction, partner: discord.Member | discord.User) -> None:
    if partner.id == interaction.user.id:
        raise UserError("A streak takes two: pick another member.")
    if partner.bot:
        raise UserError("Bots don't keep streaks: pick a member.")


class Shop(commands.Cog):
    buy = app_commands.Group(
        name="buy", description="Spend your tokens in the server's shop", guild_only=True
    )

    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        services = bot.services
        self.shop = ShopService(services.db, services.ingestor, services.clock)
        self.profiles = services.profiles

    @app_commands.command(name="shop", description="What your tokens can buy here")
    @app_commands.guild_only()
    async def shop_items(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        catalogue = await self.shop.catalogue(interaction.guild_id)
        tokens = await self.profiles.balance(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(
            embed=render_shop(catalogue, tokens), ephemeral=True
        )

    @buy.command(name="freeze", description="A freeze for your streak with a member")
    @app_commands.describe(partner="The member you share the streak with")
    async def buy_freeze(self, interaction: discord.Interaction, partner: discord.Member) -> None:
        guild = interaction.guild_id
        assert guild is not None
        _partner(interaction, partner)
        catalogue = await self.shop.catalogue(guild)
        try:
            receipt = await self.shop.buy_freeze(
                guild, interaction.user.id, partner.id, interaction=interaction.id
            )
        except (PurchaseRefused, InsufficientFunds) as error:
            raise UserError(
                await self._refusal(error, guild, interaction.user.id, partner.id, "freeze")
            ) from None
        streak = receipt.streak
        assert streak is not None
        await interaction.response.send_message(
            embed=embed(
                "Freeze bought",
                f"❄️ Your streak with {who(partner.id)} now holds **{streak.freezes}**"
                f" {'freeze' if streak.freezes == 1 else 'freezes'}"
                f" (at most {catalogue.max_freezes}): a day without an exchange spends one"
                f" instead of breaking it.\nYou have **{receipt.balance}** tokens left.",
            ),
            ephemeral=True,
        )

    @buy.command(name="restore", description="Bring back your broken streak with a member")
    @app_commands.describe(partner="The member you shared the streak with")
    async def buy_restore(self, interaction: discord.Interaction, partner: discord.Member) -> None:
        guild = interaction.guild_id
        assert guild is not None
        _partner(interaction, partner)
        try:
            receipt = await self.shop.buy_restore(
                guild, interaction.user.id, partner.id, interaction=interaction.id
            )
        except (PurchaseRefused, InsufficientFunds) as error:
            raise UserError(
                await self._refusal(error, guild, interaction.user.id, partner.id, "restore")
            ) from None
        streak = receipt.streak
        assert streak is not None
        ends = await self.shop.today_ends(guild)
        await interaction.response.send_message(
            embed=embed(
                "Streak restored",
                f"{flame(streak.current)} Your streak with {who(partner.id)} is back at"
                f" **{streak.current}** days (since {streak.run_start}).\n"
                f"It still needs today's exchange to go on: the day ends"
                f" {discord.utils.format_dt(ends, 'R')}.\n"
                f"You have **{receipt.balance}** tokens left.",
            ),
            ephemeral=True,
        )

    @buy.command(name="role", description="Buy one of the server's shop roles")
    @app_commands.describe(item="The shop item (see /shop)")
    async def buy_role(self, interaction: discord.Interaction, item: str) -> None:
        guild = interaction.guild
        member = interaction.user
        assert guild is not None
        assert isinstance(member, discord.Member)
        catalogue = await self.shop.catalogue(guild.id)
        try:
            wanted = find_item(catalogue.shop, item)
        except UnknownItem:
            names = ", ".join(f"**{plain(i.name)}**" for i in catalogue.shop.roles)
            raise UserError(
                f"The shop has no item called **{plain(item)}**."
                + (f" Items: {names}." if names else " It sells no roles.")
            ) from None
        role = guild.get_role(wanted.role)
        if role is None:
            raise UserError(
                f"The role of **{plain(wanted.name)}** no longer exists in this server: ask the"
                " owners to fix the shop. Nothing was charged."
            )
        if not guild.me.guild_permissions.manage_roles:
            raise UserError(
                "I can't give roles here: I need the Manage Roles permission. Nothing was charged."
            )
        if role >= guild.me.top_role or role.managed or role.is_default():
            raise UserError(
                f"I can't give {role.mention}: my own role must sit above it (Server Settings →"
                " Roles). Nothing was charged."
            )
        if role in member.roles:
            raise UserError(f"You already have {role.mention}.")
        tokens = await self.profiles.balance(guild.id, member.id)
        if tokens < wanted.price:
            raise UserError(
                f"**{plain(wanted.name)}** costs **{wanted.price}** tokens; you have **{tokens}**."
            )
        # Two Discord calls may follow (a grant, a take-back): answer within Discord's window.
        await interaction.response.defer(ephemeral=True, thinking=True)
        # Grant first: a refusal by Discord then leaves nothing to undo.
        try:
            await member.add_roles(role, reason=f"Streakbot shop: bought {wanted.name}")
        except discord.HTTPException as error:
            log.warning("guild %s: could not grant role %s: %s", guild.id, role.id, error)
            raise UserError(
                f"Discord refused to give you {role.mention} (I may lack the permission)."
                " Nothing was charged."
            ) from None
        try:
            receipt = await self.shop.buy_role(
                guild.id, member.id, wanted, interaction=interaction.id
            )
        except Exception as error:
            await self._take_back(member, role)
            if isinstance(error, InsufficientFunds):
                raise UserError(
                    f"Your tokens were spent meanwhile: **{plain(wanted.name)}** costs"
                    f" **{wanted.price}**. The role was taken back."
                ) from None
            raise
        await interaction.followup.send(
            embed=embed(
                "Role bought",
                f"🎭 You now have {role.mention}.\nYou have **{receipt.balance}** tokens left.",
            ),
            ephemeral=True,
        )

    @buy_role.autocomplete("item")
    async def _role_items(
        self, interaction: discord.Interaction, typed: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        catalogue = await self.shop.catalogue(interaction.guild_id)
        return [
            app_commands.Choice(name=f"{item.name} ({item.price} tokens)", value=item.name)
            for item in matching_items(catalogue.shop, typed)
        ]

    async def _take_back(self, member: discord.Member, role: discord.Role) -> None:
        try:
            await member.remove_roles(role, reason="Streakbot shop: the payment failed")
        except discord.HTTPException:
            log.exception("guild %s: could not take back role %s", member.guild.id, role.id)

    async def _refusal(
        self, error: Exception, guild: int, member: int, partner: int, item: str
    ) -> str:
        """What a refused purchase tells the member. Nothing was charged in any case."""
        catalogue = await self.shop.catalogue(guild)
        price = catalogue.shop.freeze_price if item == "freeze" else catalogue.shop.restore_price
        if isinstance(error, InsufficientFunds):
            tokens = await self.profiles.balance(guild, member)
            return f"A {item} costs **{price}** tokens; you have **{tokens}**."
        if isinstance(error, NotTracked):
            if error.member == member:
                return "You opted out of tracking: `/privacy optin` first."
            return f"{who(partner)} opted out of tracking: your streak can't go on."
        if isinstance(error, NoLiveStreak):
            return (
                f"You have no live streak with {who(partner)}: a freeze protects a live one"
                " (a broken streak can be restored with `/buy restore`)."
            )
        if isinstance(error, FreezesFull):
            if error.limit == 0:
                return "This server sells no freezes (its streaks may hold none)."
            held = f"{error.held} {'freeze' if error.held == 1 else 'freezes'}"
            return (
                f"Your streak with {who(partner)} already holds {held},"
                f" the most this server allows."
            )
        if isinstance(error, StillLive):
            return (
                f"Your streak with {who(partner)} is live: there is nothing to restore"
                " (a new run started, or it never broke)."
            )
        if isinstance(error, NothingToRestore):
            return f"You and {who(partner)} have no broken streak to restore."
        if isinstance(error, AlreadyRestored):
            return f"Your streak with {who(partner)} was restored once already: once per run."
        if isinstance(error, DayNotClosed):
            return "Yesterday is being closed right now: try again in a few minutes."
        if isinstance(error, RestoreExpired):
            deadline = await self.shop.restore_deadline(guild, error.broken_day)
            return (
                f"Too late: your streak with {who(partner)} broke on {error.broken_day}, and"
                f" restores were sold until {discord.utils.format_dt(deadline, 'f')}."
            )
        return str(error)


def render_shop(catalogue: Catalogue, tokens: int) -> discord.Embed:
    shop = catalogue.shop
    freeze = (
        f"❄️ **Freeze** — **{shop.freeze_price}** tokens\nA missed day spends it instead of"
        f" breaking the streak (at most {catalogue.max_freezes} a streak)."
        " `/buy freeze partner:@member`"
        if catalogue.max_freezes
        else "❄️ **Freeze** — not sold here: this server's streaks hold no freezes."
    )
    lines = [
        freeze,
        f"🩹 **Restore** — **{shop.restore_price}** tokens\nBrings a broken streak back at its"
        f" length, up to {shop.restore_hours} hours after the end of the day it missed, once"
        " per run; it must count again the day you buy it. `/buy restore partner:@member`",
    ]
    lines += [
        f"🎭 **{plain(item.name)}** — **{item.price}** tokens\nThe role <@&{item.role}>."
        f" `/buy role item:{plain(item.name)}`"
        for item in shop.roles[:LISTED_ROLES]
    ]
    if len(shop.roles) > LISTED_ROLES:
        lines.append(f"…and {len(shop.roles) - LISTED_ROLES} more roles: type in `/buy role`.")
    result = embed("Shop", "\n\n".join(lines))
    result.set_footer(text=f"You have {tokens} {'token' if tokens == 1 else 'tokens'}")
    return result


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Shop(bot))
