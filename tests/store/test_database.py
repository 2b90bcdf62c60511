"""The store's connection on real SQLite files: migrations, pragmas, transactions."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot.store.database import Database, migrations
from bot.store.ingest import IngestBatch, IngestRepository
from tests.services.builders import rows, value

TABLES = {
    "guilds",
    "members",
    "messages",
    "pair_days",
    "exchanges",
    "member_days",
    "streaks",
    "day_closes",
    "tier_rewards",
    "member_badges",
    "ledger",
    "balances",
}


def test_shipped_migrations_are_numbered_from_one_without_gaps() -> None:
    versions = [version for version, _, _ in migrations()]
    assert versions == list(range(1, len(versions) + 1))
    assert versions, "at least the initial migration ships"


async def test_migrations_apply_to_an_empty_database(db_path: Path) -> None:
    async with await Database.open(db_path) as db:
        assert await db.schema_version() == len(migrations())
        names = {name for (name,) in await rows(db, "SELECT name FROM sqlite_schema")}
    assert names >= TABLES
    # user_version is in the file itself, not only in this connection.
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == len(migrations())
    raw.close()


async def test_reopening_a_migrated_database_is_a_no_op(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with await Database.open(db_path) as db, db.transaction() as conn:
        await conn.execute("INSERT INTO guilds (id, config) VALUES (1, '{}')")
    caplog.set_level(logging.INFO, logger="bot.store.database")
    async with await Database.open(db_path) as db:
        assert await db.schema_version() == len(migrations())
        assert await rows(db, "SELECT id, config FROM guilds") == [(1, "{}")]
    assert "applying migration" not in caplog.text


async def test_wal_mode_is_on_and_persists_in_the_file(db: Database, db_path: Path) -> None:
    assert await value(db, "PRAGMA journal_mode") == "wal"
    # WAL is a property of the file: a plain connection sees it too.
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


async def test_foreign_keys_are_enforced(db: Database) -> None:
    assert await value(db, "PRAGMA foreign_keys") == 1
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO members (guild, user) VALUES (404, 1)")
    assert await rows(db, "SELECT * FROM members") == []


async def test_a_failing_transaction_rolls_back_everything(db: Database) -> None:
    async def two_writes_then_a_failing_one() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO guilds (id, config) VALUES (1, '{}')")
            await conn.execute("INSERT INTO members (guild, user) VALUES (1, 5)")
            # The second guild row with the same id violates the primary key.
            await conn.execute("INSERT INTO guilds (id, config) VALUES (1, '{}')")

    with pytest.raises(sqlite3.IntegrityError):
        await two_writes_then_a_failing_one()
    assert await rows(db, "SELECT * FROM guilds") == []
    assert await rows(db, "SELECT * FROM members") == []
    # The connection is usable afterwards: no transaction was left open.
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO guilds (id, config) VALUES (2, '{}')")
    assert await rows(db, "SELECT id FROM guilds") == [(2,)]


async def test_an_exception_in_the_caller_rolls_back_too(db: Database) -> None:
    class Boom(Exception):
        pass

    async def write_then_fail() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO guilds (id, config) VALUES (1, '{}')")
            raise Boom

    with pytest.raises(Boom):
        await write_then_fail()
    assert await rows(db, "SELECT * FROM guilds") == []


async def test_an_ingest_batch_is_written_all_or_nothing(db: Database) -> None:
    """A batch whose last part violates a constraint leaves none of its earlier parts behind."""
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO guilds (id, config) VALUES (1, '{}')")
    batch = IngestBatch(
        pairs=[(1, "2026-11-01", 101, 102, 0, 1, 0, 0, 0, 0)],  # 101 mentioned 102
        member_days=[(1, "2026-11-01", 101, -1)],  # CHECK (points >= 0) fails
        first_days=[(1, "2026-11-01")],
    )
    with pytest.raises(sqlite3.IntegrityError):
        await IngestRepository(db).write(batch)
    assert await rows(db, "SELECT * FROM exchanges") == []
    assert await value(db, "SELECT first_day FROM guilds WHERE id = 1") is None


async def test_committed_writes_survive_closing_and_reopening(db_path: Path) -> None:
    async with await Database.open(db_path) as db, db.transaction() as conn:
        await conn.execute("INSERT INTO guilds (id, config) VALUES (7, '{}')")
    # A different library sees the committed row once our connection is closed.
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT id FROM guilds").fetchall() == [(7,)]
    raw.close()
