"""The next flush's rows, from what ingest holds in memory: aggregated, one row per key."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.exchanges import MENTION, REACTION, REPLY
from bot.services.guild_state import GuildState
from bot.store.ingest import IngestBatch

# A kind's counter in a pair's day row, for its first member (see bot.store.ingest.PAIR_COUNTS).
_KIND_COLUMN = {REPLY: 0, MENTION: 1, REACTION: 2}


def build_batch(
    guilds: Iterable[GuildState],
    pending: dict[int, list],
    updated: dict[int, list],
    first_days: dict[int, str],
) -> IngestBatch:
    """New and changed message index rows, and each guild's unflushed aggregates."""
    batch = IngestBatch(
        messages=list(pending.values()),
        deleted=list(updated),
        first_days=list(first_days.items()),
    )
    for state in guilds:
        gid = state.id
        pairs: dict[tuple[str, int, int], list[int]] = {}
        for (day, src, dst, kind), delta in state.exchanges.items():
            if delta:
                a, b = (src, dst) if src < dst else (dst, src)
                counts = pairs.get((day, a, b))
                if counts is None:
                    counts = pairs[(day, a, b)] = [0, 0, 0, 0, 0, 0]
                counts[_KIND_COLUMN[kind] + (0 if src == a else 3)] += delta
        batch.pairs.extend(
            (gid, day, a, b, *counts) for (day, a, b), counts in pairs.items() if any(counts)
        )
        batch.pool_days.extend(
            (gid, day, pool, member, delta)
            for (day, pool, member), delta in state.pool_counts.items()
            if delta
        )
        batch.member_days.extend(
            (gid, day, member, points)
            for day in state.dirty_days
            if day in state.open_days
            for member, points in state.open_days[day].items()
        )
        batch.members.extend(
            (
                gid,
                user,
                int(user in state.bots),
                state.names.get(user),
                _to_ms(state.last_point.get(user)),
                _to_ms(state.joined.get(user)),
            )
            for user in state.dirty_members
        )
        batch.fraud_exchanges.extend(state.fraud_log)
    return batch


def _to_ms(instant: datetime | None) -> int | None:
    return None if instant is None else int(instant.timestamp() * 1000)
