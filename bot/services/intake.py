"""Live intake: gateway listeners hand events over without awaiting the store.

One awaited store call per message would cap the bot near 1,500 messages/s (each aiosqlite call
is a thread hop). Listeners only append to a queue; one task feeds the ingestor whole chunks,
so a busy second costs a handful of store calls whatever its message count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.domain.events import GuildEvent
from bot.services.ingest import Ingestor

log = logging.getLogger(__name__)


class Intake:
    def __init__(
        self,
        ingestor: Ingestor,
        *,
        chunk: int = 4096,
        linger: float = 0.05,
        flush_rows: int = 4096,
    ) -> None:
        self.ingestor = ingestor
        self.chunk = chunk
        self.linger = linger
        """After the first event of a quiet spell, wait this long for more: a busy gateway
        then costs one store lookup per chunk, not one per message."""
        self.flush_rows = flush_rows
        """Write once this many rows wait, without waiting for the ingestor's periodic flush:
        a busy gateway is written in small transactions on the store's thread while events
        keep coming, so a drain (a slash command, the day close, shutdown) never waits for a
        second's worth of rows to be written at once."""
        self._queue: list[GuildEvent] = []
        self._wake = asyncio.Event()
        self._hurry = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task | None = None
        self._flusher: asyncio.Task | None = None

    def put(self, event: GuildEvent) -> None:
        """Queue an event (in arrival order); never blocks."""
        self._queue.append(event)
        self._idle.clear()
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="streakbot-intake")
            self._flusher = asyncio.create_task(
                self.ingestor.flush_periodically(), name="streakbot-flush"
            )

    async def drain(self) -> None:
        """Wait until every queued event has been ingested (not necessarily flushed).

        Whoever drains wants the events now: the linger is cut short."""
        if self._task is None:
            await self._ingest_all()
            return
        if not self._idle.is_set():
            self._hurry.set()
        await self._idle.wait()

    async def stop(self) -> None:
        """Ingest what is queued, flush it, and stop: a clean shutdown loses nothing."""
        for task in (self._task, self._flusher):
            if task is not None:
                task.cancel()
        for task in (self._task, self._flusher):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._flusher = None
        await self._ingest_all()
        await self.ingestor.flush()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if len(self._queue) < self.chunk and not self._hurry.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.linger):
                        await self._hurry.wait()
            self._wake.clear()
            try:
                # Events keep coming while a chunk is ingested or written: under load this
                # loop runs for as long as the gateway is busy, writing as it goes.
                while self._queue:
                    chunk, self._queue = self._queue[: self.chunk], self._queue[self.chunk :]
                    await self.ingestor.ingest(chunk)
                    if self.ingestor.unflushed >= self.flush_rows:
                        await self.ingestor.flush()
                self._idle.set()
                self._hurry.clear()
                await self.ingestor.maybe_flush()
            except Exception:
                # A bad event must not stop intake for everyone; the store rolled back. What
                # is still queued is taken on the next turn.
                log.exception("intake: a chunk of events could not be ingested")
                if self._queue:
                    self._wake.set()
                else:
                    self._idle.set()

    async def _ingest_all(self) -> None:
        while self._queue:
            chunk, self._queue = self._queue[: self.chunk], self._queue[self.chunk :]
            await self.ingestor.ingest(chunk)
        self._idle.set()
