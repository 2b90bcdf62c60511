"""REST: the bot's own user and application, the gateway URL, application commands."""

from __future__ import annotations

from typing import Any

from . import commands, payloads
from .access import guild_of, user_of
from .errors import UNKNOWN_APPLICATION, UNKNOWN_COMMAND, not_found
from .permissions import guild_permissions
from .rest import Call, Router

router = Router()


@router.add("GET", "/users/@me")
async def me(call: Call) -> Any:
    data = payloads.user(call.world.bot)
    data.update(verified=True, mfa_enabled=False, flags=0, email=None, locale="en-US")
    return data


@router.add("GET", "/users/@me/guilds")
async def my_guilds(call: Call) -> Any:
    world = call.world
    return [
        {
            "id": str(g.id),
            "name": g.name,
            "icon": None,
            "banner": None,
            "owner": False,
            "permissions": str(guild_permissions(g.bot_member)),
            "features": [],
        }
        for g in world.guilds_of_bot()
    ]


@router.add("GET", "/users/{user_id}")
async def get_user(call: Call) -> Any:
    return payloads.user(user_of(call.world, call.snowflake("user_id")))


@router.add("GET", "/oauth2/applications/@me")
@router.add("GET", "/applications/@me")
async def application(call: Call) -> Any:
    world = call.world
    return {
        "id": str(world.application_id),
        "name": world.application_name,
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": payloads.user(world.app_owner),
        "team": None,
        "verify_key": "0" * 64,
        "flags": world.application_flags,
        "summary": "",
        "bot": payloads.user(world.bot),
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": len(world.guilds_of_bot()),
    }


@router.add("GET", "/gateway")
async def gateway(call: Call) -> Any:
    assert call.world.gateway is not None
    return {"url": call.world.gateway.url}


@router.add("GET", "/gateway/bot")
async def gateway_bot(call: Call) -> Any:
    assert call.world.gateway is not None
    return {
        "url": call.world.gateway.url,
        "shards": 1,
        "session_start_limit": {
            "total": 1000,
            "remaining": 1000,
            "reset_after": 0,
            "max_concurrency": 1,
        },
    }


def _scope(call: Call) -> int | None:
    if call.snowflake("application_id") != call.world.application_id:
        raise not_found(UNKNOWN_APPLICATION, "Application")
    return guild_of(call).id if "guild_id" in call.params else None


@router.add("GET", "/applications/{application_id}/commands")
@router.add("GET", "/applications/{application_id}/guilds/{guild_id}/commands")
async def list_commands(call: Call) -> Any:
    return list(call.world.commands.get(_scope(call), {}).values())


@router.add("PUT", "/applications/{application_id}/commands")
@router.add("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
async def overwrite_commands(call: Call) -> Any:
    registered = commands.overwrite(call.world, _scope(call), call.json)
    call.world.commands_changed.set()
    return registered


@router.add("POST", "/applications/{application_id}/commands")
@router.add("POST", "/applications/{application_id}/guilds/{guild_id}/commands")
async def upsert_command(call: Call) -> Any:
    registered = commands.upsert(call.world, _scope(call), call.body())
    call.world.commands_changed.set()
    return registered


@router.add("GET", "/applications/{application_id}/commands/{command_id}")
@router.add("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
async def get_command(call: Call) -> Any:
    scope = call.world.commands.get(_scope(call), {})
    for command in scope.values():
        if command["id"] == call.params["command_id"]:
            return command
    raise not_found(UNKNOWN_COMMAND, "application command")


@router.add("DELETE", "/applications/{application_id}/commands/{command_id}")
@router.add("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
async def delete_command(call: Call) -> None:
    scope = call.world.commands.get(_scope(call), {})
    for key, command in list(scope.items()):
        if command["id"] == call.params["command_id"]:
            del scope[key]
            return
    raise not_found(UNKNOWN_COMMAND, "application command")
