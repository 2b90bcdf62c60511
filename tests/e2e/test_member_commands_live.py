"""End to end: the member commands' answers, reactions, and late events."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.harness import live


async def test_streak_shows_the_pair_history_and_what_today_needs(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        for _ in range(2):
            await h.exchange(alice, bob)
            await h.midnight()
        await h.emu.say(h.general, bob, f"morning {alice.mention}", mentions=[alice])
        reply = await h.emu.command(h.guild, h.general, alice, "streak", member=bob)
        assert reply.ephemeral
        [embed] = reply.embeds
        assert f"**2** days with <@{bob.id}> since 2026-11-02" in embed["description"]
        assert "they wrote to you today: your turn" in embed["description"]
        strip = embed["fields"][0]["value"].splitlines()[0]
        assert strip.endswith("🟩🟩🟨")  # two full days, and today one way so far
        self_reply = await h.emu.command(h.guild, h.general, alice, "streak", member=alice)
        assert self_reply.ephemeral
        assert "A streak takes two" in self_reply.content


async def test_balance_and_history_explain_every_token(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        await h.configure(tiers=[{"name": "Spark", "days": 1, "tokens": 10}])
        await h.services.treasury.fund(h.guild.id, 1000, key="fund:test")
        await h.exchange(alice, bob)
        await h.midnight()
        balance = await h.emu.command(h.guild, h.general, alice, "balance")
        # alice: a mention (2 points) -> 2 tokens, plus Spark's 10.
        assert "**12** tokens" in balance.embeds[0]["description"]
        history = await h.emu.command(h.guild, h.general, alice, "history")
        text = history.embeds[0]["description"]
        assert f"**Spark** tier with <@{bob.id}>" in text
        assert "points of 2026-11-02" in text
        assert history.embeds[0]["footer"]["text"] == "Page 1/1 · 2 entries"
        too_far = await h.emu.command(h.guild, h.general, alice, "history", page=5)
        assert too_far.ephemeral
        assert "only 1 page" in too_far.content


async def test_reactions_count_when_the_server_counts_them(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        await h.configure(streaks={"count": ["reply", "mention", "reaction"]})
        hello = await h.emu.say(
            h.general, alice, f"hi {bob.mention}, coming tonight?", mentions=[bob]
        )
        await h.emu.react(hello, bob, "👋")
        [result] = await h.midnight()
        assert result.pairs == 1


async def test_an_event_dated_on_a_closed_day_counts_nowhere(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        await h.exchange(alice, bob)
        await h.midnight()
        # Delivered after day 1 was closed, but stamped on it by Discord.
        late = datetime(2026, 11, 2, 23, 59, 59, tzinfo=UTC)
        await h.emu.say(h.general, alice, f"late {bob.mention}", mentions=[bob], at=late)
        await h.settle()
        await h.services.intake.drain()
        assert h.services.ingestor.stats.late == 1
