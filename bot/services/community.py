"""Community incentives owners run: points events, sponsored pools, challenges.

Each change is one store transaction; ingest is told afterwards (`refresh_community`) so that
what it counts follows at once. Payouts happen at the day close (bot/store/day_close.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import Clock
from bot.domain.calendar import guild_day
from bot.domain.durations import parse_until
from bot.domain.multipliers import parse_multiplier
from bot.services.ingest import Ingestor
from bot.store.community import ChallengeRow, CommunityRepository, EventRow, NameTaken, PoolRow
from bot.store.database import Database

MAX_FUNDING = 10**12


class CommunityError(ValueError):
    """A request the owner can correct; the message says how."""


@dataclass(frozen=True, slots=True)
class ChallengeStatus:
    challenge: ChallengeRow
    holding: int
    """Live pairs holding a long enough streak as of the last close."""

    @property
    def progress(self) -> float:
        return min(1.0, self.holding / self.challenge.pairs)


class CommunityService:
    def __init__(self, db: Database, ingestor: Ingestor, clock: Clock) -> None:
        self.store = CommunityRepository(db)
        self.ingestor = ingestor
        self.clock = clock

    async def _today(self, guild: int) -> date:
        config = (await self.ingestor.guild(guild)).config
        return guild_day(self.clock.now(), config.zone)

    # -- points events ----------------------------------------------------------------------

    async def start_event(
        self,
        guild: int,
        name: str,
        multiplier: str,
        until: str,
        *,
        channels: tuple[int, ...] = (),
        tier_tokens: bool = False,
        by: int | None = None,
    ) -> EventRow:
        name = _name(name)
        now = self.clock.now()
        config = (await self.ingestor.guild(guild)).config
        try:
            percent = parse_multiplier(multiplier)
            ends = parse_until(until, now, config.zone)
        except ValueError as error:
            raise CommunityError(str(error)) from None
        try:
            await self.store.add_event(
                guild, name=name, percent=percent, channels=channels, tier_tokens=tier_tokens,
                starts_at=now.isoformat(), ends_at=ends.isoformat(), by=by,
            )  # fmt: skip
        except NameTaken as error:
            raise CommunityError(str(error)) from None
        await self.ingestor.refresh_community(guild)
        return next(e for e in await self.events(guild) if e.name == name)

    async def events(self, guild: int) -> list[EventRow]:
        """Running events (and any that start later), soonest ending first."""
        return await self.store.events(guild, self.clock.now().isoformat())

    async def stop_event(self, guild: int, name: str) -> None:
        if not await self.store.stop_event(guild, name, self.clock.now().isoformat()):
            raise CommunityError(f"no event named {name!r} is running")
        await self.ingestor.refresh_community(guild)

    # -- pools ------------------------------------------------------------------------------

    async def create_pool(
        self, guild: int, name: str, *, channel: int | None, per_exchange: int, by: int | None
    ) -> None:
        name = _name(name)
        if per_exchange < 0:
            raise CommunityError("a pool pays a positive number of tokens per exchange")
        try:
            await self.store.add_pool(
                guild, name=name, channel=channel, per_exchange=per_exchange, by=by,
                at=self.clock.now().isoformat(),
            )  # fmt: skip
        except NameTaken as error:
            raise CommunityError(str(error)) from None
        await self.ingestor.refresh_community(guild)

    async def fund_pool(self, guild: int, name: str, amount: int, *, key: str, by: int) -> PoolRow:
        if not 0 < amount <= MAX_FUNDING:
            raise CommunityError(f"fund a pool with 1 to {MAX_FUNDING:,} tokens")
        pool = await self._pool(guild, name)
        await self.store.fund_pool(
            guild, pool.id, amount, key=key, reason=f"pool {pool.name} funded by {by}",
            day=(await self._today(guild)).isoformat(), at=self.clock.now().isoformat(),
        )  # fmt: skip
        return await self._pool(guild, name)

    async def pools(self, guild: int) -> list[PoolRow]:
        return await self.store.pools(guild)

    async def _pool(self, guild: int, name: str) -> PoolRow:
        for pool in await self.store.pools(guild):
            if pool.name == name:
                return pool
        raise CommunityError(f"no pool named {name!r}: see /pool list")

    # -- challenges -------------------------------------------------------------------------

    async def create_challenge(
        self,
        guild: int,
        name: str,
        *,
        pairs: int,
        days: int,
        deadline: str,
        reward: int,
        pool: str | None = None,
        by: int | None = None,
    ) -> ChallengeRow:
        name = _name(name)
        today = await self._today(guild)
        try:
            last_day = date.fromisoformat(deadline.strip())
        except ValueError:
            raise CommunityError(f"{deadline!r} is not a date: use YYYY-MM-DD") from None
        if last_day < today:
            raise CommunityError("the deadline has passed already")
        if (last_day - today).days > 366:
            raise CommunityError("the deadline is more than a year away")
        pool_id = (await self._pool(guild, pool)).id if pool else None
        try:
            await self.store.add_challenge(
                guild, name=name, pairs=pairs, days=days, deadline=last_day.isoformat(),
                reward=reward, pool=pool_id, by=by, at=self.clock.now().isoformat(),
            )  # fmt: skip
        except NameTaken as error:
            raise CommunityError(str(error)) from None
        return next(c for c in await self.store.challenges(guild) if c.name == name)

    async def challenges(self, guild: int) -> list[ChallengeStatus]:
        return [
            ChallengeStatus(c, await self.store.pairs_holding(guild, c.days))
            for c in await self.store.challenges(guild)
        ]


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 64:
        raise CommunityError("names are 1 to 64 characters")
    return name


def event_active(event: EventRow, now: datetime) -> bool:
    return datetime.fromisoformat(event.starts_at) <= now < datetime.fromisoformat(event.ends_at)
