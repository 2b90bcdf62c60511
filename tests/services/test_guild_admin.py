"""GuildAdmin on real SQLite: owners' config changes are validated whole, saved and applied at
once (the day close re-planned on a timezone change), or refused naming the key with nothing
changed; TOML export and import round-trip; treasury funding and its report."""

from __future__ import annotations

import asyncio
import tomllib
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.domain.ledger import TREASURY
from bot.guild_config import ConfigError, GuildConfig, parse_config
from bot.scheduler import DayCloseScheduler
from bot.services.day_close import DayCloser
from bot.services.guild_admin import (
    MAX_FUND,
    MAX_IMPORT_BYTES,
    MAX_TIERS,
    GuildAdmin,
    changed_keys,
    export_toml,
    merged,
    parse_setting,
    read_toml,
)
from bot.services.ingest import Ingestor
from bot.services.intake import Intake
from bot.services.treasury import TreasuryService
from bot.store.database import Database
from bot.store.guilds import GuildRepository
from tests.services.builders import A, B, Events, G, at, config, day, points, rows, snapshot

# The bot's defaults for new guilds differ from the built-in ones: an import falls back to them.
DEFAULTS = config(points={"reply": 4})


@pytest.fixture
async def admin(db: Database, clock: ManualClock):
    ingestor = Ingestor(db, DEFAULTS)
    intake = Intake(ingestor)
    scheduler = DayCloseScheduler(DayCloser(db, ingestor, clock), intake)
    scheduler.start()
    await ingestor.guild(G)
    scheduler.plan(G, ZoneInfo("UTC"))
    try:
        yield GuildAdmin(db, clock, ingestor, scheduler, TreasuryService(db, clock), DEFAULTS)
    finally:
        scheduler.shutdown()
        await intake.stop()


async def stored(db: Database) -> GuildConfig:
    record = await GuildRepository(db).get(G)
    assert record is not None
    return record.config


def local_close(admin: GuildAdmin, zone: str) -> tuple[int, int]:
    next_run = admin.scheduler.next_run(G)
    assert next_run is not None
    local = next_run.astimezone(ZoneInfo(zone))
    return local.hour, local.minute


# -- one key ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("points.reply", " 5 ", 5),
        ("points.cooldown_seconds", "60", 60),
        ("points.cooldown_seconds", "2.5", 2.5),
        ("tokens.per_point", "0.5", Decimal("0.5")),
        ("streaks.count", "Reply, mention reaction", ["reply", "mention", "reaction"]),
        ("streaks.require_mutual", "off", False),
        ("announce.mention_members", "YES", True),
        ("timezone", "Europe/Paris", "Europe/Paris"),
        ("timezone", "america/new_york", "America/New_York"),
        ("announce.channel", "none", None),
        ("moderation.role", "None", None),
    ],
)
def test_a_setting_is_read_with_its_type(key, text, value):
    assert parse_setting(key, text) == value


@pytest.mark.parametrize(
    ("key", "text", "error"),
    [
        ("points.reply", "2.5", "points.reply: expected a whole number, got '2.5'"),
        ("points.cooldown_seconds", "soon", "points.cooldown_seconds: expected a number of"),
        ("tokens.per_point", "half", "tokens.per_point: expected a number like 1 or 0.5"),
        ("tokens.per_point", "Infinity", "tokens.per_point: expected a number like 1 or 0.5"),
        ("streaks.count", " , ", "streaks.count: name at least one of reply, mention"),
        ("streaks.require_mutual", "2", "streaks.require_mutual: expected true or false"),
        ("announce.channel", "123", "announce.channel: pick it in the `channel` option"),
        ("tokens.treasury", "5", "tokens.treasury: not a key /config set changes"),
    ],
)
def test_a_setting_of_the_wrong_type_is_refused_naming_the_key(key, text, error):
    with pytest.raises(ConfigError) as raised:
        parse_setting(key, text)
    assert str(raised.value).startswith(error)


