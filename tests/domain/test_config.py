"""bot/guild_config.py: the shipped defaults, optional keys, refusals that name the key."""

from __future__ import annotations

import json
import tomllib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from bot.guild_config import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_TIERS,
    ConfigError,
    GuildConfig,
    Tier,
    config_to_dict,
    load_config,
    parse_config,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "guild.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- shipped defaults -----------------------------------------------------------------------


def test_shipped_default_file_equals_the_built_in_defaults():
    """data/default_config.toml and GuildConfig() must never drift apart."""
    assert DEFAULT_CONFIG_PATH.is_file()
    assert load_config(DEFAULT_CONFIG_PATH) == GuildConfig()
    assert load_config() == GuildConfig()


def test_shipped_default_file_lists_every_key():
    """The shipped file documents every key: it holds exactly the keys of the schema."""
    shipped = tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    built_in = config_to_dict(GuildConfig())
    assert shipped.keys() == built_in.keys()
    for section in (
        "announce",
        "channels",
        "moderation",
        "shop",
        "reminders",
        "fraud",
        "streaks",
        "points",
        "tokens",
    ):
        assert shipped[section].keys() == built_in[section].keys(), section
    assert [tier.keys() for tier in shipped["tiers"]] == [tier.keys() for tier in built_in["tiers"]]


def test_defaults_are_the_specified_values():
    """The spec's defaults: UTC, mutual reply+mention, 1/2/3/1 points, 60 s cooldown."""
    config = GuildConfig()
    assert config.timezone == "UTC"
    assert (config.streaks.require_mutual, config.streaks.count) == (True, ("reply", "mention"))
    assert config.streaks.max_freezes == 2
    points = config.points
    assert (points.message, points.mention, points.reply, points.reaction) == (1, 2, 3, 1)
    assert (points.cooldown_seconds, points.daily_cap) == (60, 0)
    assert (config.tokens.per_point, config.tokens.daily_budget) == (Decimal(1), 0)
    assert config.tokens.treasury == 1_000_000


# --- every key optional ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [{}, {"streaks": {}}, {"points": {}}, {"tokens": {}}, {"streaks": {}, "points": {}}],
)
def test_every_key_is_optional(data: dict):
    """An empty config, or empty sections, give the defaults."""
    assert parse_config(data) == GuildConfig()


def test_one_key_overrides_only_itself(tmp_path: Path):
    """A config naming one key keeps every other default."""
    config = load_config(write(tmp_path, "[points]\nreply = 5\n"))
    assert config.points.reply == 5
    assert config.points.mention == 2
    assert config.streaks == GuildConfig().streaks
    assert config.tiers == DEFAULT_TIERS


def test_tiers_replace_the_default_ladder_as_a_whole():
    """A [[tiers]] list replaces the shipped tiers; omitted tier keys default to 0."""
    config = parse_config({"tiers": [{"name": "Ember", "days": 2}]})
    assert config.tiers == (Tier(name="Ember", days=2, tokens=0, freezes=0),)


def test_empty_toml_file_is_valid(tmp_path: Path):
    assert load_config(write(tmp_path, "# nothing to change\n")) == GuildConfig()


# --- refusals name the key ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"points": {"rply": 3}}, "points.rply"),
        ({"timezon": "UTC"}, "timezon"),
        ({"streaks": {"max_freeze": 1}}, "streaks.max_freeze"),
        ({"tokens": {"budget": 5}}, "tokens.budget"),
        ({"tiers": [{"name": "A", "days": 1, "badge": "x"}]}, "tiers.0.badge"),
    ],
)
def test_unknown_key_is_refused_naming_it(data: dict, key: str):
    """A typo must not silently fall back to a default."""
    with pytest.raises(ConfigError, match="unknown key") as error:
        parse_config(data)
    assert f"{key}:" in str(error.value)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Europe/Pariss", "", "UTC+2"])
def test_unknown_timezone_is_refused_naming_timezone(zone: str):
    """Rule 1 needs a real IANA zone: an unknown one is refused, naming `timezone`."""
    with pytest.raises(ConfigError) as error:
        parse_config({"timezone": zone})
    assert "timezone:" in str(error.value)


