"""End to end: members talk in the emulated Discord, the real bot counts, closes and answers."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.harness import live


def _text(reply) -> str:
    return "\n".join(
        str(part)
        for embed in reply.embeds
        for part in (embed.get("title"), embed.get("description"), embed.get("footer", {}))
        if part
    )


async def test_a_pair_builds_a_three_day_streak_and_streaks_shows_it(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        for _ in range(3):
            await h.exchange(alice, bob)
            [result] = await h.midnight()
            assert result.pairs == 1
        reply = await h.emu.command(h.guild, h.general, alice, "streaks")
        assert reply.ephemeral
        text = _text(reply)
        assert f"**3** days with <@{bob.id}>" in text
        assert "no exchange yet today" in text  # a new day has begun: today still needs it


async def test_one_sided_engagement_does_not_count(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        await h.emu.say(h.general, alice, f"hello {bob.mention}", mentions=[bob])
        [result] = await h.midnight()
        assert result.pairs == 0
        reply = await h.emu.command(h.guild, h.general, alice, "streaks")
        assert "No live streak yet" in _text(reply)


async def test_a_deleted_message_withdraws_its_exchange(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        first = await h.emu.say(h.general, alice, f"hey {bob.mention}", mentions=[bob])
        answer = await h.emu.say(h.general, bob, "hi", reply_to=first)
        await h.emu.delete(answer)
        [result] = await h.midnight()
        assert result.pairs == 0


async def test_the_day_closes_exactly_once_after_a_restart_over_a_missed_midnight(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        await h.exchange(alice, bob)
        await h.settle()
        await h.stop_bot()  # down over midnight: the job never ran
        h.clock.set(datetime(2026, 11, 3, 3, 0, tzinfo=UTC))
        await h.start_bot()  # on_ready catches up
        await h.settle()
        services = h.services
        async with services.db.connection.execute(
            "SELECT day, pairs FROM day_closes WHERE guild = ?", (h.guild.id,)
        ) as cursor:
            assert await cursor.fetchall() == [("2026-11-02", 1)]
        assert await services.scheduler.fire(h.guild.id) == []  # nothing left to close
        await h.restart_bot()
        async with h.services.db.connection.execute(
            "SELECT count(*) FROM day_closes WHERE guild = ?", (h.guild.id,)
        ) as cursor:
            assert (await cursor.fetchone())[0] == 1
