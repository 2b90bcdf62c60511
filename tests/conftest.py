"""Shared fixtures: real SQLite files in a temporary directory, a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.guild_config import GuildConfig
from bot.services.day_close import DayCloser
from bot.services.ingest import Ingestor
from bot.services.treasury import TreasuryService
from bot.store.database import Database

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "streakbot.db"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(db_path)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 1, tzinfo=UTC))


class Engine:
    """The services wired as the live bot and `replay` wire them, for service-level tests."""

    def __init__(self, db: Database, config: GuildConfig, clock: ManualClock) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.ingestor = Ingestor(db, config)
        self.closer = DayCloser(db, self.ingestor, clock)
        self.treasury = TreasuryService(db, clock)


@pytest.fixture
def make_engine(db: Database, clock: ManualClock):
    def make(config: GuildConfig | None = None) -> Engine:
        return Engine(db, config or GuildConfig(), clock)

    return make
