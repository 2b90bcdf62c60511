"""Streak reminders: the pure decision (when, whom) with a manual clock, and the service on a real
SQLite file (who opted in, what today still needs, at most once a day)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import ManualClock
from bot.domain.reminders import (
    Candidate,
    Pending,
    due_day,
    reminder_window,
    reminders_due,
)
from bot.services.intake import Intake
from bot.services.reminders import ReminderService
from bot.store.database import Database
from tests.services.builders import A, B, C, D, Engine, Events, G, at, config, day

UTC_ZONE = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")


# -- the decision -----------------------------------------------------------------------------


def test_reminders_are_due_from_hours_before_midnight_until_midnight():
    assert due_day(at(2, 20, 59, 59), UTC_ZONE, 3) is None
    assert due_day(at(2, 21), UTC_ZONE, 3) == day(2)
    assert due_day(at(2, 23, 59, 59), UTC_ZONE, 3) == day(2)
    assert due_day(at(3, 0), UTC_ZONE, 3) is None  # the 3rd's window opens at 21:00


def test_the_window_is_real_hours_before_the_guilds_own_midnight():
    # Paris leaves summer time on Sunday 25 October 2026: a 25-hour day ending 23:00 UTC.
    start, end = reminder_window(date(2026, 10, 25), PARIS, 3)
    assert (start, end) == (
        datetime(2026, 10, 25, 20, tzinfo=UTC),
        datetime(2026, 10, 25, 23, tzinfo=UTC),
    )
    assert due_day(start - timedelta(seconds=1), PARIS, 3) is None
    assert due_day(start, PARIS, 3) == date(2026, 10, 25)
    assert due_day(end, PARIS, 3) is None


def test_each_member_is_reminded_once_a_day_and_only_when_a_streak_waits():
    waiting = (Pending(B, 4, "you"),)
    candidates = [
        Candidate(A, None, waiting),  # never reminded
        Candidate(B, day(1), waiting),  # reminded yesterday
        Candidate(C, day(2), waiting),  # reminded today already
        Candidate(D, None, ()),  # every streak counts today: nothing to say
    ]
    due = reminders_due(at(2, 22), UTC_ZONE, 3, candidates)
    assert [(r.member, r.day, r.ends_at, r.pending) for r in due] == [
        (A, day(2), at(3, 0), waiting),
        (B, day(2), at(3, 0), waiting),
    ]
    assert reminders_due(at(2, 12), UTC_ZONE, 3, candidates) == []


# -- the service ------------------------------------------------------------------------------


async def _streaks(db: Database, clock: ManualClock) -> tuple[Engine, ReminderService, Events]:
    """A-B and A-C qualify on the 1st (closed); A and B opted in to reminders, C did not."""
    engine = await Engine(db, config(reminders={"hours_before": 2}), clock).start()
    ev = Events()
    await engine.ingest(*ev.mutual(A, B, at(1, 10)), *ev.mutual(A, C, at(1, 14)))
    await engine.close(1)
    service = ReminderService(db, Intake(engine.ingestor), clock)
    for member in (A, B):
        assert await service.set(G, member, True)
    assert not await service.set(G, A, True)
    return engine, service, ev


async def test_opted_in_members_learn_which_streaks_still_need_today(db, clock):
    engine, service, ev = await _streaks(db, clock)
    # B mentioned A this morning (not flushed yet: the service takes it in first).
    await engine.ingest(ev.message(B, at(2, 9), mentions=(A,)))
    clock.set(at(2, 21, 59))
    assert await service.due(G) == []  # the window opens at 22:00
    clock.set(at(2, 22, 10))
    due = {r.member: r.pending for r in await service.due(G)}
    assert due == {
        A: (Pending(B, 1, "you"), Pending(C, 1, "both")),
        B: (Pending(A, 1, "them"),),
    }


async def test_a_claimed_reminder_is_not_due_again_that_day(db, clock):
    _, service, _ = await _streaks(db, clock)
    clock.set(at(2, 22))
    first = await service.due(G)
    assert [r.member for r in first] == [A, B]
    assert await service.claim(G, first[0])
    assert not await service.claim(G, first[0])  # a concurrent run sends nothing
    assert [r.member for r in await service.due(G)] == [B]
    clock.set(at(3, 22))
    # The 2nd was not closed: both streaks are still live as of the 1st, and due again.
    assert [r.member for r in await service.due(G)] == [A, B]


async def test_no_reminder_when_today_counts_or_the_member_opted_out(db, clock):
    engine, service, ev = await _streaks(db, clock)
    await engine.ingest(*ev.mutual(A, B, at(2, 10)))  # A-B done; A-C still waits
    clock.set(at(2, 22))
    assert [r.member for r in await service.due(G)] == [A]
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO opt_outs (guild, member, since) VALUES (?, ?, 'x')", (G, A))
    assert await service.due(G) == []
    assert await service.set(G, B, False)
    assert not await service.is_on(G, B)
    assert await service.is_on(G, A)
