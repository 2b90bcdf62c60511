"""Shared rendering for members' embeds: flames, day strips, plain text from member input.

Members appear as `<@id>` mentions inside embeds: Discord shows their current name, a hostile
display name never becomes part of the bot's own text, and mentions in embeds never ping.
"""

from __future__ import annotations

import logging

import discord

log = logging.getLogger(__name__)

EMBED_COLOUR = discord.Colour.from_rgb(255, 112, 67)


def flame(days: int) -> str:
    """A streak's flame grows with its length (the tiers' spirit, whatever the config)."""
    if days >= 100:
        return "💎"
    if days >= 30:
        return "🌋"
    if days >= 7:
        return "🔥"
    return "✨" if days >= 3 else "🌱"


def day_mark(sent: bool, received: bool) -> str:
    if sent and received:
        return "🟩"
    return "🟨" if sent or received else "⬛"


def who(member: int) -> str:
    return f"<@{member}>"


def plain(value: str) -> str:
    """Owner- or member-provided text, shown as text: no markdown, no mentions."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(value))


def embed(title: str, description: str = "") -> discord.Embed:
    return discord.Embed(title=title, description=description, colour=EMBED_COLOUR)


async def tell_owner(
    bot: discord.Client,
    guild: discord.Guild,
    kind: str,
    detail: str,
    text: str,
    *,
    meanwhile: str,
) -> None:
    """DM the guild's owner about a problem they must fix, once per (kind, detail) — the
    store's `owner_notices` decides — and log it every time. `meanwhile` says what keeps
    working (e.g. "Streaks and tokens keep working meanwhile")."""
    log.warning("guild %s: %s (%s)", guild.id, kind, detail)
    if not await bot.services.notices.first_time(guild.id, kind, detail):  # type: ignore[attr-defined]
        return
    try:
        owner = guild.owner or await bot.fetch_user(guild.owner_id)
        await owner.send(
            f"Streakbot in **{plain(guild.name)}**: {text}\n"
            f"{meanwhile}; I won't repeat this message."
        )
    except discord.HTTPException:
        log.warning("guild %s: could not tell the owner about %s", guild.id, kind)
