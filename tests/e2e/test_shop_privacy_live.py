"""End to end: the shop, reminders and privacy commands of the live bot against the emulator."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from types import SimpleNamespace

import discord
import orjson

from bot.emulator.permissions import DEFAULT_BOT
from bot.store.ledger import LedgerRepository
from tests.e2e.harness import live

MANAGE_ROLES = discord.Permissions(manage_roles=True).value
SPARK = [{"name": "Spark", "days": 1, "tokens": 200}]
"""Each member of a new pair earns 200 tokens on its first day: something to spend."""


async def _funded(h, **sections):
    await h.start_bot()
    await h.configure(tiers=SPARK, **sections)
    await h.services.treasury.fund(h.guild.id, 100_000, key="fund:test")


async def _tokens(h, user) -> int:
    return await LedgerRepository(h.services.db).balance(h.guild.id, user.id)


async def _conserved(h) -> None:
    totals = await LedgerRepository(h.services.db).totals(h.guild.id)
    assert totals.funded == totals.held == 100_000
    assert totals.mismatched_accounts == 0
    assert h.emu.internal_errors == []


# -- the shop ---------------------------------------------------------------------------------


async def test_a_freeze_bought_shows_in_streaks_and_pings_nobody(tmp_path):
    async with live(tmp_path, "alice", "bob", "carol") as (h, (alice, bob, carol)):
        await _funded(h, shop={"freeze_price": 30})
        await h.exchange(alice, bob)
        await h.midnight()
        shop = await h.emu.command(h.guild, h.general, alice, "shop")
        assert shop.ephemeral
        listing = shop.embeds[0]["description"]
        assert "**Freeze** — **30** tokens" in listing
        assert "**Restore** — **150** tokens" in listing
        assert shop.embeds[0]["footer"]["text"] == "You have 202 tokens"

        bought = await h.emu.command(h.guild, h.general, alice, "buy freeze", partner=bob)
        assert bought.ephemeral
        assert (
            f"Your streak with <@{bob.id}> now holds **1** freeze"
            in (bought.embeds[0]["description"])
        )
        assert bought.message.allowed_mentions == {"parse": []}
        streaks = await h.emu.command(h.guild, h.general, alice, "streaks")
        assert f"**1** day with <@{bob.id}> · best 1 · ❄️ 1" in streaks.embeds[0]["description"]
        assert await _tokens(h, alice) == 172
        history = await h.emu.command(h.guild, h.general, alice, "history")
        assert "freeze bought" in history.embeds[0]["description"]

        refused = await h.emu.command(h.guild, h.general, alice, "buy freeze", partner=carol)
        assert refused.ephemeral
        assert f"You have no live streak with <@{carol.id}>" in refused.content
        assert await _tokens(h, alice) == 172
        await _conserved(h)
        # The freeze is spent on a day without an exchange instead of breaking the streak.
        [result] = await h.midnight()
        assert result.frozen == 1


async def test_a_broken_streak_is_restored_and_must_count_that_day(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await _funded(h, shop={"restore_price": 100})
        for _ in range(2):
            await h.exchange(alice, bob)
            await h.midnight()
        [result] = await h.midnight()  # the 4th: no exchange, broken at 2
        assert result.broken == 1
        restored = await h.emu.command(h.guild, h.general, bob, "buy restore", partner=alice)
        assert restored.ephemeral
        text = restored.embeds[0]["description"]
        assert f"Your streak with <@{alice.id}> is back at **2** days (since 2026-11-02)" in text
        assert "It still needs today's exchange to go on" in text
        streaks = await h.emu.command(h.guild, h.general, alice, "streaks")
        assert f"**2** days with <@{bob.id}>" in streaks.embeds[0]["description"]
        await h.exchange(alice, bob)
        [result] = await h.midnight()
        assert result.extended == 1
        streak = await h.emu.command(h.guild, h.general, alice, "streak", member=bob)
        assert "**3** days with" in streak.embeds[0]["description"]
        assert "since 2026-11-02" in streak.embeds[0]["description"]
        await h.midnight()  # broken again: this run was restored once already
        again = await h.emu.command(h.guild, h.general, alice, "buy restore", partner=alice)
        assert "A streak takes two" in again.content
        again = await h.emu.command(h.guild, h.general, alice, "buy restore", partner=bob)
        assert "restored once already" in again.content
        await _conserved(h)


class _StaleBalance:
    """Profiles whose balance read is out of date (another purchase spent the tokens since)."""

    def __init__(self, tokens: int) -> None:
        self.tokens = tokens

    async def balance(self, guild: int, member: int) -> int:
        return self.tokens


async def test_a_role_is_granted_then_paid_and_a_refused_grant_costs_nothing(tmp_path, monkeypatch):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        owl = h.guild.create_role("Night Owl")  # below the bot's own role
        h.guild.set_bot_permissions(DEFAULT_BOT | MANAGE_ROLES)
        items = [{"name": "Night Owl", "role": owl.id, "price": 120}]
        await _funded(h, shop={"roles": items})
        await h.exchange(alice, bob)
        await h.midnight()
        shop = await h.emu.command(h.guild, h.general, alice, "shop")
        assert (
            f"**Night Owl** — **120** tokens\nThe role <@&{owl.id}>"
            in (shop.embeds[0]["description"])
        )
        bought = await h.emu.command(h.guild, h.general, alice, "buy role", item="night owl")
        assert bought.ephemeral
        assert f"You now have <@&{owl.id}>" in bought.embeds[0]["description"]
        assert owl in h.guild.member(alice).roles
        assert await _tokens(h, alice) == 202 - 120
        again = await h.emu.command(h.guild, h.general, alice, "buy role", item="Night Owl")
        assert "You already have" in again.content
        assert await _tokens(h, alice) == 82
        # What the item option suggests as the member types (Discord's autocomplete).
        shop_cog = h.bot.get_cog("Shop")
        [choice] = await shop_cog._role_items(SimpleNamespace(guild_id=h.guild.id), "OWL")
        assert (choice.name, choice.value) == ("Night Owl (120 tokens)", "Night Owl")

        h.emu.faults.refuse_role_changes(h.guild)
        refused = await h.emu.command(h.guild, h.general, bob, "buy role", item="Night Owl")
        assert "Nothing was charged" in refused.content
        assert owl not in h.guild.member(bob).roles
        assert await _tokens(h, bob) == 203
        h.emu.faults.refuse_role_changes(h.guild, refuse=False)

        # A balance read just before another purchase spent the tokens: the grant is undone.
        shop_cog = h.bot.get_cog("Shop")
        monkeypatch.setattr(shop_cog, "profiles", _StaleBalance(10_000))
        await h.configure(tiers=SPARK, shop={"roles": [{**items[0], "price": 500}]})
        raced = await h.emu.command(h.guild, h.general, bob, "buy role", item="Night Owl")
        assert "The role was taken back" in raced.content
        assert owl not in h.guild.member(bob).roles
        monkeypatch.undo()

        above = h.guild.create_role("Admins", position=h.guild.bot_role.position + 1)
        items += [
            {"name": "Admin", "role": above.id, "price": 1},
            {"name": "Ghost", "role": 12345, "price": 1},
        ]
        await h.configure(tiers=SPARK, shop={"roles": items})
        higher = await h.emu.command(h.guild, h.general, bob, "buy role", item="Admin")
        assert "my own role must sit above it" in higher.content
        ghost = await h.emu.command(h.guild, h.general, bob, "buy role", item="ghost")
        assert "no longer exists in this server" in ghost.content
        h.guild.set_bot_permissions(DEFAULT_BOT)
        await h.settle()
        no_permission = await h.emu.command(h.guild, h.general, bob, "buy role", item="Night Owl")
        assert "I need the Manage Roles permission" in no_permission.content
        unknown = await h.emu.command(h.guild, h.general, bob, "buy role", item="Gold")
        assert "no item called **Gold**" in unknown.content
        assert await _tokens(h, bob) == 203
        assert [r for r in h.guild.member(bob).roles if r.name != "@everyone"] == []
        await _conserved(h)


async def test_every_refused_purchase_says_why_and_charges_nothing(tmp_path):
    async with live(tmp_path, "alice", "bob", "carol") as (h, (alice, bob, carol)):
        await _funded(h, streaks={"max_freezes": 1}, shop={"freeze_price": 150})
        await h.exchange(alice, bob)
        await h.midnight()

        async def buy(user, item, partner):
            reply = await h.emu.command(h.guild, h.general, user, f"buy {item}", partner=partner)
            assert reply.ephemeral
            return reply.content

        assert "no broken streak to restore" in await buy(alice, "restore", carol)
        assert f"Your streak with <@{bob.id}> is live" in await buy(alice, "restore", bob)
        assert "Bots don't keep streaks" in await buy(alice, "freeze", h.emu.bot_user)
        await buy(bob, "freeze", alice)
        assert "already holds 1 freeze, the most" in await buy(alice, "freeze", bob)
        await h.configure(tiers=SPARK, shop={"freeze_price": 500})  # room for 2 freezes now
        assert "A freeze costs **500** tokens; you have **202**" in await buy(alice, "freeze", bob)
        await h.emu.command(h.guild, h.general, bob, "privacy optout")
        assert f"<@{bob.id}> opted out of tracking" in await buy(alice, "restore", bob)
        assert "You opted out of tracking" in await buy(bob, "restore", alice)
        await h.emu.command(h.guild, h.general, bob, "privacy optin")
        for _ in range(4):  # the freeze, then the break on the 4th, then two more days
            await h.midnight()
        too_late = await buy(alice, "restore", bob)
        assert "Too late: your streak" in too_late
        assert "broke on 2026-11-04, and restores were sold until" in too_late
        # Past midnight, before the close of the day that just ended.
        h.clock.set(datetime(2026, 11, 8, 0, 1, tzinfo=UTC))
        assert "being closed right now" in await buy(alice, "restore", bob)
        assert await _tokens(h, alice) == 202
        assert await _tokens(h, bob) == 203 - 150
        await _conserved(h)


# -- reminders --------------------------------------------------------------------------------


async def test_an_opted_in_member_is_reminded_once_and_closed_dms_are_skipped(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        carol = h.emu.create_user("carol", accepts_dms=False)
        h.guild.add_member(carol)
        await h.start_bot()
        assert h.services.scheduler.scheduler.get_job("reminders") is not None
        await h.exchange(alice, bob)
        await h.exchange(carol, bob)
        await h.midnight()
        for user in (alice, carol):
            on = await h.emu.command(h.guild, h.general, user, "remind on")
            assert on.ephemeral
            assert "3 hours before midnight (UTC)" in on.content
        reminders = h.bot.get_cog("Reminders")
        h.clock.set(datetime(2026, 11, 3, 20, 0, tzinfo=UTC))
        assert await reminders.send_due() == 0  # before the window
        h.clock.set(datetime(2026, 11, 3, 21, 10, tzinfo=UTC))
        assert await reminders.send_due() == 1  # alice; carol takes no DMs
        h.clock.set(datetime(2026, 11, 3, 21, 20, tzinfo=UTC))
        assert await reminders.send_due() == 0  # once a day
        [dm] = h.emu.dm_messages(alice)
        assert "In **Test Guild**, today ends" in dm.content
        assert f"**1** day with <@{bob.id}> · no exchange yet today" in dm.content
        assert dm.allowed_mentions == {"parse": []}
        assert h.emu.dm_messages(carol) == []
        assert h.emu.dm_messages(bob) == []  # never opted in
        off = await h.emu.command(h.guild, h.general, alice, "remind off")
        assert "No more reminders" in off.content
        await h.bot.unload_extension("cogs.reminders")
        assert h.services.scheduler.scheduler.get_job("reminders") is None
        assert h.emu.internal_errors == []


# -- privacy ----------------------------------------------------------------------------------


async def test_an_opted_out_member_stops_counting_until_they_opt_in(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        out = await h.emu.command(h.guild, h.general, alice, "privacy optout")
        assert out.ephemeral
        assert "no longer tracks you" in out.embeds[0]["description"]
        await h.exchange(alice, bob)
        [result] = await h.midnight()
        assert result.pairs == 0
        back = await h.emu.command(h.guild, h.general, alice, "privacy optin")
        assert "count again" in back.embeds[0]["description"]
        await h.exchange(alice, bob)
        [result] = await h.midnight()
        assert result.pairs == 1
        assert h.emu.internal_errors == []


async def test_the_export_is_a_json_attachment_of_my_data(tmp_path, monkeypatch):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await _funded(h)
        await h.exchange(alice, bob)
        await h.midnight()
        reply = await h.emu.command(h.guild, h.general, alice, "privacy export")
        assert reply.ephemeral
        [attachment] = reply.attachments
        assert attachment.filename == f"streakbot-{h.guild.id}-{alice.id}.json"
        data = orjson.loads(attachment.data)
        assert data["member"] == str(alice.id)
        assert [s["partner"] for s in data["streaks"]] == [str(bob.id)]
        assert data["balance"] == 202
        assert [b["tier"] for b in data["badges"]] == ["Spark"]
        # A very large export is sent gzipped rather than refused by Discord.
        # (The module the bot loaded: discord.py imports each extension afresh.)
        monkeypatch.setattr(h.bot.extensions["cogs.privacy"], "ATTACHMENT_LIMIT", 100)
        reply = await h.emu.command(h.guild, h.general, alice, "privacy export")
        [attachment] = reply.attachments
        assert attachment.filename.endswith(".json.gz")
        assert orjson.loads(gzip.decompress(attachment.data))["member"] == str(alice.id)
        assert h.emu.internal_errors == []


async def test_delete_asks_first_then_erases_and_keeps_the_ledger_conserved(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await _funded(h)
        await h.exchange(alice, bob)
        await h.midnight()
        await h.emu.command(h.guild, h.general, alice, "remind on")
        ask = await h.emu.command(h.guild, h.general, alice, "privacy delete")
        assert ask.ephemeral
        assert "can't be undone" in ask.embeds[0]["description"]
        [erase, cancel] = ask.custom_ids()
        assert erase.startswith("privacy:erase:")
        cancelled = await h.emu.click(ask, cancel, alice)
        assert cancelled.embeds[0]["title"] == "Nothing erased"
        assert await _tokens(h, alice) == 202

        ask = await h.emu.command(h.guild, h.general, alice, "privacy delete")
        done = await h.emu.click(ask, ask.custom_ids()[0], alice)
        assert done.embeds[0]["title"] == "Your data is erased"
        assert "202 tokens went back to the server's treasury" in done.embeds[0]["description"]
        assert done.components == []
        balance = await h.emu.command(h.guild, h.general, alice, "balance")
        assert "**0** tokens" in balance.embeds[0]["description"]
        for user in (alice, bob):
            streaks = await h.emu.command(h.guild, h.general, user, "streaks")
            assert "No live streak yet" in streaks.embeds[0]["description"]
        badges = await h.emu.command(h.guild, h.general, alice, "badges")
        assert "No badges yet" in badges.embeds[0]["description"]
        exported = await h.emu.command(h.guild, h.general, alice, "privacy export")
        data = orjson.loads(exported.attachments[0].data)
        assert data["ledger"] == data["streaks"] == data["points"] == data["messages"] == []
        assert data["profile"] is None
        assert data["reminders"] is None
        await _conserved(h)
