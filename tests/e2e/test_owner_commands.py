"""End to end: the owners' commands (`/config ...`, `/treasury ...`) for members with Manage
Server, refused to others by Discord and by the bot itself; bad input changes nothing."""

from __future__ import annotations

import tomllib
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.domain.ledger import TREASURY
from bot.emulator import CommandNotPermitted, EmulatorError
from bot.emulator.permissions import DEFAULT_BOT
from bot.store.guilds import GuildRepository
from tests.e2e.harness import live

MANAGE_GUILD = discord.Permissions(manage_guild=True).value
MANAGE_ROLES = discord.Permissions(manage_roles=True).value
REFUSED = "This is an owner command: it needs the Manage Server permission."


def _manager(h, name: str = "manager"):
    """A member whose role grants Manage Server (not the owner, not an administrator)."""
    role = h.guild.create_role("Managers", permissions=MANAGE_GUILD)
    user = h.emu.create_user(name)
    h.guild.add_member(user, roles=[role])
    return user


async def _config(h):
    return (await h.services.ingestor.guild(h.guild.id)).config


async def _stored(h):
    record = await GuildRepository(h.services.db).get(h.guild.id)
    return record.config


async def _set(h, user, key, **options):
    return await h.emu.command(h.guild, h.general, user, "config set", key=key, **options)


async def test_owner_commands_need_manage_server_from_discord_and_from_the_bot(tmp_path):
    async with live(tmp_path, "alice") as (h, (alice,)):
        await h.start_bot()
        manager = _manager(h)
        for name in ("config", "treasury"):
            registered = h.emu.world.commands[None][(1, name)]
            assert registered["default_member_permissions"] == str(MANAGE_GUILD)
            assert registered["contexts"] == [0]  # guild only
        calls = [
            ("config show", {}),
            ("config export", {}),
            ("config import", {"file": ("rules.toml", b'timezone = "Asia/Tokyo"\n')}),
            ("config set", {"key": "timezone", "value": "Asia/Tokyo"}),
            ("config channels count", {"channel": h.general}),
            ("config channels ignore", {"channel": h.general}),
            ("config channels reset", {"channel": h.general}),
            ("config tiers add", {"name": "Gold", "days": 9, "tokens": 5, "freezes": 0}),
            ("config tiers remove", {"name": "Gold"}),
            ("config tiers list", {}),
            ("treasury fund", {"amount": 50}),
            ("treasury show", {}),
        ]
        before = await _config(h)
        for path, options in calls:
            with pytest.raises(CommandNotPermitted):  # Discord hides it from alice
                await h.emu.command(h.guild, h.general, alice, path, **options)
            refused = await h.emu.command(
                h.guild, h.general, alice, path, bypass_default_permissions=True, **options
            )
            assert refused.ephemeral, path
            assert refused.content == REFUSED, path
        assert await _config(h) == before
        assert await h.services.treasury.balance(h.guild.id) == 0
        for path, options in calls:
            reply = await h.emu.command(h.guild, h.general, manager, path, **options)
            assert reply.ephemeral, path
            assert REFUSED not in reply.content, path
            assert not reply.content.startswith("Nothing changed"), (path, reply.content)
        assert (await _config(h)).timezone == "Asia/Tokyo"
        assert await h.services.treasury.balance(h.guild.id) == 50


