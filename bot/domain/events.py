"""What happened in a guild, as plain values: the common input of live ingest and `replay`.

Events are treated as immutable. They are not `frozen` dataclasses only because freezing makes
construction several times slower, and replay builds millions of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class MessageEvent:
    """A message was sent. `system` covers every non-default message type (joins, pins...)."""

    id: int
    guild: int
    channel: int
    author: int
    ts: datetime
    reply_to: int | None = None
    reply_to_author: int | None = None
    mentions: tuple[int, ...] = ()
    bot: bool = False
    system: bool = False
    content: str | None = None
    reactors: tuple[int, ...] = ()
    """Reactions already on the message (one user per emoji), as exports record them: they
    count once with the message, and not again if the same message is read twice."""


@dataclass(slots=True)
class ReactionEvent:
    """`user` reacted to `message`; `message_author` when the source knows it."""

    guild: int
    channel: int
    message: int
    user: int
    ts: datetime
    message_author: int | None = None


@dataclass(slots=True)
class DeleteEvent:
    guild: int
    channel: int
    message: int
    ts: datetime


@dataclass(slots=True)
class MemberEvent:
    """A member is known to the guild (and whether it is a bot); `ts` None = from the start.

    `joined`: when they joined the guild, when the source knows it (a join event, Discord's
    member data); an export only shows when someone was first seen, which is not a join."""

    guild: int
    user: int
    bot: bool = False
    ts: datetime | None = None
    name: str | None = None
    joined: datetime | None = None


GuildEvent = MessageEvent | ReactionEvent | DeleteEvent | MemberEvent


def is_counted(message: MessageEvent) -> bool:
    """Rule 2: only ordinary messages and replies written by humans count."""
    return not (message.bot or message.system)
