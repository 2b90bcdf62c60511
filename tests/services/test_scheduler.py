"""The day-close schedule: APScheduler jobs at each guild's local midnight plus the grace,
re-planned on a timezone change; firing closes exactly what has ended, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.scheduler import DayCloseScheduler
from bot.services.day_close import DayCloser
from bot.services.ingest import Ingestor
from bot.services.intake import Intake
from bot.store.database import Database
from tests.services.builders import A, B, Events, G, at, config, iso


@pytest.fixture
async def parts(db: Database, clock: ManualClock):
    ingestor = Ingestor(db, config())
    intake = Intake(ingestor)
    closed: list[tuple[int, list[str]]] = []

    async def on_closed(guild, results):
        closed.append((guild, [r.day for r in results]))

    scheduler = DayCloseScheduler(DayCloser(db, ingestor, clock), intake, on_closed=on_closed)
    scheduler.start()
    try:
        yield scheduler, intake, closed
    finally:
        scheduler.shutdown()
        await intake.stop()


async def test_job_runs_shortly_after_local_midnight_of_the_guild_timezone(parts, clock):
    scheduler, _, _ = parts
    paris = ZoneInfo("Europe/Paris")
    scheduler.plan(G, paris)
    next_run = scheduler.next_run(G)
    assert next_run is not None
    local = next_run.astimezone(paris)
    assert (local.hour, local.minute, local.second) == (0, 2, 0)
    assert next_run > datetime.now(UTC)  # the real scheduler runs on real time
    assert next_run - datetime.now(UTC) <= timedelta(days=1, minutes=2)


async def test_a_timezone_change_replans_the_job(parts):
    scheduler, _, _ = parts
    scheduler.plan(G, ZoneInfo("UTC"))
    scheduler.plan(G, ZoneInfo("Asia/Tokyo"))
    tokyo = scheduler.next_run(G).astimezone(ZoneInfo("Asia/Tokyo"))
    assert (tokyo.hour, tokyo.minute) == (0, 2)
    assert len(scheduler.scheduler.get_jobs()) == 1


async def test_grace_is_configurable_and_bounded(db, clock):
    ingestor = Ingestor(db, config())
    closer = DayCloser(db, ingestor, clock)
    scheduler = DayCloseScheduler(closer, Intake(ingestor), grace=timedelta(minutes=15))
    scheduler.start()
    try:
        scheduler.plan(G, ZoneInfo("UTC"))
        assert scheduler.next_run(G).minute == 15
    finally:
        scheduler.shutdown()
    with pytest.raises(ValueError, match="grace"):
        DayCloseScheduler(closer, Intake(ingestor), grace=timedelta(hours=30))


async def test_firing_closes_what_has_ended_once_including_queued_events(parts, clock):
    scheduler, intake, closed = parts
    events = Events()
    # A message stamped 23:59:59 on day 1, still queued (delivered late) when the job fires.
    first = events.message(A, at(1, 23, 59, 59))
    intake.put(first)
    intake.put(events.message(B, at(1, 23, 59, 59), reply_to=first.id))
    clock.set(at(2, 0, 2))
    results = await scheduler.fire(G)
    assert [r.day for r in results] == [iso(1)]
    assert results[0].pairs == 0  # one-sided: B replied to A only
    assert closed == [(G, [iso(1)])]
    assert await scheduler.fire(G) == []  # fired again: the store says day 1 is closed
    assert closed == [(G, [iso(1)])]


async def test_catch_up_closes_every_missed_day_in_order(parts, clock):
    scheduler, intake, closed = parts
    events = Events()
    intake.put(events.message(A, at(1), mentions=(B,)))
    intake.put(events.message(B, at(1, 13), mentions=(A,)))
    clock.set(at(5, 9))
    await scheduler.catch_up([G])
    assert closed == [(G, [iso(1), iso(2), iso(3), iso(4)])]