async def test_config_set_changes_typed_values_and_they_persist(tmp_path):
    async with live(tmp_path) as (h, _):
        await h.start_bot()
        manager = _manager(h)
        reply = await _set(h, manager, "points.reply", value="5")
        assert reply.content == "`points.reply` is now **5** (was **3**)."
        await _set(h, manager, "tokens.per_point", value="0.5")
        await _set(h, manager, "tokens.daily_budget", value="2000")
        await _set(h, manager, "streaks.count", value="reply, mention,reaction")
        await _set(h, manager, "streaks.require_mutual", value="false")
        await _set(h, manager, "points.cooldown_seconds", value="2.5")
        again = await _set(h, manager, "points.reply", value="5")
        assert again.content == "`points.reply` is already **5**."
        config = await _config(h)
        assert config.points.reply == 5
        assert str(config.tokens.per_point) == "0.5"
        assert config.tokens.daily_budget == 2000
        assert config.streaks.count == ("reply", "mention", "reaction")
        assert config.streaks.require_mutual is False
        assert config.points.cooldown_seconds == 2.5
        assert await _stored(h) == config
        shown = await h.emu.command(h.guild, h.general, manager, "config show")
        assert shown.ephemeral
        fields = {field["name"]: field["value"] for field in shown.embeds[0]["fields"]}
        assert "reply **5**" in fields["Points"]
        assert "cooldown **2.5 s**" in fields["Points"]
        assert "Counted: **reply, mention, reaction** · both ways: **no**" in fields["Streaks"]
        assert "**0.5** per point · daily budget **2000**" in fields["Tokens"]
        assert "**Spark** — 3 days · 10 tokens · 0 freezes" in fields["Tiers"]
        await h.restart_bot()
        assert await _config(h) == config


async def test_announce_channel_and_moderation_role_are_discord_options(tmp_path):
    async with live(tmp_path) as (h, _):
        streaks = h.guild.create_text_channel("streaks")
        mods = h.guild.create_role("Mods")
        await h.start_bot()
        manager = _manager(h)
        reply = await _set(h, manager, "announce.channel", channel=streaks)
        assert reply.content == f"`announce.channel` is now <#{streaks.id}> (was **none**)."
        assert reply.message.allowed_mentions == {"parse": []}
        await _set(h, manager, "moderation.role", role=mods)
        config = await _config(h)
        assert (config.announce.channel, config.moderation.role) == (streaks.id, mods.id)
        shown = await h.emu.command(h.guild, h.general, manager, "config show")
        fields = {field["name"]: field["value"] for field in shown.embeds[0]["fields"]}
        assert f"posted in <#{streaks.id}>" in fields["Milestones"]
        assert f"<@&{mods.id}> and Manage Messages" in fields["Moderation"]
        wrong = await _set(h, manager, "points.reply", channel=streaks)
        assert wrong.content == (
            "Nothing changed: the `channel` option goes with `announce.channel`."
        )
        bare = await _set(h, manager, "moderation.role")
        assert bare.content.startswith("Nothing changed: moderation.role: pick it in the `role`")
        everyone = await _set(h, manager, "moderation.role", role=h.guild.everyone)
        assert "@everyone can't be the moderator role" in everyone.content
        await _set(h, manager, "announce.channel", value="none")
        await _set(h, manager, "moderation.role", value="none")
        config = await _config(h)
        assert (config.announce.channel, config.moderation.role) == (None, None)
        hidden = h.guild.create_text_channel("hidden")
        h.guild.set_overwrite(
            hidden, h.guild.bot_role, deny=discord.Permissions(send_messages=True).value
        )
        await h.emu.wait_idle()
        warned = await _set(h, manager, "announce.channel", channel=hidden)
        assert f"I can't post in <#{hidden.id}> yet" in warned.content


async def test_bad_values_get_a_clear_error_and_change_nothing(tmp_path):
    async with live(tmp_path) as (h, _):
        await h.start_bot()
        manager = _manager(h)
        before = await _config(h)
        cases = [
            ("timezone", "Mars/Olympus", "timezone: unknown IANA timezone 'Mars/Olympus'"),
            ("points.reply", "many", "points.reply: expected a whole number, got 'many'"),
            ("points.reply", "-1", "points.reply: Input should be greater than or equal to 0"),
            ("points.cooldown_seconds", "100000", "points.cooldown_seconds: Input should be"),
            ("tokens.per_point", "0.1234567", "tokens.per_point: Decimal input should have no"),
            ("tokens.per_point", "lots", "tokens.per_point: expected a number like 1 or 0.5"),
            ("streaks.count", "reply,hug", "streaks.count.1: Input should be 'reply', 'mention'"),
            ("streaks.require_mutual", "maybe", "streaks.require_mutual: expected true or false"),
        ]
        for key, value, error in cases:
            reply = await _set(h, manager, key, value=value)
            assert reply.ephemeral
            assert reply.content.startswith(f"Nothing changed: {error}"), reply.content
        missing = await _set(h, manager, "points.reply")
        assert missing.content.startswith("Nothing changed: `points.reply` needs a `value`")
        with pytest.raises(EmulatorError):  # Discord itself refuses a key that is no choice
            await _set(h, manager, "tokens.treasury", value="5")
        assert await _config(h) == before
        assert await _stored(h) == before


