"""Fixtures for the emulator's tests: a started emulator, a small world, real discord.py bots."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from discord.ext import commands

from bot.emulator import Channel, Emulator, Guild, User


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(privileged_intents={"members", "message_content"})
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.close()
    assert not emulator.internal_errors


@dataclass
class Scene:
    alice: User  # owns the guild
    bob: User
    carol: User
    guild: Guild
    general: Channel


@pytest.fixture
def scene(emu: Emulator) -> Scene:
    alice, bob, carol = (emu.create_user(name) for name in ("alice", "bob", "carol"))
    guild = emu.create_guild("Test", owner=alice)
    guild.add_member(bob)
    guild.add_member(carol)
    return Scene(alice, bob, carol, guild, guild.channel("general"))


class FastBot(commands.Bot):
    """discord.py sleeps 5 s before every IDENTIFY but the first (Discord's identify rate
    limit); the emulator has none, so tests skip the wait."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def make_bot(*, members: bool = True, message_content: bool = True, **kwargs: Any) -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = members
    intents.message_content = message_content
    kwargs.setdefault("command_prefix", "!")
    return FastBot(intents=intents, guild_ready_timeout=0.05, **kwargs)


class EventLog:
    """Collects discord.py events from the moment it is made, so none is missed by a late wait."""

    def __init__(self, bot: commands.Bot, *names: str) -> None:
        self.events: dict[str, list[Any]] = defaultdict(list)
        self._changed = asyncio.Event()
        for name in names:
            bot.add_listener(self._recorder(name), f"on_{name}")

    def _recorder(self, name: str) -> Any:
        async def record(*args: Any) -> None:
            self.events[name].append(args[0] if len(args) == 1 else args)
            self._changed.set()

        return record

    def __getitem__(self, name: str) -> list[Any]:
        return self.events[name]

    async def wait_for(self, name: str, count: int = 1, timeout: float = 5.0) -> list[Any]:  # noqa: ASYNC109
        """Until `count` `name` events arrived; returns them all."""
        async with asyncio.timeout(timeout):
            while len(self.events[name]) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.events[name]
