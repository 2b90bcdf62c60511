"""End to end: moderators review what the anti-fraud detector held in escrow (`/mod review`),
release or void it (`/mod release`, `/mod void-held`) and read its flags (`/mod flags`), the real
bot against the emulator.

Holds come from real closes paying real points and tier tokens: only the detector's verdict is
fixed (its signals are tested in tests/domain and bench/fraud), by replacing the running
closer's `judge` with one that holds the chosen members and pairs every day.
"""

from __future__ import annotations

import discord
import orjson
import pytest

from bot.emulator import EmulatorError, Reply
from bot.emulator.models import User
from bot.emulator.permissions import DEFAULT_BOT
from bot.interaction_errors import UserError
from bot.services.escrow import Evidence, Flagged, Flags
from bot.store.day_close import DayCloseResult
from bot.store.fraud import FraudDay
from bot.store.ledger import LedgerRepository
from cogs.holds_log import held_summary
from cogs.holds_render import render_flags
from cogs.moderation import _refused
from tests.e2e.harness import Live, live

SPARK = [{"name": "Spark", "days": 2, "tokens": 10}]
PING_PONG = "12 of 12 turns within 15 s over 4 days (median 3.0 s)"
WHY = orjson.dumps([["ping_pong", PING_PONG, 0.8]]).decode()
ROLE = "<@&123456789012345678>"
HOSTILE = orjson.dumps([["burst", f"@everyone **41** exchanges {ROLE} vs a median of 2", 0.8]])


def text(reply: Reply) -> str:
    """What the moderator reads: the embed's description, or the content of an error."""
    return reply.embeds[0]["description"] if reply.embeds else reply.content


def footer(reply: Reply) -> str:
    return reply.embeds[0]["footer"]["text"]


def pings_nobody(reply: Reply) -> bool:
    allowed = reply.message.allowed_mentions or {}
    return allowed.get("parse") == [] and not allowed.get("users") and not allowed.get("roles")


def hold_every_day(
    h: Live,
    monkeypatch: pytest.MonkeyPatch,
    members: dict[int, str] | None = None,
    pairs: dict[tuple[int, int], str] | None = None,
) -> None:
    """From now on the detector holds these members' rewards (and these pairs' tier tokens)
    at every close; the close itself (payments, escrow, holds rows) is the real one."""

    async def judge(guild: int, days, config, first_day=None) -> dict[str, FraudDay]:
        return {
            day: FraudDay(held_members=dict(members or {}), held_pairs=dict(pairs or {}))
            for day in days
        }

    monkeypatch.setattr(h.services.closer.detector, "judge", judge)


async def start(h: Live, tiers: list[dict] = SPARK) -> None:
    await h.start_bot()
    await h.configure(tiers=tiers)
    await h.services.treasury.fund(h.guild.id, 10_000, key="fund:test")


async def days_of_exchanges(h: Live, a: User, b: User, days: int) -> None:
    for _ in range(days):
        await h.exchange(a, b)
        await h.midnight()


async def holds(h: Live) -> list[tuple]:
    """Every hold: (id, day, member, a, b, amount, reason, status), in ID order."""
    async with h.services.db.connection.execute(
        "SELECT id, day, member, a, b, amount, reason, status FROM holds WHERE guild = ?"
        " ORDER BY id",
        (h.guild.id,),
    ) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


async def balance(h: Live, account: int) -> int:
    return await LedgerRepository(h.services.db).balance(h.guild.id, account)


async def conserved(h: Live) -> None:
    totals = await LedgerRepository(h.services.db).totals(h.guild.id)
    assert totals.funded == totals.held  # escrow (account 2) is part of what is held
    assert totals.mismatched_accounts == 0


async def mod(h: Live, name: str, **options) -> Reply:
    """The owner (Manage Server and everything) runs a moderator command."""
    reply = await h.emu.command(h.guild, h.general, h.owner, name, **options)
    assert reply.ephemeral
    assert pings_nobody(reply)
    return reply


