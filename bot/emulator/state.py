"""The emulated Discord's state: users, guilds, roles, channels and members, and the changes
to them that Discord would announce on the gateway (messages live in `messages.py`)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from . import constants as c
from . import payloads
from .errors import EmulatorError
from .messages import MessageLog
from .models import Channel, Guild, Member, Overwrite, Role, User
from .permissions import DEFAULT_BOT, DEFAULT_EVERYONE, value_of
from .snowflakes import SnowflakeFactory

if TYPE_CHECKING:
    from .gateway import Gateway


class _Missing(Enum):
    MISSING = "MISSING"


MISSING = _Missing.MISSING
ACCOUNT_AGE = timedelta(days=365)


class World:
    """Everything the emulated Discord knows, and the one place that changes it."""

    def __init__(
        self,
        *,
        clock: Any = None,
        privileged_intents: Iterable[str] = (),
        bot_name: str = "Streakbot",
    ) -> None:
        self._now: Callable[[], datetime] = _now_function(clock)
        self._real_time = clock is None
        self.ids = SnowflakeFactory()
        unknown = set(privileged_intents) - set(c.PRIVILEGED_INTENTS)
        if unknown:
            raise ValueError(f"unknown privileged intents {sorted(unknown)}")
        self.privileged_intents = frozenset(privileged_intents)
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.dm_channels: dict[int, Channel] = {}  # by the other user's ID
        self.bot = self.create_user(bot_name, bot=True)
        self.app_owner = self.create_user("app-owner")
        self.application_id = self.bot.id
        self.application_name = bot_name
        self.token = f"{self.bot.id}.emulator.{secrets.token_urlsafe(24)}"
        # Registered application commands: None (global) or a guild ID -> (type, name) -> payload.
        self.commands: dict[int | None, dict[tuple[int, str], dict[str, Any]]] = {}
        self.commands_changed = asyncio.Event()
        self.api_base = ""
        self.gateway: Gateway | None = None
        self.messages = MessageLog(self)

    def now(self) -> datetime:
        return self._now()

    def new_id(self, at: datetime | None = None) -> int:
        if at is None and self._real_time:
            return self.ids.at_ms(time.time_ns() // 1_000_000)  # the hot path of say_many
        return self.ids.at(at or self._now())

    @property
    def application_flags(self) -> int:
        flags = 0
        for name in self.privileged_intents:
            flags |= c.PRIVILEGED_APP_FLAGS[name]
        return flags

    def guilds_of_bot(self) -> list[Guild]:
        return [g for g in self.guilds.values() if self.bot.id in g.members]

    def dispatch(self, event: str, data: Any, intent: int = 0, *, private: Any = None) -> None:
        if self.gateway is not None:
            self.gateway.dispatch(event, data, intent, private=private)

    def dispatch_guild(self, guild: Guild, event: str, data: Any, intent: int) -> None:
        """A guild event reaches the bot only while it is in the guild."""
        if self.gateway is not None and self.bot.id in guild.members:
            self.gateway.dispatch(event, data, intent)

    # Users and guilds.

    def create_user(
        self,
        name: str,
        *,
        bot: bool = False,
        global_name: str | None = None,
        accepts_dms: bool = True,
        created_at: datetime | None = None,
    ) -> User:
        """A Discord account. Its ID dates it (`created_at`, by default a year before now):
        like most real accounts, old enough for the anti-fraud account gate."""
        born = created_at or self._now() - ACCOUNT_AGE
        user = User(
            self.new_id(born), name, bot=bot, global_name=global_name, accepts_dms=accepts_dms
        )
        self.users[user.id] = user
        return user

    def create_guild(
        self,
        name: str,
        owner: User | None = None,
        *,
        bot_permissions: Any = DEFAULT_BOT,
        everyone_permissions: Any = DEFAULT_EVERYONE,
    ) -> Guild:
        now = self._now()
        owner = owner or self.create_user(f"{name} owner")
        guild = Guild(self.new_id(), name, owner, self, joined_at=now)
        guild.roles[guild.id] = Role(
            guild.id, guild.id, "@everyone", value_of(everyone_permissions), 0
        )
        bot_role = Role(
            self.new_id(),
            guild.id,
            self.application_name,
            value_of(bot_permissions),
            1,
            managed=True,
            bot_id=self.bot.id,
        )
        guild.roles[bot_role.id] = bot_role
        self.guilds[guild.id] = guild
        self._add_channel(guild, "general", c.GUILD_TEXT)
        guild.members[owner.id] = Member(owner, guild, joined_at=now)
        guild.members[self.bot.id] = Member(self.bot, guild, [bot_role], joined_at=now)
        if self.gateway is not None:
            gateway = self.gateway
            gateway.dispatch_each(
                "GUILD_CREATE", lambda session: gateway.guild_create(session, guild), c.GUILDS
            )
        return guild

    # Members.

    def add_member(
        self,
        guild: Guild,
        user: User,
        roles: Iterable[Role] = (),
        *,
        nick: str | None = None,
        joined_at: datetime | None = None,
    ) -> Member:
        if user.id in guild.members:
            raise EmulatorError(f"{user.name} is already a member of {guild.name}")
        guild.bans.pop(user.id, None)
        member = Member(
            user,
            guild,
            self._own_roles(guild, roles),
            nick=nick,
            joined_at=joined_at or self._now(),
        )
        guild.members[user.id] = member
        data = payloads.member(member)
        data["guild_id"] = str(guild.id)
        self.dispatch_guild(guild, "GUILD_MEMBER_ADD", data, c.GUILD_MEMBERS)
        return member

    def remove_member(self, guild: Guild, user: User) -> None:
        member = guild.member(user)
        if user.id == self.bot.id:
            self.dispatch_guild(guild, "GUILD_DELETE", {"id": str(guild.id)}, c.GUILDS)
        else:
            data = {"guild_id": str(guild.id), "user": payloads.user(user)}
            self.dispatch_guild(guild, "GUILD_MEMBER_REMOVE", data, c.GUILD_MEMBERS)
        del guild.members[member.user.id]

    def update_member(
        self,
        member: Member,
        *,
        roles: Iterable[Role] | _Missing = MISSING,
        nick: str | _Missing | None = MISSING,
        timed_out_until: datetime | _Missing | None = MISSING,
    ) -> Member:
        if roles is not MISSING:
            member.roles = self._own_roles(member.guild, roles)
        if nick is not MISSING:
            member.nick = nick
        if timed_out_until is not MISSING:
            member.timed_out_until = timed_out_until
        data = payloads.member(member)
        data["guild_id"] = str(member.guild.id)
        self.dispatch_guild(member.guild, "GUILD_MEMBER_UPDATE", data, c.GUILD_MEMBERS)
        return member

    def ban(self, guild: Guild, user: User, reason: str | None = None) -> None:
        guild.bans[user.id] = reason
        data = {"guild_id": str(guild.id), "user": payloads.user(user)}
        self.dispatch_guild(guild, "GUILD_BAN_ADD", data, c.GUILD_MODERATION)
        if user.id in guild.members:
            self.remove_member(guild, user)

    def unban(self, guild: Guild, user: User) -> None:
        del guild.bans[user.id]
        data = {"guild_id": str(guild.id), "user": payloads.user(user)}
        self.dispatch_guild(guild, "GUILD_BAN_REMOVE", data, c.GUILD_MODERATION)

    def _own_roles(self, guild: Guild, roles: Iterable[Role]) -> list[Role]:
        chosen: list[Role] = []
        for role in roles:
            if guild.roles.get(role.id) is not role:
                raise EmulatorError(f"{role!r} is not a role of {guild.name}")
            if role.id != guild.id and role not in chosen:
                chosen.append(role)
        return chosen

    # Roles.

    def create_role(
        self,
        guild: Guild,
        name: str,
        permissions: int = 0,
        *,
        position: int | None = None,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
    ) -> Role:
        role = Role(
            self.new_id(), guild.id, name, permissions, 0, color, hoist, mentionable=mentionable
        )
        guild.roles[role.id] = role
        moved = self._place_role(guild, role, 1 if position is None else position)
        data = {"guild_id": str(guild.id), "role": payloads.role(role)}
        self.dispatch_guild(guild, "GUILD_ROLE_CREATE", data, c.GUILDS)
        self._announce_roles(guild, moved)
        return role

    def edit_role(self, role: Role, **changes: Any) -> Role:
        allowed = {"name", "permissions", "color", "hoist", "mentionable"}
        if set(changes) - allowed:
            raise EmulatorError(f"cannot change {sorted(set(changes) - allowed)} of a role")
        if "permissions" in changes:
            changes["permissions"] = value_of(changes["permissions"])
        for key, value in changes.items():
            setattr(role, key, value)
        guild = self.guilds[role.guild_id]
        self._announce_roles(guild, [role])
        return role

    def move_role(self, role: Role, position: int) -> None:
        guild = self.guilds[role.guild_id]
        if role.id == guild.id:
            raise EmulatorError("@everyone always stays at position 0")
        self._announce_roles(guild, self._place_role(guild, role, position))

    def delete_role(self, role: Role) -> None:
        guild = self.guilds[role.guild_id]
        del guild.roles[role.id]
        for member in guild.members.values():
            if role in member.roles:
                member.roles.remove(role)
        data = {"guild_id": str(guild.id), "role_id": str(role.id)}
        self.dispatch_guild(guild, "GUILD_ROLE_DELETE", data, c.GUILDS)
        others = [r for r in guild.roles_by_position() if r.id != guild.id]
        self._announce_roles(guild, self._renumber(others))

    def _place_role(self, guild: Guild, role: Role, position: int) -> list[Role]:
        """Put `role` at `position` (>= 1), renumbering the others 1..n; returns those moved."""
        others = [r for r in guild.roles_by_position() if r.id not in (guild.id, role.id)]
        index = max(0, min(position - 1, len(others)))
        others.insert(index, role)
        return [r for r in self._renumber(others) if r is not role]

    @staticmethod
    def _renumber(ordered: list[Role]) -> list[Role]:
        moved = []
        for position, r in enumerate(ordered, start=1):
            if r.position != position:
                r.position = position
                moved.append(r)
        return moved

    def _announce_roles(self, guild: Guild, roles: Iterable[Role]) -> None:
        for role in roles:
            data = {"guild_id": str(guild.id), "role": payloads.role(role)}
            self.dispatch_guild(guild, "GUILD_ROLE_UPDATE", data, c.GUILDS)

    # Channels.

    def create_channel(
        self,
        guild: Guild,
        name: str,
        type: int,
        *,
        topic: str | None = None,
        category: Channel | None = None,
        overwrites: dict[Any, tuple[Any, Any]] | None = None,
    ) -> Channel:
        channel = self._add_channel(guild, name, type, topic=topic, category=category)
        for target, (allow, deny) in (overwrites or {}).items():
            channel.overwrites[target.id] = self._overwrite(guild, target, allow, deny)
        self.dispatch_guild(guild, "CHANNEL_CREATE", payloads.channel(channel), c.GUILDS)
        return channel

    def set_overwrite(self, channel: Channel, target: Any, allow: Any, deny: Any) -> None:
        guild = channel.guild
        if guild is None:
            raise EmulatorError("DM channels have no permission overwrites")
        channel.overwrites[target.id] = self._overwrite(guild, target, allow, deny)
        self.dispatch_guild(guild, "CHANNEL_UPDATE", payloads.channel(channel), c.GUILDS)

    def _overwrite(self, guild: Guild, target: Any, allow: Any, deny: Any) -> Overwrite:
        kind = 0 if isinstance(target, Role) else 1
        return Overwrite(target.id, kind, value_of(allow), value_of(deny))

    def _add_channel(
        self,
        guild: Guild,
        name: str,
        type: int,
        *,
        topic: str | None = None,
        category: Channel | None = None,
    ) -> Channel:
        channel = Channel(
            self.new_id(),
            type,
            name,
            guild,
            position=len(guild.channels),
            topic=topic,
            parent_id=category.id if category else None,
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def dm_channel(self, user: User) -> Channel:
        """The DM channel between the bot and `user` (made on first use)."""
        channel = self.dm_channels.get(user.id)
        if channel is None:
            channel = Channel(self.new_id(), c.DM, None, recipient=user)
            self.dm_channels[user.id] = channel
            self.channels[channel.id] = channel
        return channel


def _now_function(clock: Any) -> Callable[[], datetime]:
    if clock is None:
        return lambda: datetime.now(UTC)
    if hasattr(clock, "now"):
        return clock.now
    if callable(clock):
        return clock
    raise TypeError("clock must be None, an object with now(), or a callable")
