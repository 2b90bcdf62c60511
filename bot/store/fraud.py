"""The anti-fraud detector's evidence (read before a close) and its findings (written by it).

Evidence: `fraud_exchanges` (every exchange ingest met, with its instant and verdict),
`fraud_member_days` (exchanges made per member and day), members' join times and live
streaks. Findings: `fraud_flags`, one row per member or pair with a reason, per closed day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import aiosqlite
import orjson

from bot.store.database import Database


@dataclass(slots=True, frozen=True)
class FraudDay:
    """What the detector decided about one day, as the close writes it."""

    held_members: dict[int, str] = field(default_factory=dict)
    """Member -> why (JSON reasons): all their rewards of the day go to escrow."""
    held_pairs: dict[tuple[int, int], str] = field(default_factory=dict)
    """Pair -> why: the pair's tier tokens go to escrow."""
    flags: list[tuple[int, int, float, int, str]] = field(default_factory=list)
    """(a, b, score, held, reasons JSON): b = 0 for a member."""
    made: list[tuple[int, int]] = field(default_factory=list)
    """(member, exchanges made on the day)."""
    keep_exchanges_from: str | None = None
    keep_made_from: str | None = None
    """The evidence older than these days is no longer needed after this close."""


class FraudRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def day_log(self, guild: int, day: str) -> list[tuple]:
        """The day's exchanges: (src, dst, at_ms, kind, message, verdict), in time order."""
        async with self.db.connection.execute(
            "SELECT src, dst, at_ms, kind, message, verdict FROM fraud_exchanges"
            " WHERE guild = ? AND day = ? ORDER BY at_ms",
            (guild, day),
        ) as cursor:
            return list(await cursor.fetchall())

    async def window_log(self, guild: int, first: str, last: str) -> list[tuple]:
        """Replies and mentions on the days `first` to `last`, in time order:
        (day, src, dst, at_ms, kind, message, verdict)."""
        async with self.db.connection.execute(
            "SELECT day, src, dst, at_ms, kind, message, verdict FROM fraud_exchanges"
            " WHERE guild = ? AND day BETWEEN ? AND ? AND kind != 'reaction' ORDER BY at_ms",
            (guild, first, last),
        ) as cursor:
            return list(await cursor.fetchall())

    async def joined(self, guild: int, members: list[int]) -> dict[int, int]:
        """Join times (Unix ms) of these members, where known."""
        async with self.db.connection.execute(
            "SELECT user, joined_ms FROM members WHERE guild = ? AND joined_ms IS NOT NULL"
            "   AND user IN (SELECT value FROM json_each(?))",
            (guild, orjson.dumps(members).decode()),
        ) as cursor:
            return dict(await cursor.fetchall())

    async def made(
        self, guild: int, members: list[int], first: str, last: str
    ) -> dict[int, dict[str, int]]:
        """Exchanges these members made on each recorded day from `first` to `last`."""
        found: dict[int, dict[str, int]] = {}
        async with self.db.connection.execute(
            "SELECT member, day, made FROM fraud_member_days WHERE guild = ?1"
            "   AND member IN (SELECT value FROM json_each(?2)) AND day BETWEEN ?3 AND ?4",
            (guild, orjson.dumps(members).decode(), first, last),
        ) as cursor:
            for member, day, count in await cursor.fetchall():
                found.setdefault(member, {})[day] = count
        return found

    async def partners(self, guild: int, members: list[int]) -> dict[int, set[int]]:
        """Each of these members' live streak partners."""
        found: dict[int, set[int]] = {}
        wanted = orjson.dumps(members).decode()
        async with self.db.connection.execute(
            "SELECT a, b FROM streaks WHERE guild = ?1 AND current > 0"
            "   AND a IN (SELECT value FROM json_each(?2))"
            " UNION SELECT a, b FROM streaks WHERE guild = ?1 AND current > 0"
            "   AND b IN (SELECT value FROM json_each(?2))",
            (guild, wanted),
        ) as cursor:
            for a, b in await cursor.fetchall():
                found.setdefault(a, set()).add(b)
                found.setdefault(b, set()).add(a)
        wanted_set = set(members)
        return {member: partners for member, partners in found.items() if member in wanted_set}

    async def flags(self, guild: int, since: str, limit: int) -> tuple[list[tuple], list[tuple]]:
        """The highest-risk members and pairs flagged on days from `since`, each at its latest
        flagged day: ([(member, day, score, held, reasons)], [(a, b, day, score, held,
        reasons)]), riskiest first."""
        sql = (
            "SELECT a, b, day, score, held, reasons FROM ("
            "  SELECT *, row_number() OVER (PARTITION BY a, b ORDER BY day DESC) AS latest"
            "  FROM fraud_flags WHERE guild = ?1 AND day >= ?2 AND {side})"
            " WHERE latest = 1 ORDER BY score DESC, day DESC, a, b LIMIT ?3"
        )
        conn = self.db.connection
        async with conn.execute(sql.format(side="b = 0"), (guild, since, limit)) as cursor:
            members = [
                (a, day, score, held, why)
                for a, _, day, score, held, why in await cursor.fetchall()
            ]
        async with conn.execute(sql.format(side="b != 0"), (guild, since, limit)) as cursor:
            pairs = [tuple(row) for row in await cursor.fetchall()]
        return members, pairs

    async def held_pairs(self, guild: int, since: str) -> set[tuple[int, int]]:
        """Pairs whose rewards were held on a day from `since` on: the pair itself, or one of
        its members (their share of the pair's rewards)."""
        async with self.db.connection.execute(
            "WITH held AS (SELECT a, b FROM fraud_flags WHERE guild = ?1 AND day >= ?2"
            "   AND held = 1)"
            " SELECT a, b FROM held WHERE b != 0"
            " UNION SELECT s.a, s.b FROM streaks s JOIN held h ON h.b = 0 AND s.a = h.a"
            "   WHERE s.guild = ?1"
            " UNION SELECT s.a, s.b FROM streaks s INDEXED BY streaks_by_b JOIN held h"
            "   ON h.b = 0 AND s.b = h.a WHERE s.guild = ?1",
            (guild, since),
        ) as cursor:
            return {(a, b) for a, b in await cursor.fetchall()}

    async def signals(self, guild: int) -> dict[int, set[str]]:
        """Every member's signals that ever fired (their own, and their pairs')."""
        found: dict[int, set[str]] = {}
        async with self.db.connection.execute(
            "SELECT a, b, reasons FROM fraud_flags WHERE guild = ?", (guild,)
        ) as cursor:
            async for a, b, reasons in cursor:
                names = {reason[0] for reason in orjson.loads(reasons)}
                for member in (a, b) if b else (a,):
                    found.setdefault(member, set()).update(names)
        return found

    async def prune(self, guild: int, exchanges_from: str, made_from: str) -> None:
        """Drop evidence older than these days (with the detector off, nothing else does)."""
        async with self.db.transaction() as conn:
            await _prune(conn, guild, exchanges_from, made_from)

    async def escrowed(self, guild: int) -> dict[int, int]:
        """Tokens in escrow per member (holds not yet decided)."""
        async with self.db.connection.execute(
            "SELECT member, sum(amount) FROM holds WHERE guild = ? AND status = 'held'"
            " GROUP BY member",
            (guild,),
        ) as cursor:
            return dict(await cursor.fetchall())


