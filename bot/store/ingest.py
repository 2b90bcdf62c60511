"""Writes of the ingest pipeline: the message index and the day's aggregates, in batches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson

from bot.domain.multipliers import PointsEvent
from bot.store.database import Database

# Column order of a message index row, shared with the ingest service.
MESSAGE_COLUMNS = "id, guild, author, day, human, points, reply_target, mention_targets, deleted"
# The counters of a pair's day, in the order of IngestBatch.pairs rows (after guild, day, a, b).
PAIR_COUNTS = ("a_reply", "a_mention", "a_reaction", "b_reply", "b_mention", "b_reaction")


@dataclass(slots=True)
class IngestBatch:
    """Everything accepted since the last flush, already aggregated."""

    messages: list[list] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    pairs: list[tuple[int, ...]] = field(default_factory=list)
    """(guild, day, a, b, then the deltas of PAIR_COUNTS): a < b; a_* count a engaging b."""
    member_days: list[tuple[int, str, int, int]] = field(default_factory=list)
    pool_days: list[tuple[int, str, int, int, int]] = field(default_factory=list)
    """(guild, day, pool, member, delta): exchanges made in a pool's channel."""
    members: list[tuple[int, int, int, str | None, int | None, int | None]] = field(
        default_factory=list
    )
    """(guild, user, is_bot, name, last_point_ms, joined_ms)."""
    first_days: list[tuple[int, str]] = field(default_factory=list)
    fraud_exchanges: list[tuple] = field(default_factory=list)
    """(guild, day, src, dst, at_ms, kind, message, verdict): the detector's evidence."""

    def __len__(self) -> int:
        return (
            len(self.messages)
            + len(self.deleted)
            + len(self.pairs)
            + len(self.member_days)
            + len(self.pool_days)
            + len(self.members)
            + len(self.first_days)
            + len(self.fraud_exchanges)
        )


class IngestRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def lookup_messages(self, ids: list[int]) -> dict[int, list]:
        """Index rows of these message IDs (those that exist), in one query."""
        if not ids:
            return {}
        async with self.db.connection.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id IN (SELECT value FROM json_each(?))",
            (orjson.dumps(ids).decode(),),
        ) as cursor:
            rows = await cursor.fetchall()
        return {row[0]: list(row) for row in rows}

    async def members(self, guild: int) -> list[tuple[int, bool, int | None, int | None]]:
        """(user, is_bot, last_point_ms, joined_ms) of every member the guild has seen."""
        async with self.db.connection.execute(
            "SELECT user, is_bot, last_point_ms, joined_ms FROM members WHERE guild = ?", (guild,)
        ) as cursor:
            return [
                (user, bool(is_bot), ms, joined)
                for user, is_bot, ms, joined in await cursor.fetchall()
            ]

    async def exclusions(self, guild: int) -> dict[int, datetime | None]:
        """Members whose part counts nowhere: suspended (until when; None = until lifted) or
        opted out (None)."""
        async with self.db.connection.execute(
            "SELECT member, until FROM suspensions WHERE guild = ?1"
            " UNION ALL SELECT member, NULL FROM opt_outs WHERE guild = ?1",
            (guild,),
        ) as cursor:
            rows = await cursor.fetchall()
        found: dict[int, datetime | None] = {}
        for member, until in rows:
            when = None if until is None else datetime.fromisoformat(until)
            if member not in found:
                found[member] = when
            elif found[member] is not None:  # the longer exclusion wins
                found[member] = None if when is None else max(found[member], when)
        return found

    async def points_events(self, guild: int, after_day: str) -> list[PointsEvent]:
        """Points events that end after `after_day` began (those ingest may still meet)."""
        async with self.db.connection.execute(
            "SELECT id, name, percent, starts_at, ends_at, channels, tier_tokens"
            " FROM points_events WHERE guild = ? AND ends_at > ? ORDER BY id",
            (guild, after_day),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            PointsEvent(
                id=row[0],
                name=row[1],
                percent=row[2],
                starts=datetime.fromisoformat(row[3]),
                ends=datetime.fromisoformat(row[4]),
                channels=frozenset(orjson.loads(row[5])),
                tier_tokens=bool(row[6]),
            )
            for row in rows
        ]

    async def pool_channels(self, guild: int) -> dict[int, int]:
        """Channel -> pool, for the guild's pools that pay for exchanges in a channel."""
        async with self.db.connection.execute(
            "SELECT channel, id FROM pools WHERE guild = ? AND channel IS NOT NULL"
            " AND per_exchange > 0 ORDER BY id",
            (guild,),
        ) as cursor:
            return {channel: pool for channel, pool in await cursor.fetchall()}

    async def open_day_points(self, guild: int, after_day: str) -> list[tuple[str, int, int]]:
        """(day, member, points) of the days after `after_day`: the days still open."""
        async with self.db.connection.execute(
            "SELECT day, member, points FROM member_days WHERE guild = ? AND day > ?",
            (guild, after_day),
        ) as cursor:
            return list(await cursor.fetchall())

    async def write(self, batch: IngestBatch) -> None:
        """Write one batch in one transaction: all of it or nothing.

        Each table gets one statement over a JSON array (`json_each`), not `executemany`:
        sqlite3 retakes the GIL for every row of an `executemany`, so while the event loop is
        busy (the live bot reading its gateway) a large batch would crawl and slow intake.
        """
        async with self.db.transaction() as conn:
            if batch.first_days:
                await conn.execute(
                    "UPDATE guilds SET first_day = d.value ->> 1"
                    " FROM json_each(?) AS d WHERE guilds.id = d.value ->> 0"
                    "   AND (guilds.first_day IS NULL OR guilds.first_day > d.value ->> 1)",
                    (_json(batch.first_days),),
                )
            if batch.members:
                await conn.execute(
                    "INSERT INTO members (guild, user, is_bot, name, last_point_ms, joined_ms)"
                    " SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4,"
                    "   value ->> 5 FROM json_each(?) WHERE true"
                    " ON CONFLICT (guild, user) DO UPDATE SET is_bot = excluded.is_bot,"
                    " name = coalesce(excluded.name, name),"
                    " last_point_ms = coalesce(excluded.last_point_ms, last_point_ms),"
                    " joined_ms = coalesce(excluded.joined_ms, joined_ms)",
                    (_json(batch.members),),
                )
            if batch.fraud_exchanges:
                await conn.execute(
                    "INSERT INTO fraud_exchanges (guild, day, src, dst, at_ms, kind, message,"
                    " verdict) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3,"
                    "   value ->> 4, value ->> 5, value ->> 6, value ->> 7 FROM json_each(?)",
                    (_json(batch.fraud_exchanges),),
                )
            if batch.messages:
                await conn.execute(
                    f"INSERT OR IGNORE INTO messages ({MESSAGE_COLUMNS})"
                    " SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4,"
                    "   value ->> 5, value ->> 6, value ->> 7, value ->> 8 FROM json_each(?)",
                    (_json(batch.messages),),
                )
            if batch.deleted:
                await conn.execute(
                    "UPDATE messages SET deleted = 1 WHERE id IN (SELECT value FROM json_each(?))",
                    (_json(batch.deleted),),
                )
            # A negative delta (a same-day delete) always meets an existing row; an UPSERT would
            # check the counters on the would-be new row before resolving the conflict.
            gains = [row for row in batch.pairs if min(row[4:]) >= 0]
            losses = [row for row in batch.pairs if min(row[4:]) < 0]
            values = ", ".join(f"value ->> {4 + n}" for n in range(len(PAIR_COUNTS)))
            if gains:
                await conn.execute(
                    f"INSERT INTO pair_days (guild, day, a, b, {', '.join(PAIR_COUNTS)})"
                    f" SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, {values}"
                    " FROM json_each(?) WHERE true ON CONFLICT (guild, day, a, b) DO UPDATE SET "
                    + ", ".join(f"{c} = {c} + excluded.{c}" for c in PAIR_COUNTS),
                    (_json(gains),),
                )
            if losses:
                await conn.execute(
                    "UPDATE pair_days SET "
                    + ", ".join(
                        f"{c} = {c} + d.value ->> {4 + n}" for n, c in enumerate(PAIR_COUNTS)
                    )
                    + " FROM json_each(?) AS d WHERE guild = d.value ->> 0"
                    " AND day = d.value ->> 1 AND a = d.value ->> 2 AND b = d.value ->> 3",
                    (_json(losses),),
                )
            if batch.pool_days:
                gains = [row for row in batch.pool_days if row[4] > 0]
                losses = [row for row in batch.pool_days if row[4] < 0]
                if gains:
                    await conn.execute(
                        "INSERT INTO pool_days (guild, day, pool, member, exchanges)"
                        " SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4"
                        " FROM json_each(?) WHERE true ON CONFLICT (guild, day, pool, member)"
                        " DO UPDATE SET exchanges = exchanges + excluded.exchanges",
                        (_json(gains),),
                    )
                if losses:
                    await conn.execute(
                        "UPDATE pool_days SET exchanges = exchanges + d.value ->> 4"
                        " FROM json_each(?) AS d WHERE guild = d.value ->> 0"
                        " AND day = d.value ->> 1 AND pool = d.value ->> 2"
                        " AND member = d.value ->> 3",
                        (_json(losses),),
                    )
            if batch.member_days:
                await conn.execute(
                    "INSERT INTO member_days (guild, day, member, points)"
                    " SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3"
                    " FROM json_each(?) WHERE true"
                    " ON CONFLICT (guild, day, member) DO UPDATE SET points = excluded.points",
                    (_json(batch.member_days),),
                )


def _json(rows: list) -> str:
    return orjson.dumps(rows).decode()
