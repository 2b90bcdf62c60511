"""The shop: freezes and restores for a member's streaks, and roles, paid to the treasury.

Every purchase is one store transaction (see bot/store/shop.py) keyed by the interaction that
asked for it: a retried interaction is charged once, a refused one writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.calendar import day_end, guild_day
from bot.guild_config import GuildConfig, ShopConfig, ShopItem
from bot.services.ingest import Ingestor
from bot.store.database import Database
from bot.store.shop import Payment, PurchaseRefused, Receipt, ShopRepository

FREEZE_REASON = "freeze bought"
RESTORE_REASON = "restore bought"


class DayNotClosed(PurchaseRefused):
    """Yesterday's close has not run yet (the minutes after midnight, or a catch-up)."""


class UnknownItem(LookupError):
    """No role item of the guild's shop has that name."""


@dataclass(slots=True, frozen=True)
class Catalogue:
    shop: ShopConfig
    max_freezes: int


def purchase_key(guild: int, interaction: int) -> str:
    """The ledger key of a purchase: one payment per interaction, however often it arrives."""
    return f"shop:{guild}:{interaction}"


def earliest_restorable(now: datetime, zone: ZoneInfo, hours: int) -> date:
    """The first guild day a streak may have broken on and still be restored at `now`: a break
    on day D can be restored until D's end (the guild's midnight) plus `hours`."""
    window = timedelta(hours=hours)
    day = guild_day(now, zone)
    while day_end(day - timedelta(days=1), zone) + window >= now:
        day -= timedelta(days=1)
    return day


def find_item(shop: ShopConfig, name: str) -> ShopItem:
    """The role item called `name` (case does not matter)."""
    wanted = name.strip().casefold()
    for item in shop.roles:
        if item.name.casefold() == wanted:
            return item
    raise UnknownItem(name)


def matching_items(shop: ShopConfig, typed: str, limit: int = 25) -> list[ShopItem]:
    """Role items whose name contains what the member typed so far (autocomplete)."""
    typed = typed.strip().casefold()
    return [item for item in shop.roles if typed in item.name.casefold()][:limit]


class ShopService:
    def __init__(self, db: Database, ingestor: Ingestor, clock: Clock) -> None:
        self.store = ShopRepository(db)
        self.ingestor = ingestor
        self.clock = clock

    async def config(self, guild: int) -> GuildConfig:
        return (await self.ingestor.guild(guild)).config

    async def catalogue(self, guild: int) -> Catalogue:
        config = await self.config(guild)
        return Catalogue(config.shop, config.streaks.max_freezes)

    def _payment(
        self,
        config: GuildConfig,
        guild: int,
        member: int,
        interaction: int,
        amount: int,
        reason: str,
    ) -> Payment:
        now = self.clock.now()
        return Payment(
            guild=guild,
            member=member,
            amount=amount,
            key=purchase_key(guild, interaction),
            reason=reason,
            day=guild_day(now, config.zone).isoformat(),
            at=now.isoformat(),
        )

    async def buy_freeze(
        self, guild: int, member: int, partner: int, *, interaction: int
    ) -> Receipt:
        """A freeze for the member's live streak with `partner`, up to `streaks.max_freezes`."""
        config = await self.config(guild)
        payment = self._payment(
            config, guild, member, interaction, config.shop.freeze_price, FREEZE_REASON
        )
        return await self.store.buy_freeze(payment, partner, config.streaks.max_freezes)

    async def buy_restore(
        self, guild: int, member: int, partner: int, *, interaction: int
    ) -> Receipt:
        """Revive the streak with `partner` if it broke within `shop.restore_hours` of the
        broken day's end. It must still qualify today to go on at tonight's close."""
        state = await self.ingestor.guild(guild)
        config = state.config
        yesterday = (guild_day(self.clock.now(), config.zone) - timedelta(days=1)).isoformat()
        tracked_yesterday = state.first_day is not None and state.first_day <= yesterday
        if tracked_yesterday and state.last_closed < yesterday:
            # Yesterday's close would judge the restored streak on a day already over (and
            # break it again): wait for it.
            raise DayNotClosed(f"{yesterday} is not closed yet")
        payment = self._payment(
            config, guild, member, interaction, config.shop.restore_price, RESTORE_REASON
        )
        earliest = earliest_restorable(self.clock.now(), config.zone, config.shop.restore_hours)
        return await self.store.buy_restore(payment, partner, earliest.isoformat())

    async def today_ends(self, guild: int) -> datetime:
        """When the guild's current day ends (a restored streak must count by then)."""
        config = await self.config(guild)
        return day_end(guild_day(self.clock.now(), config.zone), config.zone)

    async def restore_deadline(self, guild: int, broken_day: str) -> datetime:
        """Until when a streak broken on `broken_day` can be restored."""
        config = await self.config(guild)
        return day_end(date.fromisoformat(broken_day), config.zone) + timedelta(
            hours=config.shop.restore_hours
        )

    async def buy_role(
        self, guild: int, member: int, item: ShopItem, *, interaction: int
    ) -> Receipt:
        """Pay for a role item. The caller grants the role first (see cogs/shop.py)."""
        config = await self.config(guild)
        payment = self._payment(
            config, guild, member, interaction, item.price, f"role bought: {item.name}"
        )
        return await self.store.buy_role(payment)
