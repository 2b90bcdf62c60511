"""Permission arithmetic: @everyone, roles, administrator, owner, channel overwrites, timeouts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from .models import Channel, Member, Role

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
MANAGE_NICKNAMES = 1 << 27
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
MODERATE_MEMBERS = 1 << 40

# Every permission discord.py knows, so an administrator compares equal to Permissions.all().
ALL = discord.Permissions.all().value

# What @everyone gets in a new server (the text-relevant part of Discord's default).
DEFAULT_EVERYONE = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)

# What the bot's managed role gets unless the test says otherwise: a typical invite link's set,
# deliberately without MANAGE_ROLES or moderation so tests grant those explicitly.
DEFAULT_BOT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)

# A timed-out member keeps only these (unless owner or administrator).
TIMED_OUT_ALLOWED = VIEW_CHANNEL | READ_MESSAGE_HISTORY


def value_of(permissions: Any) -> int:
    """An int from an int, a discord.Permissions, or a decimal string as Discord sends them."""
    if isinstance(permissions, bool):
        raise TypeError("permissions must be an int, a string or discord.Permissions, not bool")
    if isinstance(permissions, int):
        return permissions
    if isinstance(permissions, str):
        return int(permissions)
    value = getattr(permissions, "value", None)
    if isinstance(value, int):
        return value
    raise TypeError(f"not a permissions value: {permissions!r}")


def guild_permissions(member: Member) -> int:
    """The member's server-wide permissions: @everyone and their roles; owner and admin get all."""
    guild = member.guild
    if member.user.id == guild.owner.id:
        return ALL
    value = guild.everyone.permissions
    for role in member.roles:
        value |= role.permissions
    if value & ADMINISTRATOR:
        return ALL
    return value


def channel_permissions(member: Member, channel: Channel | None, now: datetime) -> int:
    """The member's permissions in a channel, after overwrites and a running timeout."""
    base = guild_permissions(member)
    if base & ADMINISTRATOR:
        return ALL
    if channel is not None and channel.overwrites:
        overwrites = channel.overwrites
        everyone = overwrites.get(member.guild.id)
        if everyone is not None:
            base = (base & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role in member.roles:
            overwrite = overwrites.get(role.id)
            if overwrite is not None:
                allow |= overwrite.allow
                deny |= overwrite.deny
        base = (base & ~deny) | allow
        own = overwrites.get(member.user.id)
        if own is not None:
            base = (base & ~own.deny) | own.allow
    if member.timed_out_until is not None and member.timed_out_until > now:
        base &= TIMED_OUT_ALLOWED
    if not base & VIEW_CHANNEL:
        # Discord: without VIEW_CHANNEL every other channel permission is moot.
        return 0
    return base


def top_position(member: Member) -> int:
    return max((role.position for role in member.roles), default=0)


def outranks(actor: Member, role: Role) -> bool:
    """Whether the actor may manage (assign, edit) the role: strictly below its highest role."""
    if actor.user.id == actor.guild.owner.id:
        return True
    return top_position(actor) > role.position


def outranks_member(actor: Member, target: Member) -> bool:
    """Whether the actor may moderate the target (kick, ban, nick, timeout, roles)."""
    if target.user.id == target.guild.owner.id:
        return False
    if actor.user.id == actor.guild.owner.id:
        return True
    return top_position(actor) > top_position(target)
