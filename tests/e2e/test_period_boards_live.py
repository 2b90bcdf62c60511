"""End to end: weekly and monthly boards, their final standings once a week is closed, and the
winner role moving from one week's winners to the next's (owners told once when it cannot)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import discord
import pytest
from apscheduler.triggers.interval import IntervalTrigger

from bot.domain.periods import period_of
from bot.emulator import CommandNotPermitted
from bot.emulator.permissions import DEFAULT_BOT
from cogs.leaderboard import JOB_ID, Leaderboard
from tests.e2e.harness import Live, live

MANAGE_ROLES = discord.Permissions(manage_roles=True).value


def boards(h: Live) -> Leaderboard:
    assert h.bot is not None
    cog = h.bot.get_cog("Leaderboard")
    assert cog is not None  # loaded as an extension: its own copy of the module's class
    return cast(Leaderboard, cog)


async def next_monday(h: Live) -> None:
    """Jump to just after the next Monday's midnight, run the day close job (it closes every
    day that ended, the whole week if need be), then the periods' job; it is then 09:00."""
    await h.settle()
    now = h.clock.now()
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    monday = today + timedelta(days=(7 - now.weekday()) % 7)
    if monday + timedelta(minutes=2) <= now:  # this Monday's close has run: the next one
        monday += timedelta(days=7)
    h.clock.set(monday + timedelta(minutes=2))
    assert h.services is not None
    await h.services.scheduler.fire(h.guild.id)
    await boards(h).finalise_periods()
    h.clock.set(monday + timedelta(hours=9))


def lines(reply) -> list[str]:
    return reply.embeds[0]["description"].splitlines()


async def test_a_week_ends_its_board_is_kept_and_the_winner_role_moves(tmp_path):
    async with live(tmp_path, "alice", "bob", "carol") as (h, (alice, bob, carol)):
        h.guild.set_bot_permissions(DEFAULT_BOT | MANAGE_ROLES)
        champion = h.guild.create_role("Champion")
        await h.start_bot()
        job = h.services.scheduler.scheduler.get_job(JOB_ID)
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == timedelta(minutes=5)
        assert job.func == boards(h).finalise_periods

        chosen = await h.emu.command(
            h.guild, h.general, h.owner, "winner-role", period="weekly", role=champion
        )
        assert chosen.ephemeral
        assert f"<@&{champion.id}>" in chosen.content
        assert "can't give it" not in chosen.content

        # Week of Monday 2 November: alice mentions bob (2 points), bob replies (3 points).
        await h.exchange(alice, bob)
        live_board = await h.emu.command(
            h.guild, h.general, alice, "leaderboard", period="this-week"
        )
        assert live_board.embeds[0]["title"] == "Most points this week"
        heading, *rows = lines(live_board)
        assert heading.startswith("Week 45 of 2026 (2–8 Nov) · so far, ends <t:")
        assert rows == [
            f"**1.** <@{bob.id}> — **3** points",
            f"**2.** <@{alice.id}> — **2** points",
        ]
        assert live_board.embeds[0]["footer"]["text"] == "Page 1/1 · You: #2 (2 points)"

        # Monday 00:01: the week is over, its Sunday not closed yet (the close waits a grace).
        h.clock.set(datetime(2026, 11, 9, 0, 1, tzinfo=UTC))
        pending = await h.emu.command(h.guild, h.general, bob, "leaderboard", period="last-week")
        assert lines(pending)[0].startswith("Week 45 of 2026 (2–8 Nov) · ended <t:")
        assert lines(pending)[0].endswith(":R>, final standings in a few minutes")
        assert lines(pending)[1:] == rows

        await next_monday(h)
        assert champion in h.guild.member(bob).roles
        assert champion not in h.guild.member(alice).roles

        # A correction to a closed day's points (as a moderator's tool could make) does not
        # change the week's result: last week's board is its snapshot.
        async with h.services.db.transaction() as conn:
            await conn.execute("UPDATE member_days SET points = 99 WHERE member = ?", (alice.id,))
        final = await h.emu.command(h.guild, h.general, alice, "leaderboard", period="last-week")
        assert lines(final) == [
            "Week 45 of 2026 (2–8 Nov) · final standings",
            f"**1.** <@{bob.id}> — **3** points",
            f"**2.** <@{alice.id}> — **2** points",
        ]
        assert final.embeds[0]["footer"]["text"] == "Page 1/1 · You: #2 (2 points)"
        quiet = await h.emu.command(h.guild, h.general, carol, "leaderboard", period="this-week")
        assert lines(quiet)[1] == "Nobody has earned points this week yet."
        assert quiet.embeds[0]["footer"]["text"] == "Page 1/1 · You're not on this board yet"

        # Week of 9 November: carol earns 5 (a reply to bob, then a mention of alice).
        await h.exchange(bob, carol)
        await h.exchange(carol, alice)
        await next_monday(h)
        assert champion in h.guild.member(carol).roles
        assert champion not in h.guild.member(bob).roles
        last = await h.emu.command(h.guild, h.general, bob, "leaderboard", period="last-week")
        assert lines(last)[:2] == [
            "Week 46 of 2026 (9–15 Nov) · final standings",
            f"**1.** <@{carol.id}> — **5** points",
        ]
        # A second pass of the job (or a restart) changes nothing.
        await boards(h).finalise_periods()
        await h.restart_bot()
        await boards(h).finalise_periods()
        assert [c.period.key for c in await boards(h).periods.history(h.guild.id, "week")] == [
            "2026-11-02",
            "2026-11-09",
        ]
        assert champion in h.guild.member(carol).roles
        assert h.emu.dm_messages(h.owner) == []


