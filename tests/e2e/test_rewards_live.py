"""End to end: tier roles and milestones, owners told once, hostile names, leaderboard pages."""

from __future__ import annotations

import discord

from bot.emulator.permissions import DEFAULT_BOT
from tests.e2e.harness import live

MANAGE_ROLES = discord.Permissions(manage_roles=True).value


def _tiers(role: str | None = "Spark keepers", days: int = 2, freezes: int = 0) -> list[dict]:
    tier = {"name": "Spark", "days": days, "tokens": 10, "freezes": freezes}
    if role:
        tier["role"] = role
    return [tier]


async def test_a_tier_grants_its_role_and_announces_without_pinging(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        h.guild.set_bot_permissions(DEFAULT_BOT | MANAGE_ROLES)
        streaks = h.guild.create_text_channel("streaks")
        await h.start_bot()
        await h.configure(announce={"channel": streaks.id}, tiers=_tiers())
        for _ in range(2):
            await h.exchange(alice, bob)
            results = await h.midnight()
        assert results[0].tiers == [(alice.id, bob.id, "Spark")]
        role = h.guild.role("Spark keepers")
        assert role in h.guild.member(alice).roles
        assert role in h.guild.member(bob).roles
        [announcement] = h.emu.channel_messages(streaks)
        assert announcement.author is h.emu.bot_user
        assert f"<@{alice.id}> and <@{bob.id}> reached **Spark**" in announcement.content
        assert announcement.allowed_mentions == {"parse": []}


async def test_milestones_ping_the_pair_only_when_the_owner_says_so(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        streaks = h.guild.create_text_channel("streaks")
        await h.start_bot()
        await h.configure(
            announce={"channel": streaks.id, "mention_members": True}, tiers=_tiers(role=None)
        )
        for _ in range(2):
            await h.exchange(alice, bob)
            await h.midnight()
        [announcement] = h.emu.channel_messages(streaks)
        allowed = announcement.allowed_mentions
        assert allowed["parse"] == []
        assert sorted(int(u) for u in allowed["users"]) == sorted((alice.id, bob.id))


async def test_without_manage_roles_the_owner_is_told_once_and_the_rest_goes_on(tmp_path):
    async with live(tmp_path, "alice", "bob", "carol", "dave") as (h, (alice, bob, carol, dave)):
        streaks = h.guild.create_text_channel("streaks")
        await h.start_bot()  # the bot's default permissions lack Manage Roles
        await h.configure(announce={"channel": streaks.id}, tiers=_tiers())
        await h.exchange(alice, bob)
        await h.midnight()
        await h.exchange(alice, bob)
        await h.exchange(carol, dave)
        await h.midnight()  # alice & bob reach Spark: the role cannot be created
        await h.exchange(carol, dave)
        [result] = await h.midnight()  # carol & dave reach Spark: same problem, no new DM
        assert result.tiers == [(carol.id, dave.id, "Spark")]
        [notice] = h.emu.dm_messages(h.owner)
        assert "Manage Roles" in notice.content
        assert len(h.emu.channel_messages(streaks)) == 2  # both milestones announced anyway
        reply = await h.emu.command(h.guild, h.general, carol, "badges")
        assert "Spark" in reply.embeds[0]["description"]


async def test_a_member_named_everyone_pings_nobody(tmp_path):
    async with live(tmp_path, "@everyone", "bob") as (h, (hostile, bob)):
        streaks = h.guild.create_text_channel("streaks")
        await h.start_bot()
        await h.configure(announce={"channel": streaks.id}, tiers=_tiers(role=None))
        for _ in range(2):
            await h.exchange(hostile, bob)
            await h.midnight()
        board = await h.emu.command(h.guild, h.general, bob, "leaderboard")
        assert f"<@{hostile.id}>" in board.embeds[0]["description"]
        sent = [m for m in h.emu.channel_messages(streaks) if m.author is h.emu.bot_user]
        sent.append(board.message)
        assert sent
        for message in sent:
            assert "@everyone" not in message.content
            assert message.allowed_mentions is not None
            assert message.allowed_mentions.get("parse") == []
            assert not message.allowed_mentions.get("roles")


async def test_leaderboard_pages_turn_with_buttons_and_show_my_rank(tmp_path):
    names = [f"m{i}" for i in range(22)]
    async with live(tmp_path, *names) as (h, users):
        pairs = [(users[2 * i], users[2 * i + 1]) for i in range(11)]
        await h.start_bot()
        await h.configure(tiers=_tiers(role=None, days=1, freezes=1))
        for a, b in pairs:
            await h.exchange(a, b)
        await h.midnight()
        for a, b in pairs[:10]:  # the last pair skips day 2: its freeze keeps it at 1 day
            await h.exchange(a, b)
        await h.midnight()
        me = pairs[10][0]
        first = await h.emu.command(h.guild, h.general, me, "leaderboard", kind="pairs")
        footer = first.embeds[0]["footer"]["text"]
        assert footer == "Page 1/2 · You: #11 (1 day)"
        assert first.embeds[0]["description"].count("\n") == 9  # ten rows
        second = await h.emu.click(first, "leaderboard:next", me)
        assert second.embeds[0]["footer"]["text"].startswith("Page 2/2")
        assert "**11.** ✨" not in second.embeds[0]["description"]
        assert f"<@{me.id}>" in second.embeds[0]["description"]
        back = await h.emu.click(second, "leaderboard:previous", me)
        assert back.embeds[0]["footer"]["text"].startswith("Page 1/2")
        stranger = await h.emu.click(back, "leaderboard:next", users[0])
        assert stranger.ephemeral
        assert "run `/leaderboard`" in stranger.content


async def test_a_dropped_gateway_resumes_without_losing_events(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        first = await h.emu.say(h.general, alice, f"hey {bob.mention}", mentions=[bob])
        assert h.emu.faults.drop_gateway() >= 1
        await h.emu.say(h.general, bob, "back!", reply_to=first)  # sent while disconnected
        await h.emu.wait_until_ready(timeout=10)  # discord.py reconnects and RESUMEs
        assert [s.kind for s in h.emu.gateway.handshakes][-1] == "resume"
        await h.midnight()
        # The close may have been run by the job or by the catch-up that follows a resume:
        # either way exactly once, and with both messages.
        async with h.services.db.connection.execute(
            "SELECT day, pairs FROM day_closes WHERE guild = ?", (h.guild.id,)
        ) as cursor:
            assert await cursor.fetchall() == [("2026-11-02", 1)]
        assert h.services.ingestor.stats.duplicates == 0


async def test_streaks_work_without_the_privileged_intents(tmp_path):
    async with live(tmp_path, "alice", "bob", privileged=frozenset()) as (h, (alice, bob)):
        await h.start_bot(privileged=False)
        await h.exchange(alice, bob)
        [result] = await h.midnight()
        assert result.pairs == 1
