"""What a guild's owners change: its rules (one key, channel rules, tiers, a whole TOML file)
and its treasury.

Every config change is made the same way: the current config as a mapping, the change merged
into it, the whole result validated by `parse_config`, then saved and applied by the ingestor
(and the day close re-planned when the timezone moved). A change that does not validate raises
`ConfigError` naming the key, and nothing is saved.
"""

from __future__ import annotations

import asyncio
import functools
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import tomli_w

from bot.clock import Clock
from bot.guild_config import ConfigError, GuildConfig, config_to_dict, parse_config
from bot.scheduler import DayCloseScheduler
from bot.services.ingest import Ingestor
from bot.services.treasury import TreasuryService
from bot.store.database import Database
from bot.store.economy import EconomyRepository

if TYPE_CHECKING:
    from bot.app import Services

SettingKind = Literal["timezone", "channel", "role", "bool", "int", "seconds", "decimal", "kinds"]
ChannelRule = Literal["count", "ignore", "reset"]

MAX_TIERS = 25
"""Tiers a guild can have: a ladder, not a list of every day (and it fits in one embed)."""
MAX_IMPORT_BYTES = 64 * 1024
"""A config file is a few kilobytes; anything much bigger is not one."""
MAX_FUND = 10**12
"""Most tokens one `/treasury fund` adds (balances stay far from SQLite's 64-bit limit)."""
REPORT_DAYS = 7
"""`/treasury show` sums what the last this-many day closes paid out."""


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    kind: SettingKind
    label: str
    """What the key means, in the owners' words (shown beside the key in Discord's list)."""


SETTINGS: dict[str, Setting] = {
    setting.key: setting
    for setting in (
        Setting("timezone", "timezone", "the server's day, e.g. Europe/Paris"),
        Setting("announce.channel", "channel", "where milestones are posted"),
        Setting("announce.mention_members", "bool", "whether milestones ping the pair"),
        Setting("streaks.count", "kinds", "exchanges that count, e.g. reply,mention"),
        Setting("streaks.require_mutual", "bool", "both members must engage each other"),
        Setting("streaks.max_freezes", "int", "most freezes a pair can hold"),
        Setting("points.message", "int", "points for a plain message"),
        Setting("points.mention", "int", "points for a mention"),
        Setting("points.reply", "int", "points for a reply"),
        Setting("points.reaction", "int", "points for a reaction"),
        Setting("points.cooldown_seconds", "seconds", "seconds before a message earns again"),
        Setting("points.daily_cap", "int", "most points a member earns a day (0: none)"),
        Setting("tokens.per_point", "decimal", "tokens per point, e.g. 0.5"),
        Setting("tokens.daily_budget", "int", "most tokens paid a day (0: none)"),
        Setting("moderation.role", "role", "who may use the moderator commands"),
    )
}

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_NONE = frozenset({"none", "off", "unset"})


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """A config change as applied: the config before and after (equal when nothing changed)."""

    before: GuildConfig
    after: GuildConfig

    @property
    def changed(self) -> list[str]:
        """The dotted keys whose value differs (a list such as `tiers` counts as one key)."""
        return changed_keys(config_to_dict(self.before), config_to_dict(self.after))

    @property
    def timezone_changed(self) -> bool:
        return self.before.timezone != self.after.timezone


@dataclass(frozen=True, slots=True)
class Funding:
    funded: bool
    """False when the idempotency key was used already (nothing was added)."""
    balance: int


@dataclass(frozen=True, slots=True)
class TreasuryReport:
    balance: int
    paid: int
    """Tokens the last `days` day closes paid from the treasury."""
    days: int
    """How many closes that is (REPORT_DAYS, or fewer in a new guild)."""
    daily_budget: int

    @property
    def days_left(self) -> int | None:
        """How many days the balance lasts at the recent pace (None: nothing was paid)."""
        if self.paid <= 0:
            return None
        return self.balance * self.days // self.paid


