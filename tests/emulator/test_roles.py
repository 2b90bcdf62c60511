"""Roles and permissions: computing them like Discord, and refusing what the bot may not do."""

from __future__ import annotations

from datetime import timedelta

import discord
import pytest

from bot.emulator import Emulator
from bot.emulator.permissions import (
    ADMINISTRATOR,
    ALL,
    MANAGE_MESSAGES,
    MANAGE_ROLES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
)
from tests.emulator.conftest import EventLog, Scene, make_bot


def test_permissions_follow_roles_owner_admin_overwrites_and_timeouts(
    emu: Emulator, scene: Scene
) -> None:
    guild, general = scene.guild, scene.general
    bob = guild.member(scene.bob)
    assert guild.member(scene.alice).permissions == ALL  # the owner
    assert not bob.permissions & MANAGE_MESSAGES
    mods = guild.create_role("Mods", MANAGE_MESSAGES)
    emu.world.update_member(bob, roles=[mods])
    assert bob.permissions & MANAGE_MESSAGES
    guild.set_overwrite(general, mods, deny=SEND_MESSAGES)
    assert not bob.permissions_in(general) & SEND_MESSAGES
    guild.set_overwrite(general, scene.bob, allow=SEND_MESSAGES)
    assert bob.permissions_in(general) & SEND_MESSAGES
    emu.world.update_member(bob, timed_out_until=emu.world.now() + timedelta(minutes=5))
    assert bob.permissions_in(general) == VIEW_CHANNEL | READ_MESSAGE_HISTORY
    admins = guild.create_role("Admins", ADMINISTRATOR)
    emu.world.update_member(bob, roles=[admins])
    assert bob.permissions_in(general) == ALL


async def test_role_grant_allowed_below_the_bot_and_refused_above(
    emu: Emulator, scene: Scene
) -> None:
    guild = scene.guild
    guild.set_bot_permissions(guild.bot_role.permissions | MANAGE_ROLES)
    regular = guild.create_role("Regular")
    boss = guild.create_role("Boss", position=guild.bot_role.position + 1)
    assert regular.position < guild.bot_role.position < boss.position
    bot = make_bot()
    log = EventLog(bot, "member_update")
    async with emu.running(bot):
        member = bot.get_guild(guild.id).get_member(scene.bob.id)  # type: ignore[union-attr]
        assert member is not None
        await member.add_roles(discord.Object(regular.id))
        ((_, after),) = await log.wait_for("member_update")
        assert regular.id in [r.id for r in after.roles]
        assert guild.member(scene.bob).roles == [regular]

        with pytest.raises(discord.Forbidden) as above:
            await member.add_roles(discord.Object(boss.id))
        assert above.value.code == 50013

        emu.faults.refuse_role_changes(guild)
        with pytest.raises(discord.Forbidden):
            await member.remove_roles(discord.Object(regular.id))
        emu.faults.refuse_role_changes(guild, refuse=False)
        await member.edit(roles=[])
        assert guild.member(scene.bob).roles == []
        refused = [r for r in emu.requests if r.status == 403]
        assert [r.error_code for r in refused] == [50013, 50013]


async def test_role_creation_needs_manage_roles(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    log = EventLog(bot, "guild_role_create")
    async with emu.running(bot):
        bot_guild = bot.get_guild(scene.guild.id)
        assert bot_guild is not None
        with pytest.raises(discord.Forbidden):
            await bot_guild.create_role(name="Streaker")
        scene.guild.set_bot_permissions(scene.guild.bot_role.permissions | MANAGE_ROLES)
        await emu.wait_idle()
        role = await bot_guild.create_role(name="Streaker", colour=discord.Colour.orange())
        (created,) = await log.wait_for("guild_role_create")
        assert created.id == role.id
        assert scene.guild.role("Streaker").color == role.colour.value
        assert role.position == 1
        assert bot_guild.me.top_role.position > role.position
        with pytest.raises(discord.Forbidden):  # a permission the bot does not have itself
            await role.edit(permissions=discord.Permissions(administrator=True))