async def test_a_change_is_saved_and_applied_to_ingest_at_once(admin, db):
    change = await admin.set_value(G, "points.mention", 7)
    assert change.changed == ["points.mention"]
    assert (change.before.points.mention, change.after.points.mention) == (2, 7)
    assert (await admin.config(G)).points.mention == 7
    assert await stored(db) == change.after
    events = Events()
    await admin.ingestor.ingest([events.message(A, at(1, 10), mentions=(B,))])
    await admin.ingestor.flush()
    assert (await points(db, 1))[A] == 7  # a mention's points, as just set


async def test_an_invalid_change_names_the_key_and_changes_nothing(admin, db):
    before = await snapshot(db)
    config_before = await admin.config(G)
    with pytest.raises(ConfigError, match=r"^points.reply: Input should be greater than or eq"):
        await admin.set_value(G, "points.reply", -1)
    with pytest.raises(ConfigError, match=r"^timezone: unknown IANA timezone 'Mars/Base'"):
        await admin.set_value(G, "timezone", "Mars/Base")
    with pytest.raises(ConfigError, match=r"^tokens.per_point: Decimal input should have no more"):
        await admin.set_value(G, "tokens.per_point", Decimal("0.1234567"))
    with pytest.raises(ConfigError, match=r"^points.reply: needs a value$"):
        await admin.set_value(G, "points.reply", None)
    with pytest.raises(ConfigError, match=r"^tokens.treasury: not a key /config set changes$"):
        await admin.set_value(G, "tokens.treasury", 5)
    assert await snapshot(db) == before
    assert await admin.config(G) == config_before
    assert local_close(admin, "UTC") == (0, 2)


async def test_optional_keys_are_set_and_unset(admin):
    await admin.set_value(G, "announce.channel", 555)
    await admin.set_value(G, "moderation.role", 777)
    config = await admin.config(G)
    assert (config.announce.channel, config.moderation.role) == (555, 777)
    change = await admin.set_value(G, "announce.channel", None)
    assert change.changed == ["announce.channel"]
    assert change.after.announce.channel is None
    assert change.after.moderation.role == 777


async def test_a_timezone_change_replans_the_day_close(admin, db):
    change = await admin.set_value(G, "timezone", "Asia/Tokyo")
    assert change.timezone_changed
    assert local_close(admin, "Asia/Tokyo") == (0, 2)
    assert (await stored(db)).timezone == "Asia/Tokyo"
    other = await admin.set_value(G, "points.reply", 5)
    assert not other.timezone_changed
    assert local_close(admin, "Asia/Tokyo") == (0, 2)


async def test_concurrent_changes_are_all_kept(admin, db):
    await asyncio.gather(
        admin.set_value(G, "points.reply", 9),
        admin.set_value(G, "points.mention", 8),
        admin.set_value(G, "tokens.daily_budget", 700),
    )
    config = await stored(db)
    assert (config.points.reply, config.points.mention, config.tokens.daily_budget) == (9, 8, 700)


# -- channels and tiers ---------------------------------------------------------------------------


async def test_a_channel_is_on_one_list_at_most(admin):
    await admin.channel_rule(G, 11, "count")
    await admin.channel_rule(G, 11, "count")
    await admin.channel_rule(G, 12, "ignore")
    channels = (await admin.config(G)).channels
    assert (channels.counted, channels.ignored) == ((11,), (12,))
    await admin.channel_rule(G, 12, "count")
    channels = (await admin.config(G)).channels
    assert (channels.counted, channels.ignored) == ((11, 12), ())
    change = await admin.channel_rule(G, 11, "reset")
    assert change.changed == ["channels.counted"]
    assert change.after.channels.counts(11) is False  # only 12 counts now
    await admin.channel_rule(G, 12, "reset")
    assert (await admin.config(G)).channels.counts(11)