class GuildAdmin:
    """The owners' use cases. Config changes are serialized: each reads the config it changes."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        ingestor: Ingestor,
        scheduler: DayCloseScheduler,
        treasury: TreasuryService,
        default_config: GuildConfig,
    ) -> None:
        self.db = db
        self.clock = clock
        self.ingestor = ingestor
        self.scheduler = scheduler
        self.treasury = treasury
        self.default_config = default_config
        self._lock = asyncio.Lock()

    @classmethod
    def from_services(cls, services: Services) -> GuildAdmin:
        return cls(
            services.db,
            services.clock,
            services.ingestor,
            services.scheduler,
            services.treasury,
            services.default_config,
        )

    # -- config -------------------------------------------------------------------------------

    async def config(self, guild: int) -> GuildConfig:
        return (await self.ingestor.guild(guild)).config

    async def set_value(self, guild: int, key: str, value: object) -> ConfigChange:
        """Set one key of SETTINGS to a typed value (`parse_setting` reads one from text);
        None unsets an optional key (announce.channel, moderation.role)."""
        setting = SETTINGS.get(key)
        if setting is None:
            raise ConfigError(f"{key}: not a key /config set changes")
        if value is None and setting.kind not in ("channel", "role"):
            raise ConfigError(f"{key}: needs a value")

        def change(data: dict) -> None:
            *sections, name = key.split(".")
            target = data
            for section in sections:
                target = target.setdefault(section, {})
            if value is None:
                target.pop(name, None)
            else:
                target[name] = str(value) if isinstance(value, Decimal) else value

        return await self._change(guild, change)

    async def channel_rule(self, guild: int, channel: int, rule: ChannelRule) -> ConfigChange:
        """`count`: only counted channels count (with this one among them); `ignore`: this one
        never counts; `reset`: neither list names it. A channel is in one list at most."""

        def change(data: dict) -> None:
            channels = data.setdefault("channels", {})
            counted = [c for c in channels.get("counted", []) if c != channel]
            ignored = [c for c in channels.get("ignored", []) if c != channel]
            if rule == "count":
                counted.append(channel)
            elif rule == "ignore":
                ignored.append(channel)
            channels["counted"], channels["ignored"] = counted, ignored

        return await self._change(guild, change)

    async def add_tier(
        self,
        guild: int,
        name: str,
        *,
        days: int,
        tokens: int,
        freezes: int,
        role: str | None = None,
    ) -> ConfigChange:
        """A new tier on the ladder; an existing name is refused (remove it first)."""
        name = name.strip()

        def change(data: dict) -> None:
            tiers = data.setdefault("tiers", [])
            if any(tier["name"] == name for tier in tiers):
                raise ConfigError(f"tiers: there is already a tier named {name!r}")
            if len(tiers) >= MAX_TIERS:
                raise ConfigError(f"tiers: a server has at most {MAX_TIERS} tiers")
            tier: dict[str, object] = {
                "name": name,
                "days": days,
                "tokens": tokens,
                "freezes": freezes,
            }
            if role is not None:
                tier["role"] = role
            tiers.append(tier)

        return await self._change(guild, change)

    async def remove_tier(self, guild: int, name: str) -> ConfigChange:
        """Take a tier off the ladder; badges already earned with it are kept."""
        name = name.strip()

        def change(data: dict) -> None:
            tiers = data.get("tiers", [])
            kept = [tier for tier in tiers if tier["name"] != name]
            if len(kept) == len(tiers):
                names = ", ".join(tier["name"] for tier in tiers) or "none"
                raise ConfigError(f"tiers: no tier named {name!r} (the tiers: {names})")
            data["tiers"] = kept

        return await self._change(guild, change)

    async def import_toml(self, guild: int, raw: bytes, *, source: str) -> ConfigChange:
        """Replace the guild's config by a TOML file, all or nothing. Keys the file leaves out
        take the bot's defaults for new guilds, as they would in a config file given at start."""
        data = read_toml(raw, source=source)
        return await self._change(
            guild, lambda _: merged(config_to_dict(self.default_config), data), source=source
        )

    async def _change(
        self, guild: int, change: Callable[[dict], dict | None], *, source: str | None = None
    ) -> ConfigChange:
        """Apply `change` (it edits the mapping in place, or returns a new one) to the current
        config; `source` names a file in error messages."""
        async with self._lock:  # read, change, save: no other change may slip in between
            before = await self.config(guild)
            data = config_to_dict(before)
            changed = change(data)
            after = _validated(data if changed is None else changed, source)
            if after != before:
                await self.ingestor.guild(guild, after)
                if after.timezone != before.timezone:
                    self.scheduler.plan(guild, after.zone)
            return ConfigChange(before, after)

    # -- treasury -----------------------------------------------------------------------------

    async def fund(
        self, guild: int, amount: int, *, key: str, funder: int, funder_name: str
    ) -> Funding:
        """Add `amount` new tokens to the treasury once per `key`; the ledger entry's reason
        says who funded it."""
        if not 1 <= amount <= MAX_FUND:
            raise ValueError(f"a funding is 1 to {MAX_FUND} tokens")
        await self.ingestor.guild(guild)  # the ledger's rows belong to a known guild
        funded = await self.treasury.fund(
            guild, amount, key=key, reason=f"funded by {funder_name} ({funder})"
        )
        return Funding(funded, await self.treasury.balance(guild))

    async def treasury_report(self, guild: int) -> TreasuryReport:
        config = await self.config(guild)
        # What the last closes paid (each close records it): no scan of the ledger.
        recent = await EconomyRepository(self.db).paid_per_day(guild, REPORT_DAYS)
        return TreasuryReport(
            balance=await self.treasury.balance(guild),
            paid=sum(paid for _, paid in recent),
            days=len(recent) or REPORT_DAYS,
            daily_budget=config.tokens.daily_budget,
        )


