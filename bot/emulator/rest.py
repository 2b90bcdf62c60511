"""The REST API's plumbing: routing, auth, body parsing, fault injection, the request log.

Route handlers (in `routes_*.py`) take a `Call` and return the JSON to answer (None: 204) or
raise `DiscordError`. Responses carry `Content-Type: application/json` exactly, which is what
discord.py checks before parsing a body.
"""

# Waits take a `timeout` so a test that goes wrong fails fast with a message saying what
# never happened, rather than hanging until pytest's own timeout.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import BodyPartReader, web

from .errors import INVALID_FORM_BODY, INVALID_JSON, DiscordError, invalid_form

if TYPE_CHECKING:
    from .faults import Faults
    from .interactions import InteractionBook
    from .state import World

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
JSON_HEADERS = {"Content-Type": "application/json", "Via": "1.1 google"}


@dataclass(frozen=True, slots=True)
class UploadedFile:
    field: str
    filename: str
    content_type: str | None
    data: bytes


@dataclass(slots=True)
class RecordedRequest:
    """One REST request the bot made. `json` is the parsed body (multipart: its payload_json);
    `route` the matched template, e.g. `/channels/{channel_id}/messages`."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[UploadedFile] = field(default_factory=list)
    route: str | None = None
    status: int = 0
    response: Any = None

    @property
    def error_code(self) -> int | None:
        if self.status >= 400 and isinstance(self.response, dict):
            return self.response.get("code")
        return None


@dataclass(slots=True)
class Call:
    """A parsed request, as handlers see it."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    world: World
    interactions: InteractionBook
    faults: Faults
    reason: str | None = None

    def snowflake(self, name: str) -> int:
        value = self.params[name]
        if not value.isdigit():
            raise invalid_form(name, "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.')
        return int(value)

    def body(self) -> dict[str, Any]:
        if self.json is None:
            return {}
        if not isinstance(self.json, dict):
            raise DiscordError(400, INVALID_FORM_BODY, "Invalid Form Body")
        return self.json

    def int_query(self, name: str, default: int | None = None) -> int | None:
        value = self.query.get(name)
        if value is None:
            return default
        if not value.isdigit():
            raise invalid_form(name, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
        return int(value)


Handler = Callable[[Call], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool


class Router:
    """Route templates like `/channels/{channel_id}/messages`, matched in the order added."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        pattern = re.compile(f"^{regex}$")

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, template, pattern, handler, auth))
            return handler

        return register

    def extend(self, other: Router) -> None:
        self.routes.extend(other.routes)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed = False
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return route, found.groupdict()
            allowed = True
        if allowed:
            raise DiscordError(405, 0, "405: Method Not Allowed")
        raise DiscordError(404, 0, "404: Not Found")


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps(data), headers={**JSON_HEADERS, **(headers or {})}
    )


class RestApi:
    """The aiohttp handler behind `/api/v10/...`: records, injects faults, authenticates, routes."""

    def __init__(
        self, world: World, router: Router, faults: Faults, interactions: InteractionBook
    ) -> None:
        self.world = world
        self.router = router
        self.faults = faults
        self.interactions = interactions
        self.requests: list[RecordedRequest] = []
        self.internal_errors: list[BaseException] = []
        self._waiters: list[tuple[Callable[[RecordedRequest], bool], asyncio.Future[Any]]] = []
        self.in_flight = 0
        self._quiet = asyncio.Event()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path[len(API_PREFIX) :] or "/"
        record = RecordedRequest(request.method, path, dict(request.query), None)
        self.requests.append(record)
        self.in_flight += 1
        try:
            response = await self._answer(request, record)
        except DiscordError as error:
            response = self._error(error)
            record.response = error.body()
        except Exception as exc:
            # An emulator bug. Answered 400, not 500: discord.py retries 5xx for ~16 s.
            log.exception("emulator bug answering %s %s", request.method, path)
            self.internal_errors.append(exc)
            error = DiscordError(400, 0, f"emulator error (a bug in the emulator): {exc!r}")
            response = self._error(error)
            record.response = error.body()
        finally:
            self.in_flight -= 1
            if not self.in_flight:
                self._quiet.set()
        record.status = response.status
        if self._waiters:
            for check, future in list(self._waiters):
                if not future.done() and check(record):
                    future.set_result(record)
        return response

    async def wait_quiet(self) -> None:
        """Until no request is being answered."""
        while self.in_flight:
            self._quiet.clear()
            await self._quiet.wait()

    async def wait_for(self, check: Callable[[RecordedRequest], bool], timeout: float) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        entry = (check, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._waiters.remove(entry)

    async def _answer(self, request: web.Request, record: RecordedRequest) -> web.StreamResponse:
        record.json, record.files = await _read_body(request)
        try:
            route, params = self.router.match(request.method, record.path)
        except DiscordError:
            route, params = None, {}
        record.route = route.template if route else None
        fault = self.faults.take(record.method, record.path, record.route)
        if fault is not None:
            record.response = fault.body
            return json_response(fault.body, fault.status, fault.headers)
        if route is None:
            self.router.match(request.method, record.path)  # raises the 404/405
            raise AssertionError("unreachable")
        if route.auth and request.headers.get("Authorization") != f"Bot {self.world.token}":
            raise DiscordError(401, 0, "401: Unauthorized")
        call = Call(
            record.method,
            record.path,
            params,
            record.query,
            record.json,
            record.files,
            self.world,
            self.interactions,
            self.faults,
            request.headers.get("X-Audit-Log-Reason"),
        )
        result = await route.handler(call)
        record.response = result
        if result is None:
            return web.Response(status=204, headers={"Via": "1.1 google"})
        return json_response(result)

    @staticmethod
    def _error(error: DiscordError) -> web.Response:
        return json_response(error.body(), error.status)


async def _read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    if request.content_type == "multipart/form-data":
        payload: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue  # a nested multipart: discord.py never sends one
            data = bytes(await part.read())
            if part.name == "payload_json":
                payload = _parse_json(data)
            else:
                name = part.name or ""
                content_type = part.headers.get("Content-Type")
                files.append(UploadedFile(name, part.filename or name, content_type, data))
        return payload, files
    raw = await request.read()
    return (_parse_json(raw) if raw else None), []


def _parse_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise DiscordError(400, INVALID_JSON, "The request body contains invalid JSON.") from None
