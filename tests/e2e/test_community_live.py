"""End to end: /event, /pool and /challenge, for owners (and sponsors), refused for others."""

from __future__ import annotations

import discord

from tests.e2e.harness import live

MANAGE_GUILD = discord.Permissions(manage_guild=True).value


async def _owner_role(h, user):
    role = h.guild.create_role("Admins", permissions=MANAGE_GUILD)
    await h.emu.member_update(h.guild, user, roles=[role])
    return role


async def test_an_event_doubles_points_and_only_owners_start_it(tmp_path):
    async with live(tmp_path, "alice", "bob", "carol") as (h, (alice, bob, carol)):
        await h.start_bot()
        await _owner_role(h, carol)
        refused = await h.emu.command(
            h.guild, h.general, alice, "event start", name="x", multiplier="2", until="2h"
        )
        assert "Manage Server" in refused.content
        bad = await h.emu.command(h.guild, h.general, carol, "event start", name="x",
                                  multiplier="20", until="2h")  # fmt: skip
        assert bad.ephemeral
        assert "at most 10" in bad.content
        started = await h.emu.command(
            h.guild, h.general, carol, "event start", name="Double day", multiplier="2",
            until="1d", channel=h.general,
        )  # fmt: skip
        assert "points ×2 in" in started.content
        listed = await h.emu.command(h.guild, h.general, alice, "event list")
        assert "Double day" in listed.embeds[0]["description"]
        await h.services.treasury.fund(h.guild.id, 1000, key="fund:test")
        await h.exchange(alice, bob)
        await h.midnight()
        balance = await h.emu.command(h.guild, h.general, alice, "balance")
        assert "**4** tokens" in balance.embeds[0]["description"]  # a mention: 2 x 2


async def test_a_sponsored_pool_pays_for_exchanges_in_its_channel(tmp_path):
    async with live(tmp_path, "alice", "bob", "sam") as (h, (alice, bob, sam)):
        sponsors = h.guild.create_role("Sponsors")
        await h.start_bot()
        await h.configure(community={"sponsor_role": sponsors.id})
        await _owner_role(h, h.owner)
        created = await h.emu.command(
            h.guild, h.general, h.owner, "pool create", name="Chat pool", channel=h.general,
            per_exchange=5,
        )  # fmt: skip
        assert "once funded" in created.content
        refused = await h.emu.command(
            h.guild, h.general, sam, "pool fund", name="Chat pool", amount=100
        )
        assert "sponsor role" in refused.content
        await h.emu.member_update(h.guild, sam, roles=[sponsors])
        funded = await h.emu.command(
            h.guild, h.general, sam, "pool fund", name="Chat pool", amount=100
        )
        assert "now holds 100 tokens" in funded.content
        await h.exchange(alice, bob)
        [result] = await h.midnight()
        assert result.pool_paid == 10
        listed = await h.emu.command(h.guild, h.general, alice, "pool list")
        assert "holds 90 · paid 10" in listed.embeds[0]["description"]


async def test_a_challenge_shows_progress_and_pays_when_met(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        news = h.guild.create_text_channel("news")
        await h.start_bot()
        await h.configure(announce={"channel": news.id}, tiers=[])
        await _owner_role(h, h.owner)
        await h.services.treasury.fund(h.guild.id, 1000, key="fund:test")
        created = await h.emu.command(
            h.guild, h.general, h.owner, "challenge create", name="First pair", pairs=1,
            days=2, deadline="2026-11-30", reward=25,
        )  # fmt: skip
        assert "🎯" in created.content
        await h.exchange(alice, bob)
        await h.midnight()
        status = await h.emu.command(h.guild, h.general, alice, "challenge status")
        [field] = status.embeds[0]["fields"]
        assert "0/1" in field["value"]
        await h.exchange(alice, bob)
        [result] = await h.midnight()
        assert result.challenges_met[0][2:] == (2, 50)
        [announcement] = h.emu.channel_messages(news)
        assert "Challenge **First pair** met! 2 members share 50 tokens" in announcement.content
        status = await h.emu.command(h.guild, h.general, alice, "challenge status")
        assert status.embeds[0]["fields"][0]["value"].startswith("✅ met on 2026-11-03")
        late = await h.emu.command(
            h.guild, h.general, h.owner, "challenge create", name="Old", pairs=1, days=1,
            deadline="2026-01-01", reward=1,
        )  # fmt: skip
        assert "passed already" in late.content
