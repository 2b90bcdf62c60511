"""The fast path: many messages through `say_many`, in order, and what a listener does with them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord

from bot.emulator import Emulator
from tests.emulator.conftest import EventLog, Scene, make_bot


async def test_say_many_delivers_every_message_in_order(emu: Emulator, scene: Scene) -> None:
    bot = make_bot(max_messages=None)
    log = EventLog(bot, "message")
    start = datetime(2026, 11, 1, tzinfo=UTC)
    async with emu.running(bot):
        items = [
            (
                scene.general,
                scene.bob if i % 2 else scene.carol,
                f"m{i}",
                start + timedelta(seconds=i),
            )
            for i in range(3000)
        ]
        posted = await emu.say_many(items)
        received = await log.wait_for("message", 3000)
        assert [m.id for m in received] == [m.id for m in posted]
        assert received[-1].created_at == start + timedelta(seconds=2999)
        assert len(emu.channel_messages(scene.general)) == 3000


async def test_say_many_takes_say_arguments_and_the_bot_answers(
    emu: Emulator, scene: Scene
) -> None:
    bot = make_bot()

    @bot.listen("on_message")
    async def thumbs_up(message: discord.Message) -> None:
        if message.reference is not None:
            await message.add_reaction("👍")

    async with emu.running(bot):
        first, reply = await emu.say_many(
            [
                (scene.general, scene.bob, "question"),
                {
                    "channel": scene.general,
                    "author": scene.carol,
                    "content": "answer",
                    "reply_to": None,
                },
            ]
        )
        answer = await emu.say(scene.general, scene.carol, "real answer", reply_to=first)
        request = await emu.wait_for_request("PUT", "/channels/*/messages/*/reactions/*/@me")
        assert request.path.startswith(f"/channels/{scene.general.id}/messages/{answer.id}/")
        await emu.wait_idle()
        assert list(answer.reactions) == ["👍"]
        assert reply.reactions == {}
