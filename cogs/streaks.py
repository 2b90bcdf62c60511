"""Members' own streaks: `/streaks` (all of mine, and what today still needs) and `/streak`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import StreakBot
from bot.interaction_errors import UserError
from bot.services.profiles import MyStreaks, PairHistory, StreakToday
from cogs.render import day_mark, embed, flame, plain, who


class Streaks(commands.Cog):
    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        self.profiles = bot.services.profiles

    @app_commands.command(name="streaks", description="Your live streaks and what today needs")
    @app_commands.guild_only()
    async def streaks(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        mine = await self.profiles.my_streaks(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(embed=render_streaks(mine), ephemeral=True)

    @app_commands.command(name="streak", description="Your streak with one member, and its story")
    @app_commands.describe(member="The member you share the streak with")
    @app_commands.guild_only()
    async def streak(self, interaction: discord.Interaction, member: discord.Member) -> None:
        assert interaction.guild_id is not None
        if member.id == interaction.user.id:
            raise UserError("A streak takes two: pick another member.")
        if member.bot:
            raise UserError("Bots don't keep streaks: pick a member.")
        history = await self.profiles.pair_history(
            interaction.guild_id, interaction.user.id, member.id
        )
        await interaction.response.send_message(embed=render_pair(history), ephemeral=True)


def _today(status: StreakToday) -> str:
    waiting = status.waiting_on
    if waiting is None:
        return "✅ today counts"
    if waiting == "you":
        return "⏳ they wrote to you today: your turn"
    if waiting == "them":
        return "⏳ you wrote today: waiting on them"
    return "⏳ no exchange yet today" if status.mutual else "⏳ one exchange keeps it going"


def render_streaks(mine: MyStreaks) -> discord.Embed:
    deadline = discord.utils.format_dt(mine.ends_at, "R")
    if not mine.streaks:
        return embed(
            "Your streaks",
            "No live streak yet. Reply to or mention a member who does the same with you,"
            " and keep it up day after day.",
        )
    lines = []
    for status in mine.streaks:
        s = status.streak
        freezes = f" · ❄️ {s.freezes}" if s.freezes else ""
        lines.append(
            f"{flame(s.current)} **{s.current}** {'day' if s.current == 1 else 'days'} with"
            f" {who(s.partner)} · best {s.best}{freezes}\n{_today(status)}"
        )
    pending = sum(1 for status in mine.streaks if not status.done)
    result = embed("Your streaks", "\n".join(lines))
    result.set_footer(text=f"Today ends in your server's timezone · {pending} still need today")
    result.add_field(name="Day ends", value=deadline)
    return result


def render_pair(history: PairHistory) -> discord.Embed:
    partner = who(history.partner)
    streak = history.streak
    if streak is None:
        text = f"You and {partner} have no streak yet: engage each other today to start one."
    elif streak.current == 0:
        text = (
            f"Your streak with {partner} is broken (best: **{streak.best}** days,"
            f" last on {streak.last_day}). Engage each other today to start again."
        )
    else:
        text = (
            f"{flame(streak.current)} **{streak.current}** days with {partner} since"
            f" {streak.run_start} · best {streak.best} · ❄️ {streak.freezes} freezes"
        )
        if history.today is not None:
            text += f"\n{_today(history.today)}"
    result = embed("Your streak", text)
    strip = "".join(day_mark(sent, received) for _, sent, received in history.days)
    first, last = history.days[0][0], history.days[-1][0]
    result.add_field(
        name=f"Last {len(history.days)} days ({first:%b %d} → {last:%b %d})",
        value=f"{strip}\n🟩 both ways · 🟨 one way · ⬛ none",
        inline=False,
    )
    if history.tiers:
        result.add_field(
            name="Tiers reached",
            value="\n".join(f"**{plain(t.tier)}** on {t.day}" for t in history.tiers[-10:]),
            inline=False,
        )
    return result


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Streaks(bot))
