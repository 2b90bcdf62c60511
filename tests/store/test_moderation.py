"""Moderation's store on a real file: suspensions and Discord's own moderation, voided streaks,
adjustments, the audit trail; each one transaction with its audit row, the ledger conserved."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.domain.ledger import TREASURY
from bot.store.database import Database
from bot.store.ledger import LedgerRepository
from bot.store.moderation import AccountShort, ModerationRepository
from tests.services.builders import A, B, C, Engine, Events, G, at, balances, config, iso, rows

MOD = 900
SPARK = [{"name": "Spark", "days": 2, "tokens": 10, "freezes": 1}]


def when(day: int, hour: int = 12) -> str:
    return at(day, hour).isoformat()


@pytest.fixture
async def repo(db: Database) -> ModerationRepository:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO guilds (id, config) VALUES (?, '{}')", (G,))
    return ModerationRepository(db)


async def _streak(db: Database, clock: ManualClock, *pairs_by_day: list[tuple[int, int]]):
    """An engine whose pairs exchanged on the days given (day 1, 2, ...), each day closed."""
    engine = await Engine(db, config(tiers=SPARK), clock).start(fund=1000)
    ev = Events()
    for n, pairs in enumerate(pairs_by_day, start=1):
        for a, b in pairs:
            await engine.ingest(*ev.mutual(a, b, at(n)))
        await engine.close(n)
    return engine, ModerationRepository(db)


async def _streak_row(db: Database, a: int, b: int) -> tuple:
    [row] = await rows(
        db,
        "SELECT current, best, freezes, run_start, broken_length, broken_day FROM streaks"
        " WHERE guild = ? AND a = ? AND b = ?",
        G,
        a,
        b,
    )
    return row


async def _void(
    repo: ModerationRepository, at_: str, first: int = A, second: int = B, reason: str = "x"
):
    """A moderator's void at `at_` (a UTC guild: the day is the instant's date)."""
    return await repo.void(
        G,
        first,
        second,
        moderator=MOD,
        reason=reason,
        ledger_reason=f"void: {reason}",
        day=at_[:10],
        at=at_,
    )


async def _adjust(
    repo: ModerationRepository, member: int, amount: int, key: str, at_: str, reason: str = "x"
):
    return await repo.adjust(
        G,
        member,
        amount,
        moderator=MOD,
        reason=reason,
        ledger_reason=f"adjustment: {reason}",
        key=key,
        day=at_[:10],
        at=at_,
    )


async def _conserved(db: Database) -> None:
    totals = await LedgerRepository(db).totals(G)
    assert totals.funded == totals.held
    assert totals.mismatched_accounts == 0


async def _actions(db: Database) -> list[tuple]:
    return await rows(
        db, "SELECT moderator, action, target, partner, amount, reason FROM mod_actions ORDER BY id"
    )


async def _fail_audit(db: Database) -> None:
    """Make the audit insert fail: what was written with it must roll back."""
    async with db.transaction() as conn:
        await conn.execute(
            "CREATE TRIGGER no_audit BEFORE INSERT ON mod_actions"
            " BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
        )


# -- suspensions ----------------------------------------------------------------------------------


async def test_a_suspension_is_written_with_its_audit_row(repo: ModerationRepository, db):
    replaced = await repo.suspend(
        G, A, until=when(8), days=7, moderator=MOD, reason="farming", at=when(1)
    )
    assert replaced is None
    found = await repo.suspension(G, A)
    assert (found.until, found.source, found.moderator, found.reason) == (
        when(8),
        "command",
        MOD,
        "farming",
    )
    assert await _actions(db) == [(MOD, "suspend", A, None, 7, "farming")]


async def test_a_new_suspension_replaces_the_one_in_force(repo: ModerationRepository):
    await repo.suspend(G, A, until=when(3), days=2, moderator=MOD, reason="one", at=when(1))
    replaced = await repo.suspend(
        G, A, until=None, days=None, moderator=MOD, reason="two", at=when(2)
    )
    assert replaced is not None
    assert replaced.reason == "one"
    assert (await repo.suspension(G, A)).until is None
    # An expired one is no suspension in force: nothing is said to be replaced.
    await repo.suspend(G, B, until=when(3), days=2, moderator=MOD, reason="old", at=when(1))
    assert (
        await repo.suspend(G, B, until=None, days=None, moderator=MOD, reason="new", at=when(5))
        is None
    )


async def test_a_suspension_and_its_audit_row_are_one_transaction(repo: ModerationRepository, db):
    await _fail_audit(db)
    with pytest.raises(sqlite3.IntegrityError, match="audit refused"):
        await repo.suspend(G, A, until=None, days=None, moderator=MOD, reason="x", at=when(1))
    assert await repo.suspension(G, A) is None


async def test_unsuspend_lifts_only_a_suspension_in_force(repo: ModerationRepository, db):
    assert await repo.unsuspend(G, A, moderator=MOD, reason="sorry", at=when(1)) is None
    await repo.suspend(G, A, until=when(3), days=2, moderator=MOD, reason="x", at=when(1))
    assert await repo.unsuspend(G, A, moderator=MOD, reason="too late", at=when(4)) is None
    await repo.suspend(G, A, until=None, days=None, moderator=MOD, reason="x", at=when(5))
    lifted = await repo.unsuspend(G, A, moderator=MOD, reason="sorry", at=when(6))
    assert lifted is not None
    assert lifted.source == "command"
    assert await repo.suspension(G, A) is None
    assert [row[1] for row in await _actions(db)] == ["suspend", "suspend", "unsuspend"]


async def test_a_timeout_suspends_until_it_ends_and_follows_it(repo: ModerationRepository, db):
    assert await repo.record_timeout(G, A, until=when(2), reason="t", at=when(1)) == "suspended"
    assert await repo.record_timeout(G, A, until=when(2), reason="t", at=when(1, 13)) == "unchanged"
    assert await repo.record_timeout(G, A, until=when(4), reason="t", at=when(1, 14)) == "changed"
    found = await repo.suspension(G, A)
    assert (found.source, found.until, found.moderator) == ("timeout", when(4), None)
    assert [row[1] for row in await _actions(db)] == ["timeout", "timeout"]
    # Removed early: the suspension goes with it.
    assert await repo.end_timeout(G, A, reason="early", at=when(2))
    assert await repo.suspension(G, A) is None
    assert not await repo.end_timeout(G, A, reason="early", at=when(2))
    assert [row[1] for row in await _actions(db)][-1] == "timeout_end"


async def test_a_timeout_never_shortens_a_moderators_or_a_bans_suspension(
    repo: ModerationRepository,
):
    await repo.suspend(G, A, until=None, days=None, moderator=MOD, reason="mod", at=when(1))
    assert await repo.record_timeout(G, A, until=when(3), reason="t", at=when(1)) == "covered"
    assert not await repo.end_timeout(G, A, reason="early", at=when(2))
    assert (await repo.suspension(G, A)).reason == "mod"

    await repo.suspend(G, B, until=when(9), days=8, moderator=MOD, reason="mod", at=when(1))
    assert await repo.record_timeout(G, B, until=when(3), reason="t", at=when(1)) == "covered"
    assert (await repo.suspension(G, B)).until == when(9)
    # A longer timeout outlasts it and takes its place.
    assert await repo.record_timeout(G, B, until=when(20), reason="t", at=when(2)) == "changed"
    assert (await repo.suspension(G, B)).source == "timeout"

    assert await repo.record_ban(G, C, reason="banned", at=when(1))
    assert await repo.record_timeout(G, C, until=when(3), reason="t", at=when(1)) == "covered"
    assert (await repo.suspension(G, C)).source == "ban"


async def test_a_ban_suspends_until_lifted_unless_already_so(repo: ModerationRepository, db):
    await repo.record_timeout(G, A, until=when(3), reason="t", at=when(1))
    assert await repo.record_ban(G, A, reason="banned", at=when(2))
    found = await repo.suspension(G, A)
    assert (found.source, found.until, found.moderator) == ("ban", None, None)
    assert not await repo.end_timeout(G, A, reason="early", at=when(2))

    await repo.suspend(G, B, until=None, days=None, moderator=MOD, reason="mod", at=when(1))
    assert not await repo.record_ban(G, B, reason="banned", at=when(2))
    assert (await repo.suspension(G, B)).source == "command"
    lifted = await repo.unsuspend(G, A, moderator=MOD, reason="appeal", at=when(5))
    assert lifted.source == "ban"
    assert [row[1] for row in await _actions(db)] == [
        "timeout",
        "ban",
        "suspend",
        "unsuspend",
    ]


# -- void -----------------------------------------------------------------------------------------


async def test_void_ends_the_streak_and_takes_back_the_runs_tier_tokens(
    db: Database, clock: ManualClock
):
    _, repo = await _streak(db, clock, [(A, B)], [(A, B)])
    before = await balances(db)
    assert await _streak_row(db, A, B) == (2, 2, 1, iso(1), 0, None)
    result = await _void(repo, when(3), B, A, "farming")
    assert (result.a, result.b, result.ended, result.best, result.run_start) == (A, B, 2, 2, iso(1))
    assert [(w.member, w.owed, w.taken, w.short) for w in result.withdrawals] == [
        (A, 10, 10, False),
        (B, 10, 10, False),
    ]
    assert not result.already_voided
    assert await _streak_row(db, A, B) == (0, 2, 0, iso(1), 0, None)
    after = await balances(db)
    assert after[A] == before[A] - 10
    assert after[B] == before[B] - 10
    assert after[TREASURY] == before[TREASURY] + 20
    assert await rows(
        db, "SELECT key, source, target, amount, reason, day FROM ledger WHERE key LIKE 'void:%'"
    ) == [
        (f"void:{G}:{A}-{B}:{iso(1)}:{A}", A, TREASURY, 10, "void: farming", iso(3)),
        (f"void:{G}:{A}-{B}:{iso(1)}:{B}", B, TREASURY, 10, "void: farming", iso(3)),
    ]
    assert await _actions(db) == [(MOD, "void", A, B, 20, "farming")]
    await _conserved(db)


async def test_voiding_twice_takes_nothing_twice(db: Database, clock: ManualClock):
    _, repo = await _streak(db, clock, [(A, B)], [(A, B)])
    first = await _void(repo, when(3), A, B, "x")
    assert first.taken == 20
    kept = await rows(db, "SELECT * FROM ledger ORDER BY id")
    again = await _void(repo, when(3, 13), A, B, "x")
    assert again.already_voided
    assert again.withdrawals == []
    assert await rows(db, "SELECT * FROM ledger ORDER BY id") == kept
    assert len(await _actions(db)) == 1
    await _conserved(db)


async def test_a_member_holding_less_gives_back_what_they_hold(db: Database, clock: ManualClock):
    _, repo = await _streak(db, clock, [(A, B)], [(A, B)])
    ledger = LedgerRepository(db)
    # A spent all but 4 tokens, B everything (as a purchase would, into the treasury).
    held = await balances(db)
    await ledger.move(
        G,
        key="spent:a",
        source=A,
        target=TREASURY,
        amount=held[A] - 4,
        reason="shop",
        day=iso(3),
        at=when(3),
    )
    await ledger.move(
        G,
        key="spent:b",
        source=B,
        target=TREASURY,
        amount=held[B],
        reason="shop",
        day=iso(3),
        at=when(3),
    )
    result = await _void(repo, when(3, 13), A, B, "x")
    assert [(w.member, w.owed, w.taken, w.short) for w in result.withdrawals] == [
        (A, 10, 4, True),
        (B, 10, 0, True),
    ]
    assert (await balances(db))[A] == 0
    assert await rows(db, "SELECT amount FROM ledger WHERE key LIKE 'void:%'") == [(4,)]
    # The run is voided: B, who held nothing then, is not pursued when they earn again.
    await ledger.move(
        G, key="gift", source=TREASURY, target=B, amount=50, reason="x", day=iso(3), at=when(3)
    )
    again = await _void(repo, when(3, 14), A, B, "x")
    assert again.already_voided
    assert (await balances(db))[B] == 50
    await _conserved(db)


async def test_void_takes_only_the_current_runs_tokens(db: Database, clock: ManualClock):
    # Run 1 reaches Spark on day 2 and breaks on day 5 (its freeze spent on day 4); run 2
    # starts on day 6 and reaches Spark on day 7.
    days = [[(A, B)], [(A, B)], [(A, B)], [], [], [(A, B)], [(A, B)]]
    _, repo = await _streak(db, clock, *days)
    assert (await _streak_row(db, A, B))[:4] == (2, 3, 1, iso(6))
    result = await _void(repo, when(8), A, B, "x")
    assert result.run_start == iso(6)
    assert [(w.owed, w.taken) for w in result.withdrawals] == [(10, 10), (10, 10)]
    assert await rows(db, "SELECT count(*) FROM ledger WHERE key LIKE 'tier:%'") == [(4,)]
    await _conserved(db)


async def test_a_streak_that_broke_can_still_be_voided(db: Database, clock: ManualClock):
    # Spark on day 2 (with a freeze), the freeze spent on day 3, broken on day 4.
    _, repo = await _streak(db, clock, [(A, B)], [(A, B)], [], [])
    assert (await _streak_row(db, A, B))[:3] == (0, 2, 0)
    result = await _void(repo, when(5))
    assert result.ended == 0
    assert result.taken == 20
    # What a restore could have given back is gone: a voided run stays voided.
    assert await _streak_row(db, A, B) == (0, 2, 0, iso(1), 0, None)
    await _conserved(db)


async def test_a_new_run_after_a_void_can_be_voided_again(db: Database, clock: ManualClock):
    engine, repo = await _streak(db, clock, [(A, B)], [(A, B)])
    await _void(repo, when(3), A, B, "x")
    ev = Events(first_id=50_000)
    for n in (3, 4):  # the same day as the void: a new run starts at its close
        await engine.ingest(*ev.mutual(A, B, at(n, 18)))
        await engine.close(n)
    assert (await _streak_row(db, A, B))[:4] == (2, 2, 1, iso(3))  # Spark again, new run
    result = await _void(repo, when(5), A, B, "y")
    assert not result.already_voided
    assert result.taken == 20
    await _conserved(db)


async def test_a_voided_streak_leaves_the_leaderboard_snapshots(db: Database, clock: ManualClock):
    _, repo = await _streak(db, clock, [(A, B), (B, C)], [(A, B), (B, C)])
    assert await rows(db, "SELECT current, pairs FROM streak_lengths") == [(2, 2)]
    await _void(repo, when(3), A, B, "x")
    assert await rows(db, "SELECT current, pairs FROM streak_lengths") == [(2, 1)]
    assert await rows(db, "SELECT position, a, b FROM streak_leaders") == [(1, B, C)]
    await _void(repo, when(3), B, C, "x")
    assert await rows(db, "SELECT * FROM streak_lengths") == []
    assert await rows(db, "SELECT * FROM streak_leaders") == []


async def test_void_of_a_pair_without_a_streak(repo: ModerationRepository, db):
    assert await _void(repo, when(1), A, B, "x") is None
    assert await _actions(db) == []


async def test_void_rolls_back_whole_when_its_audit_row_fails(db: Database, clock: ManualClock):
    _, repo = await _streak(db, clock, [(A, B)], [(A, B)])
    before = await rows(db, "SELECT * FROM ledger ORDER BY id")
    streak_before = await _streak_row(db, A, B)
    await _fail_audit(db)
    with pytest.raises(sqlite3.IntegrityError):
        await _void(repo, when(3), A, B, "x")
    assert await rows(db, "SELECT * FROM ledger ORDER BY id") == before
    assert await _streak_row(db, A, B) == streak_before


# -- adjust ---------------------------------------------------------------------------------------


async def _funded(db: Database, amount: int) -> LedgerRepository:
    ledger = LedgerRepository(db)
    await ledger.move(
        G,
        key="fund",
        source=None,
        target=TREASURY,
        amount=amount,
        reason="fund",
        day=None,
        at=when(1),
    )
    return ledger


async def test_adjust_gives_from_and_takes_into_the_treasury(repo: ModerationRepository, db):
    await _funded(db, 100)
    given = await _adjust(repo, A, 30, "adjust:1", when(1), "event prize")
    assert (given.moved, given.balance, given.treasury) == (True, 30, 70)
    taken = await _adjust(repo, A, -12, "adjust:2", when(1, 13), "oops")
    assert (taken.moved, taken.balance, taken.treasury) == (True, 18, 82)
    assert await rows(db, "SELECT source, target, amount, reason FROM ledger WHERE id > 1") == [
        (TREASURY, A, 30, "adjustment: event prize"),
        (A, TREASURY, 12, "adjustment: oops"),
    ]
    assert await _actions(db) == [
        (MOD, "adjust", A, None, 30, "event prize"),
        (MOD, "adjust", A, None, -12, "oops"),
    ]
    await _conserved(db)


async def test_adjust_is_refused_when_the_paying_account_is_short(repo: ModerationRepository, db):
    await _funded(db, 20)
    with pytest.raises(AccountShort) as short:
        await _adjust(repo, A, 21, "adjust:1", when(1), "x")
    assert (short.value.account, short.value.held, short.value.wanted) == (TREASURY, 20, 21)
    await _adjust(repo, A, 5, "adjust:2", when(1), "x")
    with pytest.raises(AccountShort) as short:
        await _adjust(repo, A, -6, "adjust:3", when(1), "x")
    assert (short.value.account, short.value.held, short.value.wanted) == (A, 5, 6)
    assert await balances(db) == {TREASURY: 15, A: 5}
    assert len(await _actions(db)) == 1
    await _conserved(db)


async def test_the_same_adjustment_twice_moves_once(repo: ModerationRepository, db):
    await _funded(db, 100)
    for _ in range(2):
        result = await _adjust(repo, A, 10, "adjust:42", when(1), "x")
    assert (result.moved, result.balance) == (False, 10)
    assert len(await _actions(db)) == 1
    await _conserved(db)


# -- audit ----------------------------------------------------------------------------------------


async def test_audit_lists_every_action_newest_first_by_pages(repo: ModerationRepository):
    for n in range(12):
        await repo.suspend(
            G,
            A + n,
            until=None,
            days=None,
            moderator=MOD,
            reason=f"r{n}",
            at=(at(1) + timedelta(minutes=n)).isoformat(),
        )
    first = await repo.audit(G, None, [], 0, 10)
    assert first.total == 12
    assert [line.reason for line in first.rows] == [f"r{n}" for n in range(11, 1, -1)]
    second = await repo.audit(G, None, [], 10, 10)
    assert [line.reason for line in second.rows] == ["r1", "r0"]
    assert all(line.entry is None for line in second.rows)


async def test_a_members_audit_has_their_actions_and_ledger_entries(
    db: Database, clock: ManualClock
):
    _, repo = await _streak(db, clock, [(A, B)], [(A, B)])
    await repo.suspend(G, C, until=None, days=None, moderator=MOD, reason="other", at=when(3))
    await _void(repo, when(3, 13), A, B, "farming")
    days = [iso(n) for n in range(1, 4)]
    page = await repo.audit(G, B, days, 0, 10)
    kinds = [(line.action, line.reason, line.amount) for line in page.rows]
    # B is the voided pair's partner; the void's withdrawal is the newest ledger entry (at the
    # void's instant, listed after the action); then day 2's close paid Spark and points.
    assert kinds[0] == ("void", "farming", 20)
    assert kinds[1] == ("ledger", "void: farming", -10)
    assert page.rows[1].entry.counterparty == TREASURY
    assert ("ledger", "tier", 10) in kinds
    assert all(line.reason != "other" for line in page.rows)
    entries = await rows(db, "SELECT count(*) FROM ledger WHERE target = ?1 OR source = ?1", B)
    assert page.total == 1 + entries[0][0]
    assert [line.at for line in page.rows] == sorted((line.at for line in page.rows), reverse=True)
