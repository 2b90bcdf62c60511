"""Points events, sponsored pools and challenges: their rows, and pool funding."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import orjson

from bot.store.database import Database
from bot.store.ledger import move_in


class NameTaken(ValueError):
    """Names are unique per guild, so that commands can refer to them."""


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    name: str
    percent: int
    channels: tuple[int, ...]
    tier_tokens: bool
    starts_at: str
    ends_at: str


@dataclass(frozen=True, slots=True)
class PoolRow:
    id: int
    name: str
    channel: int | None
    per_exchange: int
    balance: int
    paid: int

    @property
    def account(self) -> int:
        return pool_account(self.id)


@dataclass(frozen=True, slots=True)
class ChallengeRow:
    id: int
    name: str
    pairs: int
    days: int
    deadline: str
    reward: int
    pool: int | None
    status: str
    closed_day: str | None
    paid: int


@contextmanager
def _unique_name(what: str, name: str) -> Iterator[None]:
    """The table's UNIQUE (guild, name) refuses a second one: say so in the owner's words."""
    try:
        yield
    except sqlite3.IntegrityError as error:
        if "UNIQUE" not in str(error):
            raise
        raise NameTaken(f"{what} named {name!r} exists already") from None


def pool_account(pool: int) -> int:
    """A pool's ledger account: negative, apart from the treasury (0) and members (> 0)."""
    return -pool


class CommunityRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- points events ----------------------------------------------------------------------

    async def add_event(
        self,
        guild: int,
        *,
        name: str,
        percent: int,
        channels: tuple[int, ...],
        tier_tokens: bool,
        starts_at: str,
        ends_at: str,
        by: int | None,
    ) -> int:
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT 1 FROM points_events WHERE guild = ? AND name = ? AND ends_at > ?",
                (guild, name, starts_at),
            ) as cursor:
                if await cursor.fetchone():
                    raise NameTaken(f"an event named {name!r} is already running")
            cursor = await conn.execute(
                "INSERT INTO points_events (guild, name, percent, channels, tier_tokens,"
                " starts_at, ends_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (guild, name, percent, orjson.dumps(list(channels)).decode(), int(tier_tokens),
                 starts_at, ends_at, by),
            )  # fmt: skip
            return cursor.lastrowid

    async def events(self, guild: int, after: str) -> list[EventRow]:
        """Events that end after `after` (running or upcoming), by end."""
        async with self.db.connection.execute(
            "SELECT id, name, percent, channels, tier_tokens, starts_at, ends_at"
            " FROM points_events WHERE guild = ? AND ends_at > ? ORDER BY ends_at, id",
            (guild, after),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            EventRow(r[0], r[1], r[2], tuple(orjson.loads(r[3])), bool(r[4]), r[5], r[6])
            for r in rows
        ]

    async def stop_event(self, guild: int, name: str, at: str) -> bool:
        """End the running event `name` now; False if no such event is running."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE points_events SET ends_at = ?3"
                " WHERE guild = ?1 AND name = ?2 AND ends_at > ?3 AND starts_at <= ?3",
                (guild, name, at),
            )
            return cursor.rowcount > 0

    # -- pools ------------------------------------------------------------------------------

    async def add_pool(
        self,
        guild: int,
        *,
        name: str,
        channel: int | None,
        per_exchange: int,
        by: int | None,
        at: str,
    ) -> int:
        async with self.db.transaction() as conn:
            with _unique_name("a pool", name):
                cursor = await conn.execute(
                    "INSERT INTO pools (guild, name, channel, per_exchange, created_by,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (guild, name, channel, per_exchange, by, at),
                )
            return cursor.lastrowid

    async def pools(self, guild: int) -> list[PoolRow]:
        """The guild's pools with their balance and what they have paid out so far."""
        async with self.db.connection.execute(
            "SELECT p.id, p.name, p.channel, p.per_exchange, coalesce(b.balance, 0),"
            "   (SELECT coalesce(sum(amount), 0) FROM ledger l"
            "     WHERE l.guild = p.guild AND l.source = -p.id)"
            " FROM pools p LEFT JOIN balances b ON b.guild = p.guild AND b.account = -p.id"
            " WHERE p.guild = ? ORDER BY p.name",
            (guild,),
        ) as cursor:
            return [PoolRow(*row) for row in await cursor.fetchall()]

    async def fund_pool(
        self, guild: int, pool: int, amount: int, *, key: str, reason: str, day: str, at: str
    ) -> bool:
        """New tokens into the pool's account (from outside, like the treasury's funding)."""
        async with self.db.transaction() as conn:
            return await move_in(
                conn, guild, key=key, source=None, target=pool_account(pool), amount=amount,
                reason=reason, day=day, at=at,
            )  # fmt: skip

    # -- challenges -------------------------------------------------------------------------

    async def add_challenge(
        self,
        guild: int,
        *,
        name: str,
        pairs: int,
        days: int,
        deadline: str,
        reward: int,
        pool: int | None,
        by: int | None,
        at: str,
    ) -> int:
        async with self.db.transaction() as conn:
            with _unique_name("a challenge", name):
                cursor = await conn.execute(
                    "INSERT INTO challenges (guild, name, pairs, days, deadline, reward, pool,"
                    " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (guild, name, pairs, days, deadline, reward, pool, by, at),
                )
            return cursor.lastrowid

    async def challenges(self, guild: int) -> list[ChallengeRow]:
        """Open challenges first (by deadline), then the closed ones, newest first."""
        async with self.db.connection.execute(
            "SELECT id, name, pairs, days, deadline, reward, pool, status, closed_day, paid"
            " FROM challenges WHERE guild = ?"
            " ORDER BY status <> 'open', CASE WHEN status = 'open' THEN deadline END,"
            "   closed_day DESC, id",
            (guild,),
        ) as cursor:
            return [ChallengeRow(*row) for row in await cursor.fetchall()]

    async def pairs_holding(self, guild: int, days: int) -> int:
        """Live pairs whose streak is at least `days` long, as of the last close (from the
        close's histogram of lengths, not a scan of the streaks)."""
        async with self.db.connection.execute(
            "SELECT coalesce(sum(pairs), 0) FROM streak_lengths WHERE guild = ? AND current >= ?",
            (guild, days),
        ) as cursor:
            return (await cursor.fetchone())[0]