def test_unknown_timezone_in_a_file_names_file_and_key(tmp_path: Path):
    path = write(tmp_path, 'timezone = "Europe/Atlantis"\n')
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert str(path) in message
    assert "timezone" in message
    assert "Europe/Atlantis" in message


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"points": {"message": -1}}, "points.message"),
        ({"points": {"mention": -1}}, "points.mention"),
        ({"points": {"reply": -1}}, "points.reply"),
        ({"points": {"reaction": -1}}, "points.reaction"),
        ({"points": {"cooldown_seconds": -0.5}}, "points.cooldown_seconds"),
        ({"points": {"daily_cap": -1}}, "points.daily_cap"),
        ({"tokens": {"per_point": -0.5}}, "tokens.per_point"),
        ({"tokens": {"daily_budget": -1}}, "tokens.daily_budget"),
        ({"tokens": {"treasury": -1}}, "tokens.treasury"),
        ({"streaks": {"max_freezes": -1}}, "streaks.max_freezes"),
        ({"tiers": [{"name": "A", "days": 3, "tokens": -1}]}, "tiers.0.tokens"),
        ({"tiers": [{"name": "A", "days": 3, "freezes": -1}]}, "tiers.0.freezes"),
        ({"tiers": [{"name": "A", "days": 0}]}, "tiers.0.days"),
    ],
)
def test_negative_values_are_refused_naming_the_key(data: dict, key: str):
    """Counts, points and tokens cannot be negative (a tier needs at least one day)."""
    with pytest.raises(ConfigError) as error:
        parse_config(data)
    assert f"{key}:" in str(error.value)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"streaks": {"count": ["reply", "hug"]}}, "streaks.count.1"),
        ({"streaks": {"count": []}}, "streaks.count"),
        ({"streaks": {"count": ["reply", "reply"]}}, "streaks.count"),
        ({"points": {"reply": 2.5}}, "points.reply"),
        ({"tiers": [{"days": 3}]}, "tiers.0.name"),
        ({"tiers": [{"name": "", "days": 3}]}, "tiers.0.name"),
        ({"points": 3}, "points"),
    ],
)
def test_other_invalid_values_are_refused_naming_the_key(data: dict, key: str):
    """Rule 6 needs known exchange kinds; points are whole numbers; tiers need a name."""
    with pytest.raises(ConfigError) as error:
        parse_config(data)
    assert f"{key}:" in str(error.value)


def test_every_bad_key_is_named_at_once():
    """A config with several mistakes reports all of them, not only the first."""
    with pytest.raises(ConfigError) as error:
        parse_config({"points": {"reply": -1, "rply": 1}, "timezone": "Nowhere/Land"})
    message = str(error.value)
    assert "points.reply:" in message
    assert "points.rply:" in message
    assert "timezone:" in message


def test_duplicate_tier_names_are_refused():
    """Badges are named by tier: two tiers with one name would be one badge."""
    tiers = [{"name": "Spark", "days": 3}, {"name": "Spark", "days": 5}]
    with pytest.raises(ConfigError, match="tiers") as error:
        parse_config({"tiers": tiers})
    assert "Spark" in str(error.value)


def test_tiers_with_the_same_days_but_different_names_are_allowed():
    """Rule 8: two tiers may share their days (both fire)."""
    tiers = [{"name": "Spark", "days": 3}, {"name": "Pin", "days": 3}]
    assert [tier.name for tier in parse_config({"tiers": tiers}).tiers] == ["Spark", "Pin"]


# --- exact decimals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "decimal"),
    [
        ("per_point = 0.1", Decimal("0.1")),
        ("per_point = 0.29", Decimal("0.29")),
        ("per_point = 1.25", Decimal("1.25")),
        ("per_point = 0.5", Decimal("0.5")),
        ("per_point = 2", Decimal(2)),
        ('per_point = "0.1"', Decimal("0.1")),
    ],
)
def test_rule_10_per_point_decimals_are_kept_exact(tmp_path: Path, toml: str, decimal: Decimal):
    """Rule 10: per_point 0.1 is exactly one tenth, not the binary float nearest to it."""
    config = load_config(write(tmp_path, f"[tokens]\n{toml}\n"))
    assert config.tokens.per_point == decimal
    assert str(config.tokens.per_point) == str(decimal)
    assert config.tokens.per_point_fraction == Fraction(decimal)


