"""Discord's JSON for the emulator's objects, shaped as discord.py 2.x reads them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import constants as c
from .snowflakes import iso, iso_cached, time_of

if TYPE_CHECKING:
    from .models import Attachment, Channel, Guild, Member, Message, Role, User


def user(u: User) -> dict[str, Any]:
    return {
        "id": str(u.id),
        "username": u.name,
        "discriminator": "0",
        "global_name": u.global_name,
        "avatar": u.avatar,
        "bot": u.bot,
        "public_flags": 0,
        "avatar_decoration_data": None,
    }


def member(m: Member, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "roles": [str(role.id) for role in m.roles],
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "joined_at": iso_cached(m.joined_at) if m.joined_at else None,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": m.pending,
        "flags": 0,
        "communication_disabled_until": iso(m.timed_out_until) if m.timed_out_until else None,
    }
    if with_user:
        data["user"] = user(m.user)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def role(r: Role) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(r.id),
        "name": r.name,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.managed,
        "mentionable": r.mentionable,
        "flags": 0,
    }
    if r.bot_id is not None:
        data["tags"] = {"bot_id": str(r.bot_id)}
    return data


def channel(ch: Channel, *, permissions: int | None = None) -> dict[str, Any]:
    last = ch.last_message_id
    if ch.type == c.DM:
        assert ch.recipient is not None
        data: dict[str, Any] = {
            "id": str(ch.id),
            "type": c.DM,
            "last_message_id": str(last) if last else None,
            "recipients": [user(ch.recipient)],
            "flags": 0,
        }
    else:
        assert ch.guild is not None
        data = {
            "id": str(ch.id),
            "type": ch.type,
            "guild_id": str(ch.guild.id),
            "name": ch.name,
            "position": ch.position,
            "permission_overwrites": [
                {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
                for o in ch.overwrites.values()
            ],
            "nsfw": ch.nsfw,
            "parent_id": str(ch.parent_id) if ch.parent_id else None,
            "flags": 0,
        }
        if ch.type != c.GUILD_CATEGORY:
            data["topic"] = ch.topic
            data["last_message_id"] = str(last) if last else None
            data["rate_limit_per_user"] = 0
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def guild(g: Guild, *, counts: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(g.owner.id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": g.locale,
        "features": [],
        "emojis": [],
        "stickers": [],
        "roles": [role(r) for r in g.roles_by_position()],
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "application_id": None,
        "vanity_url_code": None,
        "max_members": 500000,
    }
    if counts:
        data["approximate_member_count"] = len(g.members)
        data["approximate_presence_count"] = 0
    return data


def guild_create(g: Guild, members: list[Member]) -> dict[str, Any]:
    """GUILD_CREATE: the guild, its channels, and the members the bot's intents let it see."""
    data = guild(g)
    data.update(
        joined_at=iso(g.joined_at) if g.joined_at else None,
        large=len(g.members) > 250,
        unavailable=False,
        lazy=True,
        member_count=len(g.members),
        members=[member(m) for m in members],
        channels=[channel(ch) for ch in g.channels.values()],
        threads=[],
        presences=[],
        voice_states=[],
        stage_instances=[],
        guild_scheduled_events=[],
        soundboard_sounds=[],
    )
    return data


def attachment(a: Attachment) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(a.id),
        "filename": a.filename,
        "size": a.size,
        "url": a.url,
        "proxy_url": a.url,
        "content_type": a.content_type,
    }
    if a.description is not None:
        data["description"] = a.description
    return data


def message(m: Message, bot_id: int, *, nested: bool = True) -> dict[str, Any]:
    """A message as MESSAGE_CREATE carries it (with `guild_id` and the author's `member`)."""
    ch = m.channel
    g = ch.guild
    data: dict[str, Any] = {
        "id": str(m.id),
        "type": m.type,
        "channel_id": str(ch.id),
        "author": user(m.author),
        "content": m.content,
        "timestamp": iso(time_of(m.id)),
        "edited_timestamp": iso(m.edited_at) if m.edited_at else None,
        "tts": m.tts,
        "mention_everyone": m.mention_everyone,
        "mentions": [user(u) for u in m.mentions],
        "mention_roles": [str(r.id) for r in m.mention_roles],
        "attachments": [attachment(a) for a in m.attachments],
        "embeds": m.embeds,
        "components": m.components,
        "pinned": False,
        "flags": m.flags,
    }
    if g is not None:
        data["guild_id"] = str(g.id)
        author_member = g.members.get(m.author.id)
        if author_member is not None and m.webhook_id is None:
            data["member"] = member(author_member, with_user=False)
        for mentioned in data["mentions"]:
            mentioned_member = g.members.get(int(mentioned["id"]))
            if mentioned_member is not None:
                mentioned["member"] = member(mentioned_member, with_user=False)
    if m.reactions:
        data["reactions"] = [
            {
                "emoji": reaction.emoji,
                "count": len(reaction.users),
                "count_details": {"burst": 0, "normal": len(reaction.users)},
                "me": bot_id in reaction.users,
                "me_burst": False,
                "burst_colors": [],
            }
            for reaction in m.reactions.values()
        ]
    if m.reference is not None:
        ref = m.reference
        data["message_reference"] = {
            "type": 0,
            "message_id": str(ref.message_id),
            "channel_id": str(ref.channel_id),
        }
        if ref.guild_id is not None:
            data["message_reference"]["guild_id"] = str(ref.guild_id)
        if nested:
            referenced = m.referenced
            data["referenced_message"] = (
                message(referenced, bot_id, nested=False)
                if referenced is not None and not referenced.deleted
                else None
            )
    if m.webhook_id is not None:
        data["webhook_id"] = str(m.webhook_id)
        data["application_id"] = str(m.webhook_id)
    if m.interaction is not None:
        data["interaction_metadata"] = m.interaction
    if m.nonce is not None:
        data["nonce"] = m.nonce
    return data


def without_content(data: dict[str, Any]) -> dict[str, Any]:
    """The message as a bot without the MESSAGE_CONTENT intent sees it."""
    data = dict(data, content="", embeds=[], attachments=[], components=[])
    data.pop("poll", None)
    referenced = data.get("referenced_message")
    if referenced:
        data["referenced_message"] = dict(
            referenced, content="", embeds=[], attachments=[], components=[]
        )
    return data


def emoji_from_key(key: str) -> dict[str, Any]:
    """`🔥`, `name:id`, `a:name:id` or `<:name:id>` to a partial emoji object."""
    parts = key.strip("<>").split(":")
    if len(parts) >= 2 and parts[-1].isdigit():
        animated = len(parts) == 3 and parts[0] == "a"
        return {"id": parts[-1], "name": parts[-2], "animated": animated}
    return {"id": None, "name": key}


def emoji_key(emoji: dict[str, Any]) -> str:
    return emoji["id"] if emoji.get("id") else emoji["name"]
