"""Gateway events from what users do: reactions, deletions, members joining, leaving, changing."""

from __future__ import annotations

from datetime import timedelta

import discord

from bot.emulator import Emulator
from tests.emulator.conftest import EventLog, Scene, make_bot


async def test_reactions_reach_raw_reaction_events(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    log = EventLog(bot, "raw_reaction_add", "raw_reaction_remove")
    async with emu.running(bot):
        message = await emu.say(scene.general, scene.alice, "react to me")
        await emu.react(message, scene.bob, "🔥")
        await emu.react(message, scene.carol, "blob:123456789")
        await emu.unreact(message, scene.bob, "🔥")
        added = await log.wait_for("raw_reaction_add", 2)
        (removed,) = await log.wait_for("raw_reaction_remove")
        assert added[0].user_id == scene.bob.id
        assert str(added[0].emoji) == "🔥"
        assert added[0].message_author_id == scene.alice.id
        assert added[0].member is not None
        assert added[0].member.id == scene.bob.id
        assert added[1].emoji.id == 123456789
        assert added[1].emoji.name == "blob"
        assert removed.user_id == scene.bob.id
        assert removed.message_id == message.id

        channel = bot.get_channel(scene.general.id)
        assert isinstance(channel, discord.TextChannel)
        await channel.get_partial_message(message.id).add_reaction("✅")
        own = await log.wait_for("raw_reaction_add", 3)
        assert own[2].user_id == emu.bot_user.id
        assert emu.find_requests("PUT", "/channels/*/messages/*/reactions/*/@me")[0].status == 204
        assert set(message.reactions) == {"123456789", "✅"}


async def test_deletes_reach_raw_delete_events(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    log = EventLog(bot, "raw_message_delete", "raw_bulk_message_delete", "message_delete")
    async with emu.running(bot):
        one, two, three = [await emu.say(scene.general, scene.bob, f"m{i}") for i in range(3)]
        await emu.delete(one)
        await emu.bulk_delete([two, three])
        (deleted,) = await log.wait_for("raw_message_delete")
        (bulk,) = await log.wait_for("raw_bulk_message_delete")
        assert deleted.message_id == one.id
        assert deleted.cached_message is not None
        assert bulk.message_ids == {two.id, three.id}
        assert emu.channel_messages(scene.general) == []


async def test_member_join_leave_and_update(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    log = EventLog(bot, "member_join", "raw_member_remove", "member_update")
    async with emu.running(bot):
        dave = emu.create_user("dave")
        vip = scene.guild.create_role("VIP")
        await emu.member_join(scene.guild, dave)
        (joined,) = await log.wait_for("member_join")
        assert joined.id == dave.id
        assert joined.guild.id == scene.guild.id

        until = emu.world.now() + timedelta(hours=1)
        await emu.member_update(scene.guild, dave, roles=[vip], nick="D", timed_out_until=until)
        ((before, after),) = await log.wait_for("member_update")
        assert before.roles == [before.guild.default_role]
        assert [r.id for r in after.roles[1:]] == [vip.id]
        assert after.nick == "D"
        assert after.is_timed_out()

        await emu.member_leave(scene.guild, dave)
        (removed,) = await log.wait_for("raw_member_remove")
        assert removed.user.id == dave.id
        assert bot.get_guild(scene.guild.id).get_member(dave.id) is None  # type: ignore[union-attr]


async def test_ban_dispatches_ban_and_removal(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    log = EventLog(bot, "member_ban", "raw_member_remove")
    async with emu.running(bot):
        await emu.ban(scene.guild, scene.carol, reason="spam")
        ((guild, user),) = await log.wait_for("member_ban")
        assert user.id == scene.carol.id
        assert guild.id == scene.guild.id
        await log.wait_for("raw_member_remove")