async def test_ties_share_the_role_and_a_role_given_by_hand_stays(tmp_path):
    async with live(tmp_path, "alice", "bob", "carol") as (h, (alice, bob, carol)):
        h.guild.set_bot_permissions(DEFAULT_BOT | MANAGE_ROLES)
        star = h.guild.create_role("Star")
        await h.start_bot()
        await h.emu.member_update(h.guild, bob, roles=[star])  # bob has it already
        await h.emu.command(h.guild, h.general, h.owner, "winner-role", period="weekly", role=star)
        await h.exchange(alice, bob)
        await h.exchange(bob, alice)  # 5 points each
        await next_monday(h)
        assert star in h.guild.member(alice).roles
        assert star in h.guild.member(bob).roles
        await h.exchange(carol, alice)
        await next_monday(h)
        assert star in h.guild.member(alice).roles  # alice won again (3 points)
        assert star in h.guild.member(bob).roles  # given by hand: not the bot's to take
        assert star not in h.guild.member(carol).roles
        # Stopping the weekly role takes it from the bot's winners only.
        stopped = await h.emu.command(h.guild, h.general, h.owner, "winner-role", period="weekly")
        assert "No weekly winner role any more" in stopped.content
        assert star not in h.guild.member(alice).roles
        assert star in h.guild.member(bob).roles


async def test_after_downtime_the_weeks_are_finalised_in_order_and_the_last_winner_holds_it(
    tmp_path,
):
    async with live(tmp_path, "alice", "bob", "carol") as (h, (alice, bob, carol)):
        h.guild.set_bot_permissions(DEFAULT_BOT | MANAGE_ROLES)
        crown = h.guild.create_role("Crown")
        await h.start_bot()
        await h.emu.command(h.guild, h.general, h.owner, "winner-role", period="weekly", role=crown)
        # Three weeks of talk and no day close at all (the scheduler was stuck): bob wins the
        # first week, carol the second, alice the third.
        for a, b, monday in [(alice, bob, 2), (bob, carol, 9), (carol, alice, 16)]:
            h.clock.set(datetime(2026, 11, monday + 2, 10, tzinfo=UTC))
            await h.exchange(a, b)
        await next_monday(h)  # Monday 23 November: one catch-up closes 21 days
        history = await boards(h).periods.history(h.guild.id, "week")
        assert [c.period.key for c in history] == ["2026-11-02", "2026-11-09", "2026-11-16"]
        assert [m for m in (alice, bob, carol) if crown in h.guild.member(m).roles] == [alice]
        month = await h.emu.command(h.guild, h.general, bob, "leaderboard", period="this-month")
        assert lines(month)[0].startswith("November 2026 · so far")
        assert len(lines(month)) == 4  # everyone has 5 points: three tied first
        assert all(line.startswith("**1.**") for line in lines(month)[1:])


