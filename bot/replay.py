"""`replay`: recorded conversations through the live services, with a simulated clock.

The clock runs with the events: each guild's day is closed as the replay passes that guild's
midnight, and at the end every day through the last event's day (or `--until`) is closed.
The database is built in a scratch file and moved into place only when the whole input was
read: a malformed input leaves nothing half-written.
"""

from __future__ import annotations

import heapq
import itertools
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import ManualClock
from bot.domain.calendar import day_end, guild_day
from bot.domain.events import GuildEvent
from bot.guild_config import GuildConfig
from bot.ingest.replay_files import Source, initial_members, open_source, read
from bot.services.day_close import DayCloser
from bot.services.ingest import Ingestor, IngestStats
from bot.services.treasury import TreasuryService
from bot.store.database import Database
from bot.store.fraud import FraudRepository, days_before
from bot.store.ledger import LedgerRepository
from bot.store.reports import MemberRow, ReportRepository, StreakRow

CHUNK = 4096


@dataclass(slots=True)
class FraudReport:
    """What the anti-fraud detector did (issue 5), for `--json`: absent when `[fraud]` is off,
    so that the output is then exactly what it was before."""

    escrowed: dict[int, int]
    """Tokens in escrow per member."""
    signals: dict[int, set[str]]
    """The signals that ever fired for each member (theirs, and their pairs')."""
    held_pairs: set[tuple[int, int]]
    """Pairs whose rewards are held: the pair, or one of its members, was held on a day
    whose holds are still in escrow (the last `hold_days` closed days)."""


@dataclass(slots=True)
class GuildReport:
    id: int
    first_day: str | None
    last_closed_day: str | None
    streaks: list[StreakRow]
    members: list[MemberRow]
    treasury: int
    names: dict[int, str] = field(default_factory=dict)
    fraud: FraudReport | None = None

    def label(self, member: int) -> str:
        """How a member is shown to a person: their display name, or their ID."""
        return self.names.get(member) or str(member)


@dataclass(slots=True)
class ReplayResult:
    guilds: list[GuildReport]
    stats: IngestStats
    events: int = 0
    seconds: float = 0.0
    days_closed: int = 0
    tiers: list[tuple[int, int, int, str, str]] = field(default_factory=list)
    """Tiers reached during the replay: (guild, a, b, tier, day)."""

    def to_json(self) -> dict:
        """The `--json` document: IDs as strings, lists sorted by ID."""
        return {"guilds": [_guild_json(guild) for guild in self.guilds]}


def _guild_json(guild: GuildReport) -> dict:
    fraud = guild.fraud
    streaks = []
    for s in guild.streaks:
        entry: dict = {
            "members": [str(s.a), str(s.b)],
            "current": s.current,
            "best": s.best,
            "last_day": s.last_day,
        }
        if fraud is not None:
            entry["held"] = (s.a, s.b) in fraud.held_pairs
        streaks.append(entry)
    members = []
    for m in guild.members:
        entry = {"id": str(m.id), "points": m.points, "tokens": m.tokens, "badges": list(m.badges)}
        if fraud is not None:
            entry["held"] = fraud.escrowed.get(m.id, 0)
            entry["flags"] = sorted(fraud.signals.get(m.id, ()))
        members.append(entry)
    return {
        "id": str(guild.id),
        "first_day": guild.first_day,
        "last_closed_day": guild.last_closed_day,
        "streaks": streaks,
        "members": members,
        "treasury": guild.treasury,
    }


