"""REST: channels, messages, reactions and DM channels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from . import constants as c
from . import payloads
from .access import (
    bot_permissions,
    channel_of,
    message_fields,
    message_of,
    require,
    user_of,
)
from .errors import (
    BULK_DELETE_TOO_OLD,
    CANNOT_DM,
    CANNOT_EDIT_OTHERS_MESSAGE,
    MISSING_ACCESS,
    UNKNOWN_EMOJI,
    DiscordError,
    forbidden,
    invalid_form,
    not_found,
)
from .models import Channel, Message
from .permissions import (
    ADD_REACTIONS,
    ATTACH_FILES,
    MANAGE_MESSAGES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
)
from .rest import Call, Router

router = Router()


@router.add("GET", "/channels/{channel_id}")
async def get_channel(call: Call) -> Any:
    channel = channel_of(call)
    if not bot_permissions(call.world, channel) & VIEW_CHANNEL:
        raise forbidden(MISSING_ACCESS)
    return payloads.channel(channel)


@router.add("GET", "/channels/{channel_id}/messages")
async def history(call: Call) -> Any:
    channel = channel_of(call)
    require(call.world, channel, 0)
    if not bot_permissions(call.world, channel) & READ_MESSAGE_HISTORY:
        return []
    limit = call.int_query("limit", 50) or 50
    if not 1 <= limit <= 100:
        raise invalid_form("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
    messages = channel.history(
        limit,
        before=call.int_query("before"),
        after=call.int_query("after"),
        around=call.int_query("around"),
    )
    bot_id = call.world.bot.id
    return [payloads.message(m, bot_id) for m in messages]


@router.add("GET", "/channels/{channel_id}/messages/{message_id}")
async def get_message(call: Call) -> Any:
    channel = channel_of(call)
    require(call.world, channel, READ_MESSAGE_HISTORY)
    return payloads.message(message_of(call, channel), call.world.bot.id)


@router.add("POST", "/channels/{channel_id}/messages")
async def create_message(call: Call) -> Any:
    world = call.world
    channel = channel_of(call)
    body = call.body()
    fields = message_fields(body, call.files, partial=False)
    if channel.guild is None:
        _check_dm(call, channel)
    else:
        require(world, channel, SEND_MESSAGES | (ATTACH_FILES if fields["files"] else 0))
    if fields.get("flags", 0) & c.EPHEMERAL:
        fields["flags"] &= ~c.EPHEMERAL  # only interaction responses can be ephemeral
    reply_to = _reply_target(call, channel, body.get("message_reference"))
    message = world.messages.post(channel, world.bot, reply_to=reply_to, **fields)
    return payloads.message(message, world.bot.id)


@router.add("PATCH", "/channels/{channel_id}/messages/{message_id}")
async def edit_message(call: Call) -> Any:
    world = call.world
    channel = channel_of(call)
    message = message_of(call, channel)
    if message.author is not world.bot:
        raise DiscordError(
            403, CANNOT_EDIT_OTHERS_MESSAGE, "Cannot edit a message authored by another user"
        )
    fields = message_fields(call.body(), call.files, partial=True)
    world.messages.edit(message, **fields)
    call.interactions.message_edited(message)
    return payloads.message(message, world.bot.id)


@router.add("DELETE", "/channels/{channel_id}/messages/{message_id}")
async def delete_message(call: Call) -> None:
    world = call.world
    channel = channel_of(call)
    message = message_of(call, channel)
    if message.author is not world.bot and channel.guild is not None:
        require(world, channel, MANAGE_MESSAGES)
    elif message.author is not world.bot:
        raise forbidden()
    world.messages.delete(message)


@router.add("POST", "/channels/{channel_id}/messages/bulk-delete")
async def bulk_delete(call: Call) -> None:
    world = call.world
    channel = channel_of(call)
    if channel.guild is None:
        raise forbidden()
    require(world, channel, MANAGE_MESSAGES)
    ids = call.body().get("messages") or []
    if not 2 <= len(ids) <= 100:
        raise invalid_form(
            "messages", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length."
        )
    oldest = world.now() - timedelta(days=c.BULK_DELETE_MAX_AGE_DAYS)
    found: list[Message] = []
    for raw in dict.fromkeys(int(i) for i in ids):
        message = channel.messages.get(raw)
        if message is None:
            continue  # Discord skips unknown IDs
        if message.created_at < oldest:
            raise DiscordError(
                400,
                BULK_DELETE_TOO_OLD,
                "You can only bulk delete messages that are under 14 days old.",
            )
        found.append(message)
    world.messages.bulk_delete(channel, found)


@router.add("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
async def add_own_reaction(call: Call) -> None:
    world = call.world
    channel = channel_of(call)
    message = message_of(call, channel)
    emoji = _emoji(call)
    known = payloads.emoji_key(payloads.emoji_from_key(emoji)) in message.reactions
    needed = READ_MESSAGE_HISTORY | (0 if known else ADD_REACTIONS)
    require(world, channel, needed)
    world.messages.react(message, world.bot, emoji)


@router.add("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
async def remove_own_reaction(call: Call) -> None:
    channel = channel_of(call)
    message = message_of(call, channel)
    call.world.messages.unreact(message, call.world.bot, _emoji(call))


@router.add("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}")
async def remove_reaction(call: Call) -> None:
    world = call.world
    channel = channel_of(call)
    message = message_of(call, channel)
    require(world, channel, MANAGE_MESSAGES)
    world.messages.unreact(message, user_of(world, call.snowflake("user_id")), _emoji(call))


@router.add("GET", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}")
async def reaction_users(call: Call) -> Any:
    world = call.world
    channel = channel_of(call)
    message = message_of(call, channel)
    reaction = message.reactions.get(payloads.emoji_key(payloads.emoji_from_key(_emoji(call))))
    if reaction is None:
        return []
    limit = call.int_query("limit", 25) or 25
    after = call.int_query("after", 0) or 0
    ids = sorted(uid for uid in reaction.users if uid > after)[:limit]
    return [payloads.user(world.users[uid]) for uid in ids]


@router.add("POST", "/channels/{channel_id}/typing")
async def typing(call: Call) -> None:
    channel = channel_of(call)
    if channel.guild is not None:
        require(call.world, channel, SEND_MESSAGES)


@router.add("POST", "/users/@me/channels")
async def create_dm(call: Call) -> Any:
    recipient = call.body().get("recipient_id")
    if recipient is None or not str(recipient).isdigit():
        raise invalid_form("recipient_id", "BASE_TYPE_REQUIRED", "This field is required")
    user = user_of(call.world, int(recipient))
    return payloads.channel(call.world.dm_channel(user))


def _check_dm(call: Call, channel: Channel) -> None:
    world = call.world
    user = channel.recipient
    assert user is not None
    shares_guild = any(user.id in g.members for g in world.guilds_of_bot())
    if user.bot or not user.accepts_dms or not shares_guild:
        raise DiscordError(403, CANNOT_DM, "Cannot send messages to this user")


def _reply_target(call: Call, channel: Channel, reference: Any) -> Message | None:
    if not reference:
        return None
    message_id = reference.get("message_id")
    target_channel = channel
    if reference.get("channel_id") and int(reference["channel_id"]) != channel.id:
        target_channel = call.world.channels.get(int(reference["channel_id"])) or channel
    target = target_channel.messages.get(int(message_id)) if message_id else None
    if target is None and reference.get("fail_if_not_exists", True):
        raise invalid_form(
            "message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
        )
    return target


def _emoji(call: Call) -> str:
    key = call.params["emoji"]
    emoji = payloads.emoji_from_key(key)
    if emoji["id"] is None and key.isascii():
        raise not_found(UNKNOWN_EMOJI, "Emoji")
    return key