@pytest.mark.parametrize("problem", ["no Manage Roles", "the role above mine"])
async def test_when_the_role_cannot_move_the_owner_is_told_once_and_boards_go_on(tmp_path, problem):
    async with live(tmp_path, "alice", "bob", "carol") as (h, (alice, bob, carol)):
        if problem == "no Manage Roles":
            champion = h.guild.create_role("Champion")
        else:
            h.guild.set_bot_permissions(DEFAULT_BOT | MANAGE_ROLES)
            champion = h.guild.create_role("Champion", position=h.guild.bot_role.position + 1)
        await h.start_bot()
        chosen = await h.emu.command(
            h.guild, h.general, h.owner, "winner-role", period="weekly", role=champion
        )
        assert "I can't give it yet" in chosen.content
        await h.exchange(alice, bob)
        await next_monday(h)
        await boards(h).finalise_periods()  # the next passes retry without telling again
        await h.exchange(bob, carol)
        await next_monday(h)
        [notice] = h.emu.dm_messages(h.owner)
        assert "weekly winner role **Champion**" in notice.content
        assert "Manage Roles" in notice.content
        assert all(champion not in h.guild.member(m).roles for m in (alice, bob, carol))
        board = await h.emu.command(h.guild, h.general, alice, "leaderboard", period="last-week")
        assert lines(board)[1] == f"**1.** <@{carol.id}> — **3** points"
        # Once the owner fixes it, the next pass gives the role to the latest winner.
        h.guild.set_bot_permissions(DEFAULT_BOT | MANAGE_ROLES)
        h.guild.move_role(champion, 1)
        await h.settle()
        await boards(h).finalise_periods()
        assert champion in h.guild.member(carol).roles
        assert champion not in h.guild.member(bob).roles
        assert len(h.emu.dm_messages(h.owner)) == 1


async def test_periods_are_for_the_members_board_and_the_role_is_for_managers(tmp_path):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await h.start_bot()
        refused = await h.emu.command(
            h.guild, h.general, alice, "leaderboard", kind="pairs", period="last-week"
        )
        assert refused.ephemeral
        assert "apply to the members board" in refused.content
        assert "`/leaderboard period:last-week`" in refused.content
        await h.exchange(alice, bob)
        members = await h.emu.command(
            h.guild, h.general, alice, "leaderboard", kind="members", period="this-month"
        )
        assert members.embeds[0]["title"] == "Most points this month"
        pairs = await h.emu.command(h.guild, h.general, alice, "leaderboard")
        assert pairs.embeds[0]["title"] == "Longest streaks"  # all-time pairs, as before

        role = h.guild.create_role("Monthly star")
        with pytest.raises(CommandNotPermitted):
            await h.emu.command(
                h.guild, h.general, alice, "winner-role", period="monthly", role=role
            )
        bypassed = await h.emu.command(
            h.guild,
            h.general,
            alice,
            "winner-role",
            period="monthly",
            role=role,
            bypass_default_permissions=True,
        )
        assert "Manage Server" in bypassed.content
        everyone = await h.emu.command(
            h.guild, h.general, h.owner, "winner-role", period="monthly", role=h.guild.everyone
        )
        assert "choose a role of your own" in everyone.content
        await h.emu.command(h.guild, h.general, h.owner, "winner-role", period="monthly", role=role)
        twice = await h.emu.command(
            h.guild, h.general, h.owner, "winner-role", period="weekly", role=role
        )
        assert "already the monthly winner role" in twice.content
        assert await boards(h).periods.roles(h.guild.id) == {"month": role.id}


async def test_a_pages_worth_of_members_pages_like_the_all_time_board(tmp_path):
    names = [f"m{i}" for i in range(12)]
    async with live(tmp_path, *names) as (h, users):
        await h.start_bot()
        for a, b in zip(users[::2], users[1::2], strict=True):
            await h.exchange(a, b)
        me = users[0]  # a mention: 2 points, tied with the other five who mentioned
        first = await h.emu.command(h.guild, h.general, me, "leaderboard", period="this-week")
        assert first.embeds[0]["footer"]["text"] == "Page 1/2 · You: #7 (2 points)"
        assert len(lines(first)) == 11  # the heading and ten rows
        second = await h.emu.click(first, "leaderboard:next", me)
        assert second.embeds[0]["footer"]["text"].startswith("Page 2/2")
        assert lines(second)[1:] == [
            f"**7.** <@{u.id}> — **2** points" for u in sorted(users[::2], key=lambda u: u.id)[4:]
        ]
        stranger = await h.emu.click(second, "leaderboard:previous", users[1])
        assert stranger.ephemeral
        week = period_of("week", h.clock.now().date())
        assert week.first.isoformat() == "2026-11-02"