async def _prune(
    conn: aiosqlite.Connection, guild: int, exchanges_from: str | None, made_from: str | None
) -> None:
    if exchanges_from is not None:
        await conn.execute(
            "DELETE FROM fraud_exchanges WHERE guild = ? AND day < ?", (guild, exchanges_from)
        )
    if made_from is not None:
        await conn.execute(
            "DELETE FROM fraud_member_days WHERE guild = ? AND day < ?", (guild, made_from)
        )


async def record_day(conn: aiosqlite.Connection, guild: int, day: str, found: FraudDay) -> None:
    """The day's findings and evidence to keep, inside the close's transaction; evidence the
    detector's windows no longer reach is dropped."""
    if found.flags:
        await conn.execute(
            "INSERT OR REPLACE INTO fraud_flags (guild, day, a, b, score, held, reasons)"
            " SELECT ?1, ?2, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4"
            " FROM json_each(?3)",
            (guild, day, orjson.dumps(found.flags).decode()),
        )
    if found.made:
        await conn.execute(
            "INSERT OR REPLACE INTO fraud_member_days (guild, day, member, made)"
            " SELECT ?1, ?2, value ->> 0, value ->> 1 FROM json_each(?3)",
            (guild, day, orjson.dumps(found.made).decode()),
        )
    await _prune(conn, guild, found.keep_exchanges_from, found.keep_made_from)


def days_before(day: str, count: int) -> str:
    """The guild day `count` days before `day`."""
    return (date.fromisoformat(day) - timedelta(days=count)).isoformat()
