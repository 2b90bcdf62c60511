"""Weekly and monthly boards: live standings while a period runs, its final standings once
its last day is closed, and which winners should hold the winner roles.

Finalising is driven from outside (the leaderboard cog's job, every few minutes): it asks
`finalise_due`, which finalises every ended period not finalised yet, oldest first. The store
refuses a second finalisation, so a job that runs twice, late or after a restart changes
nothing; after downtime every missed period is finalised, in order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import Clock
from bot.domain.calendar import day_end, guild_day
from bot.domain.periods import (
    PERIOD_KINDS,
    Period,
    PeriodChoice,
    PeriodKind,
    chosen_period,
    ended_periods,
)
from bot.services.intake import Intake
from bot.store.database import Database
from bot.store.periods import PeriodClose, PeriodRepository, RoleHolder
from bot.store.profiles import MemberScore, Page

log = logging.getLogger(__name__)

PAGE_SIZE = 10


@dataclass(frozen=True, slots=True)
class PeriodBoard:
    """A page of a week's or month's board of members by points."""

    choice: PeriodChoice
    period: Period
    page: int
    pages: int
    rows: list[MemberScore]
    total: int
    """Rows on all pages together (a final board keeps the top standings only)."""
    my_rank: tuple[int, int] | None
    final: PeriodClose | None
    """The finalisation shown; None while the standings are still live (so far)."""
    ends_at: datetime
    """The first instant after the period (when a live board's standings stop moving)."""
    ended: bool
    """Whether the period is over (its final standings come once its last day is closed)."""

    @property
    def kind(self) -> str:
        return "members"


@dataclass(frozen=True, slots=True)
class RoleMove:
    """What it takes for the winner role of one kind of period to sit with the latest winners:
    take it from `take` (their records end), then give it to `give`."""

    kind: PeriodKind
    role: int | None
    """The role chosen for this kind now (None: none any more; holders only lose theirs)."""
    period: Period | None
    """The latest finalised period, whose winners should hold the role."""
    give: list[int]
    take: list[RoleHolder]


class PeriodService:
    def __init__(self, db: Database, intake: Intake, clock: Clock) -> None:
        self.store = PeriodRepository(db)
        self.intake = intake
        self.clock = clock

    async def board(self, guild: int, member: int, choice: PeriodChoice, page: int) -> PeriodBoard:
        """One page (from 0) of the chosen period's board: the final standings once the
        period is finalised, else the live totals of its days so far."""
        state = await self.intake.ingestor.guild(guild)
        zone = state.config.zone
        now = self.clock.now()
        period = chosen_period(choice, guild_day(now, zone))
        if period is None:
            raise ValueError("all-time is no period: ask the profiles for that board")
        final = await self.store.period_close(guild, period)
        if final is None:
            await self.intake.drain()  # today's points include what arrived a moment ago
            await self.intake.ingestor.flush()

        async def fetch(offset: int) -> Page[MemberScore]:
            if final is not None:
                return await self.store.standings(guild, period, offset, PAGE_SIZE)
            return await self.store.live_board(guild, period, offset, PAGE_SIZE)

        page = max(page, 0)
        result = await fetch(page * PAGE_SIZE)
        pages = max(1, -(-result.total // PAGE_SIZE))
        if page >= pages:  # the board shrank since the page was shown: its last page
            page = pages - 1
            result = await fetch(page * PAGE_SIZE)
        mine = None
        if final is not None:
            mine = await self.store.standing(guild, period, member)
        if mine is None:
            # Below the kept standings (or still live): the period's days are still there, and
            # closed days' points never change, so this is the rank the period ended with.
            mine = await self.store.live_rank(guild, period, member)
        ends_at = day_end(period.last, zone)
        return PeriodBoard(
            choice,
            period,
            page,
            pages,
            result.rows,
            result.total,
            mine,
            final,
            ends_at,
            ended=ends_at <= now,
        )

    async def finalise_due(self, guild: int) -> list[PeriodClose]:
        """Finalise every period of the guild whose last day is closed and which is not
        finalised yet, oldest first per kind; returns those finalised now."""
        state = await self.intake.ingestor.guild(guild)
        if state.first_day is None or not state.last_closed:
            return []
        first_day = date.fromisoformat(state.first_day)
        last_closed = date.fromisoformat(state.last_closed)
        done = []
        for kind in PERIOD_KINDS:
            latest = await self.store.latest_close(guild, kind)
            after = latest.period if latest is not None else None
            for period in ended_periods(kind, first_day, last_closed, after):
                closed = await self.store.finalise(guild, period, self.clock.now().isoformat())
                if closed is not None:
                    log.info(
                        "guild %s: %s from %s finalised, %d members with points",
                        guild,
                        kind,
                        period.key,
                        closed.members,
                    )
                    done.append(closed)
        return done

    async def history(self, guild: int, kind: PeriodKind) -> list[PeriodClose]:
        """Every finalised period of `kind`, oldest first."""
        return await self.store.closes(guild, kind)

    # -- winner roles -------------------------------------------------------------------------

    async def roles(self, guild: int) -> dict[PeriodKind, int]:
        return await self.store.roles(guild)

    async def set_role(
        self, guild: int, kind: PeriodKind, role: int | None, by: int
    ) -> dict[PeriodKind, int]:
        """Choose (or, with None, stop giving) the winner role of `kind`; the roles after."""
        await self.store.set_role(guild, kind, role, by, self.clock.now().isoformat())
        return await self.store.roles(guild)

    async def role_moves(self, guild: int) -> list[RoleMove]:
        """For each kind of period, the moves still to make; empty when every winner role
        already sits with the latest winners as recorded."""
        roles = await self.store.roles(guild)
        moves = []
        for kind in PERIOD_KINDS:
            role = roles.get(kind)
            holders = await self.store.holders(guild, kind)
            latest = await self.store.latest_close(guild, kind)
            period = latest.period if latest is not None else None
            winners = (
                await self.store.winners(guild, period)
                if role is not None and period is not None
                else []
            )
            held = {holder.member: holder.role for holder in holders}
            take = [h for h in holders if h.member not in winners or h.role != role]
            give = [m for m in winners if held.get(m) != role]
            if take or give:
                moves.append(RoleMove(kind, role, period, give, take))
        return moves

    async def given(self, guild: int, move: RoleMove, member: int, *, added: bool) -> None:
        """The member holds the move's role now (`added`: the bot added it)."""
        assert move.role is not None
        assert move.period is not None
        await self.store.hold(guild, move.kind, member, move.role, move.period.key, added)

    async def taken(self, guild: int, kind: PeriodKind, member: int) -> None:
        """The member's turn with the winner role of `kind` is over."""
        await self.store.release(guild, kind, member)
