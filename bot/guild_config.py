"""A guild's rules: the TOML schema of `data/default_config.toml`, validated with pydantic.

Every key is optional; a missing key takes the shipped default. A `[[tiers]]` list, when given,
replaces the default tiers as a whole (tiers are a ladder, merging two ladders would surprise).
"""

from __future__ import annotations

import dataclasses
import tomllib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.domain.fraud.thresholds import FraudThresholds

ExchangeKind = Literal["reply", "mention", "reaction"]

# TOML has real types: "3" or true where a number belongs is a mistake to report, not coerce.
NonNegative = Annotated[int, Strict(), Field(ge=0)]

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "data" / "default_config.toml"


class ConfigError(ValueError):
    """A config that cannot be used; the message names the offending key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StreaksConfig(_Section):
    require_mutual: StrictBool = True
    count: tuple[ExchangeKind, ...] = ("reply", "mention")
    max_freezes: NonNegative = 2

    @field_validator("count")
    @classmethod
    def _non_empty_unique(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        if not kinds:
            raise ValueError("must name at least one kind of exchange")
        if len(set(kinds)) != len(kinds):
            raise ValueError("lists a kind twice")
        return kinds


class PointsConfig(_Section):
    message: NonNegative = 1
    mention: NonNegative = 2
    reply: NonNegative = 3
    reaction: NonNegative = 1
    cooldown_seconds: Annotated[float, Strict(), Field(ge=0, le=86_400, allow_inf_nan=False)] = 60
    daily_cap: NonNegative = 0


class TokensConfig(_Section):
    per_point: Annotated[Decimal, Field(ge=0, le=1000, decimal_places=6)] = Decimal(1)
    daily_budget: NonNegative = 0
    treasury: NonNegative = 1_000_000

    @field_validator("per_point", mode="before")
    @classmethod
    def _exact_decimal(cls, value: object) -> object:
        # TOML floats arrive as binary floats: go through their shortest repr, not their bits.
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ValueError("must be a number, e.g. 1 or 0.5")
        return Decimal(str(value)) if isinstance(value, float) else value

    @property
    def per_point_fraction(self) -> Fraction:
        return Fraction(self.per_point)


class Tier(_Section):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    days: Annotated[int, Field(ge=1)]
    tokens: NonNegative = 0
    freezes: NonNegative = 0
    role: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    """The Discord role granted at this tier: a role ID, or a name (created on first use)."""


DEFAULT_TIERS = (
    Tier(name="Spark", days=3, tokens=10, freezes=0),
    Tier(name="Flame", days=7, tokens=25, freezes=1),
    Tier(name="Blaze", days=30, tokens=100, freezes=1),
    Tier(name="Inferno", days=100, tokens=500, freezes=2),
)


Snowflake = Annotated[int, Strict(), Field(gt=0, lt=2**63)]


class AnnounceConfig(_Section):
    channel: Snowflake | None = None
    """Where milestone messages go; none are sent without it."""
    mention_members: StrictBool = False
    """Whether a milestone message pings the pair (it never pings anyone else)."""


class ChannelsConfig(_Section):
    counted: tuple[Snowflake, ...] = ()
    """Only these channels count (empty: every channel)."""
    ignored: tuple[Snowflake, ...] = ()
    """These channels never count."""

    def counts(self, channel: int) -> bool:
        return channel not in self.ignored and (not self.counted or channel in self.counted)


class ModerationConfig(_Section):
    role: Snowflake | None = None
    """Members with this role may use the moderator commands (as may Manage Messages)."""
    log_channel: Snowflake | None = None
    """Where the bot tells moderators that a day close held rewards for review (none: nowhere;
    /mod review still lists them)."""
    kick_suspend_days: NonNegative = 7
    """A kicked member is suspended from rewards this many days (0: not at all). A timed-out
    member is suspended while timed out; a banned one until unsuspended."""


class ShopItem(_Section):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    role: Snowflake
    price: Annotated[int, Strict(), Field(ge=1)]


class ShopConfig(_Section):
    freeze_price: Annotated[int, Strict(), Field(ge=1)] = 50
    restore_price: Annotated[int, Strict(), Field(ge=1)] = 150
    restore_hours: Annotated[int, Strict(), Field(ge=1, le=24 * 14)] = 48
    """How long after a streak broke it can still be restored (once per run)."""
    roles: tuple[ShopItem, ...] = ()


class RemindersConfig(_Section):
    hours_before: Annotated[int, Strict(), Field(ge=1, le=23)] = 3
    """Opted-in members are reminded this long before the guild's midnight."""