async def test_review_lists_real_holds_with_ids_amounts_and_reasons_and_pages(
    tmp_path, monkeypatch
):
    async with live(tmp_path, "alice", "bob", "carol") as (h, (alice, bob, carol)):
        await start(h)
        nothing = await mod(h, "mod review")
        assert "Nothing is held" in text(nothing)

        hold_every_day(h, monkeypatch, members={alice.id: WHY, bob.id: WHY})
        await days_of_exchanges(h, alice, bob, 4)
        held = await holds(h)
        assert len(held) > 8  # points each day for both, and both sides of Spark
        assert {row[7] for row in held} == {"held"}
        assert await balance(h, alice.id) == 0  # everything went to escrow
        tokens = sum(row[5] for row in held)
        assert await balance(h, 2) == tokens
        await conserved(h)

        first = await mod(h, "mod review")
        said = text(first)
        assert f"**{len(held)}** payments held, **{tokens}** tokens in escrow" in said
        assert footer(first) == f"Page 1/2 · {len(held)} holds"
        lines = [line for line in said.splitlines() if line.startswith("**#")]
        assert len(lines) == 8
        ids, day, member, _, _, amount, _, _ = held[0]
        assert lines[0] == f"**#{ids}** · {day} · <@{member}> · **{amount}** tokens · points"
        assert "└ **ping\\_pong**: " + PING_PONG in said
        [tier] = [row for row in held if row[6] == "tier" and row[2] == alice.id]
        tier_line = next(line for line in lines if line.startswith(f"**#{tier[0]}** "))
        pair = f"<@{min(alice.id, bob.id)}> & <@{max(alice.id, bob.id)}>"
        assert tier_line.endswith(f"**10** tokens · **Spark** tier tokens · pair {pair}")

        second = await h.emu.click(first, "mod-review:next", h.owner)
        assert footer(second) == f"Page 2/2 · {len(held)} holds"
        shown = [line.split(" · ")[0] for line in text(second).splitlines() if "**#" in line]
        assert shown == [f"**#{row[0]}**" for row in held[8:]]
        back = await h.emu.click(second, "mod-review:previous", h.owner)
        assert footer(back).startswith("Page 1/2")

        # One member's holds (those owed to them): carol has none.
        alone = await mod(h, "mod review", member=carol)
        assert f"Nothing is held for <@{carol.id}>" in text(alone)
        of_alice = await mod(h, "mod review", member=alice)
        owed = [row for row in held if row[2] == alice.id]
        assert f"**{len(owed)}** payments held for <@{alice.id}>" in text(of_alice)
        assert f"<@{bob.id}> · **" not in text(of_alice)


async def test_release_by_id_then_by_member_pays_once_and_conserves(tmp_path, monkeypatch):
    async with live(tmp_path, "mod", "alice", "bob") as (h, (moderator, alice, bob)):
        cleaners = h.guild.create_role(
            "Cleaners", permissions=discord.Permissions(manage_messages=True)
        )
        await h.emu.member_update(h.guild, moderator, roles=[cleaners])
        await start(h)
        hold_every_day(h, monkeypatch, members={alice.id: WHY})
        await days_of_exchanges(h, alice, bob, 2)
        held = await holds(h)
        assert {row[2] for row in held} == {alice.id}
        assert [row[6] for row in held] == ["points", "points", "tier"]
        first, second, tier = held
        assert await balance(h, alice.id) == 0
        bob_before = await balance(h, bob.id)

        released = await h.emu.command(
            h.guild,
            h.general,
            moderator,
            "mod release",
            holds=f"#{first[0]}, #{tier[0]}",
            reason="checked: real friends",
        )
        assert released.ephemeral
        assert pings_nobody(released)
        paid = first[5] + tier[5]
        assert f"Released **2** holds: **{paid}** tokens paid" in text(released)
        assert "Reason: checked: real friends" in text(released)
        assert await balance(h, alice.id) == paid
        assert await balance(h, 2) == second[5]
        assert [row[7] for row in await holds(h)] == ["released", "held", "released"]
        assert await balance(h, bob.id) == bob_before
        await conserved(h)

        again = await mod(h, "mod release", holds=str(first[0]))
        assert "Nothing is held there" in again.content
        assert await balance(h, alice.id) == paid
        await conserved(h)

        by_member = await mod(h, "mod release", member=alice)
        assert f"Released **1** hold of <@{alice.id}>: **{second[5]}** tokens" in text(by_member)
        assert "Reason: no reason given" in text(by_member)
        assert await balance(h, alice.id) == paid + second[5]
        assert await balance(h, 2) == 0
        assert {row[7] for row in await holds(h)} == {"released"}
        await conserved(h)
        nothing_left = await mod(h, "mod release", member=alice)
        assert "Nothing is held there" in nothing_left.content

        review = await mod(h, "mod review")
        assert "Nothing is held" in text(review)
        audit = await mod(h, "mod audit")
        assert f"<@{moderator.id}> released rewards held for <@{alice.id}> ({paid} tokens)" in (
            text(audit)
        )
        history = await h.emu.command(h.guild, h.general, alice, "history")
        assert "tier" in text(history)


