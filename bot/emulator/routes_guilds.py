"""REST: guilds, members (roles, nicknames, timeouts, kicks, bans) and roles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from . import payloads
from .access import guild_of, member_of, require_guild, role_of, user_of
from .errors import MISSING_ACCESS, UNKNOWN_BAN, forbidden, invalid_form, not_found
from .models import Guild, Member, Role
from .permissions import (
    ADMINISTRATOR,
    BAN_MEMBERS,
    CHANGE_NICKNAME,
    KICK_MEMBERS,
    MANAGE_NICKNAMES,
    MANAGE_ROLES,
    MODERATE_MEMBERS,
    guild_permissions,
    outranks,
    outranks_member,
    value_of,
)
from .rest import Call, Router
from .snowflakes import parse_iso

router = Router()
MAX_TIMEOUT = timedelta(days=28)


@router.add("GET", "/guilds/{guild_id}")
async def get_guild(call: Call) -> Any:
    counts = call.query.get("with_counts", "").lower() in ("1", "true")
    return payloads.guild(guild_of(call), counts=counts)


@router.add("GET", "/guilds/{guild_id}/channels")
async def guild_channels(call: Call) -> Any:
    return [payloads.channel(ch) for ch in guild_of(call).channels.values()]


@router.add("GET", "/guilds/{guild_id}/roles")
async def guild_roles(call: Call) -> Any:
    return [payloads.role(r) for r in guild_of(call).roles_by_position()]


@router.add("POST", "/guilds/{guild_id}/roles")
async def create_role(call: Call) -> Any:
    guild = guild_of(call)
    require_guild(call.world, guild, MANAGE_ROLES)
    body = call.body()
    permissions = value_of(body.get("permissions") or guild.everyone.permissions)
    _check_grantable(call, guild, permissions)
    role = call.world.create_role(
        guild,
        body.get("name") or "new role",
        permissions,
        color=int(body.get("color") or 0),
        hoist=bool(body.get("hoist")),
        mentionable=bool(body.get("mentionable")),
    )
    return payloads.role(role)


@router.add("PATCH", "/guilds/{guild_id}/roles/{role_id}")
async def edit_role(call: Call) -> Any:
    guild = guild_of(call)
    role = _manageable_role(call, guild)
    body = call.body()
    changes: dict[str, Any] = {}
    for key in ("name", "hoist", "mentionable"):
        if body.get(key) is not None:
            changes[key] = body[key]
    if body.get("color") is not None:
        changes["color"] = int(body["color"])
    if body.get("permissions") is not None:
        changes["permissions"] = value_of(body["permissions"])
        _check_grantable(call, guild, changes["permissions"])
    call.world.edit_role(role, **changes)
    return payloads.role(role)


@router.add("DELETE", "/guilds/{guild_id}/roles/{role_id}")
async def delete_role(call: Call) -> None:
    guild = guild_of(call)
    role = _manageable_role(call, guild)
    if role.id == guild.id:
        raise invalid_form("role_id", "BASE_TYPE_CHOICES", "Cannot delete @everyone")
    call.world.delete_role(role)


@router.add("GET", "/guilds/{guild_id}/members")
async def list_members(call: Call) -> Any:
    guild = guild_of(call)
    if "members" not in call.world.privileged_intents:
        raise forbidden(MISSING_ACCESS)  # listing members needs the GUILD_MEMBERS intent granted
    limit = call.int_query("limit", 1) or 1
    after = call.int_query("after", 0) or 0
    members = sorted((m for uid, m in guild.members.items() if uid > after), key=lambda m: m.id)
    return [payloads.member(m) for m in members[: min(limit, 1000)]]


@router.add("GET", "/guilds/{guild_id}/members/search")
async def search_members(call: Call) -> Any:
    guild = guild_of(call)
    needle = call.query.get("query", "").lower()
    limit = min(call.int_query("limit", 1) or 1, 1000)
    found = [
        m
        for m in guild.members.values()
        if m.user.name.lower().startswith(needle) or (m.nick or "").lower().startswith(needle)
    ]
    return [payloads.member(m) for m in found[:limit]]


@router.add("PATCH", "/guilds/{guild_id}/members/@me")
async def edit_own_member(call: Call) -> Any:
    guild = guild_of(call)
    body = call.body()
    me = guild.bot_member
    if "nick" in body:
        require_guild(call.world, guild, CHANGE_NICKNAME)
        call.world.update_member(me, nick=body["nick"] or None)
    return payloads.member(me)


@router.add("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_member(call: Call) -> Any:
    return payloads.member(member_of(guild_of(call), call.snowflake("user_id")))


@router.add("PATCH", "/guilds/{guild_id}/members/{user_id}")
async def edit_member(call: Call) -> Any:
    world = call.world
    guild = guild_of(call)
    target = member_of(guild, call.snowflake("user_id"))
    body = call.body()
    changes: dict[str, Any] = {}
    if body.get("roles") is not None:
        wanted = [role_of(guild, int(r)) for r in body["roles"]]
        _check_role_change(call, guild, set(wanted) ^ set(target.roles))
        changes["roles"] = wanted
    if "nick" in body:
        require_guild(world, guild, MANAGE_NICKNAMES)
        if target is not guild.bot_member and not outranks_member(guild.bot_member, target):
            raise forbidden()
        changes["nick"] = body["nick"] or None
    if "communication_disabled_until" in body:
        changes["timed_out_until"] = _timeout_until(call, guild, target, body)
    if changes:
        world.update_member(target, **changes)
    return payloads.member(target)


@router.add("DELETE", "/guilds/{guild_id}/members/{user_id}")
async def kick(call: Call) -> None:
    guild = guild_of(call)
    target = member_of(guild, call.snowflake("user_id"))
    require_guild(call.world, guild, KICK_MEMBERS)
    if not outranks_member(guild.bot_member, target):
        raise forbidden()
    call.world.remove_member(guild, target.user)


@router.add("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def add_role(call: Call) -> None:
    guild = guild_of(call)
    target = member_of(guild, call.snowflake("user_id"))
    role = role_of(guild, call.snowflake("role_id"))
    _check_role_change(call, guild, {role})
    if role not in target.roles and role.id != guild.id:
        call.world.update_member(target, roles=[*target.roles, role])


@router.add("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def remove_role(call: Call) -> None:
    guild = guild_of(call)
    target = member_of(guild, call.snowflake("user_id"))
    role = role_of(guild, call.snowflake("role_id"))
    _check_role_change(call, guild, {role})
    if role in target.roles:
        call.world.update_member(target, roles=[r for r in target.roles if r is not role])


@router.add("GET", "/guilds/{guild_id}/bans")
async def list_bans(call: Call) -> Any:
    guild = guild_of(call)
    require_guild(call.world, guild, BAN_MEMBERS)
    users = call.world.users
    return [{"user": payloads.user(users[u]), "reason": r} for u, r in guild.bans.items()]


@router.add("GET", "/guilds/{guild_id}/bans/{user_id}")
async def get_ban(call: Call) -> Any:
    guild = guild_of(call)
    require_guild(call.world, guild, BAN_MEMBERS)
    user_id = call.snowflake("user_id")
    if user_id not in guild.bans:
        raise not_found(UNKNOWN_BAN, "Ban")
    return {"user": payloads.user(call.world.users[user_id]), "reason": guild.bans[user_id]}


@router.add("PUT", "/guilds/{guild_id}/bans/{user_id}")
async def ban(call: Call) -> None:
    world = call.world
    guild = guild_of(call)
    require_guild(world, guild, BAN_MEMBERS)
    user = user_of(world, call.snowflake("user_id"))
    target = guild.members.get(user.id)
    if target is not None and not outranks_member(guild.bot_member, target):
        raise forbidden()
    seconds = int(call.body().get("delete_message_seconds") or 0)
    if not 0 <= seconds <= 604800:
        raise invalid_form(
            "delete_message_seconds", "NUMBER_TYPE_MAX", "int value should be <= 604800."
        )
    if seconds:
        since = world.now() - timedelta(seconds=seconds)
        for channel in guild.channels.values():
            doomed = [
                m for m in channel.messages.values() if m.author is user and m.created_at >= since
            ]
            if doomed:
                world.messages.bulk_delete(channel, doomed)
    world.ban(guild, user, call.reason)


@router.add("DELETE", "/guilds/{guild_id}/bans/{user_id}")
async def unban(call: Call) -> None:
    guild = guild_of(call)
    require_guild(call.world, guild, BAN_MEMBERS)
    user_id = call.snowflake("user_id")
    if user_id not in guild.bans:
        raise not_found(UNKNOWN_BAN, "Ban")
    call.world.unban(guild, call.world.users[user_id])


def _check_role_change(call: Call, guild: Guild, roles: set[Role]) -> None:
    """Changing members' roles: MANAGE_ROLES, and each role strictly below the bot's highest."""
    if guild.id in call.faults.role_refusing_guilds:
        raise forbidden()
    require_guild(call.world, guild, MANAGE_ROLES)
    for role in roles:
        if role.managed or not outranks(guild.bot_member, role):
            raise forbidden()


def _manageable_role(call: Call, guild: Guild) -> Role:
    require_guild(call.world, guild, MANAGE_ROLES)
    role = role_of(guild, call.snowflake("role_id"))
    if not outranks(guild.bot_member, role):
        raise forbidden()
    return role


def _check_grantable(call: Call, guild: Guild, permissions: int) -> None:
    """A bot cannot give a role permissions it does not have itself (unless administrator)."""
    have = guild_permissions(guild.bot_member)
    if not have & ADMINISTRATOR and permissions & ~have:
        raise forbidden()


def _timeout_until(call: Call, guild: Guild, target: Member, body: dict[str, Any]) -> Any:
    require_guild(call.world, guild, MODERATE_MEMBERS)
    if guild_permissions(target) & ADMINISTRATOR or not outranks_member(guild.bot_member, target):
        raise forbidden()
    until = parse_iso(body["communication_disabled_until"])
    if until is not None and until - call.world.now() > MAX_TIMEOUT:
        raise invalid_form(
            "communication_disabled_until",
            "COMMUNICATION_DISABLED_TIMESTAMP_TOO_LARGE",
            "Timeout cannot be longer than 28 days.",
        )
    return until
