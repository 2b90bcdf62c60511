"""What REST handlers share: looking things up (Discord's 404 codes), checking the bot's
permissions (403 codes) and reading a message body the way Discord validates it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import constants as c
from .errors import (
    EMPTY_MESSAGE,
    MISSING_ACCESS,
    REQUEST_TOO_LARGE,
    UNKNOWN_CHANNEL,
    UNKNOWN_GUILD,
    UNKNOWN_MEMBER,
    UNKNOWN_MESSAGE,
    UNKNOWN_ROLE,
    UNKNOWN_USER,
    DiscordError,
    forbidden,
    invalid_form,
    not_found,
)
from .permissions import ALL, VIEW_CHANNEL, channel_permissions, guild_permissions

if TYPE_CHECKING:
    from .messages import NewFile
    from .models import Channel, Guild, Member, Message, Role, User
    from .rest import Call, UploadedFile
    from .state import World

# Flags a bot may set on a message it sends (suppress embeds/notifications, ephemeral, v2).
SETTABLE_FLAGS = (1 << 2) | (1 << 12) | c.EPHEMERAL | (1 << 15)
_EMBED_LIMITS = {"title": 256, "description": 4096}


def channel_of(call: Call, key: str = "channel_id") -> Channel:
    channel = call.world.channels.get(call.snowflake(key))
    if channel is None or (channel.guild is not None and channel.guild.id not in call.world.guilds):
        raise not_found(UNKNOWN_CHANNEL, "Channel")
    if channel.guild is not None and call.world.bot.id not in channel.guild.members:
        raise forbidden(MISSING_ACCESS)
    return channel


def guild_of(call: Call) -> Guild:
    guild = call.world.guilds.get(call.snowflake("guild_id"))
    if guild is None:
        raise not_found(UNKNOWN_GUILD, "Guild")
    if call.world.bot.id not in guild.members:
        raise forbidden(MISSING_ACCESS)
    return guild


def user_of(world: World, user_id: int) -> User:
    user = world.users.get(user_id)
    if user is None:
        raise not_found(UNKNOWN_USER, "User")
    return user


def member_of(guild: Guild, user_id: int) -> Member:
    member = guild.members.get(user_id)
    if member is None:
        raise not_found(UNKNOWN_MEMBER, "Member")
    return member


def role_of(guild: Guild, role_id: int) -> Role:
    role = guild.roles.get(role_id)
    if role is None:
        raise not_found(UNKNOWN_ROLE, "Role")
    return role


def message_of(call: Call, channel: Channel, key: str = "message_id") -> Message:
    message = channel.messages.get(call.snowflake(key))
    if message is None:
        raise not_found(UNKNOWN_MESSAGE, "Message")
    return message


def bot_permissions(world: World, channel: Channel) -> int:
    """The bot's permissions in a channel; in a DM, what a DM allows (everything relevant)."""
    if channel.guild is None:
        return ALL
    return channel_permissions(channel.guild.members[world.bot.id], channel, world.now())


def require(world: World, channel: Channel, needed: int) -> None:
    """403 50001 without VIEW_CHANNEL, 403 50013 when lacking any of `needed`."""
    have = bot_permissions(world, channel)
    if not have & VIEW_CHANNEL:
        raise forbidden(MISSING_ACCESS)
    if have & needed != needed:
        raise forbidden()


def require_guild(world: World, guild: Guild, needed: int) -> None:
    if guild_permissions(guild.members[world.bot.id]) & needed != needed:
        raise forbidden()


