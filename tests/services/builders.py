"""Small builders for service and store tests: events with fresh IDs, days of November 2026,
and readers of what the store holds (plain SQL reads: tests may look, only the store writes)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, tzinfo

from bot.clock import ManualClock
from bot.domain.events import DeleteEvent, MemberEvent, MessageEvent, ReactionEvent
from bot.guild_config import GuildConfig, parse_config
from bot.services.day_close import DayCloser
from bot.services.ingest import Ingestor
from bot.services.treasury import TreasuryService
from bot.store.database import Database
from bot.store.ledger import LedgerRepository

G = 1
"""The guild of most tests."""
CHANNEL = 10
A, B, C, D = 101, 102, 103, 104
BOT = 900


def at(day: int, hour: int = 12, minute: int = 0, second: int = 0, tz: tzinfo = UTC) -> datetime:
    """An instant on `day` November 2026 (UTC unless told)."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=tz)


def day(n: int) -> date:
    return date(2026, 11, 1) + timedelta(days=n - 1)


def iso(n: int) -> str:
    return day(n).isoformat()


def config(**sections: object) -> GuildConfig:
    """A config through the same validation as a TOML file: `config(points={"daily_cap": 5})`."""
    return parse_config(dict(sections), source="test")


TIERS_SPARK_FLAME = [
    {"name": "Spark", "days": 3, "tokens": 10, "freezes": 0},
    {"name": "Flame", "days": 7, "tokens": 25, "freezes": 1},
]


class Events:
    """Builds events with fresh message IDs, so that tests name only what matters."""

    def __init__(self, guild: int = G, channel: int = CHANNEL, first_id: int = 10_000) -> None:
        self.guild = guild
        self.channel = channel
        self._ids = itertools.count(first_id)

    def message(
        self,
        author: int,
        ts: datetime,
        *,
        id: int | None = None,
        reply_to: int | None = None,
        reply_to_author: int | None = None,
        mentions: tuple[int, ...] = (),
        bot: bool = False,
        system: bool = False,
        guild: int | None = None,
    ) -> MessageEvent:
        return MessageEvent(
            id=next(self._ids) if id is None else id,
            guild=self.guild if guild is None else guild,
            channel=self.channel,
            author=author,
            ts=ts,
            reply_to=reply_to,
            reply_to_author=reply_to_author,
            mentions=tuple(mentions),
            bot=bot,
            system=system,
        )

    def reaction(
        self, user: int, message: int, ts: datetime, *, message_author: int | None = None
    ) -> ReactionEvent:
        return ReactionEvent(self.guild, self.channel, message, user, ts, message_author)

    def delete(self, message: int, ts: datetime) -> DeleteEvent:
        return DeleteEvent(self.guild, self.channel, message, ts)

    def member(self, user: int, *, bot: bool, ts: datetime | None = None) -> MemberEvent:
        return MemberEvent(self.guild, user, bot, ts)

    def mutual(self, a: int, b: int, ts: datetime) -> list[MessageEvent]:
        """`a` mentions `b` (a→b mention, 2 points), `b` replies five minutes later (b→a reply,
        3 points; the reply's author is found through the message index)."""
        first = self.message(a, ts, mentions=(b,))
        reply = self.message(b, ts + timedelta(minutes=5), reply_to=first.id)
        return [first, reply]


class Engine:
    """The services wired as `replay` and the live bot wire them, on one database."""

    def __init__(self, db: Database, cfg: GuildConfig, clock: ManualClock, **ingest: object):
        self.db = db
        self.config = cfg
        self.clock = clock
        self.ingestor = Ingestor(db, cfg, **ingest)
        self.closer = DayCloser(db, self.ingestor, clock)
        self.treasury = TreasuryService(db, clock)
        self.ledger = LedgerRepository(db)

    async def start(self, *, fund: int = 0, guild: int = G) -> Engine:
        """Register the guild with this engine's config and fund its treasury once."""
        await self.ingestor.guild(guild, self.config)
        if fund:
            await self.treasury.fund(guild, fund, key=f"fund:test:{guild}")
        return self

    async def ingest(self, *events: MessageEvent | ReactionEvent | DeleteEvent | MemberEvent):
        await self.ingestor.ingest(list(events))

    async def close(self, through: int, guild: int = G):
        """Close every open day through November `through`, as the clock would."""
        self.clock.set(at(through, 0) + timedelta(days=1))
        return await self.closer.close_through(guild, day(through))


# -- reading the store ----------------------------------------------------------------------


async def rows(db: Database, sql: str, *params: object) -> list[tuple]:
    async with db.connection.execute(sql, params) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


async def value(db: Database, sql: str, *params: object) -> object:
    found = await rows(db, sql, *params)
    return found[0][0] if found else None


async def points(db: Database, day_n: int, guild: int = G) -> dict[int, int]:
    """Members' stored points on a day (a row also marks that they took part)."""
    return dict(
        await rows(
            db,
            "SELECT member, points FROM member_days WHERE guild = ? AND day = ?",
            guild,
            iso(day_n),
        )
    )


async def exchanges(db: Database, day_n: int, guild: int = G) -> set[tuple[int, int, str]]:
    """The stored (src, dst, kind) exchanges of a day that still count (count > 0)."""
    found = await rows(
        db,
        "SELECT src, dst, kind, count FROM exchanges WHERE guild = ? AND day = ? AND count > 0",
        guild,
        iso(day_n),
    )
    return {(src, dst, kind) for src, dst, kind, _ in found}


async def exchange_counts(db: Database, day_n: int, guild: int = G) -> dict[tuple, int]:
    found = await rows(
        db,
        "SELECT src, dst, kind, count FROM exchanges WHERE guild = ? AND day = ? AND count > 0",
        guild,
        iso(day_n),
    )
    return {(src, dst, kind): count for src, dst, kind, count in found}


async def streak(db: Database, a: int, b: int, guild: int = G) -> dict | None:
    found = await rows(
        db,
        "SELECT current, best, last_day, freezes, run_start FROM streaks"
        " WHERE guild = ? AND a = ? AND b = ?",
        guild,
        min(a, b),
        max(a, b),
    )
    if not found:
        return None
    current, best, last_day, freezes, run_start = found[0]
    return {
        "current": current,
        "best": best,
        "last_day": last_day,
        "freezes": freezes,
        "run_start": run_start,
    }


async def balances(db: Database, guild: int = G) -> dict[int, int]:
    """Every account's balance; account 0 is the treasury."""
    return dict(await rows(db, "SELECT account, balance FROM balances WHERE guild = ?", guild))


async def snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table, to compare a database before and after an operation."""
    tables = [
        name
        for (name,) in await rows(
            db,
            "SELECT name FROM sqlite_schema"
            " WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'",
        )
    ]
    return {name: sorted(await rows(db, f"SELECT * FROM {name}"), key=repr) for name in tables}
