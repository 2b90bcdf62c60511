"""Gateway sessions and the websockets carrying them.

A `Session` is what IDENTIFY creates and RESUME continues: it numbers the events it is sent and
keeps the recent frames, so events dispatched while its socket is down are replayed on RESUME.
A `Connection` is one websocket; a single writer task sends its frames in order.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import WSMsgType, web

log = logging.getLogger(__name__)

_PREFIXES: dict[str, bytes] = {}


def prefix_of(event: str) -> bytes:
    prefix = _PREFIXES.get(event)
    if prefix is None:
        prefix = _PREFIXES[event] = b'{"op":0,"t":"%s","s":' % event.encode()
    return prefix


class Connection:
    """One gateway websocket. `send` queues a frame; a writer task sends them in order."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.ws = ws
        self.request = request
        self.path = request.path
        self.query = request.query_string
        self.session: Session | None = None
        self.outbox: deque[bytes] = deque()
        self.closed = False
        self._wake = asyncio.Event()
        self._busy = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._writer = asyncio.create_task(self._write_loop(), name="emulator-gateway-writer")

    def send(self, frame: bytes) -> None:
        if not self.closed:
            self.outbox.append(frame)
            self._wake.set()

    async def drained(self) -> None:
        """Return once every queued frame has been written to the socket (or it died)."""
        if self.closed or (not self.outbox and not self._busy):
            return
        waiter = asyncio.get_running_loop().create_future()
        self._drain_waiters.append(waiter)
        await waiter

    async def _write_loop(self) -> None:
        ws, outbox = self.ws, self.outbox
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                self._busy = True
                while outbox:
                    await ws.send_frame(outbox.popleft(), WSMsgType.TEXT)
                self._busy = False
                self._release()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket died under us: the reader will notice too
            log.debug("gateway writer stopped: %r", exc)
            self._stop()

    def _release(self) -> None:
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _stop(self) -> None:
        self.closed = True
        self.outbox.clear()
        self._busy = False
        self._release()

    def abort(self) -> None:
        """Cut the TCP connection without a close frame, like a network failure."""
        self._stop()
        self._writer.cancel()
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def close(self, code: int, reason: str) -> None:
        await self.drained()
        self._stop()
        self._writer.cancel()
        await self.ws.close(code=code, message=reason.encode())


class Session:
    """A gateway session: its intents, its sequence number and its recent frames for RESUME."""

    def __init__(
        self, intents: int, shard: list[int] | None, buffer_size: int, *, content: bool
    ) -> None:
        self.id = secrets.token_hex(16)
        self.intents = intents
        self.shard = shard
        self.sees_content = content
        self.seq = 0
        self.buffer: deque[tuple[int, bytes]] = deque(maxlen=buffer_size)
        self.conn: Connection | None = None
        self.ready = False

    @property
    def connected(self) -> bool:
        return self.conn is not None and not self.conn.closed

    def push(self, prefix: bytes, body: bytes) -> None:
        self.seq = seq = self.seq + 1
        frame = b'%b%d,"d":%b}' % (prefix, seq, body)
        self.buffer.append((seq, frame))
        conn = self.conn
        if conn is not None:
            conn.send(frame)

    def push_event(self, event: str, data: Any) -> None:
        self.push(prefix_of(event), orjson.dumps(data))

    def acknowledge(self, seq: int) -> None:
        """The client reported (heartbeat) having seen `seq`: older frames need no replay."""
        buffer = self.buffer
        while buffer and buffer[0][0] <= seq:
            buffer.popleft()

    def frames_after(self, seq: int) -> list[bytes] | None:
        """Frames to replay for a client that saw `seq`; None when some were already dropped."""
        oldest = self.buffer[0][0] if self.buffer else self.seq + 1
        if seq > self.seq or oldest > seq + 1:
            return None
        return [frame for s, frame in self.buffer if s > seq]


@dataclass(frozen=True, slots=True)
class Handshake:
    """One IDENTIFY/RESUME outcome, kept in `Gateway.handshakes` for tests to inspect."""

    kind: str  # "identify", "resume", "invalid_session", "closed"
    session_id: str | None
    path: str  # /gateway or /resume (READY's resume_gateway_url)
    query: str = ""  # what the client put in the URL (v, encoding, compress)
    seq: int | None = None
    intents: int | None = None
    close_code: int | None = None
