"""`/leaderboard`: pairs by streak length, members by points, members by tokens; ten a page,
turned with buttons, with the asker's own rank shown even when they are not on the page."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import StreakBot
from bot.services.profiles import Board, ProfileService
from cogs.render import embed, flame, who

TITLES = {"pairs": "Longest streaks", "members": "Most points", "tokens": "Most tokens"}
UNITS = {"pairs": ("day", "days"), "members": ("point", "points"), "tokens": ("token", "tokens")}


def _unit(kind: str, count: int) -> str:
    singular, plural = UNITS[kind]
    return singular if count == 1 else plural


class Leaderboard(commands.Cog):
    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        self.profiles = bot.services.profiles

    @app_commands.command(name="leaderboard", description="The server's leaderboards")
    @app_commands.describe(kind="What to rank (default: streaks of pairs)")
    @app_commands.guild_only()
    async def leaderboard(
        self,
        interaction: discord.Interaction,
        kind: Literal["pairs", "members", "tokens"] = "pairs",
    ) -> None:
        assert interaction.guild_id is not None
        board = await self.profiles.board(interaction.guild_id, interaction.user.id, kind, 0)
        view = BoardView(self.profiles, interaction.guild_id, interaction.user.id, board)
        await interaction.response.send_message(embed=render_board(board), view=view)


class BoardView(discord.ui.View):
    """Prev/next buttons for the member who asked; others are told to ask for their own."""

    def __init__(
        self, profiles: ProfileService, guild: int, owner: int, board: Board, timeout: float = 300
    ) -> None:
        super().__init__(timeout=timeout)
        self.profiles = profiles
        self.guild = guild
        self.owner = owner
        self.board = board
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.board.page == 0
        self.next.disabled = self.board.page >= self.board.pages - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner:
            return True
        await interaction.response.send_message(
            "These buttons belong to whoever asked: run `/leaderboard` for your own.",
            ephemeral=True,
        )
        return False

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.board = await self.profiles.board(
            self.guild, self.owner, self.board.kind, self.board.page + step
        )
        self._sync_buttons()
        await interaction.response.edit_message(embed=render_board(self.board), view=self)

    @discord.ui.button(label="Previous", emoji="◀️", custom_id="leaderboard:previous")
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", emoji="▶️", custom_id="leaderboard:next")
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._turn(interaction, +1)


def render_board(board: Board) -> discord.Embed:
    kind = board.kind
    if not board.rows:
        lines = ["Nobody here yet: the board fills as members keep their streaks."]
    elif board.kind == "pairs":
        lines = [
            f"**{row.rank}.** {flame(row.current)} {who(row.a)} & {who(row.b)} —"
            f" **{row.current}** {_unit(kind, row.current)}"
            for row in board.rows
        ]
    else:
        lines = [
            f"**{row.rank}.** {who(row.member)} — **{row.score}** {_unit(kind, row.score)}"
            for row in board.rows
        ]
    result = embed(TITLES[board.kind], "\n".join(lines))
    if board.my_rank is None:
        mine = "You're not on this board yet"
    else:
        rank, score = board.my_rank
        mine = f"You: #{rank} ({score} {_unit(kind, score)})"
    result.set_footer(text=f"Page {board.page + 1}/{board.pages} · {mine}")
    return result


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Leaderboard(bot))