class CommunityConfig(_Section):
    sponsor_role: Snowflake | None = None
    """Members with this role may fund sponsored pools (as may anyone with Manage Server)."""


class GuildConfig(_Section):
    timezone: str = "UTC"
    announce: AnnounceConfig = AnnounceConfig()
    channels: ChannelsConfig = ChannelsConfig()
    moderation: ModerationConfig = ModerationConfig()
    shop: ShopConfig = ShopConfig()
    reminders: RemindersConfig = RemindersConfig()
    community: CommunityConfig = CommunityConfig()
    fraud: FraudThresholds = FraudThresholds()
    """The anti-fraud signals' thresholds (docs/fraud.md); validated by the domain itself."""
    streaks: StreaksConfig = StreaksConfig()
    points: PointsConfig = PointsConfig()
    tokens: TokensConfig = TokensConfig()
    tiers: tuple[Tier, ...] = DEFAULT_TIERS

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {name!r} (e.g. 'Europe/Paris')") from None
        return name

    @field_validator("fraud", mode="before")
    @classmethod
    def _fraud_types(cls, value: object) -> object:
        # TOML has real types: a quoted number or a 0/1 for a switch is a mistake to report.
        if isinstance(value, FraudThresholds):
            return value
        if not isinstance(value, dict):
            raise ValueError("must be a table of settings")
        kinds = {f.name: str(f.type) for f in dataclasses.fields(FraudThresholds)}
        for key, given in value.items():
            kind = kinds.get(key)  # an unknown key is reported by the dataclass itself
            number = isinstance(given, int | float) and not isinstance(given, bool)
            fits = {
                "bool": isinstance(given, bool),
                "int": number and isinstance(given, int),
                "float": number,
                "str": isinstance(given, str),
            }.get(kind, True)
            if not fits:
                names = {"bool": "true or false", "int": "a whole number", "float": "a number",
                         "str": "a string"}  # fmt: skip
                raise ValueError(f"fraud.{key}: expected {names[kind]}, got {given!r}")
        return value

    @model_validator(mode="after")
    def _unique_tier_names(self) -> GuildConfig:
        names = [tier.name for tier in self.tiers]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"tiers: names must be unique, repeated: {', '.join(duplicates)}")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def tiers_by_days(self) -> tuple[Tier, ...]:
        """Tiers in ladder order (by days, then as written); badges are listed in this order."""
        return tuple(sorted(self.tiers, key=lambda tier: tier.days))


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        message = message.removeprefix("Value error, ")
        lines.append(f"{key}: {message}")
    return "; ".join(lines)


def parse_config(data: dict, *, source: str = "config") -> GuildConfig:
    """Validate a config mapping; raise ConfigError naming each bad key."""
    try:
        return GuildConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{source}: {_describe(error)}") from None


def load_config(path: Path | None = None) -> GuildConfig:
    """Load a TOML config file; without a path, the shipped defaults (or the built-in ones)."""
    if path is None:
        if not DEFAULT_CONFIG_PATH.exists():
            return GuildConfig()
        path = DEFAULT_CONFIG_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return parse_config(data, source=str(path))


def config_to_dict(config: GuildConfig) -> dict:
    """A JSON/TOML-ready mapping that `parse_config` reads back to an equal config."""
    data = config.model_dump(mode="json", exclude_none=True)  # TOML has no null: unset = absent
    data["tokens"]["per_point"] = str(config.tokens.per_point)
    return data