class Replay:
    def __init__(
        self,
        paths: list[Path],
        config: GuildConfig,
        *,
        until: date | None = None,
        db_path: Path | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        flush_rows: int = 50_000,
    ) -> None:
        self.paths = paths
        self.config = config
        self.until = until
        self.db_path = db_path
        self.on_progress = on_progress
        self.flush_rows = flush_rows

    async def run(self) -> ReplayResult:
        sources = [open_source(path) for path in self.paths]  # refuses bad inputs up front
        # Beside the target, so that the final move is an atomic rename on the same disk.
        beside = None
        if self.db_path is not None:
            beside = self.db_path.resolve().parent
            beside.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".streakbot-replay-", dir=beside) as scratch:
            work = Path(scratch) / "replay.db"
            if self.db_path is not None and self.db_path.exists():
                _copy_database(self.db_path, work)
            started = time.perf_counter()
            # Nothing in the scratch file is kept unless the whole replay succeeds: no fsyncs
            # until then (they would halve the write speed).
            # A small page cache: replay reads mostly what it just wrote, and memory stays flat.
            db = await Database.open(work, durable=False, cache_mib=32)
            try:
                result = await self._replay(db, sources)
                if self.db_path is not None:  # a database that is kept is synced once, here
                    await db.sync()
            finally:
                await db.close()
            result.seconds = time.perf_counter() - started
            if self.db_path is not None:
                _install(work, self.db_path)
        return result

    async def _replay(self, db: Database, sources: list[Source]) -> ReplayResult:
        events = _merged(sources)
        first = next(events, None)
        clock = ManualClock(first.ts if first else datetime.fromisoformat("1970-01-01T00:00Z"))
        ingestor = Ingestor(db, self.config, flush_rows=self.flush_rows, monotonic=lambda: 0.0)
        closer = DayCloser(db, ingestor, clock, checkpoint=False)
        treasury = TreasuryService(db, clock)
        driver = _Driver(ingestor, closer, treasury, clock, self.config)
        result = ReplayResult(guilds=[], stats=ingestor.stats)
        for record in await ingestor.guilds_repo.all():  # continuing an existing database
            await driver.register(record.id, None)

        for source in sources:
            members = initial_members(source)
            for event in members:
                await driver.register(event.guild, None)
            await ingestor.ingest(members)

        total = sum(source.size for source in sources)
        buffer: list[GuildEvent] = []
        last_ts = None
        scheduled = driver.scheduled
        next_midnight = driver.next_midnight()
        count = 0
        for event in itertools.chain([first] if first else [], events):
            count += 1
            ts = event.ts
            last_ts = ts
            if next_midnight is not None and ts >= next_midnight:
                await ingestor.ingest(buffer)
                buffer.clear()
                await driver.close_due(ts)
                next_midnight = driver.next_midnight()
            if event.guild not in scheduled:
                await ingestor.ingest(buffer)
                buffer.clear()
                driver.clock.set(ts)
                await driver.register(event.guild, ts)
                next_midnight = driver.next_midnight()
            buffer.append(event)
            if len(buffer) >= CHUNK:
                await ingestor.ingest(buffer)
                buffer.clear()
                await ingestor.maybe_flush()
                if self.on_progress:
                    self.on_progress(sum(source.consumed for source in sources), total)
        await ingestor.ingest(buffer)
        await ingestor.flush()
        result.events = count

        # The end of input: close each guild through the last event's day (or --until).
        for guild, zone in driver.zones.items():
            through = guild_day(last_ts, zone) if last_ts else None
            if self.until and (through is None or self.until > through):
                through = self.until
            if through is not None:
                clock.set(max(clock.now(), day_end(through, zone)))
                await driver.close(guild, through)
        if self.on_progress:
            self.on_progress(total, total)

        result.days_closed = driver.days_closed
        result.tiers = driver.tiers
        result.guilds = await self._reports(db, ingestor)
        return result

    async def _reports(self, db: Database, ingestor: Ingestor) -> list[GuildReport]:
        reports = ReportRepository(db)
        ledger = LedgerRepository(db)
        out = []
        for state in sorted(ingestor.known_guilds(), key=lambda s: s.id):
            record = await ingestor.guilds_repo.get(state.id)
            if record is None or record.first_day is None:
                continue
            tier_order = [tier.name for tier in record.config.tiers_by_days]
            out.append(
                GuildReport(
                    state.id,
                    record.first_day,
                    record.last_closed_day,
                    await reports.streaks(state.id),
                    await reports.members(state.id, tier_order),
                    await ledger.treasury(state.id),
                    await reports.names(state.id),
                    await _fraud_report(db, state.id, record.config, record.last_closed_day),
                )
            )
        return out


