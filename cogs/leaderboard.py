"""`/leaderboard`: pairs by streak length, members by points (all time, or of one week or
month), members by tokens; ten a page, turned with buttons, with the asker's own rank shown even
when they are not on the page. `/winner-role` lets owners give each week's or month's winners a
role, which moves to the next winners when the next period ends.

Weeks and months end with the close of their last day; a job of this cog's (every few minutes,
on the day-close scheduler) finalises every ended period, keeps its standings, and moves the
winner roles. A missing permission is told to the owner once; the boards go on regardless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

import discord
from apscheduler.triggers.interval import IntervalTrigger
from discord import app_commands
from discord.ext import commands

from bot.client import StreakBot
from bot.domain.periods import Period, PeriodKind
from bot.interaction_errors import UserError
from bot.services.periods import PeriodBoard, PeriodService, RoleMove
from bot.services.profiles import Board
from cogs.checks import manager_only
from cogs.render import embed, flame, plain, tell_owner, who

log = logging.getLogger(__name__)

TITLES = {"pairs": "Longest streaks", "members": "Most points", "tokens": "Most tokens"}
UNITS = {"pairs": ("day", "days"), "members": ("point", "points"), "tokens": ("token", "tokens")}
PERIOD_TITLES = {
    "this-week": "this week",
    "last-week": "last week",
    "this-month": "this month",
    "last-month": "last month",
}
KINDS_BY_OPTION: dict[str, PeriodKind] = {"weekly": "week", "monthly": "month"}
ADJECTIVES: dict[PeriodKind, str] = {"week": "weekly", "month": "monthly"}

FINALISE_EVERY_MINUTES = 5
"""How soon after a day close an ended week or month is finalised and its winner role moved."""
JOB_ID = "period-boards"

Shown = Board | PeriodBoard


def _unit(kind: str, count: int) -> str:
    singular, plural = UNITS[kind]
    return singular if count == 1 else plural


class Leaderboard(commands.Cog):
    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.profiles = bot.services.profiles
        self.periods = PeriodService(bot.services.db, bot.services.intake, bot.services.clock)
        self._lock = asyncio.Lock()
        self._settled: dict[int, str] = {}
        """Guild -> its last closed day when a pass left nothing to do (skip until it moves)."""

    async def cog_load(self) -> None:
        self.services.scheduler.scheduler.add_job(
            self.finalise_periods,
            IntervalTrigger(minutes=FINALISE_EVERY_MINUTES),
            id=JOB_ID,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=None,
            max_instances=1,
        )

    async def cog_unload(self) -> None:
        if self.services.scheduler.scheduler.get_job(JOB_ID) is not None:
            self.services.scheduler.scheduler.remove_job(JOB_ID)

    # -- commands -----------------------------------------------------------------------------

    @app_commands.command(name="leaderboard", description="The server's leaderboards")
    @app_commands.describe(
        kind="What to rank (default: streaks of pairs; members when a period is chosen)",
        period="Members' points of one week or month (default: all time)",
    )
    @app_commands.guild_only()
    async def leaderboard(
        self,
        interaction: discord.Interaction,
        kind: Literal["pairs", "members", "tokens"] | None = None,
        period: Literal["all-time", "this-week", "last-week", "this-month", "last-month"] = (
            "all-time"
        ),
    ) -> None:
        assert interaction.guild_id is not None
        guild, me = interaction.guild_id, interaction.user.id
        if period == "all-time":
            chosen = kind or "pairs"
            board: Shown = await self.profiles.board(guild, me, chosen, 0)

            async def fetch(page: int) -> Shown:
                return await self.profiles.board(guild, me, chosen, page)

        else:
            if kind not in (None, "members"):
                raise UserError(
                    "Weeks and months apply to the members board: it ranks members by the"
                    " points they earned in that week or month. Streaks run across weeks and"
                    " tokens are spent, so those boards are all-time only."
                    f" Try `/leaderboard period:{period}`."
                )
            board = await self.periods.board(guild, me, period, 0)

            async def fetch(page: int) -> Shown:
                return await self.periods.board(guild, me, period, page)

        view = BoardView(fetch, me, board)
        await interaction.response.send_message(embed=render(board), view=view)

    @app_commands.command(
        name="winner-role", description="A role for the top member of each week or month"
    )
    @app_commands.describe(
        period="Which board's winners get it",
        role="The role (leave it out to stop giving one)",
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @manager_only()
    async def winner_role(
        self,
        interaction: discord.Interaction,
        period: Literal["weekly", "monthly"],
        role: discord.Role | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        kind = KINDS_BY_OPTION[period]
        if role is not None:
            _check_winner_role(role, kind, await self.periods.roles(guild.id))
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.periods.set_role(guild.id, kind, role.id if role else None, interaction.user.id)
        self._settled.pop(guild.id, None)  # the job's next pass looks again whatever happens
        try:
            async with self._lock:
                await self.move_roles(guild)
        except discord.HTTPException:
            log.warning("guild %s: moving the winner roles failed, retried later", guild.id)
        await interaction.followup.send(winner_role_text(kind, role), ephemeral=True)

    # -- the periods' job ---------------------------------------------------------------------

    async def finalise_periods(self) -> None:
        """The job: for each guild, finalise the weeks and months that ended, oldest first, and
        move the winner roles to the latest winners."""
        for guild in list(self.bot.guilds):
            try:
                await self.settle(guild)
            except Exception:
                log.exception("guild %s: finalising its periods failed", guild.id)

    async def settle(self, guild: discord.Guild) -> None:
        """One guild's pass: a no-op until its next day close, once nothing is left to do."""
        async with self._lock:
            state = await self.services.ingestor.guild(guild.id)
            last_closed = state.last_closed
            if self._settled.get(guild.id) == last_closed:
                return
            await self.periods.finalise_due(guild.id)
            if await self.move_roles(guild):
                self._settled[guild.id] = last_closed

    async def move_roles(self, guild: discord.Guild) -> bool:
        """Make each winner role sit with its latest winners; True when all of it is done
        (False: something to retry at the next pass, the owner told once)."""
        done = True
        for move in await self.periods.role_moves(guild.id):
            done = await self._move(guild, move) and done
        return done

    async def _move(self, guild: discord.Guild, move: RoleMove) -> bool:
        for holder in move.take:
            role = guild.get_role(holder.role)
            if role is not None and holder.given:  # a role given by hand stays
                if not _can_give(role):
                    await self._cannot_move(guild, move.kind, role)
                    return False
                try:
                    member = await _member(guild, holder.member)
                    if role in member.roles:
                        await member.remove_roles(
                            role, reason=f"Streakbot: a new {ADJECTIVES[move.kind]} winner"
                        )
                except discord.NotFound:
                    pass  # left the server: nothing to take
                except discord.Forbidden:
                    await self._cannot_move(guild, move.kind, role)
                    return False
            await self.periods.taken(guild.id, move.kind, holder.member)
        if not move.give:
            return True
        assert move.role is not None
        assert move.period is not None
        role = guild.get_role(move.role)
        if role is None:
            await self._tell_owner(
                guild,
                "unknown-winner-role",
                str(move.role),
                f"the {ADJECTIVES[move.kind]} winner role (ID {move.role}) no longer exists."
                " Choose another with `/winner-role`.",
            )
            return False
        if not _can_give(role):
            await self._cannot_move(guild, move.kind, role)
            return False
        for member_id in move.give:
            try:
                member = await _member(guild, member_id)
                added = role not in member.roles
                if added:
                    await member.add_roles(
                        role,
                        reason=f"Streakbot: top of the {ADJECTIVES[move.kind]} board,"
                        f" {period_label(move.period)}",
                    )
            except discord.NotFound:
                added = False  # left the server: recorded, so that nobody retries
            except discord.Forbidden:
                await self._cannot_move(guild, move.kind, role)
                return False
            await self.periods.given(guild.id, move, member_id, added=added)
        return True

    async def _cannot_move(
        self, guild: discord.Guild, kind: PeriodKind, role: discord.Role
    ) -> None:
        await self._tell_owner(
            guild,
            "cannot-move-winner-role",
            str(role.id),
            f"I could not move the {ADJECTIVES[kind]} winner role **{plain(role.name)}**: I"
            " need the Manage Roles permission, and my own role must be placed above it in"
            " Server Settings → Roles.",
        )

    async def _tell_owner(self, guild: discord.Guild, kind: str, detail: str, text: str) -> None:
        await tell_owner(
            self.bot, guild, kind, detail, text, meanwhile="The boards keep working meanwhile"
        )


