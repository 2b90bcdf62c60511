"""Moderators' use cases: suspend and lift, void a streak, adjust a balance, read the audit
trail; and Discord's own moderation (timeouts, bans) turned into suspensions.

Each change is one store transaction with its audit row; a change of who is suspended is then
told to ingest (`refresh_exclusions`), so that the member's events stop, or start, counting at
once. The day close reads the suspensions itself.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bot.clock import Clock
from bot.domain.calendar import guild_day
from bot.services.ingest import Ingestor
from bot.services.ledger_days import ledger_days
from bot.store.database import Database
from bot.store.ledger import LedgerRepository
from bot.store.moderation import (
    AccountShort,
    AdjustResult,
    AuditLine,
    ModerationRepository,
    Suspension,
    TimeoutOutcome,
    VoidResult,
)
from bot.store.profiles import Page

log = logging.getLogger(__name__)

PAGE_SIZE = 10
MAX_DAYS = 3650
"""The longest timed suspension; longer is `until lifted`."""
MAX_ADJUST = 10**9
"""The most tokens one adjustment moves, either way."""


class ModerationError(Exception):
    """A moderator's request that cannot be carried out; the message says why."""


class TreasuryShort(ModerationError):
    def __init__(self, held: int, wanted: int) -> None:
        super().__init__(
            f"The treasury holds only {held} tokens: it cannot give {wanted}. Fund it first."
        )


class MemberShort(ModerationError):
    def __init__(self, member: int, held: int, wanted: int) -> None:
        super().__init__(
            f"<@{member}> holds only {held} tokens: {wanted} cannot be taken. Take at most {held}."
        )


class ModerationService:
    def __init__(self, db: Database, ingestor: Ingestor, clock: Clock) -> None:
        self.store = ModerationRepository(db)
        self.ingestor = ingestor
        self.clock = clock

    async def _now_and_day(self, guild: int) -> tuple[datetime, str]:
        """The current instant and the guild's day (registering the guild if new)."""
        state = await self.ingestor.guild(guild)
        now = self.clock.now()
        return now, guild_day(now, state.config.zone).isoformat()

    # -- suspensions ----------------------------------------------------------------------------

    async def suspend(
        self, guild: int, moderator: int, member: int, days: int | None, reason: str
    ) -> tuple[datetime | None, Suspension | None]:
        """Suspend the member for `days` (None: until lifted). Returns when it ends and the
        suspension in force it replaced, if any."""
        now, _ = await self._now_and_day(guild)
        until = None if days is None else now + timedelta(days=days)
        replaced = await self.store.suspend(
            guild,
            member,
            until=None if until is None else _iso(until),
            days=days,
            moderator=moderator,
            reason=reason,
            at=_iso(now),
        )
        await self.ingestor.refresh_exclusions(guild)
        return until, replaced

    async def unsuspend(self, guild: int, moderator: int, member: int, reason: str) -> Suspension:
        """Lift the member's suspension in force, whatever caused it."""
        now, _ = await self._now_and_day(guild)
        lifted = await self.store.unsuspend(
            guild, member, moderator=moderator, reason=reason, at=_iso(now)
        )
        if lifted is None:
            raise ModerationError(f"<@{member}> is not suspended.")
        await self.ingestor.refresh_exclusions(guild)
        return lifted

    async def timed_out(self, guild: int, member: int, until: datetime) -> TimeoutOutcome:
        """Discord timed the member out until `until` (in the future)."""
        now, _ = await self._now_and_day(guild)
        outcome = await self.store.record_timeout(
            guild,
            member,
            until=_iso(until),
            reason=f"timed out on Discord until {until.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
            at=_iso(now),
        )
        if outcome in ("suspended", "changed"):
            await self.ingestor.refresh_exclusions(guild)
        log.info("guild %s: member %s timed out until %s: %s", guild, member, until, outcome)
        return outcome

    async def timeout_removed(self, guild: int, member: int) -> bool:
        """Discord's timeout of the member was removed before it ended."""
        now, _ = await self._now_and_day(guild)
        lifted = await self.store.end_timeout(
            guild, member, reason="timeout removed early on Discord", at=_iso(now)
        )
        if lifted:
            await self.ingestor.refresh_exclusions(guild)
        return lifted

    async def banned(self, guild: int, member: int) -> bool:
        """The member was banned from the server: suspended until a moderator lifts it."""
        now, _ = await self._now_and_day(guild)
        written = await self.store.record_ban(
            guild, member, reason="banned from the server", at=_iso(now)
        )
        if written:
            await self.ingestor.refresh_exclusions(guild)
        log.info("guild %s: member %s banned (suspension written: %s)", guild, member, written)
        return written

    # -- streaks and tokens ---------------------------------------------------------------------

    async def void(
        self, guild: int, moderator: int, first: int, second: int, reason: str
    ) -> VoidResult:
        """End the pair's streak and take back the tier tokens of its run."""
        if first == second:
            raise ModerationError("A streak takes two members: name both of the pair.")
        now, day = await self._now_and_day(guild)
        result = await self.store.void(
            guild,
            first,
            second,
            moderator=moderator,
            reason=reason,
            ledger_reason=f"void: {reason}",
            day=day,
            at=_iso(now),
        )
        if result is None:
            raise ModerationError(f"<@{first}> and <@{second}> never had a streak together.")
        if result.already_voided:
            raise ModerationError(
                f"The streak of <@{first}> and <@{second}> was already voided: nothing changed."
            )
        return result

    async def adjust(
        self, guild: int, moderator: int, member: int, amount: int, reason: str, key: str
    ) -> AdjustResult:
        """Give (positive) or take (negative) tokens: from or to the treasury."""
        if amount == 0 or abs(amount) > MAX_ADJUST:
            raise ModerationError(f"The amount is a number of tokens from 1 to {MAX_ADJUST:,}.")
        now, day = await self._now_and_day(guild)
        try:
            return await self.store.adjust(
                guild,
                member,
                amount,
                moderator=moderator,
                reason=reason,
                ledger_reason=f"adjustment: {reason}",
                key=key,
                day=day,
                at=_iso(now),
            )
        except AccountShort as short:
            if amount > 0:
                raise TreasuryShort(short.held, short.wanted) from short
            raise MemberShort(member, short.held, short.wanted) from short

    # -- the audit trail -----------------------------------------------------------------------

    async def audit(self, guild: int, member: int | None, page: int) -> tuple[Page[AuditLine], int]:
        """A page (from 0) of the audit trail, newest first, and the page count."""
        page = max(page, 0)
        state = await self.ingestor.guild(guild)
        days: list[str] = []
        if member is not None:  # the days the member's ledger entries can be on
            days = await ledger_days(LedgerRepository(self.store.db), state, self.clock.now())
        result = await self.store.audit(guild, member, days, page * PAGE_SIZE, PAGE_SIZE)
        return result, max(1, -(-result.total // PAGE_SIZE))


def _iso(instant: datetime) -> str:
    """An instant as the store keeps it (UTC, ISO 8601), comparable as text."""
    return instant.astimezone(UTC).isoformat()