async def test_a_release_names_the_requested_holds_that_were_not_open(tmp_path, monkeypatch):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await start(h)
        hold_every_day(h, monkeypatch, members={alice.id: WHY})
        await days_of_exchanges(h, alice, bob, 2)
        first, second, _ = await holds(h)
        await mod(h, "mod release", holds=f"#{first[0]}")
        both = await mod(h, "mod release", holds=f"#{first[0]} #{second[0]} #999999")
        assert f"Released **1** hold: **{second[5]}** tokens" in text(both)
        assert f"Not held (decided already, or no such hold): #{first[0]}, #999999" in text(both)
        assert [row[7] for row in await holds(h)] == ["released", "released", "held"]
        await conserved(h)


async def test_void_held_sends_tokens_back_to_the_treasury(tmp_path, monkeypatch):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await start(h)
        hold_every_day(h, monkeypatch, pairs={(min(alice.id, bob.id), max(alice.id, bob.id)): WHY})
        await days_of_exchanges(h, alice, bob, 2)
        held = await holds(h)
        # A held pair: only its tier tokens are held, for both members; points are paid.
        assert sorted(row[2] for row in held) == sorted([alice.id, bob.id])
        assert {row[6] for row in held} == {"tier"}
        alice_before, bob_before = await balance(h, alice.id), await balance(h, bob.id)
        assert alice_before > 0
        treasury = await balance(h, 0)
        one, other = held

        voided = await mod(h, "mod void-held", holds=str(one[0]), reason="alt accounts")
        assert f"Voided **1** hold: **{one[5]}** tokens went back to the treasury" in text(voided)
        assert await balance(h, 0) == treasury + one[5]
        assert await balance(h, 2) == other[5]
        assert [row[7] for row in await holds(h)] == ["voided", "held"]
        await conserved(h)
        twice = await mod(h, "mod void-held", holds=f"#{one[0]}")
        assert "Nothing is held there" in twice.content
        released = await mod(h, "mod release", holds=f"#{one[0]}")  # decided holds stay so
        assert "Nothing is held there" in released.content

        # By member: the holds owed to them, not their partner's share of the pair's tier.
        owners = {alice.id: alice, bob.id: bob}
        decided = await mod(h, "mod void-held", member=owners[one[2]])
        assert "Nothing is held there" in decided.content
        by_member = await mod(h, "mod void-held", member=owners[other[2]])
        assert f"Voided **1** hold of <@{other[2]}>: **{other[5]}** tokens" in text(by_member)
        assert await balance(h, 0) == treasury + one[5] + other[5]
        assert await balance(h, 2) == 0
        assert (await balance(h, alice.id), await balance(h, bob.id)) == (alice_before, bob_before)
        assert {row[7] for row in await holds(h)} == {"voided"}
        await conserved(h)


