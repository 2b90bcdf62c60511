"""Logging in, READY and GUILD_CREATE, tokens, intents and the wire format discord.py needs."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from bot.emulator import Emulator, pointed_at
from tests.emulator.conftest import EventLog, Scene, make_bot


async def test_bot_sees_guild_members_channels_and_roles(emu: Emulator, scene: Scene) -> None:
    mods = scene.guild.create_role("Mods")
    scene.guild.create_text_channel("announcements", topic="news")
    bot = make_bot()
    async with emu.running(bot):
        assert bot.user is not None
        assert bot.user.id == emu.bot_user.id
        assert bot.application_id == emu.application_id
        (guild,) = bot.guilds
        assert guild.name == "Test"
        assert guild.owner_id == scene.alice.id
        assert {m.name for m in guild.members} == {"alice", "bob", "carol", "Streakbot"}
        assert guild.chunked
        assert {c.name for c in guild.text_channels} == {"general", "announcements"}
        assert guild.get_role(mods.id) is not None
        assert guild.me.top_role.id == scene.guild.bot_role.id
        assert (await bot.application_info()).owner.id == emu.app_owner.id
    paths = [(r.method, r.path) for r in emu.requests]
    assert ("GET", "/users/@me") in paths
    assert ("GET", "/oauth2/applications/@me") in paths
    identify = emu.gateway.handshakes[0]
    assert identify.kind == "identify"
    assert identify.path == "/gateway"
    assert "compress=zlib-stream" in identify.query  # asked for, ignored: frames are plain text


async def test_responses_carry_exactly_application_json(emu: Emulator) -> None:
    headers = {"Authorization": f"Bot {emu.bot_token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{emu.api_base}/api/v10/users/@me", headers=headers) as response:
            assert response.headers["Content-Type"] == "application/json"
            assert (await response.json())["id"] == str(emu.bot_user.id)
        async with http.get(f"{emu.api_base}/api/v10/channels/1", headers=headers) as response:
            assert response.status == 404
            assert await response.json() == {"code": 10003, "message": "Unknown Channel"}
        async with http.get(f"{emu.api_base}/api/v10/users/@me") as response:
            assert response.status == 401


async def test_wrong_token_fails_login(emu: Emulator) -> None:
    bot = make_bot()
    with pointed_at(emu.api_base), pytest.raises(discord.LoginFailure):
        await bot.login("not-the-token")
    await bot.close()


async def test_wrong_token_at_the_gateway_closes_4004(emu: Emulator) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(emu.gateway.url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10
        assert hello["d"]["heartbeat_interval"] > 0
        await ws.send_json({"op": 1, "d": None})
        assert (await ws.receive_json())["op"] == 11
        await ws.send_json({"op": 2, "d": {"token": "nope", "intents": 513, "properties": {}}})
        closing = await ws.receive()
        assert closing.type is aiohttp.WSMsgType.CLOSE
        assert closing.data == 4004
    assert emu.gateway.handshakes[-1].close_code == 4004


async def test_privileged_intent_not_granted_closes_4014() -> None:
    async with Emulator(privileged_intents={"members"}) as emu:
        emu.create_guild("Test")
        bot = make_bot(message_content=True)
        with pytest.raises(discord.PrivilegedIntentsRequired):
            async with emu.running(bot):
                pass
        assert emu.gateway.handshakes[-1].close_code == 4014


async def test_without_members_intent_only_the_bot_member_and_no_member_events(
    emu: Emulator, scene: Scene
) -> None:
    bot = make_bot(members=False)
    log = EventLog(bot, "member_join", "message")
    async with emu.running(bot):
        (guild,) = bot.guilds
        assert [m.id for m in guild.members] == [emu.bot_user.id]
        assert guild.member_count == 4
        dave = emu.create_user("dave")
        await emu.member_join(scene.guild, dave)
        await emu.say(scene.general, scene.bob, "after the join")
        await log.wait_for("message")
        assert log["member_join"] == []


async def test_member_chunk_requests_are_answered(emu: Emulator, scene: Scene) -> None:
    bot = make_bot()
    async with emu.running(bot):
        (guild,) = bot.guilds
        members = await guild.query_members(user_ids=[scene.bob.id, 12345])
        assert [m.id for m in members] == [scene.bob.id]
        found = await guild.query_members("car")
        assert [m.name for m in found] == ["carol"]
        assert len(await guild.chunk()) == 4
