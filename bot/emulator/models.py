"""The emulated Discord's objects. Plain data: changing them through `Emulator`/`Guild` methods
(not by assigning attributes) is what tells connected bots, as Discord's gateway would."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import constants as c
from .permissions import channel_permissions, guild_permissions, value_of
from .snowflakes import time_of

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from .state import World


@dataclass(eq=False, slots=True)
class User:
    """A Discord account. `accepts_dms=False` makes the bot's DMs fail with 50007."""

    id: int
    name: str
    bot: bool = False
    global_name: str | None = None
    avatar: str | None = None
    accepts_dms: bool = True

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def __repr__(self) -> str:
        return f"<User {self.name} {self.id}>"


@dataclass(eq=False, slots=True)
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def __repr__(self) -> str:
        return f"<Role {self.name} {self.id} pos={self.position}>"


@dataclass(eq=False, slots=True)
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0


@dataclass(eq=False, slots=True)
class Attachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None
    url: str = ""

    @property
    def size(self) -> int:
        return len(self.data)


class _NoItems(list):  # type: ignore[type-arg]
    """One shared, unchangeable empty list: the default of a message's list fields.

    A stored message would otherwise own five empty lists, and the garbage collector's full
    passes over them cost more than building the message (benchmarks store 100k+ messages).
    It still equals `[]`; code that changes a field assigns a new list.
    """

    def _frozen(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("assign a new list instead of changing a message's list in place")

    append = extend = insert = remove = pop = clear = sort = reverse = _frozen
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _frozen


NO_ITEMS: list[Any] = _NoItems()


def _none() -> list[Any]:
    return NO_ITEMS


@dataclass(eq=False, slots=True)
class Reference:
    message_id: int
    channel_id: int
    guild_id: int | None


@dataclass(eq=False, slots=True)
class Message:
    """A message as the emulated Discord stores it.

    `allowed_mentions` is what the bot sent (None when it sent none), so tests can check that a
    bot does not ping people; `mentions` are the users actually mentioned after applying it.
    """

    id: int
    channel: Channel
    author: User
    content: str = ""
    type: int = c.DEFAULT
    embeds: list[dict[str, Any]] = field(default_factory=_none)
    components: list[dict[str, Any]] = field(default_factory=_none)
    attachments: list[Attachment] = field(default_factory=_none)
    mentions: list[User] = field(default_factory=_none)
    mention_roles: list[Role] = field(default_factory=_none)
    mention_everyone: bool = False
    reference: Reference | None = None
    referenced: Message | None = None
    reactions: dict[str, Reaction] = field(default_factory=dict)
    flags: int = 0
    edited_at: datetime | None = None
    allowed_mentions: dict[str, Any] | None = None
    webhook_id: int | None = None
    interaction: dict[str, Any] | None = None
    tts: bool = False
    nonce: str | int | None = None
    deleted: bool = False

    @property
    def created_at(self) -> datetime:
        return time_of(self.id)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & c.EPHEMERAL)

    @property
    def guild(self) -> Guild | None:
        return self.channel.guild

    def custom_ids(self) -> list[str]:
        """The custom_id of every component on the message, in display order."""
        return [component["custom_id"] for component in iter_components(self.components)]

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        for component in iter_components(self.components):
            if component["custom_id"] == custom_id:
                return component
        return None

    def __repr__(self) -> str:
        return f"<Message {self.id} by {self.author.name}: {self.content[:40]!r}>"