def _can_give(role: discord.Role) -> bool:
    """Whether Discord would let the bot give or take the role (checked before asking, so that
    a missing permission costs no refused request at every pass)."""
    return role.is_assignable() and role.guild.me.guild_permissions.manage_roles


async def _member(guild: discord.Guild, member_id: int) -> discord.Member:
    return guild.get_member(member_id) or await guild.fetch_member(member_id)


def _check_winner_role(role: discord.Role, kind: PeriodKind, roles: dict[PeriodKind, int]) -> None:
    if role.is_default() or role.managed:
        raise UserError(
            f"**{plain(role.name)}** can't be given to anyone: choose a role of your own."
        )
    other = next((k for k, r in roles.items() if r == role.id and k != kind), None)
    if other is not None:
        raise UserError(
            f"**{plain(role.name)}** is already the {ADJECTIVES[other]} winner role: each board"
            " needs a role of its own (otherwise one board's new winner would take it from the"
            " other's)."
        )


def winner_role_text(kind: PeriodKind, role: discord.Role | None) -> str:
    adjective, noun = ADJECTIVES[kind], kind
    if role is None:
        return (
            f"No {adjective} winner role any more: whoever holds it as a {noun}'s winner has"
            " lost it."
        )
    text = (
        f"The {adjective} winner role is now {role.mention}: the winners of the last finished"
        f" {noun} hold it, and it moves to the new winners each time a {noun} ends (ties share"
        " it)."
    )
    if not _can_give(role):
        text += (
            "\n⚠️ I can't give it yet: I need the Manage Roles permission, and my own role must"
            " be placed above it in Server Settings → Roles."
        )
    return text


