"""Messages both ways: content and the MESSAGE_CONTENT intent, replies, files, history, DMs."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import discord
import pytest

from bot.emulator import Emulator
from tests.emulator.conftest import EventLog, Scene, make_bot


async def test_on_message_gets_content_with_the_intent(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    log = EventLog(bot, "message")
    async with emu.running(bot):
        at = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
        sent = await emu.say(scene.general, scene.bob, f"hello <@{scene.carol.id}>", at=at)
        (message,) = await log.wait_for("message")
        assert message.content == f"hello <@{scene.carol.id}>"
        assert message.id == sent.id
        assert message.created_at == at
        assert message.author.id == scene.bob.id
        assert isinstance(message.author, discord.Member)
        assert [u.id for u in message.mentions] == [scene.carol.id]
        assert message.channel.id == scene.general.id


async def test_content_is_blank_without_the_intent_unless_the_bot_is_mentioned(
    emu: Emulator, scene: Scene
) -> None:
    bot = make_bot(message_content=False)
    log = EventLog(bot, "message")
    async with emu.running(bot):
        await emu.say(
            scene.general, scene.bob, "secret", mentions=[scene.carol], embeds=[{"title": "t"}]
        )
        await emu.say(scene.general, scene.bob, f"hey <@{emu.bot_user.id}>")
        first, second = await log.wait_for("message", 2)
        assert first.content == ""
        assert first.embeds == []
        assert [u.id for u in first.mentions] == [scene.carol.id]
        assert second.content == f"hey <@{emu.bot_user.id}>"


async def test_replies_carry_a_reference_both_ways(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    log = EventLog(bot, "message")

    @bot.listen("on_message")
    async def answer(message: discord.Message) -> None:
        if message.content == "ping":
            await message.reply("pong", mention_author=False)

    async with emu.running(bot):
        original = await emu.say(scene.general, scene.alice, "ping")
        reply = await emu.say(scene.general, scene.bob, "a reply", reply_to=original)
        pong = await emu.wait_for_message(scene.general)
        received = (await log.wait_for("message", 3))[1]
        assert received.id == reply.id
        assert received.reference is not None
        assert received.reference.message_id == original.id
        assert received.type is discord.MessageType.reply
        assert [u.id for u in received.mentions] == [scene.alice.id]  # the replied-to author
        assert pong.content == "pong"
        assert pong.referenced is original
        assert pong.allowed_mentions is not None
        assert pong.mentions == []
        echoed = [m for m in log["message"] if m.author.id == emu.bot_user.id]
        assert [m.id for m in echoed] == [pong.id]  # the bot's own message came back


async def test_files_travel_both_ways(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    log = EventLog(bot, "message")

    @bot.listen("on_message")
    async def echo_files(message: discord.Message) -> None:
        if message.attachments:
            data = await message.attachments[0].read()
            await message.channel.send(
                "got it", file=discord.File(io.BytesIO(data[::-1]), "reversed.bin")
            )

    async with emu.running(bot):
        await emu.say(scene.general, scene.bob, "", files=[("data.bin", b"\x00\x01abc")])
        sent = await emu.wait_for_message(scene.general)
        await log.wait_for("message", 2)
        (attachment,) = sent.attachments
        assert attachment.filename == "reversed.bin"
        assert attachment.data == b"cba\x01\x00"
        (request,) = emu.find_requests("POST", "/channels/{channel_id}/messages")
        assert request.json["content"] == "got it"
        assert [f.data for f in request.files] == [b"cba\x01\x00"]


async def test_history_pages_with_before_after_and_around(emu: Emulator, scene: Scene) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    posted = await emu.say_many(
        (scene.general, scene.bob, f"m{i}", start + timedelta(minutes=i)) for i in range(230)
    )
    bot = make_bot()
    async with emu.running(bot):
        channel = bot.get_channel(scene.general.id)
        assert isinstance(channel, discord.TextChannel)
        newest_first = [m.id async for m in channel.history(limit=None)]
        assert newest_first == [m.id for m in reversed(posted)]
        after = [m.content async for m in channel.history(after=posted[99], limit=120)]
        assert after == [f"m{i}" for i in range(100, 220)]
        around = [m.content async for m in channel.history(around=posted[50], limit=10)]
        assert sorted(around, key=lambda s: int(s[1:])) == [f"m{i}" for i in range(45, 55)]
    history_calls = emu.find_requests("GET", "/channels/{channel_id}/messages")
    assert len(history_calls) >= 5
    assert all(r.status == 200 for r in history_calls)


async def test_bot_edits_and_deletes_its_messages(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    log = EventLog(bot, "raw_message_edit", "raw_message_delete")
    async with emu.running(bot):
        channel = bot.get_channel(scene.general.id)
        assert isinstance(channel, discord.TextChannel)
        message = await channel.send("draft")
        await message.edit(content="final")
        stored = emu.channel_messages(scene.general)[-1]
        assert stored.content == "final"
        assert stored.edited_at is not None
        await log.wait_for("raw_message_edit")
        await message.delete()
        await log.wait_for("raw_message_delete")
        assert emu.channel_messages(scene.general) == []
        user_message = await emu.say(scene.general, scene.bob, "not yours")
        with pytest.raises(discord.Forbidden) as refused:
            await channel.get_partial_message(user_message.id).edit(content="x")
        assert refused.value.code == 50005
        with pytest.raises(discord.NotFound) as missing:
            await channel.fetch_message(12345)
        assert missing.value.code == 10008


async def test_dm_channel_and_dm_messages(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    log = EventLog(bot, "message")
    loner = emu.create_user("loner", accepts_dms=False)
    scene.guild.add_member(loner)
    async with emu.running(bot):
        user = await bot.fetch_user(scene.bob.id)
        await user.send("hi bob")
        (sent,) = emu.dm_messages(scene.bob)
        assert sent.content == "hi bob"
        assert sent.author is emu.bot_user
        await emu.say(emu.dm_channel(scene.bob), scene.bob, "hi bot")
        received = await log.wait_for("message", 2)
        assert isinstance(received[1].channel, discord.DMChannel)
        assert received[1].content == "hi bot"
        assert received[1].guild is None
        with pytest.raises(discord.Forbidden) as refused:
            await (await bot.fetch_user(loner.id)).send("hello?")
        assert refused.value.code == 50007


async def test_empty_and_too_long_messages_are_refused(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    async with emu.running(bot):
        channel = bot.get_channel(scene.general.id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        assert too_long.value.code == 50035
        assert "content" in str(too_long.value)
        scene.guild.set_overwrite(scene.general, scene.guild.bot_role, deny=1 << 11)
        with pytest.raises(discord.Forbidden) as muted:
            await channel.send("hello")
        assert muted.value.code == 50013