def iter_components(components: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every interactive component (one with a custom_id), depth first, rows and containers."""
    for component in components:
        if "custom_id" in component:
            yield component
        yield from iter_components(component.get("components") or ())
        accessory = component.get("accessory")
        if accessory:
            yield from iter_components((accessory,))


@dataclass(eq=False, slots=True)
class Reaction:
    emoji: dict[str, Any]  # {"id": str | None, "name": str, "animated": bool}
    users: dict[int, None] = field(default_factory=dict)  # an ordered set of user IDs


@dataclass(eq=False)
class Channel:
    """A guild text/voice/category channel or a DM. Messages are kept in snowflake order."""

    id: int
    type: int
    name: str | None
    guild: Guild | None = None
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    nsfw: bool = False
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    recipient: User | None = None  # DMs
    messages: dict[int, Message] = field(default_factory=dict, repr=False)
    _order: list[int] = field(default_factory=list, repr=False)

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def last_message_id(self) -> int | None:
        return self._order[-1] if self._order else None

    def in_order(self) -> list[Message]:
        """Every message of the channel, oldest first."""
        return [self.messages[i] for i in self._order]

    def store(self, message: Message) -> None:
        self.messages[message.id] = message
        order = self._order
        if not order or message.id > order[-1]:
            order.append(message.id)
        else:
            bisect.insort(order, message.id)

    def forget(self, message_id: int) -> None:
        if self.messages.pop(message_id, None) is not None:
            order = self._order
            del order[bisect.bisect_left(order, message_id)]

    def history(
        self,
        limit: int = 50,
        before: int | None = None,
        after: int | None = None,
        around: int | None = None,
    ) -> list[Message]:
        """Messages newest first, as `GET /channels/{id}/messages` returns them."""
        order = self._order
        if around is not None:
            centre = bisect.bisect_left(order, around)
            start = max(0, centre - limit // 2)
            ids = order[start : start + limit]
        elif after is not None:
            start = bisect.bisect_right(order, after)
            ids = order[start : start + limit]
        else:
            end = bisect.bisect_left(order, before) if before is not None else len(order)
            ids = order[max(0, end - limit) : end]
        return [self.messages[i] for i in reversed(ids)]

    def __repr__(self) -> str:
        return f"<Channel #{self.name} {self.id}>"


@dataclass(eq=False)
class Member:
    user: User
    guild: Guild
    roles: list[Role] = field(default_factory=list)  # without @everyone
    nick: str | None = None
    joined_at: datetime | None = None
    timed_out_until: datetime | None = None
    pending: bool = False

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def top_role(self) -> Role:
        return max(self.roles, key=lambda role: role.position, default=self.guild.everyone)

    @property
    def permissions(self) -> int:
        """Server-wide permissions (no channel overwrites)."""
        return guild_permissions(self)

    def permissions_in(self, channel: Channel) -> int:
        return channel_permissions(self, channel, self.guild._world.now())

    def __repr__(self) -> str:
        return f"<Member {self.user.name} of {self.guild.name}>"


@dataclass(eq=False)
class Guild:
    """A server. Its methods change it the way Discord would and tell connected bots."""

    id: int
    name: str
    owner: User
    _world: World = field(repr=False)
    roles: dict[int, Role] = field(default_factory=dict, repr=False)
    channels: dict[int, Channel] = field(default_factory=dict, repr=False)
    members: dict[int, Member] = field(default_factory=dict, repr=False)
    bans: dict[int, str | None] = field(default_factory=dict, repr=False)
    joined_at: datetime | None = None
    locale: str = "en-US"

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    @property
    def bot_member(self) -> Member:
        return self.members[self._world.bot.id]

    @property
    def bot_role(self) -> Role:
        """The bot's managed role, made when the bot joined."""
        for role in self.roles.values():
            if role.bot_id == self._world.bot.id:
                return role
        raise LookupError("the bot has no managed role in this guild")

    @property
    def text_channels(self) -> list[Channel]:
        return [ch for ch in self.channels.values() if ch.type == c.GUILD_TEXT]

    def channel(self, name: str) -> Channel:
        for ch in self.channels.values():
            if ch.name == name:
                return ch
        raise LookupError(f"no channel named {name!r} in {self.name}")

    def role(self, name: str) -> Role:
        for role in self.roles.values():
            if role.name == name:
                return role
        raise LookupError(f"no role named {name!r} in {self.name}")

    def member(self, user: User | int) -> Member:
        user_id = user if isinstance(user, int) else user.id
        try:
            return self.members[user_id]
        except KeyError:
            raise LookupError(f"user {user_id} is not a member of {self.name}") from None

    def roles_by_position(self) -> list[Role]:
        return sorted(self.roles.values(), key=lambda role: (role.position, role.id))

    # Changes (each dispatches the matching gateway event to connected bots).

    def add_member(
        self,
        user: User,
        roles: Iterable[Role] = (),
        *,
        nick: str | None = None,
        joined_at: datetime | None = None,
    ) -> Member:
        """Make the user a member (GUILD_MEMBER_ADD)."""
        return self._world.add_member(self, user, roles, nick=nick, joined_at=joined_at)

    def create_role(
        self,
        name: str,
        permissions: Any = 0,
        *,
        position: int | None = None,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
    ) -> Role:
        """A new role (GUILD_ROLE_CREATE). Without `position` it goes right above @everyone,
        hence below the bot's role; pass `position=guild.bot_role.position + 1` to outrank it."""
        return self._world.create_role(
            self,
            name,
            value_of(permissions),
            position=position,
            color=color,
            hoist=hoist,
            mentionable=mentionable,
        )

    def edit_role(self, role: Role, **changes: Any) -> Role:
        """Change name/permissions/color/hoist/mentionable (GUILD_ROLE_UPDATE)."""
        return self._world.edit_role(role, **changes)

    def move_role(self, role: Role, position: int) -> None:
        """Put the role at `position` (1 = lowest above @everyone), shifting the others."""
        self._world.move_role(role, position)

    def set_bot_permissions(self, permissions: Any) -> None:
        """Set the permissions of the bot's managed role."""
        self._world.edit_role(self.bot_role, permissions=value_of(permissions))

    def create_text_channel(
        self,
        name: str,
        *,
        topic: str | None = None,
        category: Channel | None = None,
        overwrites: dict[Role | User | Member, tuple[Any, Any]] | None = None,
    ) -> Channel:
        """A text channel (CHANNEL_CREATE). `overwrites` maps a role/user to (allow, deny)."""
        return self._world.create_channel(
            self, name, c.GUILD_TEXT, topic=topic, category=category, overwrites=overwrites
        )

    def create_category(self, name: str) -> Channel:
        return self._world.create_channel(self, name, c.GUILD_CATEGORY)

    def set_overwrite(
        self, channel: Channel, target: Role | User | Member, allow: Any = 0, deny: Any = 0
    ) -> None:
        """Set one permission overwrite on a channel (CHANNEL_UPDATE)."""
        self._world.set_overwrite(channel, target, allow, deny)

    def __repr__(self) -> str:
        return f"<Guild {self.name} {self.id}>"


def as_user(user: User | Member) -> User:
    """The user behind a member (or the user itself)."""
    return user.user if isinstance(user, Member) else user
