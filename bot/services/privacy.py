"""A member's privacy: stop being tracked (and start again), get a copy of their data, erase it.

Opting out excludes the member at once: ingest stops counting what they do and what anyone does
with them, and the day close neither extends their pairs nor pays them (so their streaks break,
or spend their freezes). Erasing deletes what the store keeps about them and anonymises their
ledger entries (see bot/store/privacy.py); it does not opt them out: if they keep talking,
Streakbot counts them again from zero, unless they opt out too.
"""

from __future__ import annotations

import orjson

from bot.clock import Clock
from bot.domain.calendar import guild_day
from bot.services.fraud import FraudDetector
from bot.services.guild_state import GuildState
from bot.services.intake import Intake
from bot.services.ledger_days import ledger_days
from bot.store.database import Database
from bot.store.ledger import LedgerRepository
from bot.store.privacy import Erasure, PrivacyRepository

EXPORT_FORMAT = "streakbot-member-export/1"


class PrivacyService:
    def __init__(
        self, db: Database, intake: Intake, clock: Clock, detector: FraudDetector | None = None
    ) -> None:
        self.store = PrivacyRepository(db)
        self.intake = intake
        self.ingestor = intake.ingestor
        self.clock = clock
        self.detector = detector
        """The day closes' anti-fraud detector, whose kept window an erasure must reach too."""

    async def opt_out(self, guild: int, member: int) -> bool:
        """Stop tracking the member; False if they had opted out already."""
        changed = await self.store.opt_out(guild, member, self.clock.now().isoformat())
        await self.ingestor.refresh_exclusions(guild)
        return changed

    async def opt_in(self, guild: int, member: int) -> bool:
        """Track the member again from now on; False if they had not opted out."""
        changed = await self.store.opt_in(guild, member)
        await self.ingestor.refresh_exclusions(guild)
        return changed

    async def opted_out(self, guild: int, member: int) -> bool:
        return await self.store.opted_out_since(guild, member) is not None

    async def _days(self, state: GuildState) -> list[str]:
        """The days a member's rows can be on, through tomorrow (an event stamped by Discord a
        moment ahead of our clock near midnight)."""
        return await ledger_days(LedgerRepository(self.store.db), state, self.clock.now(), ahead=1)

    async def export(self, guild: int, member: int) -> bytes:
        """Everything kept about the member in the guild, as indented JSON."""
        await self.intake.drain()
        await self.ingestor.flush()  # what they did a moment ago is part of their data
        state = await self.ingestor.guild(guild)
        data = await self.store.export(guild, member, await self._days(state))
        document = {
            "format": EXPORT_FORMAT,
            "exported_at": self.clock.now().isoformat(),
            **data,
        }
        return orjson.dumps(document, option=orjson.OPT_INDENT_2)

    async def erase(self, guild: int, member: int, *, request: int) -> Erasure:
        """Erase the member's data in the guild (`request`: the interaction that confirmed it,
        keying the entry that returns their tokens to the treasury)."""
        await self.intake.drain()
        state = await self.ingestor.guild(guild)
        # Paused: everything accepted so far is written first, and nothing is ingested until
        # the rows are gone and ingest's memory of them (today's points) is dropped too;
        # otherwise the next flush would write the member's points of the day back.
        async with self.ingestor.paused():
            now = self.clock.now()
            erased = await self.store.erase(
                guild,
                member,
                await self._days(state),
                key=f"erase:{guild}:{request}",
                day=guild_day(now, state.config.zone).isoformat(),
                at=now.isoformat(),
            )
            _forget(state, member)
            if self.detector is not None:
                self.detector.forget(guild, member)
        return erased


def _forget(state: GuildState, member: int) -> None:
    """Drop what ingest keeps in memory about the member: their points of the open days and
    their cooldown. (Unflushed exchanges, names and pool counts are empty right after the
    flush that `Ingestor.paused` starts with.)"""
    for points in state.open_days.values():
        points.pop(member, None)
    state.last_point.pop(member, None)
    state.names.pop(member, None)
    state.dirty_members.discard(member)
    state.recent_content.pop(member, None)  # their last messages, for the repeat check
    state.joined.pop(member, None)
    state.young_until.pop(member, None)
