"""What the emulated users do: post, edit, delete, react, join, leave, change, get banned.

Mixed into `Emulator`. Each action changes the world, dispatches the gateway events Discord
would, and returns once the frames are on the sockets (not once the bot handled them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .errors import EmulatorError
from .gateway import Gateway
from .messages import NewFile
from .models import Attachment, Channel, Guild, Member, Message, Role, User, as_user
from .state import MISSING, World

_FLUSH_EVERY = 256


class UserActions:
    """The part of `Emulator` that acts as its users."""

    world: World
    gateway: Gateway

    async def say(
        self,
        channel: Channel,
        author: User | Member,
        content: str = "",
        *,
        reply_to: Message | None = None,
        mentions: Iterable[User | Member] = (),
        mention_roles: Iterable[Role] = (),
        embeds: Iterable[dict[str, Any]] = (),
        files: Iterable[NewFile | Attachment] = (),
        at: datetime | None = None,
    ) -> Message:
        """`author` posts a message. `at` (timezone-aware) dates it, and its snowflake."""
        message = self._say(
            channel, author, content, reply_to, mentions, mention_roles, embeds, files, at
        )
        await self.gateway.flush()
        return message

    async def say_many(self, items: Iterable[tuple[Any, ...] | Mapping[str, Any]]) -> list[Message]:
        """Post many messages fast: each item is `(channel, author, content)`,
        `(channel, author, content, at)` or a mapping of `say`'s arguments."""
        posted: list[Message] = []
        for count, item in enumerate(items, start=1):
            if isinstance(item, Mapping):
                kw = dict(item)
                message = self._say(
                    kw.pop("channel"),
                    kw.pop("author"),
                    kw.pop("content", ""),
                    kw.pop("reply_to", None),
                    kw.pop("mentions", ()),
                    kw.pop("mention_roles", ()),
                    kw.pop("embeds", ()),
                    kw.pop("files", ()),
                    kw.pop("at", None),
                )
                if kw:
                    raise EmulatorError(f"unknown say_many fields {sorted(kw)}")
            else:
                channel, author, content, *rest = item
                at = rest[0] if rest else None
                message = self._say(channel, author, content, None, (), (), (), (), at)
            posted.append(message)
            if count % _FLUSH_EVERY == 0:
                await self.gateway.flush()
        await self.gateway.flush()
        return posted

    def _say(
        self,
        channel: Channel,
        author: User | Member,
        content: str,
        reply_to: Message | None,
        mentions: Iterable[User | Member],
        mention_roles: Iterable[Role],
        embeds: Iterable[dict[str, Any]],
        files: Iterable[NewFile | Attachment],
        at: datetime | None,
    ) -> Message:
        user = author.user if isinstance(author, Member) else author
        guild = channel.guild
        if guild is not None:
            if user.id not in guild.members:
                raise EmulatorError(f"{user.name} is not a member of {guild.name}")
        elif user is not channel.recipient and user is not self.world.bot:
            raise EmulatorError(f"{user.name} is not in this DM")
        return self.world.messages.post(
            channel,
            user,
            content,
            reply_to=reply_to,
            mentions=[m.user if isinstance(m, Member) else m for m in mentions],
            mention_roles=mention_roles,
            embeds=embeds,
            files=files,
            at=at,
        )

    async def edit(self, message: Message, content: str) -> Message:
        """The author edits their message (MESSAGE_UPDATE)."""
        self.world.messages.edit(message, content=content)
        await self.gateway.flush()
        return message

    async def delete(self, message: Message) -> None:
        self.world.messages.delete(message)
        await self.gateway.flush()

    async def bulk_delete(self, messages: Iterable[Message]) -> None:
        """A moderator deletes several messages of one channel at once (MESSAGE_DELETE_BULK)."""
        messages = list(messages)
        channels = {m.channel for m in messages}
        if len(channels) != 1:
            raise EmulatorError("bulk_delete takes messages of exactly one channel")
        self.world.messages.bulk_delete(channels.pop(), messages)
        await self.gateway.flush()

    async def react(self, message: Message, user: User | Member, emoji: str) -> None:
        """`emoji`: a unicode emoji, or a custom one as `name:id`."""
        self.world.messages.react(message, as_user(user), emoji)
        await self.gateway.flush()

    async def unreact(self, message: Message, user: User | Member, emoji: str) -> None:
        self.world.messages.unreact(message, as_user(user), emoji)
        await self.gateway.flush()

    async def member_join(
        self,
        guild: Guild,
        user: User,
        roles: Iterable[Role] = (),
        *,
        nick: str | None = None,
        joined_at: datetime | None = None,
    ) -> Member:
        member = guild.add_member(user, roles, nick=nick, joined_at=joined_at)
        await self.gateway.flush()
        return member

    async def member_leave(self, guild: Guild, user: User | Member) -> None:
        self.world.remove_member(guild, as_user(user))
        await self.gateway.flush()

    async def member_update(
        self,
        guild: Guild,
        user: User | Member,
        *,
        roles: Any = MISSING,
        nick: Any = MISSING,
        timed_out_until: Any = MISSING,
    ) -> Member:
        member = guild.member(as_user(user))
        self.world.update_member(member, roles=roles, nick=nick, timed_out_until=timed_out_until)
        await self.gateway.flush()
        return member

    async def ban(self, guild: Guild, user: User | Member, reason: str | None = None) -> None:
        self.world.ban(guild, as_user(user), reason)
        await self.gateway.flush()
