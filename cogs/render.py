"""Shared rendering for members' embeds: flames, day strips, plain text from member input.

Members appear as `<@id>` mentions inside embeds: Discord shows their current name, a hostile
display name never becomes part of the bot's own text, and mentions in embeds never ping.
"""

from __future__ import annotations

import discord

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
