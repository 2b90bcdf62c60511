"""One aiosqlite connection (WAL), numbered forward-only migrations, serialized transactions."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

# Scratch tables of the day close; TEMP tables live per connection and never reach the file.
_TEMP_TABLES = """
CREATE TEMP TABLE IF NOT EXISTS close_pairs (a INTEGER NOT NULL, b INTEGER NOT NULL,
    PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS close_tiers (name TEXT PRIMARY KEY, days INTEGER NOT NULL,
    tokens INTEGER NOT NULL, freezes INTEGER NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS close_reached (a INTEGER NOT NULL, b INTEGER NOT NULL,
    tier TEXT NOT NULL, run_start TEXT NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS close_excluded (member INTEGER PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS close_payments (member INTEGER NOT NULL, amount INTEGER NOT NULL,
    key TEXT NOT NULL, reason TEXT NOT NULL, a INTEGER, b INTEGER, held TEXT);
CREATE TEMP TABLE IF NOT EXISTS close_held_members (member INTEGER PRIMARY KEY, why TEXT NOT NULL);
CREATE TEMP TABLE IF NOT EXISTS close_held_pairs (a INTEGER NOT NULL, b INTEGER NOT NULL,
    why TEXT NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
"""


class SchemaError(RuntimeError):
    """The database file cannot be used by this version of Streakbot."""


def migrations() -> list[tuple[int, str, str]]:
    """The shipped migrations as (version, name, sql), in order."""
    found = []
    for entry in resources.files("bot.store").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002, ... without gaps: {versions}")
    return found


class Database:
    """The store's connection. Use `transaction()` for every write; reads may go direct."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, path: Path | str, *, durable: bool = True, cache_mib: int = 256
    ) -> Database:
        """Open (creating and migrating as needed) the database at `path`.

        `durable=False` skips fsyncs, for a scratch file that is thrown away if anything fails
        (replay builds one); call `sync()` before keeping it. `cache_mib` bounds the page
        cache, the bulk of the process's memory once the database outgrows it.
        """
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, isolation_level=None)
        try:
            await connection.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL: a commit survives a crash of the process; an OS crash may lose the
            # last commits, never corrupt the file.
            await connection.execute(f"PRAGMA synchronous = {'NORMAL' if durable else 'OFF'}")
            await connection.execute("PRAGMA foreign_keys = ON")
            await connection.execute("PRAGMA busy_timeout = 5000")
            await connection.execute("PRAGMA temp_store = MEMORY")
            await connection.execute(f"PRAGMA cache_size = {-1024 * cache_mib}")
            database = cls(connection, path)
            await database._migrate()
            await connection.executescript(_TEMP_TABLES)
        except BaseException:
            await connection.close()
            raise
        return database

    async def sync(self) -> None:
        """Write everything to the main file and flush it to disk."""
        async with self._lock:
            await self.connection.execute("PRAGMA synchronous = FULL")
            await self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @asynccontextmanager
    async def deferred_checkpoint(self) -> AsyncIterator[None]:
        """Within the block, commits do not copy the write-ahead log into the main file (a big
        commit would otherwise pay for it inline); call `checkpoint()` afterwards."""
        await self.connection.execute("PRAGMA wal_autocheckpoint = 0")
        try:
            yield
        finally:
            await self.connection.execute("PRAGMA wal_autocheckpoint = 1000")

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the main file from a connection of its own, in a
        thread, so that this connection keeps serving meanwhile."""
        if str(self.path) != ":memory:":
            await asyncio.to_thread(_checkpoint, self.path)

    async def close(self) -> None:
        async with self._lock:
            # Statistics for the query planner, sampled so that this stays quick on big files.
            await self.connection.execute("PRAGMA analysis_limit = 400")
            await self.connection.execute("PRAGMA optimize")
            await self.connection.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error; one at a time per process."""
        async with self._lock:
            await self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection
            except BaseException:
                await self.connection.execute("ROLLBACK")
                raise
            await self.connection.execute("COMMIT")

    async def schema_version(self) -> int:
        async with self.connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.schema_version()
        shipped = migrations()
        if current > len(shipped):
            raise SchemaError(
                f"schema version {current} is newer than this Streakbot knows"
                f" ({len(shipped)}): upgrade Streakbot"
            )
        pending = [m for m in shipped if m[0] > current]
        if not pending:
            return
        # All pending migrations in one transaction: a failed upgrade leaves the old schema.
        async with self.transaction() as connection:
            for version, name, sql in pending:
                log.info("applying migration %s", name)
                for statement in _statements(sql):
                    await connection.execute(statement)
                await connection.execute(f"PRAGMA user_version = {version}")


def _checkpoint(path: Path) -> None:
    with closing(sqlite3.connect(path, timeout=30)) as connection:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements, buffer = [], []
    for line in script.splitlines():
        stripped = line.split("--", 1)[0].rstrip() if not line.lstrip().startswith("--") else ""
        if not stripped:
            continue
        buffer.append(stripped)
        joined = "\n".join(buffer)
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            statements.append(joined)
            buffer = []
    if buffer:
        statements.append("\n".join(buffer))
    return statements
