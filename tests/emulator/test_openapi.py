"""The JSON bodies the bot sends validate against Discord's OpenAPI request-body schemas.

The spec is read from STREAKBOT_DISCORD_OPENAPI, or else from the shared data next to the
repository (../shared/data/discord-api-spec/openapi.json); the test is skipped without it.
"""

from __future__ import annotations

import io
import json
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import discord
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from bot.emulator import Emulator, RecordedRequest
from bot.emulator.permissions import (
    BAN_MEMBERS,
    KICK_MEMBERS,
    MANAGE_MESSAGES,
    MANAGE_NICKNAMES,
    MANAGE_ROLES,
    MODERATE_MEMBERS,
)
from tests.emulator.bots import streak_bot
from tests.emulator.conftest import Scene

SPEC_ENV = "STREAKBOT_DISCORD_OPENAPI"
SPEC_URI = "urn:discord-openapi"


def spec_path() -> Path:
    override = os.environ.get(SPEC_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "../shared/data/discord-api-spec/openapi.json"


class RequestBodies:
    """Validates a recorded request's JSON body against its operation's requestBody schema."""

    def __init__(self, spec: dict[str, Any]) -> None:
        schemas = spec["components"]["schemas"]
        # The spec types snowflakes as strings; discord.py sends some (message_reference IDs,
        # allowed_mentions users) as integers, which Discord accepts.
        schemas["SnowflakeType"] = {
            "anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]
        }
        # Likewise permission bitsets: the spec's request schemas say integer, Discord documents
        # (and discord.py sends) decimal strings, as in every response.
        bitset = {"type": "string", "pattern": "^[0-9]+$"}
        for name, schema in schemas.items():
            if "Request" not in name:
                continue
            properties = schema.get("properties", {})
            for key in ("permissions", "allow", "deny"):
                if "integer" in str(properties.get(key, {}).get("type")):
                    properties[key] = {"anyOf": [properties[key], bitset]}
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(SPEC_URI, resource)
        self.spec = spec
        # Fewer placeholders first, so `/users/@me` wins over `/users/{user_id}`.
        templates = sorted(spec["paths"], key=lambda t: t.count("{"))
        self.templates = [
            (re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", t) + "$"), t) for t in templates
        ]

    def errors(self, record: RecordedRequest) -> list[str]:
        template = next((t for pattern, t in self.templates if pattern.match(record.path)), None)
        where = f"{record.method} {record.route or record.path}"
        if template is None:
            return [f"{where}: no such path in the spec"]
        operation = self.spec["paths"][template].get(record.method.lower())
        if operation is None or "requestBody" not in operation:
            return [f"{where}: the spec has no request body for it"]
        pointer = "/".join(
            part.replace("~", "~0").replace("/", "~1")
            for part in ("paths", template, record.method.lower(), "requestBody", "content")
        )
        schema = {"$ref": f"{SPEC_URI}#/{quote(pointer)}/application~1json/schema"}
        validator = Draft202012Validator(schema, registry=self.registry)
        return [
            f"{where}: {'.'.join(map(str, error.absolute_path)) or '<body>'}: {error.message[:300]}"
            for error in validator.iter_errors(record.json)
        ]


@pytest.fixture(scope="module")
def bodies() -> RequestBodies:
    path = spec_path()
    if not path.is_file():
        pytest.skip(f"no Discord OpenAPI spec at {path} (set {SPEC_ENV})")
    return RequestBodies(json.loads(path.read_text()))


async def test_request_bodies_match_discords_openapi_spec(
    emu: Emulator, scene: Scene, bodies: RequestBodies
) -> None:
    guild = scene.guild
    guild.set_bot_permissions(
        guild.bot_role.permissions
        | MANAGE_ROLES
        | MANAGE_MESSAGES
        | MANAGE_NICKNAMES
        | MODERATE_MEMBERS
        | KICK_MEMBERS
        | BAN_MEMBERS
    )
    dave = emu.create_user("dave")
    guild.add_member(dave)
    bot = streak_bot()
    async with emu.running(bot):
        await _exercise_interactions(emu, scene)
        await _exercise_channels(emu, scene, bot)
        await _exercise_members(emu, scene, bot, dave.id)
    checked = [r for r in emu.requests if r.json is not None]
    assert len(checked) >= 20
    routes = {r.route for r in checked}
    assert "/interactions/{interaction_id}/{interaction_token}/callback" in routes
    assert "/webhooks/{application_id}/{token}/messages/@original" in routes
    problems = [problem for record in checked for problem in bodies.errors(record)]
    assert problems == []


def test_the_validator_catches_a_bad_body(bodies: RequestBodies) -> None:
    bad = RecordedRequest("POST", "/channels/1/messages", {}, {"content": 5, "tts": "yes"})
    assert len(bodies.errors(bad)) == 2
    unknown = RecordedRequest("POST", "/nowhere", {}, {})
    assert bodies.errors(unknown) == ["POST /nowhere: no such path in the spec"]


async def _exercise_interactions(emu: Emulator, scene: Scene) -> None:
    guild, general, bob = scene.guild, scene.general, scene.bob
    role = guild.create_role("Gold")
    await emu.command(
        guild, general, bob, "config tiers add",
        name="Gold", days=7, bonus=1.5, badge=True, member=scene.alice, role=role, channel=general,
    )  # fmt: skip
    board = await emu.command(guild, general, bob, "leaderboard", kind="pairs")
    await emu.click(board, "next", bob)
    await emu.command(guild, general, bob, "report")
    await emu.command(guild, general, bob, "report", thinking_followup=True)
    modal = await emu.command(guild, general, bob, "feedback")
    await emu.submit_modal(modal, bob, {"text": "nice"})


async def _exercise_channels(emu: Emulator, scene: Scene, bot: discord.Client) -> None:
    channel = bot.get_channel(scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    original = await emu.say(scene.general, scene.bob, "hello")
    partial = channel.get_partial_message(original.id)
    embed = discord.Embed(title="Streak", description="3 days").add_field(name="Pair", value="a+b")
    sent = await partial.reply(
        "nice", embed=embed, allowed_mentions=discord.AllowedMentions(users=False)
    )
    await channel.send("file", file=discord.File(io.BytesIO(b"png"), "badge.png", description="b"))
    await sent.edit(content="nicer", embed=None)
    await partial.add_reaction("🔥")
    await partial.remove_reaction("🔥", discord.Object(emu.bot_user.id))
    others = [await emu.say(scene.general, scene.carol, f"spam {i}") for i in range(3)]
    await channel.delete_messages([channel.get_partial_message(m.id) for m in others])
    await sent.delete()
    await (await bot.fetch_user(scene.bob.id)).send("hi in DM")


async def _exercise_members(emu: Emulator, scene: Scene, bot: discord.Client, dave_id: int) -> None:
    guild = bot.get_guild(scene.guild.id)
    assert guild is not None
    role = await guild.create_role(name="Streaker", colour=discord.Colour.gold(), hoist=True)
    await role.edit(name="Streakers", mentionable=True)
    member = guild.get_member(scene.bob.id)
    assert member is not None
    await member.add_roles(role)
    until = discord.utils.utcnow() + timedelta(minutes=10)
    await member.edit(nick="Bobby", roles=[role], timed_out_until=until)
    await guild.me.edit(nick="Streaky")
    await guild.ban(discord.Object(scene.carol.id), delete_message_seconds=3600)
    await guild.unban(discord.Object(scene.carol.id))
    dave = guild.get_member(dave_id)
    assert dave is not None
    await dave.kick(reason="testing")
