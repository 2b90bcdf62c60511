"""The gateway: the websocket handler (HELLO, IDENTIFY, RESUME, heartbeats, member chunks)
and dispatch of events to every session whose intents cover them (see `sessions.py`)."""

# Waits take a `timeout` so a test that goes wrong fails fast with a message saying what
# never happened, rather than hanging until pytest's own timeout.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import WSMsgType, web

from . import constants as c
from . import payloads
from .sessions import Connection, Handshake, Session, prefix_of

if TYPE_CHECKING:
    from .models import Guild
    from .state import World

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11

_ACK = orjson.dumps({"op": HEARTBEAT_ACK, "d": None})
CHUNK_SIZE = 1000


class Gateway:
    """Accepts gateway websockets and dispatches events to every session that may see them."""

    def __init__(self, world: World, *, heartbeat_interval_ms: int, buffer_size: int) -> None:
        self.world = world
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.buffer_size = buffer_size
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.handshakes: list[Handshake] = []
        self.url = ""  # IDENTIFY here (discord.py's DEFAULT_GATEWAY)
        self.resume_url = ""  # READY's resume_gateway_url
        self.invalidate_resumes = 0
        self._ready = asyncio.Event()

    # Dispatch (the hot path: one orjson.dumps per variant, one bytes format per session).

    def dispatch(
        self,
        event: str,
        data: Any,
        intent: int = 0,
        *,
        private: Callable[[], Any] | None = None,
    ) -> None:
        """Send an event to every session identified with `intent` (0: to all).

        `private` builds the payload for sessions without MESSAGE_CONTENT when the message's
        content is withheld from them.
        """
        if not self.sessions:
            return
        prefix = prefix_of(event)
        full: bytes | None = None
        hidden: bytes | None = None
        for session in self.sessions.values():
            if intent and not session.intents & intent:
                continue
            if private is not None and not session.sees_content:
                if hidden is None:
                    hidden = orjson.dumps(private())
                session.push(prefix, hidden)
            else:
                if full is None:
                    full = orjson.dumps(data)
                session.push(prefix, full)

    def dispatch_each(self, event: str, build: Callable[[Session], Any], intent: int = 0) -> None:
        """Send an event whose payload depends on the session (e.g. GUILD_CREATE's members)."""
        for session in list(self.sessions.values()):
            if not intent or session.intents & intent:
                session.push_event(event, build(session))

    async def flush(self) -> None:
        """Wait until every queued frame has been written to its socket."""
        while True:
            pending = [conn for conn in self.connections if conn.outbox or conn._busy]
            if not pending:
                return
            await asyncio.gather(*(conn.drained() for conn in pending))

    async def wait_until_ready(self, timeout: float) -> Session:
        async with asyncio.timeout(timeout):
            while True:
                for session in self.sessions.values():
                    if session.ready and session.connected:
                        return session
                self._ready.clear()
                await self._ready.wait()

    def live_session(self) -> Session | None:
        for session in self.sessions.values():
            if session.ready and session.connected:
                return session
        return None

    # Faults.

    def drop(self) -> int:
        """Abort every websocket; sessions stay resumable. Returns how many were cut."""
        conns = list(self.connections)
        for conn in conns:
            self._detach(conn)
            conn.abort()
        return len(conns)

    def invalidate(self, *, resumable: bool) -> None:
        """Send op 9 to every connected session; a non-resumable one is ended."""
        frame = orjson.dumps({"op": INVALID_SESSION, "d": resumable})
        for session in list(self.sessions.values()):
            if session.conn is not None:
                session.conn.send(frame)
            if not resumable:
                self._end(session)

    def request_reconnect(self) -> None:
        frame = orjson.dumps({"op": RECONNECT, "d": None})
        for conn in self.connections:
            conn.send(frame)

    async def close(self) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.close(1001, "Emulator shutting down.")
        self.sessions.clear()

    # The websocket handler.

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, request)
        self.connections.add(conn)
        conn.send(
            orjson.dumps({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        )
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    await conn.close(4002, "Error while decoding payload.")
                    break
                try:
                    payload = orjson.loads(msg.data)
                    op, data = payload["op"], payload.get("d")
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    await conn.close(4002, "Error while decoding payload.")
                    break
                if not await self._receive(conn, op, data):
                    break
        finally:
            self._disconnected(conn, ws.close_code)
        return ws

    async def _receive(self, conn: Connection, op: int, data: Any) -> bool:
        if op == HEARTBEAT:
            conn.send(_ACK)
            if conn.session is not None and isinstance(data, int):
                conn.session.acknowledge(data)
            return True
        if op == IDENTIFY:
            return await self._identify(conn, data)
        if op == RESUME:
            return await self._resume(conn, data)
        if conn.session is None:
            await conn.close(4003, "Not authenticated.")
            return False
        if op == REQUEST_MEMBERS:
            self._request_members(conn.session, data)
            return True
        if op in (PRESENCE, VOICE):
            return True
        await conn.close(4001, "Unknown opcode.")
        return False

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> bool:
        world = self.world
        if conn.session is not None:
            await conn.close(4005, "Already authenticated.")
            return False
        if data.get("token") != world.token:
            return await self._refuse(conn, 4004, "Authentication failed.")
        intents = data.get("intents")
        if not isinstance(intents, int):
            await conn.close(4013, "Invalid intent(s).")
            return False
        for name, bit in c.PRIVILEGED_INTENTS.items():
            if intents & bit and name not in world.privileged_intents:
                return await self._refuse(conn, 4014, "Disallowed intent(s).")
        shard = data.get("shard")
        for old in list(self.sessions.values()):
            if old.shard == shard and not old.connected:
                self._end(old)  # the client gave up on it
        session = Session(
            intents, shard, self.buffer_size, content=bool(intents & c.MESSAGE_CONTENT)
        )
        self.sessions[session.id] = session
        session.conn, conn.session = conn, session
        self.handshakes.append(
            Handshake("identify", session.id, conn.path, conn.query, intents=intents)
        )
        session.push_event("READY", self._ready_payload(session))
        for guild in world.guilds_of_bot():
            if shard is None or (guild.id >> 22) % shard[1] == shard[0]:
                session.push_event("GUILD_CREATE", self.guild_create(session, guild))
        await conn.drained()
        session.ready = True
        self._ready.set()
        return True

    async def _refuse(self, conn: Connection, code: int, reason: str) -> bool:
        self.handshakes.append(Handshake("closed", None, conn.path, conn.query, close_code=code))
        await conn.close(code, reason)
        return False

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> bool:
        if conn.session is not None:
            await conn.close(4005, "Already authenticated.")
            return False
        if data.get("token") != self.world.token:
            return await self._refuse(conn, 4004, "Authentication failed.")
        session = self.sessions.get(data.get("session_id") or "")
        seq = data.get("seq") or 0
        replay = session.frames_after(seq) if session is not None else None
        if self.invalidate_resumes > 0:
            self.invalidate_resumes -= 1
            replay = None
        if session is None or replay is None:
            if session is not None:
                self._end(session)
            self.handshakes.append(
                Handshake("invalid_session", data.get("session_id"), conn.path, conn.query)
            )
            conn.send(orjson.dumps({"op": INVALID_SESSION, "d": False}))
            return True
        if session.conn is not None and session.conn is not conn:
            old = session.conn
            self._detach(old)
            old.abort()
        for frame in replay:
            conn.send(frame)
        session.conn, conn.session = conn, session
        self.handshakes.append(Handshake("resume", session.id, conn.path, conn.query, seq=seq))
        session.push_event("RESUMED", {"_trace": ["discord-emulator"]})
        self._ready.set()
        return True

    def _request_members(self, session: Session, data: dict[str, Any]) -> None:
        guild_ids = data.get("guild_id")
        if not isinstance(guild_ids, list):
            guild_ids = [guild_ids]
        for guild_id in guild_ids:
            guild = self.world.guilds.get(int(guild_id))
            if guild is not None and self.world.bot.id in guild.members:
                self._send_chunks(session, guild, data)

    def _send_chunks(self, session: Session, guild: Guild, data: dict[str, Any]) -> None:
        members = list(guild.members.values())
        not_found: list[str] | None = None
        user_ids = data.get("user_ids")
        query = data.get("query")
        if user_ids is not None:
            wanted = [int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
            members = [guild.members[u] for u in wanted if u in guild.members]
            not_found = [str(u) for u in wanted if u not in guild.members]
        elif query:
            needle = query.lower()
            members = [
                m
                for m in members
                if m.user.name.lower().startswith(needle)
                or (m.nick or "").lower().startswith(needle)
            ]
            members = members[: data.get("limit") or 100]
        elif not session.intents & c.GUILD_MEMBERS:
            members = []  # the whole list needs the GUILD_MEMBERS intent
        elif data.get("limit"):
            members = members[: data["limit"]]
        chunks = [members[i : i + CHUNK_SIZE] for i in range(0, len(members), CHUNK_SIZE)] or [[]]
        for index, chunk in enumerate(chunks):
            body: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": [payloads.member(m) for m in chunk],
                "chunk_index": index,
                "chunk_count": len(chunks),
            }
            if data.get("nonce") is not None:
                body["nonce"] = data["nonce"]
            if not_found and index == 0:
                body["not_found"] = not_found
            if data.get("presences"):
                body["presences"] = []
            session.push_event("GUILD_MEMBERS_CHUNK", body)

    def guild_create(self, session: Session, guild: Guild) -> dict[str, Any]:
        if session.intents & c.GUILD_MEMBERS:
            members = list(guild.members.values())
        else:
            members = [guild.bot_member]
        return payloads.guild_create(guild, members)

    def _ready_payload(self, session: Session) -> dict[str, Any]:
        world = self.world
        me = payloads.user(world.bot)
        me.update(verified=True, mfa_enabled=False, flags=0, email=None)
        data: dict[str, Any] = {
            "v": 10,
            "user": me,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in world.guilds_of_bot()],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_url,
            "application": {"id": str(world.application_id), "flags": world.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["discord-emulator"],
        }
        if session.shard is not None:
            data["shard"] = session.shard
        return data

    def _detach(self, conn: Connection) -> None:
        session = conn.session
        if session is not None and session.conn is conn:
            session.conn = None
        self.connections.discard(conn)

    def _end(self, session: Session) -> None:
        self.sessions.pop(session.id, None)
        if session.conn is not None:
            session.conn.session = None
            session.conn = None

    def _disconnected(self, conn: Connection, close_code: int | None) -> None:
        session = conn.session
        self._detach(conn)
        conn._stop()
        conn._writer.cancel()
        if session is not None and close_code in (1000, 1001) and session.conn is None:
            # A clean close ends the session, as it does on Discord.
            self._end(session)
            self.handshakes.append(
                Handshake("closed", session.id, conn.path, conn.query, close_code=close_code)
            )
