"""Issue 5 through the services on a real SQLite file: the evidence ingest logs (instants,
kinds, verdicts), the account gate, the detector at the close (flags, pruning) and the escrow of
held rewards (held, then released or voided when nobody reviews them).

Default points (rule 9): message 1, mention 2, reply 3, reaction 1, cooldown 60 s, no cap.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest

from bot.clock import ManualClock
from bot.domain.events import MemberEvent, MessageEvent
from bot.domain.fraud.accounts import DISCORD_EPOCH_MS
from bot.domain.ledger import ESCROW, TREASURY
from bot.guild_config import GuildConfig
from bot.services.intake import Intake
from bot.services.privacy import PrivacyService
from bot.store.database import Database
from bot.store.fraud import FraudDay
from tests.services.builders import (
    A,
    B,
    C,
    D,
    Engine,
    Events,
    G,
    at,
    balances,
    config,
    exchange_counts,
    exchanges,
    iso,
    points,
    rows,
    streak,
    value,
)

CROWD = tuple(range(201, 221))  # twenty old accounts (tiny snowflakes: made in 2015)
SPARK_5 = [{"name": "Spark", "days": 5, "tokens": 10, "freezes": 0}]


def snowflake(created: datetime) -> int:
    """A Discord ID made at `created`."""
    return (round(created.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22


def ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def said(
    ev: Events, author: int, ts: datetime, content: str | None, **kwargs: object
) -> MessageEvent:
    """A message with its content known (the message content intent)."""
    return dataclasses.replace(ev.message(author, ts, **kwargs), content=content)


def joined(user: int, when: datetime) -> MemberEvent:
    return MemberEvent(G, user, joined=when)


@pytest.fixture
def ev() -> Events:
    return Events()


async def started(db: Database, clock: ManualClock, cfg: GuildConfig, fund: int = 1000) -> Engine:
    return await Engine(db, cfg, clock).start(fund=fund)


async def fraud_log(db: Database, day_n: int | None = None) -> list[tuple]:
    """(day, src, dst, at_ms, kind, message, verdict) rows, in time order."""
    where = "" if day_n is None else f" AND day = '{iso(day_n)}'"
    return await rows(
        db,
        "SELECT day, src, dst, at_ms, kind, message, verdict FROM fraud_exchanges"
        f" WHERE guild = ?{where} ORDER BY at_ms, src, dst",
        G,
    )


async def flags(db: Database) -> list[tuple]:
    """(day, a, b, held, signals) of every flag, in day order."""
    found = await rows(
        db, "SELECT day, a, b, held, reasons FROM fraud_flags WHERE guild = ? ORDER BY day, a, b", G
    )
    return [
        (day, a, b, held, tuple(reason[0] for reason in orjson.loads(why)))
        for day, a, b, held, why in found
    ]


async def assert_conserved(engine: Engine, funded: int) -> None:
    totals = await engine.ledger.totals(G)
    assert (totals.funded, totals.held, totals.mismatched_accounts) == (funded, funded, 0)


def exchanges_of_a_day(ev: Events, n: int) -> list[MessageEvent]:
    """A mentions B, B replies, C reacts to A; then three low-quality answers: ".", an emoji
    and a bare mention."""
    first = said(ev, A, at(n, 12), "hello there bob", mentions=(B,))
    reply = said(ev, B, at(n, 12, 1), "hi alice, how are you", reply_to=first.id)
    dot = said(ev, A, at(n, 12, 3), ".", reply_to=reply.id)
    emoji = said(ev, B, at(n, 12, 4), "👍", reply_to=dot.id)
    ping = said(ev, C, at(n, 12, 5), f"<@{A}>", mentions=(A,))
    return [first, reply, ev.reaction(C, first.id, at(n, 12, 2)), dot, emoji, ping]


# -- the evidence ingest logs -----------------------------------------------------------------


async def test_ingest_logs_every_exchange_with_its_instant_kind_message_and_verdict(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config())
    first, reply, reaction, dot, emoji, ping = exchanges_of_a_day(ev, 1)
    await engine.ingest(first, reply, reaction, dot, emoji, ping)
    assert await fraud_log(db) == []  # nothing before the flush
    await engine.ingestor.flush()

    assert await fraud_log(db) == [
        (iso(1), A, B, ms(at(1, 12)), "mention", first.id, None),
        (iso(1), B, A, ms(at(1, 12, 1)), "reply", reply.id, None),
        (iso(1), C, A, ms(at(1, 12, 2)), "reaction", None, None),
        (iso(1), A, B, ms(at(1, 12, 3)), "reply", dot.id, "too_short"),
        (iso(1), B, A, ms(at(1, 12, 4)), "reply", emoji.id, "emoji_only"),
        (iso(1), C, A, ms(at(1, 12, 5)), "mention", ping.id, "mention_only"),
    ]
    # The low-quality answers count for nothing: no exchange, no point.
    assert await exchange_counts(db, 1) == {
        (A, B, "mention"): 1,
        (B, A, "reply"): 1,
        (C, A, "reaction"): 1,
    }
    assert await points(db, 1) == {A: 2, B: 3, C: 1}
    assert engine.ingestor.stats.low_quality == 3


async def test_with_fraud_disabled_nothing_is_logged_and_nothing_is_judged(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config(fraud={"enabled": False}))
    await engine.ingest(*exchanges_of_a_day(ev, 1))
    await engine.ingestor.flush()
    assert await fraud_log(db) == []
    # As before issue 5: "." and the emoji are answers like any other.
    assert await exchange_counts(db, 1) == {
        (A, B, "mention"): 1,
        (A, B, "reply"): 1,
        (B, A, "reply"): 2,
        (C, A, "reaction"): 1,
        (C, A, "mention"): 1,
    }
    assert engine.ingestor.stats.low_quality == 0
    await engine.close(1)
    assert await rows(db, "SELECT * FROM fraud_member_days") == []
    assert await rows(db, "SELECT * FROM fraud_flags") == []


async def test_messages_without_content_are_logged_as_counted(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config())
    first, reply = ev.mutual(A, B, at(1))
    await engine.ingest(first, reply)
    await engine.ingestor.flush()
    assert await fraud_log(db) == [
        (iso(1), A, B, ms(at(1)), "mention", first.id, None),
        (iso(1), B, A, ms(at(1) + timedelta(minutes=5)), "reply", reply.id, None),
    ]


# -- the account gate ---------------------------------------------------------------------------


async def test_a_brand_new_account_is_logged_but_makes_no_streak_until_a_day_old(
    db: Database, clock: ManualClock, ev: Events
):
    newcomer = snowflake(at(1, 11, 55))  # made five minutes before its first message
    engine = await started(db, clock, config())
    hello = said(ev, A, at(1, 12), "welcome to the server", mentions=(newcomer,))
    thanks = said(ev, newcomer, at(1, 12, 5), "thanks, glad to be here", reply_to=hello.id)
    await engine.ingest(hello, thanks, ev.reaction(newcomer, hello.id, at(1, 12, 6)))
    await engine.ingestor.flush()

    assert [(src, dst, kind) for _, src, dst, _, kind, _, _ in await fraud_log(db, 1)] == [
        (A, newcomer, "mention"),
        (newcomer, A, "reply"),
        (newcomer, A, "reaction"),
    ]
    assert await exchanges(db, 1) == set()
    assert await points(db, 1) == {A: 1, newcomer: 1}  # plain messages, no exchange points

    # Day 2: at 23 h 55 min old still gated, at a day and ten minutes it counts.
    early = said(ev, newcomer, at(2, 11, 50), "morning everyone", mentions=(A,))
    hello2 = said(ev, A, at(2, 12, 5), "how was your first day", mentions=(newcomer,))
    answer = said(ev, newcomer, at(2, 12, 6), "great, thank you", reply_to=hello2.id)
    await engine.ingest(early, hello2, answer)
    await engine.close(2)
    assert len(await fraud_log(db, 2)) == 3
    assert await exchanges(db, 2) == {(A, newcomer, "mention"), (newcomer, A, "reply")}
    assert (await streak(db, A, newcomer))["run_start"] == iso(2)
    # The detector saw the account as too new on day 1 only (a flag, never a hold).
    assert await flags(db) == [(iso(1), newcomer, 0, 0, ("too_new",))]


async def test_min_member_days_gates_a_newcomer_and_the_join_time_survives_a_restart(
    db_path: Path, clock: ManualClock, ev: Events
):
    cfg = config(fraud={"min_member_days": 1})
    db = await Database.open(db_path)
    try:
        engine = await Engine(db, cfg, clock).start(fund=100)
        await engine.ingest(joined(C, at(1, 8)), *ev.mutual(A, C, at(1, 12)))
        await engine.ingestor.flush()
        assert len(await fraud_log(db, 1)) == 2
        assert await exchanges(db, 1) == set()
        assert await value(
            db, "SELECT joined_ms FROM members WHERE guild = ? AND user = ?", G, C
        ) == ms(at(1, 8))
    finally:
        await db.close()

    db = await Database.open(db_path)
    try:
        restarted = Engine(db, cfg, clock)
        # 23 hours in the guild: still gated, after the restart too.
        await restarted.ingest(*ev.mutual(A, C, at(2, 7)))
        await restarted.ingestor.flush()
        assert await exchanges(db, 2) == set()
        await restarted.ingest(*ev.mutual(A, C, at(2, 9)))
        await restarted.ingestor.flush()
        assert await exchanges(db, 2) == {(A, C, "mention"), (C, A, "reply")}
        assert len(await fraud_log(db, 2)) == 4
    finally:
        await db.close()


# -- the detector at the close --------------------------------------------------------------------


async def ping_pong(engine: Engine, ev: Events, n: int, a: int = C, b: int = D) -> None:
    """`a` and `b` trade "." within seconds: eight messages, each answering the last."""
    message = said(ev, a, at(n, 20), ".", mentions=(b,))
    found = [message]
    moment = at(n, 20)
    for index, gap in enumerate([3, 5, 1, 8, 2, 10, 4]):
        moment += timedelta(seconds=gap)
        author = (a, b)[(index + 1) % 2]
        message = said(ev, author, moment, ".", reply_to=message.id)
        found.append(message)
    await engine.ingest(*found)


async def test_the_close_flags_and_holds_colluders_and_prunes_old_evidence(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(
        db, clock, config(fraud={"pair_window_days": 3, "burst_history_days": 2})
    )
    for n in range(1, 6):
        await engine.ingest(*ev.mutual(A, B, at(n)))
        await ping_pong(engine, ev, n)
    results = await engine.close(5)
    assert [r.day for r in results] == [iso(n) for n in range(1, 6)]

    # Low quality from the first day (0.5: a flag); ping-pong once the window has three days.
    assert await flags(db) == [
        (iso(1), C, D, 0, ("low_quality",)),
        (iso(2), C, D, 0, ("low_quality",)),
        (iso(3), C, D, 1, ("ping_pong", "low_quality")),
        (iso(4), C, D, 1, ("ping_pong", "low_quality")),
        (iso(5), C, D, 1, ("ping_pong", "low_quality")),
    ]
    assert await value(db, "SELECT score FROM fraud_flags WHERE day = ?", iso(5)) == 0.9
    # The honest pair: no flag, its streak runs; the colluders' "." made no streak.
    assert (await streak(db, A, B))["current"] == 5
    assert await streak(db, C, D) is None
    # Evidence the windows no longer reach is gone: exchanges of the pair window's three days,
    # member days of the burst history's two days before the last closed.
    days = await rows(db, "SELECT DISTINCT day FROM fraud_exchanges ORDER BY day")
    assert days == [(iso(3),), (iso(4),), (iso(5),)]
    assert await rows(
        db, "SELECT day, member, made FROM fraud_member_days ORDER BY day, member"
    ) == [(iso(n), member, made) for n in (3, 4, 5) for member, made in
          ((A, 1), (B, 1), (C, 4), (D, 4))]  # fmt: skip


async def test_closing_day_by_day_finds_the_same_as_catching_up(
    db: Database, clock: ManualClock, ev: Events
):
    """The detector keeps the pair window in memory between closes, or reads it back from the
    store: the findings are the same."""
    engine = await started(db, clock, config(fraud={"pair_window_days": 3}))
    for n in range(1, 5):
        await engine.ingest(*ev.mutual(A, B, at(n)))
        await ping_pong(engine, ev, n)
        await engine.close(n)
    assert [(day, held) for day, _, _, held, _ in await flags(db)] == [
        (iso(1), 0),
        (iso(2), 0),
        (iso(3), 1),
        (iso(4), 1),
    ]


# -- holds and escrow ---------------------------------------------------------------------------


async def burst_week(engine: Engine, ev: Events) -> None:
    """A and B talk daily (A makes one exchange a day); on day 5, when they reach Spark, A
    mentions the twenty-member crowd twice (41 exchanges: above 5 × 1 + 30 and the guild's
    day), and each of the crowd answers once."""
    for n in range(1, 5):
        await engine.ingest(*ev.mutual(A, B, at(n)))
        await engine.close(n)
    blast = ev.message(A, at(5, 13), mentions=CROWD)
    answers = [
        ev.message(member, at(5, 14, index), reply_to=blast.id)
        for index, member in enumerate(CROWD)
    ]
    await engine.ingest(
        *ev.mutual(A, B, at(5)), blast, ev.message(A, at(5, 13, 10), mentions=CROWD), *answers
    )
    (result,) = await engine.close(5)
    assert result.tiers == [(A, B, "Spark")]
    assert result.held == 16


async def test_a_held_member_s_rewards_go_to_escrow_and_the_partner_is_paid(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config(tiers=SPARK_5))
    await burst_week(engine, ev)

    assert await flags(db) == [(iso(5), A, 0, 1, ("burst",))]
    assert await points(db, 5) == {A: 6, B: 3, **dict.fromkeys(CROWD, 3)}
    holds = await rows(
        db,
        "SELECT day, member, a, b, source, amount, reason, status FROM holds ORDER BY id",
    )
    assert holds == [
        (iso(5), A, None, None, TREASURY, 6, "points", "held"),
        (iso(5), A, A, B, TREASURY, 10, "tier", "held"),
    ]
    why = orjson.loads(await value(db, "SELECT why FROM holds WHERE reason = 'tier'"))
    assert [reason[0] for reason in why] == ["burst"]
    assert await rows(
        db, "SELECT amount, reason FROM ledger WHERE target = ? ORDER BY amount", ESCROW
    ) == [(6, "points"), (10, "tier")]
    # B's tier tokens and points, and the crowd's points, are paid as usual.
    assert await balances(db) == {
        TREASURY: 1000 - 8 - 25 - 16 - 60,
        ESCROW: 16,
        A: 8,  # days 1-4 only
        B: 12 + 3 + 10,
        **dict.fromkeys(CROWD, 3),
    }
    await assert_conserved(engine, 1000)


@pytest.mark.parametrize(
    ("on_expiry", "status", "a_balance", "treasury"),
    [
        ("release", "released", 8 + 16, 1000 - 8 - 25 - 16 - 60),
        ("void", "voided", 8, 1000 - 8 - 25 - 60),
    ],
)
async def test_an_unreviewed_hold_ends_after_hold_days(
    db: Database,
    clock: ManualClock,
    ev: Events,
    on_expiry: str,
    status: str,
    a_balance: int,
    treasury: int,
):
    engine = await started(
        db, clock, config(tiers=SPARK_5, fraud={"hold_days": 2, "on_expiry": on_expiry})
    )
    await burst_week(engine, ev)
    (day6,) = await engine.close(6)  # a quiet day: the close still runs (a hold is open)
    assert (day6.released, day6.voided) == (0, 0)
    assert await value(db, "SELECT count(*) FROM holds WHERE status = 'held'") == 2

    (day7,) = await engine.close(7)
    assert (day7.released, day7.voided) == ((16, 0) if on_expiry == "release" else (0, 16))
    assert await rows(db, "SELECT status, decided_by FROM holds ORDER BY id") == [
        (status, None),
        (status, None),
    ]
    found = await balances(db)
    assert (found[A], found[ESCROW], found[TREASURY]) == (a_balance, 0, treasury)
    await assert_conserved(engine, 1000)


async def test_a_held_pair_s_tier_tokens_go_to_escrow_their_points_do_not(
    db: Database, clock: ManualClock, ev: Events, monkeypatch: pytest.MonkeyPatch
):
    """The close with the detector's findings given: the pair (A, B) held on the day it
    reaches Spark (3 days)."""
    engine = await started(db, clock, config(tiers=[{"name": "Spark", "days": 3, "tokens": 10}]))
    why = '[["ping_pong","x",0.8]]'

    async def judge(
        guild: int, days: list[str], cfg: GuildConfig, first_day: str | None = None
    ) -> dict[str, FraudDay]:
        return {iso(3): FraudDay(held_pairs={(A, B): why})} if iso(3) in days else {}

    monkeypatch.setattr(engine.closer.detector, "judge", judge)
    for n in range(1, 4):
        await engine.ingest(*ev.mutual(A, B, at(n)))
    results = await engine.close(3)
    assert results[-1].held == 20
    assert await rows(db, "SELECT member, a, b, amount, reason, why FROM holds ORDER BY id") == [
        (A, A, B, 10, "tier", why),
        (B, A, B, 10, "tier", why),
    ]
    assert await balances(db) == {TREASURY: 1000 - 15 - 20, ESCROW: 20, A: 6, B: 9}
    await assert_conserved(engine, 1000)


async def test_nothing_is_held_or_flagged_for_an_honest_guild(
    db: Database, clock: ManualClock, ev: Events
):
    engine = await started(db, clock, config(tiers=SPARK_5))
    for n in range(1, 7):
        await engine.ingest(*ev.mutual(A, B, at(n)), *ev.mutual(C, D, at(n, 15)))
    results = await engine.close(6)
    assert sum(r.held for r in results) == 0
    assert await rows(db, "SELECT * FROM fraud_flags") == []
    assert await rows(db, "SELECT * FROM holds") == []
    assert await value(db, "SELECT count(*) FROM fraud_member_days") == 6 * 4
    await assert_conserved(engine, 1000)


async def test_an_erased_member_leaves_the_detectors_window_in_memory(
    db: Database, clock: ManualClock, ev: Events
):
    """The detector keeps the pair window's days in memory; erasure must not leave them there."""
    engine = await started(db, clock, config(fraud={"pair_window_days": 3}))
    for n in range(1, 4):
        await engine.ingest(*ev.mutual(A, B, at(n)))
        await ping_pong(engine, ev, n)
    await engine.close(3)
    kept = engine.closer.detector._windows[G]
    assert any(C in pair for by_pair in kept.values() for pair in by_pair)
    privacy = PrivacyService(db, Intake(engine.ingestor), clock, engine.closer.detector)
    await privacy.erase(G, C, request=1)
    assert not any(C in pair for by_pair in kept.values() for pair in by_pair)
    assert any(A in pair for by_pair in kept.values() for pair in by_pair)


async def test_turning_the_checks_off_still_drops_the_evidence_as_its_window_passes(
    db: Database, clock: ManualClock, ev: Events
):
    """Evidence logged while the checks were on is not kept forever once they are off."""
    engine = await started(db, clock, config(fraud={"pair_window_days": 2}))
    for n in (1, 2):
        await engine.ingest(*ev.mutual(A, B, at(n)))
    await engine.close(2)
    assert await rows(db, "SELECT DISTINCT day FROM fraud_exchanges ORDER BY day") == [
        (iso(1),),
        (iso(2),),
    ]
    await engine.ingestor.guild(G, config(fraud={"enabled": False, "pair_window_days": 2}))
    await engine.ingest(*ev.mutual(A, B, at(3)))
    await engine.close(3)
    assert await rows(db, "SELECT DISTINCT day FROM fraud_exchanges ORDER BY day") == [(iso(2),)]
    await engine.ingest(*ev.mutual(A, B, at(4)))
    await engine.close(4)
    assert await fraud_log(db) == []
