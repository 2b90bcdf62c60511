"""The moderators' audit trail (`mod_actions`): one row per action, written in the action's own
transaction (ledger entries carry their own reasons)."""

from __future__ import annotations

import aiosqlite


async def record_action(
    conn: aiosqlite.Connection,
    guild: int,
    moderator: int | None,
    action: str,
    target: int | None,
    partner: int | None,
    amount: int | None,
    reason: str,
    at: str,
) -> None:
    await conn.execute(
        "INSERT INTO mod_actions (guild, moderator, action, target, partner, amount, reason, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (guild, moderator, action, target, partner, amount, reason, at),
    )
