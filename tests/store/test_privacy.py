"""A member's privacy on a real SQLite file: opting out, the export, and an erasure that leaves
the ledger anonymised and conserved while the database still refuses every other change."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import orjson
import pytest

from bot.domain.ledger import TREASURY
from bot.services.intake import Intake
from bot.services.privacy import EXPORT_FORMAT, PrivacyService
from bot.store.database import Database, migrations
from bot.store.ledger import LedgerRepository
from bot.store.privacy import ERASED, ERASED_REASON
from bot.store.reminders import ReminderRepository
from tests.services.builders import (
    A,
    B,
    C,
    Engine,
    Events,
    G,
    at,
    balances,
    config,
    iso,
    points,
    rows,
    value,
)

TIERS = [{"name": "Spark", "days": 1, "tokens": 10}, {"name": "Flame", "days": 2, "tokens": 20}]


async def _community(db: Database, clock) -> tuple[Engine, PrivacyService, Events]:
    """A-B and B-C qualify on the 1st and 2nd (closed): B is in two streaks, as the pair's
    second member with A and the first with C; C also mentions B on the 3rd (still open)."""
    engine = await Engine(db, config(tiers=TIERS), clock).start(fund=10_000)
    ev = Events()
    for n in (1, 2):
        await engine.ingest(*ev.mutual(A, B, at(n, 10)), *ev.mutual(B, C, at(n, 14)))
        await engine.close(n)
    clock.set(at(3, 9))
    await engine.ingest(ev.message(C, at(3, 9), mentions=(A, B)))
    return engine, PrivacyService(db, Intake(engine.ingestor), clock), ev


def _names(key: str, member: int) -> bool:
    """Whether a ledger key names the member (keys are fields separated by ':' and '-')."""
    return str(member) in re.split(r"[:\-]", key)


async def test_the_export_holds_everything_kept_about_the_member(db, clock):
    _, privacy, _ = await _community(db, clock)
    await ReminderRepository(db).set(G, B, True)
    await privacy.opt_out(G, B)
    data = orjson.loads(await privacy.export(G, B))
    assert data["format"] == EXPORT_FORMAT
    assert (data["guild"], data["member"]) == (str(G), str(B))
    assert data["opted_out_since"] == at(3, 9).isoformat()
    assert data["reminders"] == {"last_reminded": None}
    assert data["points"] == [
        {"day": iso(1), "points": 5},
        {"day": iso(2), "points": 5},
        {"day": iso(3), "points": 0},  # engaged by C today: took part, no points yet
    ]
    assert [s["partner"] for s in data["streaks"]] == [str(A), str(C)]
    assert data["streaks"][0] | {"partner": None} == {
        "partner": None,
        "current": 2,
        "best": 2,
        "last_day": iso(2),
        "freezes": 0,
        "run_start": iso(1),
        "broken_length": 0,
        "broken_day": None,
        "restored_run": None,
    }
    assert {(t["partner"], t["tier"]) for t in data["tiers"]} == {
        (str(p), tier) for p in (A, C) for tier in ("Spark", "Flame")
    }
    assert [b["tier"] for b in data["badges"]] == ["Spark", "Flame"]
    assert sum(entry["amount"] for entry in data["ledger"]) == data["balance"] > 0
    assert all(entry["counterparty"] == "treasury" for entry in data["ledger"])
    assert data["balance"] == (await balances(db))[B]
    # Today's mention by C was flushed for the export: C engaged B on the 3rd.
    today = [e for e in data["exchanges"] if e["day"] == iso(3)]
    assert today == [
        {
            "day": iso(3),
            "partner": str(C),
            "sent": {"reply": 0, "mention": 0, "reaction": 0},
            "received": {"reply": 0, "mention": 1, "reaction": 0},
        }
    ]
    assert len(data["messages"]) == 4  # B's mention and reply on each of two days
    assert data["profile"]["bot"] is False


async def test_an_opted_out_member_is_excluded_at_once_and_back_after_opting_in(db, clock):
    engine, privacy, ev = await _community(db, clock)
    assert await privacy.opt_out(G, B)
    assert not await privacy.opt_out(G, B)
    assert await privacy.opted_out(G, B)
    assert B in engine.ingestor.known_guilds()[0].excluded
    await engine.ingest(*ev.mutual(A, B, at(3, 10)))
    [day3] = await engine.close(3)
    assert day3.pairs == 0
    assert (await points(db, 3))[B] == 0  # nothing after opting out
    assert await privacy.opt_in(G, B)
    assert not await privacy.opt_in(G, B)
    await engine.ingest(*ev.mutual(A, B, at(4, 10)))
    [day4] = await engine.close(4)
    assert day4.pairs == 1


async def test_an_erasure_deletes_the_members_rows_and_anonymises_the_ledger(db, clock):
    _, privacy, _ = await _community(db, clock)
    await ReminderRepository(db).set(G, B, True)
    ledger_before = {
        row[0]: row
        for row in await rows(db, "SELECT id, amount, reason, day FROM ledger ORDER BY id")
    }
    held = await balances(db)
    erased = await privacy.erase(G, B, request=4242)

    assert erased.tokens_returned == held[B] > 0
    assert erased.streaks == 2
    assert erased.days == 3  # the 1st and 2nd, and today's row (C's mention)
    assert erased.messages == 4
    assert erased.badges == 2
    after = await balances(db)
    assert B not in after
    assert ERASED not in after  # nothing is held for erased members: it went back
    assert after[TREASURY] == held[TREASURY] + held[B]
    assert after[A] == held[A]
    assert after[C] == held[C]
    totals = await LedgerRepository(db).totals(G)
    assert totals.funded == totals.held == 10_000
    assert totals.mismatched_accounts == 0

    # Every entry is still there with its amount, reason and day; none names B any more.
    entries = await rows(
        db, "SELECT id, amount, reason, day, source, target, key FROM ledger ORDER BY id"
    )
    assert [row[:4] for row in entries[:-1]] == list(ledger_before.values())
    assert not [row for row in entries if B in (row[4], row[5]) or _names(row[6], B)]
    assert [row for row in entries if row[2] == ERASED_REASON] == [
        (
            entries[-1][0],
            held[B],
            ERASED_REASON,
            iso(3),
            ERASED,
            TREASURY,
            f"erased:{entries[-1][0]}",
        )
    ]
    # A's and C's tier payments with B no longer say who the partner was.
    partner_tiers = [row for row in entries if row[2] == "tier" and row[5] in (A, C)]
    assert len(partner_tiers) == 4
    assert all(row[6] == f"erased:{row[0]}" for row in partner_tiers)
    # A's own points entries keep their keys.
    assert await value(db, "SELECT count(*) FROM ledger WHERE key LIKE 'points:%:' || ?", A) == 2

    for table, where in [
        ("members", "user = ?1"),
        ("member_days", "member = ?1"),
        ("pair_days", "a = ?1 OR b = ?1"),
        ("streaks", "a = ?1 OR b = ?1"),
        ("streak_leaders", "a = ?1 OR b = ?1"),
        ("tier_rewards", "a = ?1 OR b = ?1"),
        ("member_badges", "member = ?1"),
        ("messages", "author = ?1 OR reply_target = ?1"),
        ("messages", "instr(',' || mention_targets || ',', ',' || ?1 || ',') > 0"),
        ("reminders", "member = ?1"),
    ]:
        assert await value(db, f"SELECT count(*) FROM {table} WHERE {where}", B) == 0, table
    # Others keep their own rows: their badges, points, and C's mention of A today.
    assert await value(db, "SELECT count(*) FROM member_badges WHERE member IN (?, ?)", A, C) == 4
    assert await rows(
        db, "SELECT mention_targets FROM messages WHERE author = ? ORDER BY id", C
    ) == [
        (None,),
        (None,),
        (str(A),),
    ]
    # The boards' snapshots count only live streaks that still exist.
    assert await rows(db, "SELECT current, pairs FROM streak_lengths") == []


async def test_an_erasure_also_drops_what_ingest_holds_in_memory(db, clock):
    engine, privacy, ev = await _community(db, clock)
    await engine.ingest(*ev.mutual(A, B, at(3, 10)))  # today: B earns points, not yet flushed
    await privacy.erase(G, B, request=1)
    await engine.ingest(ev.message(A, at(3, 11)))  # today's points change again
    await engine.ingestor.flush()
    assert B not in await points(db, 3)
    [day3] = await engine.close(3)
    assert day3.pairs == 0  # A-B's exchanges of the morning went with B's data
    assert B not in await balances(db)
    assert await value(db, "SELECT count(*) FROM streaks WHERE a = ?1 OR b = ?1", B) == 0


async def test_erasing_twice_or_a_stranger_is_harmless(db, clock):
    _, privacy, _ = await _community(db, clock)
    await privacy.erase(G, B, request=1)
    again = await privacy.erase(G, B, request=2)
    assert again.tokens_returned == again.streaks == again.messages == 0
    stranger = await privacy.erase(G, 555, request=3)
    assert stranger.entries_anonymised == 0
    totals = await LedgerRepository(db).totals(G)
    assert (totals.funded, totals.held, totals.mismatched_accounts) == (10_000, 10_000, 0)


# -- the ledger trigger -----------------------------------------------------------------------


async def _entries(db: Database) -> dict[str, int]:
    """IDs of a funding entry, a payment to A, and one to B."""
    return {
        "fund": await value(db, "SELECT id FROM ledger WHERE source IS NULL"),
        "to_a": await value(db, "SELECT id FROM ledger WHERE target = ? ORDER BY id", A),
        "to_b": await value(db, "SELECT id FROM ledger WHERE target = ? ORDER BY id", B),
    }


REFUSED = [
    ("UPDATE ledger SET amount = amount + 1 WHERE id = :to_a", "amount"),
    ("UPDATE ledger SET reason = 'gift' WHERE id = :to_a", "reason"),
    ("UPDATE ledger SET day = '2026-01-01' WHERE id = :to_a", "day"),
    ("UPDATE ledger SET created_at = 'x' WHERE id = :to_a", "created_at"),
    ("UPDATE ledger SET guild = 2 WHERE id = :to_a", "guild"),
    ("UPDATE ledger SET id = 9999 WHERE id = :to_a", "id"),
    (f"UPDATE ledger SET target = {C} WHERE id = :to_a", "to another member"),
    ("UPDATE ledger SET target = NULL WHERE id = :to_a", "to the outside"),
    ("UPDATE ledger SET source = 1 WHERE id = :to_a", "the treasury anonymised"),
    ("UPDATE ledger SET target = 1 WHERE id = :fund", "the treasury's funding anonymised"),
    ("UPDATE ledger SET source = 1 WHERE id = :fund", "the outside world anonymised"),
    ("UPDATE ledger SET key = 'mine' WHERE id = :to_a", "any other key"),
    ("UPDATE ledger SET key = 'erased:' || (id + 1) WHERE id = :to_a", "another entry's id"),
    ("UPDATE ledger SET target = 1, amount = 1 WHERE id = :to_a", "anonymised and changed"),
    ("UPDATE ledger SET target = target WHERE id = :to_a", "an update that changes nothing"),
    ("UPDATE ledger SET amount = amount", "every entry, unchanged"),
    ("DELETE FROM ledger WHERE id = :to_a", "a delete"),
]


@pytest.mark.parametrize(("statement", "what"), REFUSED, ids=[what for _, what in REFUSED])
async def test_the_ledger_still_refuses_anything_but_anonymisation(db, clock, statement, what):
    await _community(db, clock)
    ids = await _entries(db)
    before = await rows(db, "SELECT * FROM ledger ORDER BY id")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with db.transaction() as conn:
            await conn.execute(statement, ids)
    assert await rows(db, "SELECT * FROM ledger ORDER BY id") == before


async def test_an_anonymised_entry_cannot_be_given_back_a_name(db, clock):
    await _community(db, clock)
    ids = await _entries(db)
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE ledger SET target = 1, key = 'erased:' || id WHERE id = :to_b", ids
        )
    for statement in (
        f"UPDATE ledger SET target = {B} WHERE id = :to_b",
        "UPDATE ledger SET key = 'points:1:2026-11-01:102' WHERE id = :to_b",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with db.transaction() as conn:
                await conn.execute(statement, ids)


async def test_a_version_4_ledger_can_be_anonymised_after_the_upgrade(db_path: Path):
    with closing(sqlite3.connect(db_path)) as raw, raw:
        for version, _, sql in migrations()[:4]:
            raw.executescript(sql)
            raw.execute(f"PRAGMA user_version = {version}")
        raw.execute("INSERT INTO guilds (id, config) VALUES (1, '{}')")
        raw.execute(
            "INSERT INTO ledger (guild, key, source, target, amount, reason, day, created_at)"
            " VALUES (1, 'points:1:2026-11-01:102', 0, 102, 5, 'points', '2026-11-01', 'x')"
        )
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("UPDATE ledger SET target = 1")  # version 4: no update at all
    async with await Database.open(db_path) as db:
        async with db.transaction() as conn:
            await conn.execute("UPDATE ledger SET target = 1, key = 'erased:' || id")
        assert await rows(db, "SELECT target, key, amount FROM ledger") == [(1, "erased:1", 5)]
