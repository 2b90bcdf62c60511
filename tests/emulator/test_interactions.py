"""Slash commands, buttons, defers and modals through discord.py's CommandTree and views."""

from __future__ import annotations

import discord
import pytest

from bot.emulator import (
    CommandNotPermitted,
    Emulator,
    EmulatorError,
    InteractionTimeout,
    UnknownCommand,
)
from tests.emulator.bots import streak_bot
from tests.emulator.conftest import Scene


async def test_subcommand_group_with_typed_options_answers_ephemerally(
    emu: Emulator, scene: Scene
) -> None:
    admin = scene.guild.create_role("Admin", permissions=discord.Permissions(manage_guild=True))
    await emu.member_update(scene.guild, scene.alice, roles=[admin])
    async with emu.running(streak_bot()):
        reply = await emu.command(
            scene.guild,
            scene.general,
            scene.bob,
            "config tiers add",
            name="Gold",
            days=7,
            bonus=1.5,
            badge=True,
            member=scene.alice,
            role=admin,
            channel=scene.general,
        )
        assert reply.ephemeral
        assert reply.type == 4
        assert reply.content == "Gold:7:1.5:True:alice:Admin:general:False"
        assert emu.channel_messages(scene.general) == []  # ephemeral: not in the channel
        put = emu.find_requests("PUT", "/applications/{application_id}/commands")[0]
        assert {c["name"] for c in put.json} >= {"config", "leaderboard", "report"}


async def test_button_click_edits_the_message(emu: Emulator, scene: Scene) -> None:
    async with emu.running(streak_bot()):
        reply = await emu.command(
            scene.guild, scene.general, scene.alice, "leaderboard", kind="members", target=scene.bob
        )
        assert reply.content == "members for bob page 1"
        assert not reply.ephemeral
        assert reply.custom_ids() == ["next"]
        assert emu.channel_messages(scene.general) == [reply.message]
        clicked = await emu.click(reply, "next", scene.carol)
        assert clicked.type == 7
        assert clicked.message is reply.message
        assert reply.message.content == "page 2"
        again = await emu.click(clicked, "next", scene.carol)
        assert again.content == "page 3"
        with pytest.raises(EmulatorError, match="no component 'prev'"):
            await emu.click(reply, "prev", scene.alice)
        with pytest.raises(EmulatorError, match="not one of"):
            await emu.command(scene.guild, scene.general, scene.alice, "leaderboard", kind="nope")


async def test_deferred_response_then_edit_or_followup(emu: Emulator, scene: Scene) -> None:
    async with emu.running(streak_bot()):
        reply = await emu.command(scene.guild, scene.general, scene.bob, "report")
        assert reply.deferred
        assert reply.type == 5
        assert reply.content == "report ready"
        assert reply.embeds[0]["title"] == "R"
        assert reply.ephemeral
        assert not reply.message.flags & (1 << 7)
        followed = await emu.command(
            scene.guild, scene.general, scene.bob, "report", thinking_followup=True
        )
        assert followed.content == "followed up"
        assert followed.followups == []


async def test_default_member_permissions_hide_the_command(emu: Emulator, scene: Scene) -> None:
    async with emu.running(streak_bot()):
        with pytest.raises(CommandNotPermitted):
            await emu.command(scene.guild, scene.general, scene.bob, "purge")
        bypassed = await emu.command(
            scene.guild, scene.general, scene.bob, "purge", bypass_default_permissions=True
        )
        assert bypassed.content == "you may not"
        owner = await emu.command(scene.guild, scene.general, scene.alice, "purge")
        assert owner.content == "purged"


async def test_unknown_command_silence_and_modals(emu: Emulator, scene: Scene) -> None:
    async with emu.running(streak_bot()):
        with pytest.raises(UnknownCommand, match="leaderbord"):
            await emu.command(scene.guild, scene.general, scene.bob, "leaderbord")
        with pytest.raises(UnknownCommand, match="has no subcommand 'remove'"):
            await emu.command(scene.guild, scene.general, scene.bob, "config tiers remove")
        with pytest.raises(InteractionTimeout, match="never answered"):
            await emu.command(scene.guild, scene.general, scene.bob, "silent", timeout=0.3)
        modal = await emu.command(scene.guild, scene.general, scene.bob, "feedback")
        assert modal.type == 9
        assert modal.modal is not None
        assert modal.modal["title"] == "Feedback"
        thanks = await emu.submit_modal(modal, scene.bob, {"text": "great"})
        assert thanks.content == "thanks: great"


async def test_dm_commands_and_guild_only_ones(emu: Emulator, scene: Scene) -> None:
    async with emu.running(streak_bot()):
        reply = await emu.command(None, None, scene.bob, "report")
        assert reply.content == "report ready"
        assert reply.message.channel is emu.dm_channel(scene.bob)
        with pytest.raises(CommandNotPermitted, match="not available in DMs"):
            await emu.command(None, None, scene.bob, "vote")


async def test_deferred_update_completed_by_a_plain_message_edit(
    emu: Emulator, scene: Scene
) -> None:
    async with emu.running(streak_bot()):
        poll = await emu.command(scene.guild, scene.general, scene.alice, "vote")
        clicked = await emu.click(poll, "vote", scene.bob)
        assert clicked.type == 6
        assert clicked.deferred
        assert clicked.message is poll.message
        assert poll.content == "votes: 1"
        assert emu.find_requests("PATCH", "/channels/{channel_id}/messages/{message_id}")


async def test_context_menus_on_users_and_messages(emu: Emulator, scene: Scene) -> None:
    async with emu.running(streak_bot()):
        thanked = await emu.context_menu(
            scene.guild, scene.general, scene.alice, "Thank", scene.bob
        )
        assert thanked.content == "thanked bob"
        assert thanked.ephemeral
        said = await emu.say(scene.general, scene.carol, "well said")
        quoted = await emu.context_menu(scene.guild, scene.general, scene.alice, "Quote", said)
        assert quoted.content == "> well said"