def test_rule_10_per_point_fraction_of_a_tenth():
    """Rule 10: the TOML float 0.1 becomes the fraction 1/10, not 3602879701896397/2**55."""
    config = parse_config({"tokens": {"per_point": 0.1}})
    assert Fraction(0.1) != Fraction(1, 10)
    assert config.tokens.per_point_fraction == Fraction(1, 10)


# --- files ----------------------------------------------------------------------------------


def test_malformed_toml_is_refused_naming_the_file(tmp_path: Path):
    path = write(tmp_path, "[points\nreply = 3\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value)


def test_missing_file_is_refused_naming_the_file(tmp_path: Path):
    path = tmp_path / "absent.toml"
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value)


def test_invalid_value_in_a_file_names_file_and_key(tmp_path: Path):
    path = write(tmp_path, "[points]\ncooldown_seconds = -5\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value)
    assert "points.cooldown_seconds" in str(error.value)


# --- round trip -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {},
        {
            "timezone": "Pacific/Chatham",
            "streaks": {"require_mutual": False, "count": ["reaction"], "max_freezes": 0},
            "points": {"message": 0, "reply": 9, "cooldown_seconds": 2.5, "daily_cap": 40},
            "tokens": {"per_point": 0.1, "daily_budget": 500, "treasury": 7},
            "tiers": [
                {"name": "Pin", "days": 3, "tokens": 1, "freezes": 2},
                {"name": "Spark", "days": 3, "tokens": 10},
                {"name": "Ember", "days": 1},
            ],
        },
        {"tokens": {"per_point": "0.000001"}, "tiers": []},
    ],
)
def test_config_to_dict_round_trips_through_parse_config(data: dict):
    """What the store saves (config_to_dict as JSON) reads back to an equal config."""
    config = parse_config(data)
    dumped = config_to_dict(config)
    assert parse_config(dumped) == config
    reread = parse_config(json.loads(json.dumps(dumped)))
    assert reread == config
    assert str(reread.tokens.per_point) == str(config.tokens.per_point)
    assert reread.tiers_by_days == config.tiers_by_days


def test_announce_channel_and_tier_roles_are_optional_and_round_trip():
    config = parse_config(
        {
            "announce": {"channel": 1234567890123456789, "mention_members": True},
            "tiers": [{"name": "Spark", "days": 3, "role": "Spark keepers"}],
        }
    )
    assert config.announce.channel == 1234567890123456789
    assert config.tiers[0].role == "Spark keepers"
    assert parse_config(config_to_dict(config)) == config


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"announce": {"channel": "general"}}, "announce.channel"),
        ({"announce": {"channel": 0}}, "announce.channel"),
        ({"announce": {"mention_members": "yes"}}, "announce.mention_members"),
        ({"tiers": [{"name": "Spark", "days": 3, "role": ""}]}, "tiers.0.role"),
    ],
)
def test_bad_announce_or_role_names_the_key(data, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        parse_config(data)


@pytest.mark.parametrize(
    ("fraud", "message"),
    [
        ({"min_chars": "3"}, "fraud.min_chars: expected a whole number"),
        ({"enabled": 1}, "fraud.enabled: expected true or false"),
        ({"hold_threshold": 2}, "fraud.hold_threshold is between 0 and 1"),
        ({"on_expiry": "burn"}, "fraud.on_expiry is one of"),
        ({"bogus": 1}, "fraud.bogus"),
    ],
)
def test_fraud_settings_are_checked_and_name_the_key(fraud, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        parse_config({"fraud": fraud})


def test_fraud_settings_round_trip_and_can_be_turned_off():
    config = parse_config({"fraud": {"enabled": False, "min_chars": 4, "hold_days": 3}})
    assert (config.fraud.enabled, config.fraud.min_chars, config.fraud.hold_days) == (False, 4, 3)
    assert parse_config(config_to_dict(config)) == config
