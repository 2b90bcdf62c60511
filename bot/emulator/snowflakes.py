"""Snowflake IDs: the creation time in the high bits, so an ID orders and dates a message."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

DISCORD_EPOCH_MS = 1_420_070_400_000
_LOW_BITS = (1 << 22) - 1


def time_of(snowflake: int) -> datetime:
    """The instant a snowflake was created, timezone-aware UTC."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso(instant: datetime) -> str:
    """Discord's timestamp format (ISO 8601 with microseconds and an offset)."""
    if instant.tzinfo is not UTC:
        instant = instant.astimezone(UTC)
    return instant.isoformat(timespec="microseconds")


# Join dates and the like repeat in every message payload; message timestamps do not.
iso_cached = lru_cache(maxsize=4096)(iso)


def parse_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


class SnowflakeFactory:
    """Hands out unique snowflakes for given instants.

    The low 22 bits (worker, process, increment in real Discord) come from one counter shared by
    every ID, so two IDs share a millisecond only with different low bits, and IDs made for
    the same millisecond increase in the order they were made.
    """

    def __init__(self) -> None:
        self._counter = 0

    def at(self, instant: datetime) -> int:
        if instant.tzinfo is None:
            raise ValueError("snowflake instants must be timezone-aware")
        return self.at_ms(int(instant.timestamp() * 1000))

    def at_ms(self, unix_ms: int) -> int:
        ms = unix_ms - DISCORD_EPOCH_MS
        if ms < 0:
            raise ValueError("snowflakes start at Discord's epoch (2015-01-01)")
        self._counter = (self._counter + 1) & _LOW_BITS
        return (ms << 22) | self._counter