def message_fields(
    body: dict[str, Any], uploads: list[UploadedFile], *, partial: bool
) -> dict[str, Any]:
    """Keyword arguments for `MessageLog.post/edit` from a create (or, `partial`, edit) body."""
    fields: dict[str, Any] = {}
    content = body.get("content")
    if content is not None or (partial and "content" in body):
        content = "" if content is None else str(content)
        if len(content) > c.MAX_CONTENT:
            raise invalid_form(
                "content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."
            )
        fields["content"] = content
    embeds = body.get("embeds")
    if embeds is None and body.get("embed") is not None:
        embeds = [body["embed"]]
    if embeds is not None or (partial and "embeds" in body):
        fields["embeds"] = _checked_embeds(embeds or [])
    if body.get("components") is not None or (partial and "components" in body):
        fields["components"] = _checked_components(body.get("components") or [])
    if "allowed_mentions" in body and body["allowed_mentions"] is not None:
        fields["allowed_mentions"] = body["allowed_mentions"]
    if body.get("flags") is not None:
        fields["flags"] = int(body["flags"]) & SETTABLE_FLAGS
    files = _files(body, uploads)
    if partial:
        if body.get("attachments") is not None:
            fields["keep_attachments"] = [
                int(a["id"]) for a in body["attachments"] if int(a["id"]) >= 1 << 22
            ]
        if files:
            fields["files"] = files
        return fields
    if body.get("tts"):
        fields["tts"] = True
    if body.get("nonce") is not None:
        fields["nonce"] = body["nonce"]
    fields["files"] = files
    if not (
        fields.get("content")
        or fields.get("embeds")
        or files
        or fields.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
    ):
        raise DiscordError(400, EMPTY_MESSAGE, "Cannot send an empty message")
    return fields


def _files(body: dict[str, Any], uploads: list[UploadedFile]) -> list[NewFile]:
    if len(uploads) > c.MAX_FILES:
        raise invalid_form("files", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    described = {str(a.get("id")): a for a in body.get("attachments") or () if "id" in a}
    files: list[NewFile] = []
    for upload in uploads:
        if len(upload.data) > c.ATTACHMENT_SIZE_LIMIT:
            raise DiscordError(413, REQUEST_TOO_LARGE, "Request entity too large")
        index = upload.field.removeprefix("files[").removesuffix("]")
        meta = described.get(index, {})
        files.append(
            (
                meta.get("filename") or upload.filename,
                upload.data,
                upload.content_type,
                meta.get("description"),
            )
        )
    return files


def _checked_embeds(embeds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(embeds) > c.MAX_EMBEDS:
        raise invalid_form("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for index, embed in enumerate(embeds):
        for key, limit in _EMBED_LIMITS.items():
            text = embed.get(key) or ""
            total += len(text)
            if len(text) > limit:
                message = f"Must be {limit} or fewer in length."
                raise invalid_form(f"embeds.{index}.{key}", "BASE_TYPE_MAX_LENGTH", message)
        fields = embed.get("fields") or []
        if len(fields) > 25:
            message = "Must be 25 or fewer in length."
            raise invalid_form(f"embeds.{index}.fields", "BASE_TYPE_MAX_LENGTH", message)
        for number, field in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                text = str(field.get(key) or "")
                total += len(text)
                if not text:
                    where = f"embeds.{index}.fields.{number}.{key}"
                    raise invalid_form(where, "BASE_TYPE_REQUIRED", "This field is required")
                if len(text) > limit:
                    where = f"embeds.{index}.fields.{number}.{key}"
                    message = f"Must be {limit} or fewer in length."
                    raise invalid_form(where, "BASE_TYPE_MAX_LENGTH", message)
        total += len((embed.get("footer") or {}).get("text") or "")
        total += len((embed.get("author") or {}).get("name") or "")
    if total > 6000:
        raise invalid_form(
            "embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
        )
    return embeds


def _checked_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [comp for comp in components if comp.get("type") == 1]
    if len(rows) > 5 and len(rows) == len(components):
        raise invalid_form("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    for index, row in enumerate(rows):
        children = row.get("components") or []
        if not children or len(children) > 5:
            message = "Must be between 1 and 5 in length."
            raise invalid_form(f"components.{index}.components", "BASE_TYPE_BAD_LENGTH", message)
        for number, child in enumerate(children):
            custom_id = child.get("custom_id")
            if custom_id is not None and len(custom_id) > 100:
                where = f"components.{index}.components.{number}.custom_id"
                raise invalid_form(where, "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
            if len(child.get("label") or "") > 80:
                where = f"components.{index}.components.{number}.label"
                raise invalid_form(where, "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length.")
    return components
