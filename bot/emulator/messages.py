"""Messages and reactions: creating, editing and deleting them, and telling the gateway."""

# Waits take a `timeout` so a test that goes wrong fails fast with a message saying what
# never happened, rather than hanging until pytest's own timeout.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from . import constants as c
from . import payloads
from .models import NO_ITEMS, Attachment, Channel, Message, Reaction, Reference, Role, User
from .permissions import MENTION_EVERYONE

if TYPE_CHECKING:
    from .state import World

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")

# A file to attach: (filename, bytes) or (filename, bytes, content_type, description).
NewFile = tuple[str, bytes] | tuple[str, bytes, str | None, str | None]


class MessageLog:
    """Creates, edits and deletes messages; keeps ephemeral ones and attachment bytes aside."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.ephemeral: dict[int, Message] = {}
        self.attachments: dict[int, Attachment] = {}
        self._waiters: list[tuple[Callable[[Message], bool], asyncio.Future[Message]]] = []

    def get(self, channel: Channel, message_id: int) -> Message | None:
        return channel.messages.get(message_id) or self.ephemeral.get(message_id)

    def attach(
        self,
        channel: Channel,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        description: str | None = None,
    ) -> Attachment:
        attachment = Attachment(self.world.new_id(), filename, data, content_type, description)
        attachment.url = (
            f"{self.world.api_base}/attachments/{channel.id}/{attachment.id}/{quote(filename)}"
        )
        self.attachments[attachment.id] = attachment
        return attachment

    def post(
        self,
        channel: Channel,
        author: User,
        content: str = "",
        *,
        embeds: Iterable[dict[str, Any]] = (),
        components: Iterable[dict[str, Any]] = (),
        files: Iterable[NewFile | Attachment] = (),
        reply_to: Message | None = None,
        mentions: Iterable[User] = (),
        mention_roles: Iterable[Role] = (),
        at: datetime | None = None,
        flags: int = 0,
        allowed_mentions: dict[str, Any] | None = None,
        tts: bool = False,
        webhook_id: int | None = None,
        interaction: dict[str, Any] | None = None,
        type: int | None = None,
        nonce: str | int | None = None,
    ) -> Message:
        """Store a new message and dispatch MESSAGE_CREATE (ephemeral ones are only stored)."""
        message = Message(
            self.world.new_id(at),
            channel,
            author,
            content,
            type=c.DEFAULT,
            embeds=list(embeds) or NO_ITEMS,
            components=list(components) or NO_ITEMS,
            attachments=[self._attachment(channel, f) for f in files] or NO_ITEMS,
            flags=flags,
            allowed_mentions=allowed_mentions,
            webhook_id=webhook_id,
            interaction=interaction,
            tts=tts,
            nonce=nonce,
        )
        if reply_to is not None:
            guild_id = channel.guild.id if channel.guild else None
            message.reference = Reference(reply_to.id, reply_to.channel.id, guild_id)
            message.referenced = reply_to
            message.type = c.REPLY
        if type is not None:
            message.type = type
        self._resolve_mentions(message, list(mentions), list(mention_roles))
        if flags & c.EPHEMERAL:
            self.ephemeral[message.id] = message
        else:
            channel.store(message)
            self._announce(message, "MESSAGE_CREATE")
        if self._waiters:
            self._notify(message)
        return message

    def edit(
        self,
        message: Message,
        *,
        content: str | None = None,
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        keep_attachments: Iterable[int] | None = None,
        files: Iterable[NewFile | Attachment] = (),
        flags: int | None = None,
        allowed_mentions: dict[str, Any] | None = None,
    ) -> Message:
        """Change a message (None leaves a field alone) and dispatch MESSAGE_UPDATE."""
        if allowed_mentions is not None:
            message.allowed_mentions = allowed_mentions
        if content is not None:
            message.content = content
            self._resolve_mentions(message, [], [])
        if embeds is not None:
            message.embeds = embeds
        if components is not None:
            message.components = components
        if keep_attachments is not None:
            kept = set(keep_attachments)
            message.attachments = [a for a in message.attachments if a.id in kept]
        added = [self._attachment(message.channel, f) for f in files]
        if added:
            message.attachments = [*message.attachments, *added]
        if flags is not None:
            message.flags = flags
        message.edited_at = self.world.now()
        if not message.ephemeral:
            self._announce(message, "MESSAGE_UPDATE")
        return message

    def delete(self, message: Message) -> None:
        message.deleted = True
        channel = message.channel
        if self.ephemeral.pop(message.id, None) is not None:
            return
        channel.forget(message.id)
        data: dict[str, Any] = {"id": str(message.id), "channel_id": str(channel.id)}
        self._dispatch_in(channel, "MESSAGE_DELETE", data)

    def bulk_delete(self, channel: Channel, messages: Iterable[Message]) -> None:
        ids = []
        for message in messages:
            message.deleted = True
            channel.forget(message.id)
            ids.append(str(message.id))
        data: dict[str, Any] = {"ids": ids, "channel_id": str(channel.id)}
        self._dispatch_in(channel, "MESSAGE_DELETE_BULK", data)

    def react(self, message: Message, user: User, emoji: str) -> bool:
        """Add `user`'s reaction (MESSAGE_REACTION_ADD); False when it was already there.

        `emoji` is a unicode emoji or a custom one as `name:id` / `<:name:id>`."""
        partial = payloads.emoji_from_key(emoji)
        key = payloads.emoji_key(partial)
        reaction = message.reactions.get(key)
        if reaction is None:
            reaction = message.reactions[key] = Reaction(partial)
        elif user.id in reaction.users:
            return False
        reaction.users[user.id] = None
        data = self._reaction_event(message, user, reaction)
        data["message_author_id"] = str(message.author.id)
        guild = message.channel.guild
        if guild is not None and user.id in guild.members:
            data["member"] = payloads.member(guild.members[user.id])
        self._dispatch_in(message.channel, "MESSAGE_REACTION_ADD", data, reactions=True)
        return True

    def unreact(self, message: Message, user: User, emoji: str) -> bool:
        """Remove `user`'s reaction (MESSAGE_REACTION_REMOVE); False when it was not there."""
        key = payloads.emoji_key(payloads.emoji_from_key(emoji))
        reaction = message.reactions.get(key)
        if reaction is None or user.id not in reaction.users:
            return False
        del reaction.users[user.id]
        if not reaction.users:
            del message.reactions[key]
        data = self._reaction_event(message, user, reaction)
        self._dispatch_in(message.channel, "MESSAGE_REACTION_REMOVE", data, reactions=True)
        return True

    async def wait_for(self, check: Callable[[Message], bool], timeout: float) -> Message:
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        entry = (check, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._waiters.remove(entry)

    # Helpers.

    def _attachment(self, channel: Channel, file: NewFile | Attachment) -> Attachment:
        if isinstance(file, Attachment):
            return file
        return self.attach(channel, *file)

    def _resolve_mentions(self, message: Message, users: list[User], roles: list[Role]) -> None:
        """Who the message mentions: explicit ones, plus those in its content that
        `allowed_mentions` lets through (all of them when the sender gave none)."""
        allowed = message.allowed_mentions
        content = message.content
        guild = message.channel.guild
        world = self.world
        parse = set(allowed.get("parse") or ()) if allowed is not None else None
        if "<@" in content:
            allowed_users = {int(u) for u in allowed.get("users") or ()} if allowed else set()
            for match in USER_MENTION.finditer(content):
                user = world.users.get(int(match.group(1)))
                if user is None or user in users:
                    continue
                if parse is None or "users" in parse or user.id in allowed_users:
                    users.append(user)
            if guild is not None:
                allowed_roles = {int(r) for r in allowed.get("roles") or ()} if allowed else set()
                for match in ROLE_MENTION.finditer(content):
                    role = guild.roles.get(int(match.group(1)))
                    if role is None or role in roles or not self._may_ping(message, role):
                        continue
                    if parse is None or "roles" in parse or role.id in allowed_roles:
                        roles.append(role)
        if ("@everyone" in content or "@here" in content) and (
            parse is None or "everyone" in parse
        ):
            message.mention_everyone = self._may_ping(message, None)
        referenced = message.referenced
        if referenced is not None and referenced.author not in users:
            wants_ping = allowed is None or bool(allowed.get("replied_user"))
            if wants_ping and referenced.author is not message.author:
                users.append(referenced.author)
        message.mentions = users or NO_ITEMS
        message.mention_roles = roles or NO_ITEMS

    def _may_ping(self, message: Message, role: Role | None) -> bool:
        """@everyone, and roles that are not mentionable, need MENTION_EVERYONE."""
        if role is not None and role.mentionable:
            return True
        guild = message.channel.guild
        if guild is None:
            return False
        member = guild.members.get(message.author.id)
        return member is not None and bool(
            member.permissions_in(message.channel) & MENTION_EVERYONE
        )

    def _announce(self, message: Message, event: str) -> None:
        gateway = self.world.gateway
        if gateway is None or not gateway.sessions:
            return
        channel = message.channel
        guild = channel.guild
        bot = self.world.bot
        if guild is None:
            gateway.dispatch(event, payloads.message(message, bot.id), c.DIRECT_MESSAGES)
            return
        if bot.id not in guild.members:
            return
        data = payloads.message(message, bot.id)
        private = None
        if message.author is not bot and bot not in message.mentions:
            # Without MESSAGE_CONTENT a bot sees no content unless it sent or is mentioned.
            def private() -> dict[str, Any]:
                return payloads.without_content(data)

        gateway.dispatch(event, data, c.GUILD_MESSAGES, private=private)

    def _dispatch_in(
        self, channel: Channel, event: str, data: dict[str, Any], *, reactions: bool = False
    ) -> None:
        guild = channel.guild
        if guild is None:
            intent = c.DIRECT_MESSAGE_REACTIONS if reactions else c.DIRECT_MESSAGES
            self.world.dispatch(event, data, intent)
        else:
            data["guild_id"] = str(guild.id)
            intent = c.GUILD_MESSAGE_REACTIONS if reactions else c.GUILD_MESSAGES
            self.world.dispatch_guild(guild, event, data, intent)

    @staticmethod
    def _reaction_event(message: Message, user: User, reaction: Reaction) -> dict[str, Any]:
        return {
            "user_id": str(user.id),
            "channel_id": str(message.channel.id),
            "message_id": str(message.id),
            "emoji": reaction.emoji,
            "burst": False,
            "burst_colors": [],
            "type": 0,
        }

    def _notify(self, message: Message) -> None:
        for check, future in list(self._waiters):
            if not future.done() and check(message):
                future.set_result(message)