class BoardView(discord.ui.View):
    """Prev/next buttons for the member who asked; others are told to ask for their own."""

    def __init__(
        self,
        fetch: Callable[[int], Awaitable[Shown]],
        owner: int,
        board: Shown,
        timeout: float = 300,
    ) -> None:
        super().__init__(timeout=timeout)
        self.fetch = fetch
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
        self.board = await self.fetch(self.board.page + step)
        self._sync_buttons()
        await interaction.response.edit_message(embed=render(self.board), view=self)

    @discord.ui.button(label="Previous", emoji="◀️", custom_id="leaderboard:previous")
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", emoji="▶️", custom_id="leaderboard:next")
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._turn(interaction, +1)


# -- rendering ------------------------------------------------------------------------------


def render(board: Shown) -> discord.Embed:
    return render_period_board(board) if isinstance(board, PeriodBoard) else render_board(board)


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
        lines = _member_lines(kind, board.rows)
    result = embed(TITLES[board.kind], "\n".join(lines))
    _footer(result, board)
    return result


def render_period_board(board: PeriodBoard) -> discord.Embed:
    noun, label = board.period.kind, period_label(board.period)
    when = f"<t:{int(board.ends_at.timestamp())}:R>"
    if board.final is not None:
        heading = f"{label} · final standings"
        empty = f"Nobody earned points that {noun}."
    elif board.ended:  # its last day is being closed: the final standings come right after
        heading = f"{label} · ended {when}, final standings in a few minutes"
        empty = f"Nobody earned points that {noun}."
    else:
        heading = f"{label} · so far, ends {when}"
        empty = f"Nobody has earned points this {noun} yet."
    lines = _member_lines("members", board.rows) if board.rows else [empty]
    result = embed(
        f"{TITLES['members']} {PERIOD_TITLES[board.choice]}", "\n".join([heading, *lines])
    )
    _footer(result, board)
    return result


def _member_lines(kind: str, rows: list) -> list[str]:
    return [
        f"**{row.rank}.** {who(row.member)} — **{row.score}** {_unit(kind, row.score)}"
        for row in rows
    ]


def _footer(result: discord.Embed, board: Shown) -> None:
    if board.my_rank is None:
        mine = "You're not on this board yet"
    else:
        rank, score = board.my_rank
        mine = f"You: #{rank} ({score} {_unit(board.kind, score)})"
    result.set_footer(text=f"Page {board.page + 1}/{board.pages} · {mine}")


def period_label(period: Period) -> str:
    """ "November 2026", or "Week 45 of 2026 (2–8 Nov)" (ISO week numbers, Monday first)."""
    if period.kind == "month":
        return f"{period.first:%B %Y}"
    year, week, _ = period.first.isocalendar()
    first, last = period.first, period.last
    if first.month == last.month:
        span = f"{first.day}–{last.day} {last:%b}"
    else:
        span = f"{first.day} {first:%b} – {last.day} {last:%b}"
    return f"Week {week} of {year} ({span})"


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Leaderboard(bot))
