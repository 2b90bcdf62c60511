"""Fault injection: failing or rate-limiting REST requests, breaking the gateway, refusing roles."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from .errors import INVALID_FORM_BODY, MISSING_PERMISSIONS, REQUEST_TOO_LARGE

if TYPE_CHECKING:
    from .gateway import Gateway
    from .models import Guild

_DEFAULT_ERRORS = {
    400: (INVALID_FORM_BODY, "Invalid Form Body"),
    401: (0, "401: Unauthorized"),
    403: (MISSING_PERMISSIONS, "Missing Permissions"),
    404: (0, "404: Not Found"),
    413: (REQUEST_TOO_LARGE, "Request entity too large"),
}


@dataclass(slots=True)
class FaultRule:
    """Answer the next `remaining` requests matching `method` and `path` with this response.

    `path` is a glob over the path without `/api/v10` (`/channels/*/messages`) or a route
    template (`/channels/{channel_id}/messages`); `method` may be `*`. `hits` counts uses.
    """

    method: str
    path: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    remaining: int | None = 1
    hits: int = 0

    def matches(self, method: str, path: str, route: str | None) -> bool:
        if self.method != "*" and self.method != method:
            return False
        return self.path == route or fnmatchcase(path, self.path)


class Faults:
    """What can go wrong, on demand. Reached as `Emulator.faults`."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway
        self.rules: list[FaultRule] = []
        self.role_refusing_guilds: set[int] = set()

    # REST.

    def rate_limit(
        self,
        method: str,
        path: str,
        *,
        times: int | None = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> FaultRule:
        """Answer 429 (with the `Via` header and `retry_after` body discord.py needs to retry)."""
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
            "code": 0,
        }
        headers = {
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return self._add(FaultRule(method, path, 429, body, headers, times))

    def fail(
        self,
        method: str,
        path: str,
        status: int = 400,
        *,
        code: int | None = None,
        message: str | None = None,
        times: int | None = 1,
    ) -> FaultRule:
        """Answer an error in Discord's shape, e.g. `fail("POST", "/channels/*/messages", 403)`."""
        default_code, default_message = _DEFAULT_ERRORS.get(status, (0, f"{status}: Error"))
        body = {
            "message": message or default_message,
            "code": default_code if code is None else code,
        }
        return self._add(FaultRule(method, path, status, body, {}, times))

    def refuse_role_changes(self, guild: Guild, refuse: bool = True) -> None:
        """Make every change to members' roles in `guild` fail with 403 (code 50013)."""
        if refuse:
            self.role_refusing_guilds.add(guild.id)
        else:
            self.role_refusing_guilds.discard(guild.id)

    def clear(self) -> None:
        self.rules.clear()
        self.role_refusing_guilds.clear()
        self._gateway.invalidate_resumes = 0

    def take(self, method: str, path: str, route: str | None) -> FaultRule | None:
        """The rule that answers this request, if any (used by the REST layer)."""
        for rule in self.rules:
            if rule.matches(method, path, route):
                rule.hits += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self.rules.remove(rule)
                return rule
        return None

    def _add(self, rule: FaultRule) -> FaultRule:
        if rule.remaining is not None and rule.remaining < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        self.rules.append(rule)
        return rule

    # Gateway.

    def drop_gateway(self) -> int:
        """Cut every gateway socket without a close frame. Sessions stay resumable: events
        dispatched until the bot RESUMEs are replayed then. Returns how many sockets were cut."""
        return self._gateway.drop()

    def invalidate_next_resume(self, times: int = 1) -> None:
        """Answer the next RESUME(s) with INVALID_SESSION (d=false): the bot must IDENTIFY."""
        self._gateway.invalidate_resumes += times

    def invalidate_sessions(self, *, resumable: bool = False) -> None:
        """Send INVALID_SESSION to every connected session now."""
        self._gateway.invalidate(resumable=resumable)

    def request_reconnect(self) -> None:
        """Send RECONNECT (op 7): the bot closes its socket and RESUMEs."""
        self._gateway.request_reconnect()
