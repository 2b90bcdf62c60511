"""Upgrading a database written by an earlier version keeps its rows."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from bot.store.database import Database, migrations
from tests.services.builders import rows

ROWS = {
    "guilds": [(1, "{}", "2026-11-01", "2026-11-02")],
    "members": [(1, 101, 0, "Ann", None), (1, 102, 0, None, None)],
    "streaks": [(1, 101, 102, 2, 2, "2026-11-02", 0, "2026-11-01")],
    "member_days": [(1, "2026-11-01", 101, 5), (1, "2026-11-02", 102, 3)],
    "ledger": [
        (1, 1, "fund", None, 0, 100, "funding", None, "2026-11-01T00:00:00+00:00"),
        (2, 1, "pay", 0, 101, 10, "day reward", "2026-11-01", "2026-11-02T00:00:00+00:00"),
    ],
    "balances": [(1, 0, 90), (1, 101, 10)],
}


def _version_1(path: Path) -> None:
    """A file as Streakbot version 1 left it: only the first migration, with data."""
    with closing(sqlite3.connect(path)) as raw, raw:
        raw.executescript(migrations()[0][2])
        raw.execute("PRAGMA user_version = 1")
        for table, values in ROWS.items():
            marks = ", ".join("?" * len(values[0]))
            raw.executemany(f"INSERT INTO {table} VALUES ({marks})", values)


async def test_a_version_1_database_is_upgraded_and_keeps_its_rows(db_path: Path) -> None:
    _version_1(db_path)
    async with await Database.open(db_path) as db:
        assert await db.schema_version() == len(migrations()) >= 2
        for table, values in ROWS.items():
            # Later versions may add columns (with defaults): the old ones keep their values.
            found = [row[: len(values[0])] for row in await rows(db, f"SELECT * FROM {table}")]
            assert sorted(found, key=repr) == sorted(values, key=repr), table
        assert await rows(db, "SELECT broken_length, broken_day FROM streaks") == [(0, None)]
        names = {name for (name,) in await rows(db, "SELECT name FROM sqlite_schema")}
        assert {"ledger_by_day_target", "ledger_by_day_source", "owner_notices"} <= names
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO owner_notices (guild, kind, noticed_at) VALUES (1, 'unfunded', ?)",
                ("2026-11-03T00:00:00+00:00",),
            )
        assert await rows(db, "SELECT guild, kind, detail FROM owner_notices") == [
            (1, "unfunded", "")
        ]
        # The ledger's append-only triggers survive the upgrade.
        assert await rows(db, "SELECT name FROM sqlite_schema WHERE type = 'trigger'") != []


async def test_an_owner_is_told_of_each_problem_once(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO guilds (id, config) VALUES (1, '{}')")
        insert = (
            "INSERT INTO owner_notices (guild, kind, detail, noticed_at) VALUES (1, ?, ?, ?)"
            " ON CONFLICT DO NOTHING"
        )
        for detail in ("10", "10", "11"):
            await conn.execute(insert, ("missing_permission", detail, "2026-11-01T00:00:00+00:00"))
    assert await rows(db, "SELECT detail FROM owner_notices ORDER BY detail") == [("10",), ("11",)]


async def test_version_1_exchanges_become_pair_days_with_the_same_counts(db_path: Path) -> None:
    """Migration 0003 folds the directed exchange rows into one row per pair and day; the
    `exchanges` view reads them back as they were."""
    exchanges = [
        (1, "2026-11-01", 101, 102, 101, "reply", 2),
        (1, "2026-11-01", 101, 102, 102, "mention", 1),
        (1, "2026-11-01", 101, 102, 102, "reaction", 3),
        (1, "2026-11-02", 101, 103, 103, "reply", 1),
        (1, "2026-11-02", 101, 103, 101, "mention", 0),  # withdrawn by a same-day delete
    ]
    _version_1(db_path)
    with closing(sqlite3.connect(db_path)) as raw, raw:
        raw.executemany(
            "INSERT INTO exchanges (guild, day, a, b, src, kind, count)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            exchanges,
        )
    async with await Database.open(db_path) as db:
        assert await rows(db, "SELECT * FROM pair_days ORDER BY day, a, b") == [
            (1, "2026-11-01", 101, 102, 2, 0, 0, 0, 1, 3),
            (1, "2026-11-02", 101, 103, 0, 0, 0, 1, 0, 0),
        ]
        assert sorted(
            await rows(db, "SELECT guild, day, a, b, src, kind, count FROM exchanges")
        ) == sorted(row for row in exchanges if row[6] > 0)