async def _fraud_report(
    db: Database, guild: int, config: GuildConfig, last_closed: str | None
) -> FraudReport | None:
    if not config.fraud.enabled:
        return None
    fraud = FraudRepository(db)
    held: set[tuple[int, int]] = set()
    if last_closed is not None:
        held = await fraud.held_pairs(
            guild, days_before(last_closed, max(config.fraud.hold_days - 1, 0))
        )
    return FraudReport(await fraud.escrowed(guild), await fraud.signals(guild), held)


class _Driver:
    """The simulated clock: which guild's midnight comes next, and closing it."""

    def __init__(
        self,
        ingestor: Ingestor,
        closer: DayCloser,
        treasury: TreasuryService,
        clock: ManualClock,
        config: GuildConfig,
    ) -> None:
        self.ingestor, self.closer, self.treasury = ingestor, closer, treasury
        self.clock, self.config = clock, config
        self.zones: dict[int, ZoneInfo] = {}  # the guilds registered, and their timezones
        self.scheduled: set[int] = set()
        self._midnights: list[tuple[datetime, int]] = []
        self.days_closed = 0
        self.tiers: list[tuple[int, int, int, str, str]] = []

    async def register(self, guild: int, ts: datetime | None) -> None:
        """First sight of a guild: apply the replay's config, fund its treasury once, and
        schedule its next midnight (right after its last closed day, if it has one)."""
        if guild not in self.zones:
            state = await self.ingestor.guild(guild, self.config)
            self.zones[guild] = state.config.zone
            await self.treasury.fund(
                guild, self.config.tokens.treasury, key=f"fund:replay:{guild}", reason="fund"
            )
        if guild in self.scheduled:
            return
        state = await self.ingestor.guild(guild)
        if state.last_closed:
            day = date.fromisoformat(state.last_closed) + timedelta(days=1)
        elif ts is not None:
            day = guild_day(ts, state.config.zone)
        else:
            return
        self.scheduled.add(guild)
        heapq.heappush(self._midnights, (day_end(day, state.config.zone), guild))

    def next_midnight(self) -> datetime | None:
        """The next instant at which some guild's day ends."""
        return self._midnights[0][0] if self._midnights else None

    async def close_due(self, ts: datetime) -> None:
        """Close, for every guild whose midnight `ts` has passed, all days that have ended."""
        self.clock.set(ts)
        while self._midnights and self._midnights[0][0] <= ts:
            _, guild = heapq.heappop(self._midnights)
            zone = self.zones[guild]
            today = guild_day(ts, zone)
            await self.close(guild, today - timedelta(days=1))
            heapq.heappush(self._midnights, (day_end(today, zone), guild))

    async def close(self, guild: int, through: date) -> None:
        for result in await self.closer.close_through(guild, through):
            self.days_closed += 1
            self.tiers.extend((guild, a, b, tier, result.day) for a, b, tier in result.tiers)


def _merged(sources: list[Source]) -> Iterator[GuildEvent]:
    """All files' events in time order (ties keep file order, then line order)."""
    if len(sources) == 1:
        yield from read(sources[0])
        return
    # (ts, file number) decides every comparison, so events themselves are never compared.
    streams = [_stamped(source, n) for n, source in enumerate(sources)]
    for _, _, event in heapq.merge(*streams):
        yield event


def _stamped(source: Source, n: int) -> Iterator[tuple[datetime, int, GuildEvent]]:
    for event in read(source):
        yield event.ts, n, event


def _install(work: Path, target: Path) -> None:
    """Move the finished database into place. The copy it started from read through any
    write-ahead log; a stale log left beside the old file must not be applied to the new one."""
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(work, target)


def _copy_database(src: Path, dst: Path) -> None:
    """A consistent copy of an existing database (WAL included) to replay on top of."""
    with sqlite3.connect(src) as source, sqlite3.connect(dst) as target:
        source.backup(target)
    source.close()
    target.close()