async def test_bad_release_requests_get_clear_errors(tmp_path, monkeypatch):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await start(h)
        hold_every_day(h, monkeypatch, members={alice.id: WHY})
        await days_of_exchanges(h, alice, bob, 1)
        [held] = await holds(h)
        for name in ("mod release", "mod void-held"):
            neither = await mod(h, name)
            assert "Give either hold IDs or a member, not both" in neither.content
            both = await mod(h, name, holds=str(held[0]), member=alice)
            assert "Give either hold IDs or a member, not both" in both.content
            word = await mod(h, name, holds="12 twelve")
            assert "`twelve` is not a hold ID" in word.content
            zero = await mod(h, name, holds="#0")
            assert "`0` is not a hold ID" in zero.content
            blank = await mod(h, name, holds=" , ")
            assert "Give the IDs of the holds" in blank.content
            many = await mod(h, name, holds=" ".join(str(n) for n in range(1, 60)))
            assert "At most 50 holds at a time" in many.content
            unknown = await mod(h, name, holds="999")
            assert "Nothing is held there" in unknown.content
        assert [row[7] for row in await holds(h)] == ["held"]
        await conserved(h)


async def add_flag(h: Live, day: str, a: int, b: int, score: float, held: int, why) -> None:
    """A fraud_flags row as a close writes it (read-only evidence for /mod flags)."""
    reasons = why if isinstance(why, str) else orjson.dumps(why).decode()
    async with h.services.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO fraud_flags (guild, day, a, b, score, held, reasons)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (h.guild.id, day, a, b, score, held, reasons),
        )


async def test_flags_show_evidence_scores_and_never_content(tmp_path):
    async with live(tmp_path, "alice", "bob", "carol") as (h, (alice, bob, carol)):
        await start(h)
        await h.emu.say(h.general, alice, f"secret farming line {bob.mention}", mentions=[bob])
        await h.settle()
        empty = await mod(h, "mod flags")
        assert empty.embeds[0]["title"] == "Fraud flags"
        assert "Nobody was flagged in the last 7 days (since 2026-10-26)" in text(empty)

        pair = (min(alice.id, bob.id), max(alice.id, bob.id))
        await add_flag(h, "2026-11-01", *pair, 0.8, 1, [["ping_pong", PING_PONG, 0.8]])
        await add_flag(h, "2026-10-31", alice.id, 0, 0.44, 0, [["too_new", "account 0 days", 0.2]])
        await add_flag(h, "2026-10-31", carol.id, 0, 0.92, 1, HOSTILE.decode())
        await add_flag(h, "2026-10-01", bob.id, 0, 0.3, 0, [["closed_partners", "3 of 3", 0.3]])

        flags = await mod(h, "mod flags")
        said = text(flags)
        assert "Riskiest first, over the last 7 days (since 2026-10-26)." in said
        members, pairs = said.split("__Pairs__")
        assert members.index(f"<@{carol.id}>") < members.index(f"<@{alice.id}>")
        assert f"<@{carol.id}> · risk **92%** · **held** · 2026-10-31" in members
        assert f"<@{alice.id}> · risk **44%** · not held · 2026-10-31" in members
        assert "└ **too\\_new**: account 0 days" in members
        assert f"<@{pair[0]}> & <@{pair[1]}> · risk **80%** · **held** · 2026-11-01" in pairs
        assert f"└ **ping\\_pong**: {PING_PONG}" in pairs
        assert f"\n<@{bob.id}> ·" not in said  # flagged before the window
        assert "secret" not in said
        assert "farming" not in said
        assert "@everyone" not in said
        assert ROLE not in said
        assert "\\*\\*41\\*\\*" in said  # hostile markdown shown as text

        older = await mod(h, "mod flags", days=90)
        assert f"<@{bob.id}> · risk **30%** · not held · 2026-10-01" in text(older)
        one = await mod(h, "mod flags", days=1)
        assert "over the last day (since 2026-11-01)" in text(one)
        assert f"<@{carol.id}>" not in text(one)

        # Discord refuses days out of range (the option says 1 to 90), the bot too.
        [sync] = h.emu.find_requests("PUT", "*/commands")
        [group] = [c for c in sync.json if c["name"] == "mod"]
        [command] = [c for c in group["options"] if c["name"] == "flags"]
        [days] = command["options"]
        assert (days["min_value"], days["max_value"], days["required"]) == (1, 90, False)
        for wrong in (0, 91):
            with pytest.raises(EmulatorError):
                await h.emu.command(h.guild, h.general, h.owner, "mod flags", days=wrong)
        escrow = h.bot.get_cog("Moderation").escrow
        with pytest.raises(UserError, match="Look back 1 to 90 days, not 0"):
            await _refused(escrow.flags(h.guild.id, 0))