async def test_tiers_are_added_and_removed_by_name(admin, db):
    change = await admin.add_tier(G, " Gold ", days=14, tokens=40, freezes=1, role="999")
    gold = change.after.tiers[-1]
    assert (gold.name, gold.days, gold.tokens, gold.freezes, gold.role) == (
        "Gold",
        14,
        40,
        1,
        "999",
    )
    with pytest.raises(ConfigError, match=r"^tiers: there is already a tier named 'Gold'$"):
        await admin.add_tier(G, "Gold", days=20, tokens=0, freezes=0)
    with pytest.raises(ConfigError, match=r"^tiers.5.days: Input should be greater than or eq"):
        await admin.add_tier(G, "Zero", days=0, tokens=0, freezes=0)
    await admin.remove_tier(G, "Spark")
    with pytest.raises(ConfigError, match=r"^tiers: no tier named 'Spark' \(the tiers: Flame, "):
        await admin.remove_tier(G, "Spark")
    names = [tier.name for tier in (await stored(db)).tiers]
    assert names == ["Flame", "Blaze", "Inferno", "Gold"]
    for name in names:
        await admin.remove_tier(G, name)
    assert (await admin.config(G)).tiers == ()  # no tiers is a valid ladder too


async def test_a_guild_has_at_most_so_many_tiers(admin):
    for n in range(MAX_TIERS - 4):
        await admin.add_tier(G, f"T{n}", days=200 + n, tokens=0, freezes=0)
    with pytest.raises(ConfigError, match=f"at most {MAX_TIERS} tiers"):
        await admin.add_tier(G, "One too many", days=1000, tokens=0, freezes=0)
    assert len((await admin.config(G)).tiers) == MAX_TIERS


# -- TOML files ------------------------------------------------------------------------------------


async def test_export_then_import_gives_the_same_config(admin, db):
    await admin.set_value(G, "timezone", "Europe/Paris")
    await admin.set_value(G, "announce.channel", 555)
    await admin.channel_rule(G, 12, "ignore")
    await admin.add_tier(G, "Gold", days=14, tokens=40, freezes=1, role="Gold keepers")
    for per_point in ("0.333333", "2.5", "1000", "0.000001"):
        await admin.set_value(G, "tokens.per_point", Decimal(per_point))
        saved = await admin.config(G)
        text = export_toml(saved, header="exported\nfor a test")
        assert text.startswith("# exported\n# for a test\n")
        assert not isinstance(tomllib.loads(text)["tokens"]["per_point"], str)
        await admin.set_value(G, "points.reply", 9)
        change = await admin.import_toml(G, text.encode(), source="rules.toml")
        assert change.changed == ["points.reply"]
        assert change.after == saved
        assert await stored(db) == saved


async def test_an_import_replaces_the_config_and_missing_keys_take_the_defaults(admin):
    await admin.set_value(G, "points.mention", 9)
    raw = b'timezone = "Asia/Tokyo"\n[[tiers]]\nname = "Quick"\ndays = 1\ntokens = 5\n'
    change = await admin.import_toml(G, raw, source="rules.toml")
    assert change.changed == ["points.mention", "tiers", "timezone"]
    after = change.after
    assert after.points.mention == DEFAULTS.points.mention
    assert after.points.reply == 4  # the bot's default for new guilds, not the built-in 3
    assert [tier.name for tier in after.tiers] == ["Quick"]
    assert local_close(admin, "Asia/Tokyo") == (0, 2)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"timezone = \n", "rules.toml: not valid TOML: Invalid value (at line 1, column 12)"),
        (b"\xff\xfe\x00x", "rules.toml: not a text file (expected UTF-8 TOML)"),
        (b"[points]\nreplies = 3\n", "rules.toml: points.replies: unknown key"),
        (b'timezone = "Nowhere/Land"\n', "rules.toml: timezone: unknown IANA timezone"),
        (b"[[tiers]]\nname = 'A'\ndays = 2\n[[tiers]]\nname = 'A'\ndays = 3\n", "unique"),
        (b"#" * (MAX_IMPORT_BYTES + 1), "rules.toml: 65,537 bytes is too big for a config"),
    ],
)
async def test_a_bad_file_is_refused_whole(admin, db, raw, error):
    await admin.set_value(G, "points.reply", 9)
    before = await snapshot(db)
    with pytest.raises(ConfigError) as raised:
        await admin.import_toml(G, raw, source="rules.toml")
    assert error in str(raised.value)
    assert await snapshot(db) == before
    assert (await admin.config(G)).points.reply == 9


