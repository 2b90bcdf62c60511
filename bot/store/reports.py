"""Read-only queries: guild summaries and leaderboards."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.ledger import LAST_SYSTEM_ACCOUNT
from bot.store.database import Database
from bot.store.day_close import LEADERS


@dataclass(slots=True, frozen=True)
class StreakRow:
    a: int
    b: int
    current: int
    best: int
    last_day: str
    freezes: int


@dataclass(slots=True, frozen=True)
class MemberRow:
    id: int
    points: int
    tokens: int
    badges: tuple[str, ...]


class ReportRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def streaks(self, guild: int) -> list[StreakRow]:
        """Every pair that ever qualified, by member IDs."""
        async with self.db.connection.execute(
            "SELECT a, b, current, best, last_day, freezes FROM streaks WHERE guild = ?"
            " ORDER BY a, b",
            (guild,),
        ) as cursor:
            return [StreakRow(*row) for row in await cursor.fetchall()]

    async def members(self, guild: int, tier_order: list[str]) -> list[MemberRow]:
        """Every member who took part, with total points, token balance and badges."""
        conn = self.db.connection
        async with conn.execute(
            "SELECT member, sum(points) FROM member_days WHERE guild = ? GROUP BY member",
            (guild,),
        ) as cursor:
            points = dict(await cursor.fetchall())
        async with conn.execute(
            "SELECT account, balance FROM balances WHERE guild = ? AND account > ?",
            (guild, LAST_SYSTEM_ACCOUNT),
        ) as cursor:
            balances = dict(await cursor.fetchall())
        badges: dict[int, list[str]] = {}
        async with conn.execute(
            "SELECT member, tier FROM member_badges WHERE guild = ?", (guild,)
        ) as cursor:
            for member, tier in await cursor.fetchall():
                badges.setdefault(member, []).append(tier)
        rank = {name: n for n, name in enumerate(tier_order)}
        return [
            MemberRow(
                member,
                points.get(member, 0),
                balances.get(member, 0),
                tuple(sorted(badges.get(member, ()), key=lambda t: (rank.get(t, len(rank)), t))),
            )
            for member in sorted(points.keys() | balances.keys())
        ]

    async def names(self, guild: int) -> dict[int, str]:
        """Display names that a source gave (exports do; plain event logs may not)."""
        async with self.db.connection.execute(
            "SELECT user, name FROM members WHERE guild = ? AND name IS NOT NULL", (guild,)
        ) as cursor:
            return dict(await cursor.fetchall())

    async def top_streaks(self, guild: int, limit: int = 10) -> list[StreakRow]:
        """The longest live streaks of a guild, as of its last close (ties by member IDs)."""
        if limit <= LEADERS:
            sql = (
                "SELECT a, b, current, best, last_day, freezes FROM streak_leaders"
                " WHERE guild = ? ORDER BY position LIMIT ?"
            )
        else:  # beyond the snapshot: a scan, fine for the rare long list
            sql = (
                "SELECT a, b, current, best, last_day, freezes FROM streaks"
                " WHERE guild = ? AND current > 0 ORDER BY current DESC, a, b LIMIT ?"
            )
        async with self.db.connection.execute(sql, (guild, limit)) as cursor:
            return [StreakRow(*row) for row in await cursor.fetchall()]

    async def member_rank(self, guild: int, member: int) -> tuple[int, int] | None:
        """(rank, days) of the member's longest live streak among all live streaks; rank 1 is
        the longest, ties share a rank. None when the member has no live streak."""
        conn = self.db.connection
        async with conn.execute(
            "SELECT max(current) FROM ("
            "  SELECT current FROM streaks WHERE guild = ?1 AND a = ?2 AND current > 0"
            "  UNION ALL"
            # Without statistics the planner would scan the guild by primary key instead.
            "  SELECT current FROM streaks INDEXED BY streaks_by_b"
            "  WHERE guild = ?1 AND b = ?2 AND current > 0)",
            (guild, member),
        ) as cursor:
            best = (await cursor.fetchone())[0]
        if best is None:
            return None
        async with conn.execute(
            "SELECT coalesce(sum(pairs), 0) FROM streak_lengths WHERE guild = ? AND current > ?",
            (guild, best),
        ) as cursor:
            ahead = (await cursor.fetchone())[0]
        return ahead + 1, best