async def test_a_timezone_change_replans_the_day_close(tmp_path):
    async with live(tmp_path) as (h, _):
        await h.start_bot()
        manager = _manager(h)
        utc = h.services.scheduler.next_run(h.guild.id)
        assert (utc.astimezone(ZoneInfo("UTC")).hour, utc.minute) == (0, 2)
        reply = await _set(h, manager, "timezone", value="asia/tokyo")  # any case will do
        assert "`timezone` is now **Asia/Tokyo** (was **UTC**)." in reply.content
        assert "Days now end at midnight Asia/Tokyo. Next day close: <t:" in reply.content
        tokyo = h.services.scheduler.next_run(h.guild.id).astimezone(ZoneInfo("Asia/Tokyo"))
        assert (tokyo.hour, tokyo.minute) == (0, 2)
        assert (await _config(h)).timezone == "Asia/Tokyo"


async def test_channels_count_ignore_and_reset(tmp_path):
    async with live(tmp_path) as (h, _):
        chat = h.guild.create_text_channel("chat")
        memes = h.guild.create_text_channel("memes")
        await h.start_bot()
        manager = _manager(h)

        async def rule(name, channel):
            path = f"config channels {name}"
            return await h.emu.command(h.guild, h.general, manager, path, channel=channel)

        reply = await rule("count", chat)
        assert reply.content == f"<#{chat.id}> counts. Only these channels count: <#{chat.id}>."
        await rule("ignore", memes)
        channels = (await _config(h)).channels
        assert (channels.counted, channels.ignored) == ((chat.id,), (memes.id,))
        await rule("count", memes)  # from one list to the other
        channels = (await _config(h)).channels
        assert (channels.counted, channels.ignored) == ((chat.id, memes.id), ())
        await rule("reset", chat)
        reply = await rule("reset", memes)
        assert reply.content == f"<#{memes.id}> is on neither list. Every channel counts."
        await rule("ignore", memes)
        shown = await h.emu.command(h.guild, h.general, manager, "config show")
        streaks = shown.embeds[0]["fields"][1]["value"]
        assert f"Every channel counts except <#{memes.id}>." in streaks
        assert (await _stored(h)).channels.ignored == (memes.id,)


async def test_tiers_add_list_and_remove(tmp_path):
    async with live(tmp_path) as (h, _):
        keepers = h.guild.create_role("Gold keepers")
        await h.start_bot()
        manager = _manager(h)

        async def tiers(sub, **options):
            return await h.emu.command(
                h.guild, h.general, manager, f"config tiers {sub}", **options
            )

        added = await tiers("add", name="Gold", days=14, tokens=40, freezes=1, role=keepers)
        assert added.content.startswith("Added **Gold** — 14 days · 40 tokens · 1 freeze · <@&")
        assert "I can't give" in added.content  # the bot lacks Manage Roles
        gold = (await _config(h)).tiers[-1]
        assert (gold.name, gold.days, gold.tokens, gold.freezes) == ("Gold", 14, 40, 1)
        assert gold.role == str(keepers.id)
        twice = await tiers("add", name="Gold", days=20, tokens=1, freezes=0)
        assert twice.content == "Nothing changed: tiers: there is already a tier named 'Gold'"
        listed = await tiers("list")
        lines = listed.embeds[0]["description"].splitlines()
        assert [line.split("**")[1] for line in lines] == [
            "Spark",
            "Flame",
            "Gold",
            "Blaze",
            "Inferno",
        ]
        assert listed.embeds[0]["footer"]["text"] == "5/25 tiers"
        removed = await tiers("remove", name="Spark")
        assert removed.content == "Removed the tier **Spark**; badges earned with it are kept."
        unknown = await tiers("remove", name="Spark")
        assert unknown.content == (
            "Nothing changed: tiers: no tier named 'Spark' (the tiers: Flame, Blaze, Inferno, Gold)"
        )
        assert [t.name for t in (await _stored(h)).tiers] == ["Flame", "Blaze", "Inferno", "Gold"]
        h.guild.set_bot_permissions(DEFAULT_BOT | MANAGE_ROLES)
        silver = h.guild.create_role("Silver keepers")
        await h.emu.wait_idle()
        quiet = await tiers("add", name="Silver", days=10, tokens=20, freezes=0, role=silver)
        assert "I can't give" not in quiet.content


