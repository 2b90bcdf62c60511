"""Pointing an unmodified discord.py at the emulator (or any Discord-compatible API base)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress

import discord
import yarl


def gateway_url(api_base: str) -> str:
    """`http://host:port` -> `ws://host:port/gateway` (https -> wss)."""
    url = yarl.URL(api_base.rstrip("/"))
    scheme = "wss" if url.scheme == "https" else "ws"
    return str(url.with_scheme(scheme).with_path("/gateway"))


def use_api_base(api_base: str) -> None:
    """Make discord.py send REST requests to `{api_base}/api/v10` and IDENTIFY at
    `{ws base}/gateway`. Process-wide: discord.py keeps both as class attributes."""
    discord.http.Route.BASE = f"{api_base.rstrip('/')}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url(api_base))


@contextmanager
def pointed_at(api_base: str) -> Iterator[None]:
    """`use_api_base` for the duration of a `with` block, then put Discord's URLs back."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    use_api_base(api_base)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@asynccontextmanager
async def running(
    client: discord.Client, api_base: str, token: str, *, ready_timeout: float = 10.0
) -> AsyncIterator[discord.Client]:
    """Log `client` in against `api_base`, connect it, wait for its on_ready, and close it
    on exit. An error that stops the client from getting ready (a 4004 or 4014 close, say)
    is raised here."""
    with pointed_at(api_base):
        await client.login(token)
        connection = asyncio.create_task(client.connect(), name="discord-client-connect")
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait(
                {connection, ready}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if not done:
                raise TimeoutError(f"the client was not ready within {ready_timeout}s")
            if ready in done:
                yield client
        finally:
            ready.cancel()
            await client.close()
            with suppress(asyncio.CancelledError):
                await connection  # re-raises what stopped the client, if anything did
        if not ready.done() or ready.cancelled():
            raise RuntimeError("the client stopped before it was ready")