async def test_only_moderators_may_review_release_void_and_read_flags(tmp_path, monkeypatch):
    async with live(tmp_path, "mod", "janitor", "plain", "alice", "bob") as (h, users):
        moderator, janitor, plain, alice, bob = users
        role = h.guild.create_role("Streak mods", permissions=discord.Permissions.none())
        cleaners = h.guild.create_role(
            "Cleaners", permissions=discord.Permissions(manage_messages=True)
        )
        await h.emu.member_update(h.guild, moderator, roles=[role])
        await h.emu.member_update(h.guild, janitor, roles=[cleaners])
        await start(h)
        await h.configure(tiers=SPARK, moderation={"role": role.id})
        hold_every_day(h, monkeypatch, members={alice.id: WHY})
        await days_of_exchanges(h, alice, bob, 2)
        first, second, third = await holds(h)

        for name, options in [
            ("mod review", {}),
            ("mod review", {"member": alice}),
            ("mod release", {"holds": str(first[0])}),
            ("mod release", {"member": alice}),
            ("mod void-held", {"holds": str(first[0])}),
            ("mod void-held", {"member": alice}),
            ("mod flags", {}),
            ("mod flags", {"days": 30}),
        ]:
            refused = await h.emu.command(h.guild, h.general, plain, name, **options)
            assert refused.ephemeral
            assert "moderator command" in refused.content
            assert "Manage Messages" in refused.content
        assert {row[7] for row in await holds(h)} == {"held"}
        assert await balance(h, alice.id) == 0

        for who in (moderator, janitor):
            review = await h.emu.command(h.guild, h.general, who, "mod review")
            assert review.ephemeral
            assert review.embeds[0]["title"] == "Held rewards"
            flags = await h.emu.command(h.guild, h.general, who, "mod flags")
            assert flags.ephemeral
            assert flags.embeds[0]["title"] == "Fraud flags"
        by_role = await h.emu.command(
            h.guild, h.general, moderator, "mod release", holds=str(first[0])
        )
        assert "Released **1** hold" in text(by_role)
        by_permission = await h.emu.command(
            h.guild, h.general, janitor, "mod void-held", holds=f"{second[0]} {third[0]}"
        )
        assert "Voided **2** holds" in text(by_permission)
        assert [row[7] for row in await holds(h)] == ["released", "voided", "voided"]
        await conserved(h)


async def test_hostile_names_reasons_and_evidence_ping_nobody(tmp_path, monkeypatch):
    async with live(tmp_path, "@everyone", "bob") as (h, (hostile, bob)):
        await start(h)
        hold_every_day(h, monkeypatch, members={hostile.id: HOSTILE.decode()})
        await days_of_exchanges(h, hostile, bob, 2)
        await add_flag(h, "2026-11-02", hostile.id, 0, 0.9, 1, HOSTILE.decode())
        held = await holds(h)
        assert held

        review = await mod(h, "mod review")
        flags = await mod(h, "mod flags")
        for reply in (review, flags):
            said = text(reply)
            assert f"<@{hostile.id}>" in said  # a mention in an embed: shown, never pings
            assert "@everyone" not in said
            assert ROLE not in said
            assert "@\u200beveryone" in said
        released = await mod(
            h, "mod release", holds=str(held[0][0]), reason=f"@everyone {ROLE} **loud**"
        )
        assert "@everyone" not in text(released)
        assert "\\*\\*loud\\*\\*" in text(released)
        voided = await mod(h, "mod void-held", member=hostile, reason="@here")
        assert "@here" not in text(voided)
        await conserved(h)