async def test_export_then_import_round_trips(tmp_path):
    async with live(tmp_path) as (h, _):
        streaks = h.guild.create_text_channel("streaks")
        await h.start_bot()
        manager = _manager(h)
        await _set(h, manager, "timezone", value="Europe/Paris")
        await _set(h, manager, "tokens.per_point", value="0.25")
        await _set(h, manager, "announce.channel", channel=streaks)
        await h.emu.command(h.guild, h.general, manager, "config channels ignore", channel=streaks)
        exported = await h.emu.command(h.guild, h.general, manager, "config export")
        assert exported.ephemeral
        [file] = exported.attachments
        assert file.filename == f"streakbot-{h.guild.id}.toml"
        text = file.data.decode()
        assert text.startswith("# Streakbot rules of Test Guild")
        data = tomllib.loads(text)
        assert data["timezone"] == "Europe/Paris"
        assert data["tokens"]["per_point"] == 0.25  # a TOML number, as an owner would write it
        saved = await _config(h)
        await _set(h, manager, "timezone", value="UTC")
        await _set(h, manager, "points.reply", value="9")
        await h.emu.command(h.guild, h.general, manager, "config tiers remove", name="Spark")
        before_import = h.services.scheduler.next_run(h.guild.id)
        imported = await h.emu.command(
            h.guild, h.general, manager, "config import", file=(file.filename, file.data)
        )
        assert imported.ephemeral
        assert imported.content.startswith(
            f"Imported **{file.filename}**. Changed: `points.reply`, `tiers`, `timezone`."
        )
        assert "Days now end at midnight Europe/Paris" in imported.content
        assert await _config(h) == saved
        assert await _stored(h) == saved
        paris = h.services.scheduler.next_run(h.guild.id).astimezone(ZoneInfo("Europe/Paris"))
        assert (paris.hour, paris.minute) == (0, 2)
        assert h.services.scheduler.next_run(h.guild.id) != before_import
        same = await h.emu.command(
            h.guild, h.general, manager, "config import", file=(file.filename, file.data)
        )
        assert same.content == f"Imported **{file.filename}**: it matches the current rules."


async def test_a_bad_import_changes_nothing_and_says_why(tmp_path):
    async with live(tmp_path) as (h, _):
        await h.start_bot()
        manager = _manager(h)
        before = await _config(h)
        cases = [
            ("rules.toml", b"timezone = \n", "rules.toml: not valid TOML: Invalid value"),
            (
                "rules.toml",
                b'[[tiers]]\nname = "Spark"\ndays = 0\n',
                "rules.toml: tiers.0.days: Input should be greater than or equal to 1",
            ),
            ("rules.toml", b"[points]\nreplies = 3\n", "rules.toml: points.replies: unknown key"),
            ("rules.toml", b"\xff\xfe\x00junk", "rules.toml: not a text file"),
            ("my_*rules*.toml", b"x = [", r"my\_\*rules\*.toml: not valid TOML"),  # as text
            ("rules.png", b"\x89PNG", "**rules.png** is not a `.toml` file"),
            ("big.toml", b"#" * (65 * 1024), "**big.toml** is 65 KB; a config file is at most 64"),
        ]
        for filename, data, error in cases:
            reply = await h.emu.command(
                h.guild, h.general, manager, "config import", file=(filename, data)
            )
            assert reply.ephemeral
            assert reply.content.startswith("Nothing changed: "), reply.content
            assert error in reply.content, reply.content
        assert await _config(h) == before
        assert await _stored(h) == before


