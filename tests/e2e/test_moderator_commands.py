"""End to end: `/mod` (who may use it, suspend, void, adjust, audit) and Discord's own
moderation (timeouts, bans) suspending members, the real bot against the emulator."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import discord
import pytest

from bot import client
from bot.emulator import Reply
from bot.store.ledger import LedgerRepository
from bot.store.moderation import AdjustResult, VoidResult, Withdrawal
from cogs.moderation import render_adjust, render_void
from tests.e2e.harness import Live, live

SPARK = [{"name": "Spark", "days": 2, "tokens": 10}]


def text(reply: Reply) -> str:
    """What the moderator reads: the embed's description, or the content of an error."""
    return reply.embeds[0]["description"] if reply.embeds else reply.content


def pings_nobody(reply: Reply) -> bool:
    allowed = reply.message.allowed_mentions or {}
    return allowed.get("parse") == [] and not allowed.get("users") and not allowed.get("roles")


async def suspension(h: Live, member) -> tuple | None:
    async with h.services.db.connection.execute(
        "SELECT source, until, moderator FROM suspensions WHERE guild = ? AND member = ?",
        (h.guild.id, member.id),
    ) as cursor:
        row = await cursor.fetchone()
    return tuple(row) if row else None


async def handled(h: Live) -> None:
    """Wait until the bot has handled the member events sent so far: the gateway delivered
    them (a command round trip), and the listeners discord.py runs as tasks have finished."""
    await h.settle()
    listeners = [
        task for task in asyncio.all_tasks() if task.get_name().startswith("discord.py: on_member_")
    ]
    await asyncio.gather(*listeners)


async def balance(h: Live, member) -> int:
    return await LedgerRepository(h.services.db).balance(h.guild.id, member.id)


async def conserved(h: Live) -> None:
    totals = await LedgerRepository(h.services.db).totals(h.guild.id)
    assert totals.funded == totals.held
    assert totals.mismatched_accounts == 0


async def test_moderators_by_role_or_manage_messages_and_nobody_else(tmp_path):
    async with live(tmp_path, "mod", "janitor", "plain", "alice") as (h, users):
        mod, janitor, plain, alice = users
        role = h.guild.create_role("Streak mods", permissions=discord.Permissions.none())
        cleaners = h.guild.create_role(
            "Cleaners", permissions=discord.Permissions(manage_messages=True)
        )
        await h.emu.member_update(h.guild, mod, roles=[role])
        await h.emu.member_update(h.guild, janitor, roles=[cleaners])
        await h.start_bot()
        await h.configure(moderation={"role": role.id})

        # No Discord default permissions: every member sees /mod, the bot decides.
        [sync] = h.emu.find_requests("PUT", "*/commands")
        [group] = [c for c in sync.json if c["name"] == "mod"]
        assert group.get("default_member_permissions") is None
        assert group.get("contexts") == [0] or group.get("dm_permission") is False
        for who in (mod, janitor):
            reply = await h.emu.command(h.guild, h.general, who, "mod audit")
            assert reply.ephemeral
            assert reply.embeds[0]["title"] == "Moderation audit"
            assert text(reply) == "No moderator action yet."
        for name, options in [
            ("mod audit", {}),
            ("mod suspend", {"member": alice, "reason": "x"}),
            ("mod unsuspend", {"member": alice}),
            ("mod void", {"first": alice, "second": mod, "reason": "x"}),
            ("mod adjust", {"member": alice, "amount": 5, "reason": "x"}),
        ]:
            refused = await h.emu.command(h.guild, h.general, plain, name, **options)
            assert refused.ephemeral
            assert "moderator command" in refused.content
            assert "Manage Messages" in refused.content
        assert await suspension(h, alice) is None


