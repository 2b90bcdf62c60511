"""The live intake: chunks, the linger, drains that cut it short, writes while busy.

(Proposed for tests/services/test_intake.py.)"""

from __future__ import annotations

import asyncio
import time

from bot.clock import ManualClock
from bot.services.ingest import Ingestor
from bot.services.intake import Intake
from bot.store.database import Database
from tests.services.builders import A, B, Events, at, config


async def test_a_drain_does_not_wait_out_the_linger(db: Database, clock: ManualClock) -> None:
    ingestor = Ingestor(db, config())
    intake = Intake(ingestor, linger=5.0)  # far longer than the test may take
    intake.start()
    try:
        intake.put(Events().message(A, at(1)))
        started = time.perf_counter()
        async with asyncio.timeout(2):
            await intake.drain()
        assert ingestor.stats.messages == 1
        assert time.perf_counter() - started < 1.0
    finally:
        await intake.stop()


async def test_a_quiet_gateway_still_waits_for_the_linger(db: Database, clock: ManualClock) -> None:
    ingestor = Ingestor(db, config())
    intake = Intake(ingestor, linger=0.2)
    intake.start()
    try:
        intake.put(Events().message(A, at(1)))
        await asyncio.sleep(0.05)
        assert ingestor.stats.messages == 0  # one store lookup per chunk, not per message
        await asyncio.sleep(0.3)
        assert ingestor.stats.messages == 1
    finally:
        await intake.stop()


async def test_a_busy_gateway_is_written_as_it_goes(db: Database, clock: ManualClock) -> None:
    ingestor = Ingestor(db, config(), flush_seconds=3600)  # no periodic write in the test
    intake = Intake(ingestor, chunk=10, linger=0.01, flush_rows=25)
    intake.start()
    events = Events()
    try:
        for n in range(100):
            intake.put(events.message(A if n % 2 else B, at(1, 12, n // 60, n % 60)))
            if n % 10 == 9:
                await asyncio.sleep(0)  # the intake takes a chunk while messages keep coming
        await intake.drain()
        async with db.connection.execute("SELECT count(*) FROM messages") as cursor:
            stored = (await cursor.fetchone())[0]
        assert stored >= 50  # written without a flush call and before the periodic write
        assert ingestor.unflushed < 25 + 10 * 3
    finally:
        await intake.stop()


async def test_events_queued_after_a_failed_chunk_are_still_ingested(
    db: Database, clock: ManualClock
) -> None:
    ingestor = Ingestor(db, config())
    intake = Intake(ingestor, chunk=1, linger=0.01)
    real = ingestor.ingest
    calls = 0

    async def failing_once(chunk):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        await real(chunk)

    ingestor.ingest = failing_once  # type: ignore[method-assign]
    intake.start()
    events = Events()
    try:
        intake.put(events.message(A, at(1)))
        intake.put(events.message(B, at(1, 13)))
        async with asyncio.timeout(2):
            await intake.drain()
        assert ingestor.stats.messages == 1  # the failed chunk is dropped, the next one taken
    finally:
        await intake.stop()
