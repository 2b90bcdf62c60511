"""The bot's services, wired once from settings: the same ones `replay` and the tests use."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.guild_config import GuildConfig, load_config
from bot.scheduler import ClosedHandler, DayCloseScheduler
from bot.services.day_close import DayCloser
from bot.services.ingest import Ingestor
from bot.services.intake import Intake
from bot.services.profiles import ProfileService
from bot.services.treasury import TreasuryService
from bot.settings import Settings
from bot.store.database import Database
from bot.store.notices import NoticeRepository
from bot.store.reports import ReportRepository

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Services:
    db: Database
    clock: Clock
    default_config: GuildConfig
    ingestor: Ingestor
    intake: Intake
    closer: DayCloser
    scheduler: DayCloseScheduler
    treasury: TreasuryService
    reports: ReportRepository
    profiles: ProfileService
    notices: NoticeRepository

    @classmethod
    async def open(
        cls, settings: Settings, clock: Clock, *, on_closed: ClosedHandler | None = None
    ) -> Services:
        default_config = load_config(settings.config)
        db = await Database.open(settings.database)
        ingestor = Ingestor(db, default_config)
        intake = Intake(ingestor)
        closer = DayCloser(db, ingestor, clock)
        scheduler = DayCloseScheduler(
            closer,
            intake,
            grace=timedelta(minutes=settings.close_grace_minutes),
            on_closed=on_closed,
        )
        return cls(
            db=db,
            clock=clock,
            default_config=default_config,
            ingestor=ingestor,
            intake=intake,
            closer=closer,
            scheduler=scheduler,
            treasury=TreasuryService(db, clock),
            reports=ReportRepository(db),
            profiles=ProfileService(db, intake, clock),
            notices=NoticeRepository(db, clock),
        )

    async def register_guild(self, guild: int) -> GuildConfig:
        """A guild the bot is in: known to ingest, its day close scheduled."""
        state = await self.ingestor.guild(guild)
        self.scheduler.plan(guild, state.config.zone)
        return state.config

    async def close(self) -> None:
        """Stop intake (flushing everything accepted) and the scheduler, then the store."""
        self.scheduler.shutdown()
        await self.intake.stop()
        await self.db.close()