def test_long_evidence_is_cut_to_fit_one_embed():
    long = tuple(Evidence(f"signal{n}", "x" * 500, 0.5) for n in range(6))
    flagged = [Flagged(n, None, "2026-11-01", 0.9, True, long) for n in range(1, 11)]
    said = render_flags(Flags("2026-10-26", flagged, flagged), 7).description
    assert len(said) <= 4096
    assert "more not shown (too long for one embed)" in said
    assert "x" * 299 + "…" in said
    assert "x" * 300 not in said


async def test_a_held_pair_reaching_a_tier_gets_no_role_and_no_announcement(tmp_path, monkeypatch):
    """The streak advances and the badge is kept, but a suspected pair is not celebrated while
    its rewards wait in escrow; an honest pair reaching the tier the same night is."""
    async with live(tmp_path, "alice", "bob", "carol", "dave") as (h, (alice, bob, carol, dave)):
        h.guild.set_bot_permissions(DEFAULT_BOT | discord.Permissions(manage_roles=True).value)
        streaks = h.guild.create_text_channel("streaks")
        await h.start_bot()
        await h.configure(
            announce={"channel": streaks.id},
            tiers=[{"name": "Spark", "days": 2, "tokens": 10, "freezes": 0, "role": "Sparks"}],
        )
        await h.services.treasury.fund(h.guild.id, 10_000, key="fund:test")
        hold_every_day(h, monkeypatch, members={alice.id: WHY})
        for _ in range(2):
            await h.exchange(alice, bob)
            await h.exchange(carol, dave)
            [result] = await h.midnight()
        assert sorted(result.tiers) == sorted(
            [(alice.id, bob.id, "Spark"), (carol.id, dave.id, "Spark")]
        )
        assert result.held_tiers == [(alice.id, bob.id, "Spark")]
        role = h.guild.role("Sparks")
        assert [role in h.guild.member(m).roles for m in (alice, bob, carol, dave)] == [
            False,
            False,
            True,
            True,
        ]
        [announcement] = h.emu.channel_messages(streaks)
        assert f"<@{carol.id}> and <@{dave.id}> reached **Spark**" in announcement.content


async def test_moderators_are_told_in_their_log_channel_when_rewards_are_held(
    tmp_path, monkeypatch
):
    """Holds nobody decides end on their own, so moderators are told: how many and how much,
    never who or why (that is for /mod review)."""
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        log_channel = h.guild.create_text_channel("mod-log")
        await start(h)
        await h.configure(tiers=SPARK, moderation={"log_channel": log_channel.id})
        hold_every_day(h, monkeypatch, members={alice.id: WHY})
        await days_of_exchanges(h, alice, bob, 2)
        _, second = h.emu.channel_messages(log_channel)
        assert "Rewards held for review" in second.content
        day = (await holds(h))[-1][1]
        assert f"• {day}: " in second.content
        assert "(1 member, 1 pair)" in second.content  # the tier: alice's share of the pair
        assert "released to the members at the close of" in second.content
        assert "/mod review" in second.content
        assert str(alice.id) not in second.content
        assert "alice" not in second.content
        assert "ping_pong" not in second.content
        assert second.allowed_mentions == {"parse": []}


async def test_without_a_log_channel_nobody_is_told_and_a_bad_one_is_told_to_the_owner(
    tmp_path, monkeypatch
):
    async with live(tmp_path, "alice", "bob") as (h, (alice, bob)):
        await start(h)
        hold_every_day(h, monkeypatch, members={alice.id: WHY})
        await days_of_exchanges(h, alice, bob, 1)
        assert h.emu.dm_messages(h.owner) == []
        await h.configure(tiers=SPARK, moderation={"log_channel": 424242424242424242})
        await days_of_exchanges(h, alice, bob, 2)
        [notice] = h.emu.dm_messages(h.owner)  # once, however many closes
        assert "moderation.log_channel" in notice.content
        assert "/mod review" in notice.content


def test_the_moderators_log_says_what_happens_to_unreviewed_holds():
    held = DayCloseResult(1, "2026-11-03", held=1234, held_members=3, held_pairs=3)
    text = held_summary([held], 7, "void")
    assert "• 2026-11-03: 1,234 tokens (3 members, 3 pairs); voided at the close of 2026-11-10" in (
        text
    )