async def test_a_file_with_a_byte_order_mark_is_read():
    raw = '\ufefftimezone = "Europe/Paris"\n'.encode()
    assert read_toml(raw, source="x.toml") == {"timezone": "Europe/Paris"}


def test_merging_goes_table_by_table_and_lists_replace():
    base = {"points": {"reply": 3, "mention": 2}, "tiers": [{"name": "A"}], "timezone": "UTC"}
    overlay = {"points": {"reply": 5}, "tiers": []}
    assert merged(base, overlay) == {
        "points": {"reply": 5, "mention": 2},
        "tiers": [],
        "timezone": "UTC",
    }
    assert base["points"]["reply"] == 3  # the base is left as it was


def test_changed_keys_are_dotted_and_sorted():
    before = {"a": {"x": 1, "y": 2}, "b": [1], "c": 1}
    after = {"a": {"x": 1, "y": 3, "z": 0}, "b": [1, 2], "c": 1}
    assert changed_keys(before, after) == ["a.y", "a.z", "b"]


def test_export_keeps_a_per_point_exactly():
    cfg = parse_config({"tokens": {"per_point": "0.1"}})
    data = tomllib.loads(export_toml(cfg))
    assert data["tokens"]["per_point"] == 0.1
    assert parse_config(data) == cfg


# -- treasury --------------------------------------------------------------------------------------


async def test_funding_happens_once_per_key_and_names_the_funder(admin, db):
    first = await admin.fund(G, 500, key="fund:1:42", funder=A, funder_name="alice")
    again = await admin.fund(G, 500, key="fund:1:42", funder=A, funder_name="alice")
    assert (first.funded, first.balance) == (True, 500)
    assert (again.funded, again.balance) == (False, 500)
    assert await rows(db, "SELECT key, source, target, amount, reason FROM ledger") == [
        ("fund:1:42", None, TREASURY, 500, f"funded by alice ({A})")
    ]
    for amount in (0, -5, MAX_FUND + 1):
        with pytest.raises(ValueError, match="a funding is 1 to"):
            await admin.fund(G, amount, key=f"fund:1:{amount}", funder=A, funder_name="alice")


async def test_funding_a_guild_not_seen_yet_registers_it(admin):
    funding = await admin.fund(2, 10, key="fund:2:1", funder=A, funder_name="alice")
    assert funding == type(funding)(True, 10)


async def test_the_report_sums_what_the_last_seven_closes_paid(admin, clock):
    await admin.fund(G, 10_000, key="fund", funder=A, funder_name="alice")
    ev = Events()
    closer = DayCloser(admin.db, admin.ingestor, clock)
    paid = []
    for n in range(1, 10):
        await admin.ingestor.ingest(ev.mutual(A, B, at(n)))
        clock.set(at(n + 1, 0, 5))
        [result] = await closer.close_through(G, day(n))
        paid.append(result.paid)
    await admin.set_value(G, "tokens.daily_budget", 300)
    report = await admin.treasury_report(G)
    assert (report.balance, report.paid, report.days, report.daily_budget) == (
        10_000 - sum(paid),
        sum(paid[-7:]),  # the closes of days 3 to 9
        7,
        300,
    )
    assert report.days_left == report.balance * 7 // report.paid