async def test_a_suspended_members_exchanges_stop_counting_until_lifted(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        await h.services.treasury.fund(h.guild.id, 1000, key="fund:test")
        await h.exchange(alice, bob)
        [day1] = await h.midnight()
        assert day1.pairs == 1
        paid = await balance(h, alice)
        assert paid > 0

        reply = await h.emu.command(
            h.guild, h.general, h.owner, "mod suspend", member=alice, reason="alt farming"
        )
        assert reply.ephemeral
        assert pings_nobody(reply)
        assert f"<@{alice.id}> is suspended from rewards until a moderator lifts it" in text(reply)
        assert await suspension(h, alice) == ("command", None, h.owner.id)
        await h.exchange(alice, bob)
        [day2] = await h.midnight()
        assert day2.pairs == 0
        assert day2.broken == 1
        assert await balance(h, alice) == paid  # nothing paid while suspended

        lifted = await h.emu.command(h.guild, h.general, h.owner, "mod unsuspend", member=alice)
        assert lifted.ephemeral
        assert f"<@{alice.id}> earns again" in text(lifted)
        assert await suspension(h, alice) is None
        await h.exchange(alice, bob)
        [day3] = await h.midnight()
        assert day3.pairs == 1
        assert await balance(h, alice) > paid
        again = await h.emu.command(h.guild, h.general, h.owner, "mod unsuspend", member=alice)
        assert again.ephemeral
        assert f"<@{alice.id}> is not suspended" in again.content


async def test_a_suspension_for_some_days_ends_by_itself(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        reply = await h.emu.command(
            h.guild, h.general, h.owner, "mod suspend", member=alice, reason="cool off", days=1
        )
        ends = h.clock.now() + timedelta(days=1)
        assert f"until <t:{int(ends.timestamp())}:f>" in text(reply)
        assert await suspension(h, alice) == ("command", ends.isoformat(), h.owner.id)
        await h.exchange(alice, bob)
        [day1] = await h.midnight()
        assert day1.pairs == 0
        await h.exchange(alice, bob)  # the next morning: the day has passed
        [day2] = await h.midnight()
        assert day2.pairs == 1


async def test_void_ends_a_streak_and_takes_its_tier_tokens_back(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        await h.configure(tiers=SPARK)
        await h.services.treasury.fund(h.guild.id, 1000, key="fund:test")
        for _ in range(2):
            await h.exchange(alice, bob)
            [result] = await h.midnight()
        assert result.tiers == [(alice.id, bob.id, "Spark")]
        # Bob already gave most of his tokens away: he holds less than Spark paid him.
        bob_held = await balance(h, bob)
        take = await h.emu.command(
            h.guild,
            h.general,
            h.owner,
            "mod adjust",
            member=bob,
            amount=-(bob_held - 4),
            reason="spent",
        )
        assert "Took" in text(take)
        alice_held = await balance(h, alice)

        reply = await h.emu.command(
            h.guild, h.general, h.owner, "mod void", first=bob, second=alice, reason="farming"
        )
        assert reply.ephemeral
        assert pings_nobody(reply)
        said = text(reply)
        assert f"The streak of <@{alice.id}> and <@{bob.id}> ended at **2** days" in said
        assert f"<@{alice.id}> gave back **10** tokens" in said
        assert f"<@{bob.id}> held only **4** of the **10** tokens" in said
        assert await balance(h, alice) == alice_held - 10
        assert await balance(h, bob) == 0
        await conserved(h)

        streaks = await h.emu.command(h.guild, h.general, alice, "streaks")
        assert f"<@{bob.id}>" not in text(streaks)
        board = await h.emu.command(h.guild, h.general, alice, "leaderboard")
        assert "Nobody here yet" in text(board)
        history = await h.emu.command(h.guild, h.general, alice, "history")
        assert "`   -10` void: farming" in text(history)

        twice = await h.emu.command(
            h.guild, h.general, h.owner, "mod void", first=alice, second=bob, reason="again"
        )
        assert twice.ephemeral
        assert "already voided" in twice.content
        assert await balance(h, alice) == alice_held - 10
        await conserved(h)

        self_pair = await h.emu.command(
            h.guild, h.general, h.owner, "mod void", first=alice, second=alice, reason="x"
        )
        assert "A streak takes two" in self_pair.content
        never = await h.emu.command(
            h.guild, h.general, h.owner, "mod void", first=alice, second=h.owner, reason="x"
        )
        assert "never had a streak" in never.content


async def test_adjust_gives_and_takes_and_refuses_clearly(tmp_path):
    async with live(tmp_path, "alice") as (h, (alice,)):
        await h.start_bot()
        await h.services.treasury.fund(h.guild.id, 100, key="fund:test")
        await h.emu.say(h.general, alice, "hello")  # the guild's first day: /history reads on
        await h.settle()
        await h.services.intake.drain()
        given = await h.emu.command(
            h.guild, h.general, h.owner, "mod adjust", member=alice, amount=30, reason="prize"
        )
        assert given.ephemeral
        assert pings_nobody(given)
        assert f"Gave **30** tokens to <@{alice.id}>" in text(given)
        assert "now holds **30**; the treasury **70**" in text(given)
        taken = await h.emu.command(
            h.guild, h.general, h.owner, "mod adjust", member=alice, amount=-5, reason="typo"
        )
        assert f"Took **5** tokens from <@{alice.id}>" in text(taken)
        assert "now holds **25**; the treasury **75**" in text(taken)

        short = await h.emu.command(
            h.guild, h.general, h.owner, "mod adjust", member=alice, amount=76, reason="x"
        )
        assert short.ephemeral
        assert "The treasury holds only 75 tokens: it cannot give 76" in short.content
        too_much = await h.emu.command(
            h.guild, h.general, h.owner, "mod adjust", member=alice, amount=-26, reason="x"
        )
        assert too_much.ephemeral
        assert f"<@{alice.id}> holds only 25 tokens: 26 cannot be taken" in too_much.content
        zero = await h.emu.command(
            h.guild, h.general, h.owner, "mod adjust", member=alice, amount=0, reason="x"
        )
        assert zero.ephemeral
        assert "from 1 to" in zero.content
        bot = await h.emu.command(
            h.guild, h.general, h.owner, "mod adjust", member=h.emu.bot_user, amount=5, reason="x"
        )
        assert "Bots earn no rewards" in bot.content
        assert await balance(h, alice) == 25
        history = await h.emu.command(h.guild, h.general, alice, "history")
        assert "adjustment: prize" in text(history)
        assert "adjustment: typo" in text(history)
        await conserved(h)


async def test_audit_pages_through_every_action_newest_first(tmp_path):
    async with live(tmp_path, "mod", "alice") as (h, (mod, alice)):
        cleaners = h.guild.create_role(
            "Cleaners", permissions=discord.Permissions(manage_messages=True)
        )
        await h.emu.member_update(h.guild, mod, roles=[cleaners])
        await h.start_bot()
        await h.services.treasury.fund(h.guild.id, 100, key="fund:test")
        for n in range(1, 12):
            await h.emu.command(
                h.guild, h.general, h.owner, "mod adjust", member=alice, amount=n, reason=f"r{n}"
            )
            h.clock.set(h.clock.now() + timedelta(minutes=1))
        await h.emu.command(
            h.guild, h.general, h.owner, "mod suspend", member=mod, reason="other member"
        )

        first = await h.emu.command(h.guild, h.general, h.owner, "mod audit")
        assert first.ephemeral
        lines = text(first).splitlines()
        assert len(lines) == 10
        assert f"<@{h.owner.id}> suspended <@{mod.id}> until lifted — other member" in lines[0]
        assert f"adjusted <@{alice.id}>'s balance by **+11** — r11" in lines[1]
        assert first.embeds[0]["footer"]["text"] == "Page 1/2 · 12 entries"
        second = await h.emu.click(first, "mod-audit:next", h.owner)
        assert second.embeds[0]["footer"]["text"] == "Page 2/2 · 12 entries"
        assert [line.rsplit("— ", 1)[1] for line in text(second).splitlines()] == ["r2", "r1"]
        back = await h.emu.click(second, "mod-audit:previous", h.owner)
        assert back.embeds[0]["footer"]["text"].startswith("Page 1/2")

        # About alice: the moderators' adjustments and her ledger entries, newest first.
        about = await h.emu.command(h.guild, h.general, mod, "mod audit", member=alice)
        said = text(about)
        assert f"Actions about <@{alice.id}>" in said
        assert "other member" not in said
        assert "`   +11` adjustment: r11" in said
        assert about.embeds[0]["footer"]["text"] == "Page 1/3 · 22 entries"
        nothing = await h.emu.command(h.guild, h.general, mod, "mod audit", member=h.owner)
        assert f"Nothing about <@{h.owner.id}> yet." in text(nothing)


async def test_a_discord_timeout_suspends_until_it_ends_or_is_removed(tmp_path):
    async with live(tmp_path, "alice", "bob", "carol") as (h, (alice, bob, carol)):
        await h.start_bot()
        until = h.clock.now() + timedelta(hours=30)
        await h.emu.member_update(h.guild, alice, timed_out_until=until)
        await handled(h)
        assert await suspension(h, alice) == ("timeout", until.isoformat(), None)
        await h.exchange(alice, bob)
        [day1] = await h.midnight()
        assert day1.pairs == 0

        longer = until + timedelta(days=2)
        await h.emu.member_update(h.guild, alice, timed_out_until=longer)
        await handled(h)
        assert await suspension(h, alice) == ("timeout", longer.isoformat(), None)
        await h.emu.member_update(h.guild, alice, timed_out_until=None)  # removed early
        await handled(h)
        assert await suspension(h, alice) is None
        await h.exchange(alice, bob)
        [day2] = await h.midnight()
        assert day2.pairs == 1

        # A moderator's own suspension outlives a timeout and its removal.
        await h.emu.command(h.guild, h.general, h.owner, "mod suspend", member=carol, reason="x")
        await h.emu.member_update(h.guild, carol, timed_out_until=h.clock.now() + timedelta(1))
        await h.emu.member_update(h.guild, carol, timed_out_until=None)
        await handled(h)
        assert await suspension(h, carol) == ("command", None, h.owner.id)

        audit = await h.emu.command(h.guild, h.general, h.owner, "mod audit", member=alice)
        said = text(audit)
        assert f"<@{alice.id}>'s timeout was removed" in said
        assert f"<@{alice.id}> was timed out — timed out on Discord until" in said


@pytest.fixture
def ban_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """GUILD_BAN_ADD comes only with the (unprivileged) moderation intent, which the client's
    `intents()` does not ask for yet: ask for it here, as the client should."""
    asked = client.intents

    def with_bans(*, privileged: bool) -> discord.Intents:
        wanted = asked(privileged=privileged)
        wanted.moderation = True
        return wanted

    monkeypatch.setattr(client, "intents", with_bans)


@pytest.mark.usefixtures("ban_events")
async def test_a_ban_suspends_until_a_moderator_lifts_it(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        await h.emu.member_update(h.guild, bob, timed_out_until=h.clock.now() + timedelta(hours=1))
        await h.emu.ban(h.guild, alice)
        await h.emu.ban(h.guild, bob)  # a ban outlasts the timeout it replaces
        await handled(h)
        assert await suspension(h, alice) == ("ban", None, None)
        assert await suspension(h, bob) == ("ban", None, None)
        # Lifted by a moderator (the member may no longer be in the server).
        lifted = await h.emu.command(h.guild, h.general, h.owner, "mod unsuspend", member=alice)
        assert "the suspension came from a ban" in text(lifted)
        assert await suspension(h, alice) is None


def test_replies_say_what_a_void_or_an_adjustment_did():
    void = VoidResult(
        1,
        2,
        0,
        5,
        "2026-11-01",
        [Withdrawal(1, 0, 0), Withdrawal(2, 10, 0)],
        already_voided=False,
    )
    said = render_void(void)
    assert "had already ended; its last run is voided" in said
    assert "<@1>: the run paid them no tier tokens." in said
    assert "<@2> held nothing of the **10** tokens the run paid: nothing was taken." in said
    again = render_adjust(1, 5, AdjustResult(moved=False, balance=5, treasury=95))
    assert again.startswith("This adjustment was made already: nothing moved again.")