def _validated(data: dict, source: str | None) -> GuildConfig:
    """`parse_config`; without a source, its messages start with the key ("points.reply: ...")."""
    try:
        return parse_config(data, source=source or "config")
    except ConfigError as error:
        if source is None:
            raise ConfigError(str(error).removeprefix("config: ")) from None
        raise


# -- reading owners' values ----------------------------------------------------------------------


def parse_setting(key: str, text: str) -> object:
    """The typed value of `text` for `key` (ConfigError naming the key if it is no such value).
    Ranges are left to `parse_config`, which checks the whole config."""
    setting = SETTINGS.get(key)
    if setting is None:
        raise ConfigError(f"{key}: not a key /config set changes")
    text = text.strip()
    word = text.lower()
    kind = setting.kind
    if kind in ("channel", "role"):
        if word in _NONE:
            return None
        option = "channel" if kind == "channel" else "role"
        raise ConfigError(f"{key}: pick it in the `{option}` option (or value `none` to unset)")
    if kind == "timezone":
        return _timezone(text)
    if kind == "bool":
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ConfigError(f"{key}: expected true or false, got {text!r}")
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{key}: expected a whole number, got {text!r}") from None
    if kind == "seconds":
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"{key}: expected a number of seconds, got {text!r}") from None
    if kind == "decimal":
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ConfigError(f"{key}: expected a number like 1 or 0.5, got {text!r}") from None
        if not number.is_finite():
            raise ConfigError(f"{key}: expected a number like 1 or 0.5, got {text!r}")
        return number
    kinds = [part for part in word.replace(",", " ").split() if part]
    if not kinds:
        raise ConfigError(f"{key}: name at least one of reply, mention, reaction")
    return kinds


def _timezone(text: str) -> str:
    """The IANA name as written, or its canonical spelling when only the case differs
    ("europe/paris"); anything else is left for the config's own check to refuse."""
    try:
        ZoneInfo(text)
        return text
    except (ZoneInfoNotFoundError, ValueError):
        return _zone_names().get(text.lower(), text)


@functools.cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def read_toml(raw: bytes, *, source: str) -> dict:
    """A TOML file's mapping; ConfigError saying why a file is no config file."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ConfigError(
            f"{source}: {len(raw):,} bytes is too big for a config file"
            f" (at most {MAX_IMPORT_BYTES // 1024} KB)"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not a text file (expected UTF-8 TOML)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None


def export_toml(config: GuildConfig, *, header: str = "") -> str:
    """The config as a TOML file that `import_toml` reads back to an equal config."""
    data = config_to_dict(config)
    data["tokens"]["per_point"] = _toml_number(config.tokens.per_point)
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    return comment + tomli_w.dumps(data)


def _toml_number(value: Decimal) -> int | float | str:
    """A TOML number when it reads back exactly (it does for up to 15 digits), else text."""
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else str(value)


def merged(base: dict, overlay: dict) -> dict:
    """`overlay` over `base`, table by table; anything else in `overlay` (a value, a list such
    as `[[tiers]]`) replaces what `base` has."""
    result = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def changed_keys(before: dict, after: dict, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two config mappings, in key order."""
    found = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            found.extend(changed_keys(old, new, f"{prefix}{key}."))
        elif old != new:
            found.append(f"{prefix}{key}")
    return found
