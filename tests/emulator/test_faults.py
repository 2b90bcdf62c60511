"""Injected faults: rate limits and errors on REST, dropped sockets, invalidated sessions."""

from __future__ import annotations

import discord
import pytest

from bot.emulator import Emulator
from tests.emulator.conftest import EventLog, Scene, make_bot


async def test_429_is_retried_by_discord_py(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    async with emu.running(bot):
        channel = bot.get_channel(scene.general.id)
        assert isinstance(channel, discord.TextChannel)
        rule = emu.faults.rate_limit("POST", "/channels/*/messages", times=2, retry_after=0.01)
        message = await channel.send("eventually")
        assert rule.hits == 2
        assert message.content == "eventually"
        statuses = [r.status for r in emu.find_requests("POST", "/channels/{channel_id}/messages")]
        assert statuses == [429, 429, 200]
        assert [m.content for m in emu.channel_messages(scene.general)] == ["eventually"]


async def test_injected_4xx_reaches_the_bot(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    async with emu.running(bot):
        channel = bot.get_channel(scene.general.id)
        assert isinstance(channel, discord.TextChannel)
        emu.faults.fail("POST", "/channels/{channel_id}/messages", 403, code=50001)
        with pytest.raises(discord.Forbidden) as refused:
            await channel.send("nope")
        assert refused.value.code == 50001
        await channel.send("fine now")


async def test_dropped_socket_resumes_and_missed_events_arrive_once(
    emu: Emulator, scene: Scene
) -> None:
    bot = make_bot()
    log = EventLog(bot, "message", "resumed")
    async with emu.running(bot):
        await emu.say(scene.general, scene.bob, "before")
        await log.wait_for("message")
        assert emu.faults.drop_gateway() == 1
        for i in range(20):
            await emu.say(scene.general, scene.bob, f"while down {i}")
        await log.wait_for("resumed")
        await emu.say(scene.general, scene.bob, "after")
        messages = await log.wait_for("message", 22)
        await emu.wait_idle()
        contents = [m.content for m in log["message"]]
        assert contents == ["before", *(f"while down {i}" for i in range(20)), "after"]
        kinds = [(h.kind, h.path) for h in emu.gateway.handshakes]
        assert kinds == [("identify", "/gateway"), ("resume", "/resume")]
        assert len({m.id for m in messages}) == len(messages)


async def test_invalid_session_makes_the_bot_identify_again(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    log = EventLog(bot, "message", "ready")
    async with emu.running(bot):
        emu.faults.invalidate_next_resume()
        emu.faults.drop_gateway()
        await log.wait_for("ready", 2)
        await emu.say(scene.general, scene.bob, "after re-identify")
        (message,) = await log.wait_for("message")
        assert message.content == "after re-identify"
        kinds = [h.kind for h in emu.gateway.handshakes]
        assert kinds == ["identify", "invalid_session", "identify"]


async def test_reconnect_request_and_live_invalidation(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    log = EventLog(bot, "resumed", "ready", "message")
    async with emu.running(bot):
        emu.faults.request_reconnect()
        await log.wait_for("resumed")
        emu.faults.invalidate_sessions(resumable=False)
        await log.wait_for("ready", 2)
        await emu.say(scene.general, scene.bob, "still here")
        await log.wait_for("message")
        kinds = [h.kind for h in emu.gateway.handshakes]
        assert kinds == ["identify", "resume", "identify"]
