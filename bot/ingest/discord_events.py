"""Adapters from discord.py's gateway objects to the engine's events.

Messages are dated by their Discord timestamp (`created_at`, from the snowflake), never by
when they reached the bot. Reactions and deletes carry no timestamp on the gateway, so they are
dated by the clock when they arrive.
"""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from bot.domain.events import DeleteEvent, MemberEvent, MessageEvent, ReactionEvent

# Rule 2: Discord message types 0 (default) and 19 (reply) are conversation; every other type
# (joins, pins, boosts, thread starters...) is a system message.
_CONVERSATION = frozenset({discord.MessageType.default, discord.MessageType.reply})
_REPLY = discord.MessageType.reply
_DISCORD_EPOCH_MS = discord.utils.DISCORD_EPOCH


def message_event(message: discord.Message) -> MessageEvent | None:
    """The engine's view of a guild message; None outside guilds (DMs).

    Runs for every message the gateway delivers, on the event loop: it reads each attribute
    once, and builds the event positionally (eleven keywords would triple the construction's
    cost: 0.47 µs against 0.17)."""
    guild = message.guild
    if guild is None:
        return None
    kind = message.type
    author = message.author
    reply_to = reply_to_author = None
    if kind is _REPLY:
        reference = message.reference
        if reference is not None:
            reply_to = reference.message_id
            resolved = reference.resolved
            # Discord sends the replied-to message along; a bot author is no exchange partner,
            # so it is left for the message index (which knows it as non-human) to settle.
            if isinstance(resolved, discord.Message) and not resolved.author.bot:
                reply_to_author = resolved.author.id
    # From the payload's `mentions`, which Discord keeps without the message-content intent.
    mentioned = message.mentions
    snowflake = message.id
    return MessageEvent(
        snowflake,  # id
        guild.id,  # guild
        message.channel.id,  # channel
        author.id,  # author
        # `created_at` without its call: the snowflake's milliseconds since Discord's epoch.
        datetime.fromtimestamp(((snowflake >> 22) + _DISCORD_EPOCH_MS) / 1000, UTC),  # ts
        reply_to,
        reply_to_author,
        tuple([user.id for user in mentioned if not user.bot]) if mentioned else (),  # mentions
        author.bot or message.webhook_id is not None,  # bot
        kind not in _CONVERSATION,  # system
        message.content or None,  # content
    )


def reaction_event(
    payload: discord.RawReactionActionEvent, at: datetime, author_is_bot: bool = False
) -> ReactionEvent | None:
    """A reaction added in a guild; None for DMs, bots reacting, or reactions to a bot."""
    if payload.guild_id is None or author_is_bot:
        return None
    if payload.member is not None and payload.member.bot:
        return None
    return ReactionEvent(
        guild=payload.guild_id,
        channel=payload.channel_id,
        message=payload.message_id,
        user=payload.user_id,
        ts=at,
        message_author=payload.message_author_id,
    )


def delete_events(
    guild: int | None, channel: int, message_ids: list[int], at: datetime
) -> list[DeleteEvent]:
    if guild is None:
        return []
    return [DeleteEvent(guild, channel, message, at) for message in message_ids]


def member_event(member: discord.Member) -> MemberEvent:
    return MemberEvent(
        guild=member.guild.id,
        user=member.id,
        bot=member.bot,
        ts=member.joined_at,
        name=member.display_name,
        joined=member.joined_at,
    )
