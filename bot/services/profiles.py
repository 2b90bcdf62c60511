"""What members ask about themselves: their streaks today, a pair's history, boards, wallet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from bot.clock import Clock
from bot.domain.calendar import day_end, guild_day
from bot.services.intake import Intake
from bot.services.ledger_days import ledger_days
from bot.store.database import Database
from bot.store.ledger import LedgerRepository
from bot.store.profiles import (
    Badge,
    LedgerLine,
    MemberScore,
    Page,
    PairScore,
    PairStreak,
    ProfileRepository,
    TierReached,
)
from bot.store.reports import ReportRepository

BoardKind = Literal["pairs", "members", "tokens"]
PAGE_SIZE = 10
HISTORY_DAYS = 14


@dataclass(frozen=True, slots=True)
class StreakToday:
    """A live streak and what today still needs for it to go on."""

    streak: PairStreak
    sent: bool
    received: bool
    mutual: bool

    @property
    def done(self) -> bool:
        return (self.sent and self.received) if self.mutual else (self.sent or self.received)

    @property
    def waiting_on(self) -> Literal["both", "you", "them"] | None:
        """Who still has to engage the other today (None when today already counts)."""
        if self.done:
            return None
        if not self.mutual:
            return "both"  # either one will do
        if not self.sent and not self.received:
            return "both"
        return "you" if not self.sent else "them"


@dataclass(frozen=True, slots=True)
class MyStreaks:
    day: date
    ends_at: datetime
    streaks: list[StreakToday]


@dataclass(frozen=True, slots=True)
class PairHistory:
    partner: int
    streak: PairStreak | None
    days: list[tuple[date, bool, bool]]
    """The last HISTORY_DAYS guild days, oldest first: (day, I engaged them, they engaged me)."""
    tiers: list[TierReached]
    today: StreakToday | None


@dataclass(frozen=True, slots=True)
class Board:
    kind: BoardKind
    page: int
    pages: int
    rows: list[PairScore] | list[MemberScore]
    total: int
    my_rank: tuple[int, int] | None
    """(rank, score) of the member who asked: days, points or tokens."""


class ProfileService:
    def __init__(self, db: Database, intake: Intake, clock: Clock) -> None:
        self.store = ProfileRepository(db)
        self.ledger = LedgerRepository(db)
        self.reports = ReportRepository(db)
        self.intake = intake
        self.clock = clock

    async def _fresh(self) -> None:
        """Today's answers include what the gateway delivered a moment ago."""
        await self.intake.drain()
        await self.intake.ingestor.flush()

    async def my_streaks(self, guild: int, member: int) -> MyStreaks:
        await self._fresh()
        config = (await self.intake.ingestor.guild(guild)).config
        today = guild_day(self.clock.now(), config.zone)
        kinds = config.streaks.count
        directions = await self.store.day_directions(guild, today.isoformat(), member, kinds)
        streaks = [
            StreakToday(
                streak,
                *directions.get(streak.partner, (False, False)),
                config.streaks.require_mutual,
            )
            for streak in await self.store.live_streaks(guild, member)
        ]
        return MyStreaks(today, day_end(today, config.zone), streaks)

    async def pair_history(self, guild: int, member: int, partner: int) -> PairHistory:
        await self._fresh()
        config = (await self.intake.ingestor.guild(guild)).config
        today = guild_day(self.clock.now(), config.zone)
        days = [today - timedelta(days=n) for n in range(HISTORY_DAYS - 1, -1, -1)]
        seen = await self.store.pair_days(
            guild, member, partner, [day.isoformat() for day in days], config.streaks.count
        )
        streak = await self.store.pair(guild, member, partner)
        history = [(day, *seen.get(day.isoformat(), (False, False))) for day in days]
        live = streak is not None and streak.current > 0
        sent, received = history[-1][1], history[-1][2]
        return PairHistory(
            partner=partner,
            streak=streak,
            days=history,
            tiers=await self.store.pair_tiers(guild, member, partner),
            today=StreakToday(streak, sent, received, config.streaks.require_mutual)
            if live
            else None,
        )

    async def board(self, guild: int, member: int, kind: BoardKind, page: int) -> Board:
        """One page (from 0) of a leaderboard, clamped to the pages there are."""
        fetch, rank = {
            "pairs": (self.store.leaderboard_pairs, self.reports.member_rank),
            "members": (self.store.leaderboard_members, self.store.member_points_rank),
            "tokens": (self.store.leaderboard_tokens, self.store.member_tokens_rank),
        }[kind]
        page = max(page, 0)
        result: Page = await fetch(guild, page * PAGE_SIZE, PAGE_SIZE)
        pages = _pages(result.total)
        if page >= pages:  # the board shrank since the page was shown: its last page
            page = pages - 1
            result = await fetch(guild, page * PAGE_SIZE, PAGE_SIZE)
        return Board(kind, page, pages, result.rows, result.total, await rank(guild, member))

    async def badges(self, guild: int, member: int) -> list[Badge]:
        return await self.store.badges(guild, member)

    async def balance(self, guild: int, member: int) -> int:
        return await self.store.balance(guild, member)

    async def history(self, guild: int, member: int, page: int) -> tuple[Page[LedgerLine], int]:
        """A page (from 0) of the member's ledger entries, newest first, and the page count."""
        page = max(page, 0)
        state = await self.intake.ingestor.guild(guild)
        days = await ledger_days(self.ledger, state, self.clock.now())
        result = await self.store.history(guild, member, days, page * PAGE_SIZE, PAGE_SIZE)
        return result, _pages(result.total)


def _pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))