async def test_an_imported_config_takes_effect(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        manager = _manager(h)
        rules = b'[[tiers]]\nname = "Quick"\ndays = 1\ntokens = 10\n'
        imported = await h.emu.command(
            h.guild, h.general, manager, "config import", file=("quick.toml", rules)
        )
        assert imported.content == "Imported **quick.toml**. Changed: `tiers`."
        await h.emu.command(h.guild, h.general, manager, "treasury fund", amount=1000)
        await h.exchange(alice, bob)
        [result] = await h.midnight()
        assert result.tiers == [(alice.id, bob.id, "Quick")]
        badges = await h.emu.command(h.guild, h.general, alice, "badges")
        assert "**Quick**" in badges.embeds[0]["description"]


async def test_treasury_fund_and_show(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        manager = _manager(h)
        empty = await h.emu.command(h.guild, h.general, manager, "treasury show")
        assert empty.ephemeral
        assert "holds **0** tokens" in empty.embeds[0]["description"]
        assert "`/treasury fund`" in empty.embeds[0]["description"]
        funded = await h.emu.command(h.guild, h.general, manager, "treasury fund", amount=5000)
        assert funded.ephemeral
        assert funded.content == "Added **5,000** tokens: the treasury holds **5,000**."
        async with h.services.db.connection.execute(
            "SELECT key, source, target, amount, reason FROM ledger WHERE guild = ?",
            (h.guild.id,),
        ) as cursor:
            rows = await cursor.fetchall()
        assert rows == [
            (
                f"fund:{h.guild.id}:{funded.interaction_id}",
                None,
                TREASURY,
                5000,
                f"funded by manager ({manager.id})",
            )
        ]
        await h.exchange(alice, bob)
        [result] = await h.midnight()
        assert result.paid == 5  # alice's mention (2) and bob's reply (3) at 1 token a point
        shown = await h.emu.command(h.guild, h.general, manager, "treasury show")
        report = shown.embeds[0]
        assert "holds **4,995** tokens" in report["description"]
        fields = {field["name"]: field["value"] for field in report["fields"]}
        assert fields["Paid by the last 1 day close"] == "**5** tokens"
        assert fields["Daily budget"] == "none"
        assert fields["At that pace"] == "it lasts about **999** more days"
        for amount in (0, 10**12 + 1):  # Discord refuses what the option's range excludes
            with pytest.raises(EmulatorError):
                await h.emu.command(h.guild, h.general, manager, "treasury fund", amount=amount)
        assert await h.services.treasury.balance(h.guild.id) == 4995


async def test_a_long_ladder_is_cut_to_fit_discord(tmp_path):
    async with live(tmp_path) as (h, _):
        await h.start_bot()
        manager = _manager(h)
        names = [f"{n:02d}" + "_" * 62 for n in range(25)]  # 64 characters, all escaped
        rules = "".join(
            f'[[tiers]]\nname = "{name}"\ndays = {n + 1}\n' for n, name in enumerate(names)
        )
        await h.emu.command(
            h.guild, h.general, manager, "config import", file=("long.toml", rules.encode())
        )
        shown = await h.emu.command(h.guild, h.general, manager, "config show")
        tiers = shown.embeds[0]["fields"][-1]["value"]
        assert len(tiers) <= 1024
        assert tiers.startswith("**00\\_")
        assert tiers.endswith("more (`/config export` lists them all)")
        listed = await h.emu.command(h.guild, h.general, manager, "config tiers list")
        assert len(listed.embeds[0]["description"]) <= 4096
        assert listed.embeds[0]["footer"]["text"] == "25/25 tiers"
