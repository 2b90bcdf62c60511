"""`Emulator`: the Python API tests drive the emulated Discord with."""

# Waits take a `timeout` so a test that goes wrong fails fast with a message saying what
# never happened, rather than hanging until pytest's own timeout.
# ruff: noqa: ASYNC109

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

import discord
from aiohttp import web

from . import constants as c
from .acting import UserActions
from .faults import Faults
from .gateway import Gateway
from .interactions import InteractionBook
from .invoking import InteractionActions
from .models import Channel, Guild, Message, User
from .permissions import DEFAULT_BOT, DEFAULT_EVERYONE
from .rest import API_PREFIX, RecordedRequest, RestApi, Router
from .routes_app import router as app_routes
from .routes_channels import router as channel_routes
from .routes_guilds import router as guild_routes
from .routes_interactions import router as interaction_routes
from .state import World
from .target import running

log = logging.getLogger(__name__)
ALL_PRIVILEGED = frozenset(c.PRIVILEGED_INTENTS)
_FLUSH_EVERY = 256


class Emulator(UserActions, InteractionActions):
    """A Discord-compatible REST + gateway server on 127.0.0.1 and the handles to drive it.

    See the package docstring (`bot.emulator`) for a tour.
    """

    def __init__(
        self,
        *,
        privileged_intents: Iterable[str] = ALL_PRIVILEGED,
        clock: Any = None,
        bot_name: str = "Streakbot",
        heartbeat_interval: float = 41.25,
        resume_buffer: int = 50_000,
        interaction_window: float = 3.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.world = World(clock=clock, privileged_intents=privileged_intents, bot_name=bot_name)
        self.gateway = Gateway(
            self.world,
            heartbeat_interval_ms=int(heartbeat_interval * 1000),
            buffer_size=resume_buffer,
        )
        self.world.gateway = self.gateway
        self.faults = Faults(self.gateway)
        self.interactions = InteractionBook(self.world, response_window=interaction_window)
        router = Router()
        for routes in (app_routes, channel_routes, guild_routes, interaction_routes):
            router.extend(routes)
        self.rest = RestApi(self.world, router, self.faults, self.interactions)
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self.api_base = ""

    # Lifecycle.

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self.rest.handle)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/resume", self.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._file)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        host, port = self._runner.addresses[0][:2]
        self.api_base = f"http://{host}:{port}"
        self.world.api_base = self.api_base
        self.gateway.url = f"ws://{host}:{port}/gateway"
        self.gateway.resume_url = f"ws://{host}:{port}/resume"

    async def close(self) -> None:
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def running(
        self, client: discord.Client, *, ready_timeout: float = 10.0
    ) -> AbstractAsyncContextManager[discord.Client]:
        """`async with emu.running(bot):` logs the bot in here, waits for its on_ready, and
        closes it on exit (discord.py's URLs are restored too)."""
        return running(client, self.api_base, self.bot_token, ready_timeout=ready_timeout)

    @property
    def bot_token(self) -> str:
        return self.world.token

    @property
    def bot_user(self) -> User:
        return self.world.bot

    @property
    def application_id(self) -> int:
        return self.world.application_id

    @property
    def app_owner(self) -> User:
        return self.world.app_owner

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every REST request the bot made, in arrival order."""
        return self.rest.requests

    @property
    def internal_errors(self) -> list[BaseException]:
        """Exceptions the emulator raised answering requests (answered 400, code 0): its bugs.
        A test fixture should assert this stays empty."""
        return self.rest.internal_errors

    # Setting up a world (synchronous; connected bots are told as Discord would tell them).

    def create_user(
        self,
        name: str,
        *,
        bot: bool = False,
        global_name: str | None = None,
        accepts_dms: bool = True,
        created_at: datetime | None = None,
    ) -> User:
        """A Discord account, made `created_at` (by default a year before now: its ID dates
        it, and an account that old passes the anti-fraud account gate)."""
        return self.world.create_user(
            name,
            bot=bot,
            global_name=global_name,
            accepts_dms=accepts_dms,
            created_at=created_at,
        )

    def create_guild(
        self,
        name: str,
        owner: User | None = None,
        *,
        bot_permissions: Any = DEFAULT_BOT,
        everyone_permissions: Any = DEFAULT_EVERYONE,
    ) -> Guild:
        """A server with @everyone, a #general channel, its owner and the bot (with a managed
        role holding `bot_permissions`) as members."""
        return self.world.create_guild(
            name, owner, bot_permissions=bot_permissions, everyone_permissions=everyone_permissions
        )

    def dm_channel(self, user: User) -> Channel:
        return self.world.dm_channel(user)

    # Waiting and looking.

    async def wait_until_ready(self, timeout: float = 5.0) -> None:
        """Until a bot session has IDENTIFYed (or RESUMEd) and got its GUILD_CREATEs written.
        (discord.py fires on_ready a little later: await the bot's own wait_until_ready too.)"""
        await self.gateway.wait_until_ready(timeout)

    async def wait_idle(self) -> None:
        """Until every dispatched event is written to the sockets and no REST request is in
        flight. The bot may still be handling what it received."""
        while True:
            await self.gateway.flush()
            if not self.rest.in_flight:
                break
            await self.rest.wait_quiet()
        await self.gateway.flush()

    async def wait_for_message(
        self,
        channel: Channel | None = None,
        *,
        author: User | None = None,
        check: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,
    ) -> Message:
        """The next message (by the bot unless `author` says otherwise) matching the filters."""
        who = author or self.world.bot

        def matches(message: Message) -> bool:
            return (
                message.author is who
                and (channel is None or message.channel is channel)
                and (check is None or check(message))
            )

        return await self.world.messages.wait_for(matches, timeout)

    async def wait_for_request(
        self, method: str, path: str, *, timeout: float = 5.0
    ) -> RecordedRequest:
        """The next REST request (answered) matching `method` (or `*`) and a path glob or
        route template, e.g. `wait_for_request("PUT", "/guilds/*/members/*/roles/*")`."""
        return await self.rest.wait_for(lambda r: _request_matches(r, method, path), timeout)

    def find_requests(self, method: str = "*", path: str = "*") -> list[RecordedRequest]:
        return [r for r in self.rest.requests if _request_matches(r, method, path)]

    def channel_messages(self, channel: Channel) -> list[Message]:
        """The channel's messages, oldest first (ephemeral ones are never in a channel)."""
        return channel.in_order()

    def dm_messages(self, user: User) -> list[Message]:
        channel = self.world.dm_channels.get(user.id)
        return self.channel_messages(channel) if channel is not None else []

    async def _file(self, request: web.Request) -> web.Response:
        attachment = self.world.messages.attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None:
            raise web.HTTPNotFound()
        return web.Response(
            body=attachment.data, content_type=attachment.content_type or "application/octet-stream"
        )


def _request_matches(record: RecordedRequest, method: str, path: str) -> bool:
    if method != "*" and record.method != method:
        return False
    return record.route == path or fnmatchcase(record.path, path)
