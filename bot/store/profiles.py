"""Read-only queries behind the members' slash commands: their streaks, a pair's days and tiers,
leaderboards with competition ranks, badges, and their tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import orjson

from bot.domain.ledger import LAST_SYSTEM_ACCOUNT
from bot.store.database import Database
from bot.store.day_close import LEADERS
from bot.store.ledger import MEMBER_ENTRIES, balance_in

T = TypeVar("T")


@dataclass(slots=True, frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    """How many rows all pages hold together."""


@dataclass(slots=True, frozen=True)
class PairStreak:
    """A pair's streak seen from one member: `partner` is the other one."""

    partner: int
    current: int
    best: int
    last_day: str
    freezes: int
    run_start: str


@dataclass(slots=True, frozen=True)
class TierReached:
    tier: str
    run_start: str
    day: str


@dataclass(slots=True, frozen=True)
class PairScore:
    rank: int
    a: int
    b: int
    current: int
    best: int


@dataclass(slots=True, frozen=True)
class MemberScore:
    rank: int
    member: int
    score: int
    """Points or tokens, depending on the board."""


@dataclass(slots=True, frozen=True)
class Badge:
    tier: str
    day: str


@dataclass(slots=True, frozen=True)
class LedgerLine:
    id: int
    day: str | None
    created_at: str
    amount: int
    """Positive when the member received tokens, negative when they spent them."""
    reason: str
    key: str
    counterparty: int | None
    """The other account: 0 the treasury, None the outside world, else a member."""


_KINDS = frozenset({"reply", "mention", "reaction"})


def _sides(kinds: Sequence[str]) -> tuple[str, str]:
    """SQL sums of a pair's counters for `kinds`: (a engaged b, b engaged a)."""
    unknown = set(kinds) - _KINDS
    if unknown:  # kinds come from a validated config; never interpolate anything else
        raise ValueError(f"unknown exchange kinds: {sorted(unknown)}")
    return " + ".join(f"a_{k}" for k in kinds), " + ".join(f"b_{k}" for k in kinds)


def _marks(first: int, count: int) -> str:
    """Numbered placeholders ?first, ?first+1, ... (so that a list can be bound twice)."""
    return ", ".join(f"?{n}" for n in range(first, first + count))


class ProfileRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def live_streaks(self, guild: int, member: int) -> list[PairStreak]:
        """The member's live streaks, longest first (ties by partner)."""
        async with self.db.connection.execute(
            "SELECT b AS partner, current, best, last_day, freezes, run_start FROM streaks"
            " WHERE guild = ?1 AND a = ?2 AND current > 0"
            " UNION ALL"
            # Without statistics the planner would scan the guild by primary key instead.
            " SELECT a, current, best, last_day, freezes, run_start"
            " FROM streaks INDEXED BY streaks_by_b WHERE guild = ?1 AND b = ?2 AND current > 0"
            " ORDER BY current DESC, partner",
            (guild, member),
        ) as cursor:
            return [PairStreak(*row) for row in await cursor.fetchall()]

    async def pair(self, guild: int, member: int, partner: int) -> PairStreak | None:
        """The pair's streak whatever its state (broken: current 0); None if it never
        qualified."""
        async with self.db.connection.execute(
            "SELECT current, best, last_day, freezes, run_start FROM streaks"
            " WHERE guild = ? AND a = ? AND b = ?",
            (guild, min(member, partner), max(member, partner)),
        ) as cursor:
            row = await cursor.fetchone()
        return PairStreak(partner, *row) if row else None

    async def day_directions(
        self, guild: int, day: str, member: int, kinds: Sequence[str]
    ) -> dict[int, tuple[bool, bool]]:
        """Partner -> (member engaged partner, partner engaged member) on `day`, counting the
        exchanges of `kinds` that still count."""
        if not kinds:
            return {}
        a_side, b_side = _sides(kinds)
        # The primary key leads with (guild, day, a): the member's pairs as `a` are a seek;
        # as `b` they are among the day's pairs whose `a` is smaller, a range of that day.
        async with self.db.connection.execute(
            f"SELECT b, {a_side} > 0, {b_side} > 0 FROM pair_days"
            " WHERE guild = ?1 AND day = ?3 AND a = ?2"
            " UNION ALL"
            f" SELECT a, {b_side} > 0, {a_side} > 0 FROM pair_days"
            " WHERE guild = ?1 AND day = ?3 AND a < ?2 AND b = ?2",
            (guild, member, day),
        ) as cursor:
            return {
                partner: (bool(sent), bool(received))
                for partner, sent, received in await cursor.fetchall()
                if sent or received
            }

    async def pair_days(
        self, guild: int, member: int, partner: int, days: Sequence[str], kinds: Sequence[str]
    ) -> dict[str, tuple[bool, bool]]:
        """Day -> (member engaged partner, partner engaged member), for those of `days` with
        any exchange of `kinds` that still counts between them."""
        if not days or not kinds:
            return {}
        a_side, b_side = _sides(kinds)
        mine, theirs = (a_side, b_side) if member < partner else (b_side, a_side)
        # `day IN (...)` makes it one primary key seek per day on (guild, day, a, b).
        async with self.db.connection.execute(
            f"SELECT day, {mine} > 0, {theirs} > 0 FROM pair_days"
            f" WHERE guild = ?1 AND day IN ({_marks(4, len(days))}) AND a = ?2 AND b = ?3",
            (guild, min(member, partner), max(member, partner), *days),
        ) as cursor:
            return {
                day: (bool(sent), bool(received))
                for day, sent, received in await cursor.fetchall()
                if sent or received
            }

    async def pair_tiers(self, guild: int, member: int, partner: int) -> list[TierReached]:
        """The tiers the pair reached, in every run, in the order they were reached."""
        async with self.db.connection.execute(
            "SELECT tier, run_start, day FROM tier_rewards WHERE guild = ? AND a = ? AND b = ?"
            " ORDER BY day, tier",
            (guild, min(member, partner), max(member, partner)),
        ) as cursor:
            return [TierReached(*row) for row in await cursor.fetchall()]

    async def leaderboard_pairs(self, guild: int, offset: int, limit: int) -> Page[PairScore]:
        """Live streaks, longest first (ties by member IDs), as of the last close. A rank is
        one plus the number of live streaks strictly longer (ties share it)."""
        conn = self.db.connection
        async with conn.execute(
            "SELECT current, pairs FROM streak_lengths WHERE guild = ? ORDER BY current DESC",
            (guild,),
        ) as cursor:
            lengths = await cursor.fetchall()
        ahead: dict[int, int] = {}  # length -> live streaks strictly longer
        total = 0
        for current, pairs in lengths:
            ahead[current] = total
            total += pairs
        if offset + limit <= LEADERS:
            sql = (
                "SELECT a, b, current, best FROM streak_leaders"
                " WHERE guild = ?1 AND position BETWEEN ?2 + 1 AND ?2 + ?3 ORDER BY position"
            )
        else:  # beyond the snapshot: reads the guild's streaks, fine for the rare deep page
            sql = (
                "SELECT a, b, current, best FROM streaks WHERE guild = ?1 AND current > 0"
                " ORDER BY current DESC, a, b LIMIT ?3 OFFSET ?2"
            )
        async with conn.execute(sql, (guild, offset, limit)) as cursor:
            found = await cursor.fetchall()
        return Page(
            [
                PairScore(
                    1 + ahead.get(current, sum(n for c, n in lengths if c > current)),
                    a,
                    b,
                    current,
                    best,
                )
                for a, b, current, best in found
            ],
            total,
        )

    async def leaderboard_members(self, guild: int, offset: int, limit: int) -> Page[MemberScore]:
        """Members by total points, most first (ties by member ID), only those with points."""
        # Totals are summed over the guild's member_days, a scan of the guild accepted here:
        # a running total per member would be one more write for every point-earning message.
        totals = (
            "SELECT member, sum(points) AS score FROM member_days WHERE guild = ?1"
            " GROUP BY member HAVING score > 0"
        )
        return await self._board(
            f"SELECT rank() OVER (ORDER BY score DESC), member, score, count(*) OVER ()"
            f" FROM ({totals}) ORDER BY score DESC, member LIMIT ?3 OFFSET ?2",
            (guild, offset, limit),
            f"SELECT count(*) FROM ({totals})",
            (guild,),
        )

    async def leaderboard_tokens(self, guild: int, offset: int, limit: int) -> Page[MemberScore]:
        """Members by token balance, most first (ties by member ID), only those holding any."""
        # Member accounts are their user IDs, all above the guild's own accounts.
        held = "FROM balances WHERE guild = ?1 AND account > ?2 AND balance > 0"
        return await self._board(
            "SELECT rank() OVER (ORDER BY balance DESC), account, balance, count(*) OVER ()"
            f" {held} ORDER BY balance DESC, account LIMIT ?4 OFFSET ?3",
            (guild, LAST_SYSTEM_ACCOUNT, offset, limit),
            f"SELECT count(*) {held}",
            (guild, LAST_SYSTEM_ACCOUNT),
        )

    async def _board(
        self, page_sql: str, page_params: tuple, count_sql: str, count_params: tuple
    ) -> Page[MemberScore]:
        """A page of ranked rows; the total comes with the rows, and is counted apart only
        when the page is empty (a limit of 0, or past the end)."""
        conn = self.db.connection
        async with conn.execute(page_sql, page_params) as cursor:
            found = await cursor.fetchall()
        if found:
            return Page([MemberScore(*row[:3]) for row in found], found[0][3])
        async with conn.execute(count_sql, count_params) as cursor:
            return Page([], (await cursor.fetchone())[0])

    async def member_points_rank(self, guild: int, member: int) -> tuple[int, int] | None:
        """(rank, points) on the members' board; None when the member has no points."""
        # The same scan of the guild's member_days as the board: a rank needs every total.
        async with self.db.connection.execute(
            "SELECT rank, score FROM ("
            "  SELECT member, score, rank() OVER (ORDER BY score DESC) AS rank FROM ("
            "    SELECT member, sum(points) AS score FROM member_days WHERE guild = ?1"
            "    GROUP BY member HAVING score > 0))"
            " WHERE member = ?2",
            (guild, member),
        ) as cursor:
            row = await cursor.fetchone()
        return (row[0], row[1]) if row else None

    async def member_tokens_rank(self, guild: int, member: int) -> tuple[int, int] | None:
        """(rank, balance) on the tokens board; None when the member holds no tokens."""
        held = await self.balance(guild, member)
        if held <= 0 or member <= LAST_SYSTEM_ACCOUNT:
            return None
        async with self.db.connection.execute(
            "SELECT count(*) FROM balances WHERE guild = ? AND account > ? AND balance > ?",
            (guild, LAST_SYSTEM_ACCOUNT, held),
        ) as cursor:
            ahead = (await cursor.fetchone())[0]
        return ahead + 1, held

    async def badges(self, guild: int, member: int) -> list[Badge]:
        """The member's badges, in the order they were earned."""
        async with self.db.connection.execute(
            "SELECT tier, day FROM member_badges WHERE guild = ? AND member = ? ORDER BY day, tier",
            (guild, member),
        ) as cursor:
            return [Badge(*row) for row in await cursor.fetchall()]

    async def balance(self, guild: int, member: int) -> int:
        return await balance_in(self.db.connection, guild, member)

    async def history(
        self, guild: int, member: int, days: Sequence[str], offset: int, limit: int
    ) -> Page[LedgerLine]:
        """The ledger entries of `days` that moved the member's tokens, newest first.

        `days` are the guild days to look in (the service passes every day since the guild's
        first): each is a seek into the day-led indexes, see migration 0002."""
        if not days:
            return Page([], 0)
        conn = self.db.connection
        wanted = orjson.dumps(list(days)).decode()
        async with conn.execute(
            f"{MEMBER_ENTRIES} ORDER BY id DESC LIMIT ?4 OFFSET ?5",
            (guild, member, wanted, limit, offset),
        ) as cursor:
            found = [LedgerLine(*row) for row in await cursor.fetchall()]
        async with conn.execute(
            f"SELECT count(*) FROM ({MEMBER_ENTRIES})", (guild, member, wanted)
        ) as cursor:
            total = (await cursor.fetchone())[0]
        return Page(found, total)
