"""What a day close pays besides the day's points and tiers: sponsored pools and challenges,
and the points events that multiply tier tokens. All of it runs inside the close's
transaction (see bot/store/day_close.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

import aiosqlite
import orjson

from bot.domain.ledger import ESCROW, TREASURY, pro_rata
from bot.store import escrow
from bot.store.ledger import balance_in

if TYPE_CHECKING:
    from bot.store.day_close import DayCloseResult


async def tier_percent(conn: aiosqlite.Connection, guild: int, day_end: str | None) -> int:
    """The multiplier (percent) of tier tokens: the largest points event with `tier_tokens`
    running when the day ended; 100 without one."""
    if day_end is None:
        return 100
    async with conn.execute(
        "SELECT max(percent) FROM points_events"
        " WHERE guild = ?1 AND tier_tokens = 1 AND starts_at <= ?2 AND ends_at >= ?2",
        (guild, day_end),
    ) as cursor:
        found = (await cursor.fetchone())[0]
    return found or 100


async def pay_out(
    conn: aiosqlite.Connection,
    guild: int,
    day: str,
    source: int,
    payments: list[tuple[int, int, str]],
    reason: str,
    closed_at: str,
    held: Mapping[int, str] | None = None,
    result: DayCloseResult | None = None,
) -> int:
    """Pay (member, amount, key) rows from `source`'s account, scaled pro rata (each floored)
    when it holds less than they add up to; returns what was paid. A payment happens once: a
    key already used is an error. Payments to `held` members (member -> why) go to escrow
    (counted in `result.held`)."""
    owed = sum(amount for _, amount, _ in payments)
    if owed <= 0:
        return 0
    available = await balance_in(conn, guild, source)
    amounts = [amount for _, amount, _ in payments]
    if owed > available:
        amounts = pro_rata(amounts, available)
    rows = [
        (member, paid, key)
        for (member, _, key), paid in zip(payments, amounts, strict=True)
        if paid > 0
    ]
    if not rows:
        return 0
    if held:
        holds = [
            (m, None, None, source, paid, reason, key, held[m])
            for m, paid, key in rows
            if m in held
        ]
        await escrow.record_holds(conn, guild, day, holds)
        if result is not None:
            result.held += sum(hold[4] for hold in holds)
        rows = [(ESCROW if m in held else m, paid, key) for m, paid, key in rows]
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO ledger (guild, key, source, target, amount, reason, day,"
        " created_at) SELECT ?1, value ->> 2, ?2, value ->> 0, value ->> 1, ?3, ?4, ?5"
        " FROM json_each(?6)",
        (guild, source, reason, day, closed_at, orjson.dumps(rows).decode()),
    )
    if cursor.rowcount != len(rows):
        raise RuntimeError(f"guild {guild} {day}: a {reason} payment was already made")
    paid = sum(amount for _, amount, _ in rows)
    await conn.execute(
        "INSERT INTO balances (guild, account, balance)"
        " SELECT ?, value ->> 0, value ->> 1 FROM json_each(?) WHERE true"
        " ON CONFLICT (guild, account) DO UPDATE SET balance = balance + excluded.balance",
        (guild, orjson.dumps([(member, amount) for member, amount, _ in rows]).decode()),
    )
    await conn.execute(
        "UPDATE balances SET balance = balance - ? WHERE guild = ? AND account = ?",
        (paid, guild, source),
    )
    return paid


async def pay_pools(
    conn: aiosqlite.Connection,
    guild: int,
    day: str,
    closed_at: str,
    result: DayCloseResult,
    excluded: bool,
    held: Mapping[int, str] | None = None,
) -> None:
    """Sponsored pools: each exchange made in a pool's channel earns its `per_exchange`
    from that pool only, pro rata when the pool holds less than it owes."""
    async with conn.execute(
        "SELECT d.pool, d.member, d.exchanges * p.per_exchange FROM pool_days d"
        " JOIN pools p ON p.id = d.pool"
        " WHERE d.guild = ? AND d.day = ? AND d.exchanges > 0 AND p.per_exchange > 0"
        + (" AND d.member NOT IN (SELECT member FROM close_excluded)" if excluded else "")
        + " ORDER BY d.pool, d.member",
        (guild, day),
    ) as cursor:
        owed = await cursor.fetchall()
    by_pool: dict[int, list[tuple[int, int, str]]] = {}
    for pool, member, amount in owed:
        key = f"pool:{guild}:{day}:{pool}:{member}"
        by_pool.setdefault(pool, []).append((member, amount, key))
    for pool, payments in by_pool.items():
        result.pool_paid += await pay_out(
            conn, guild, day, -pool, payments, "pool", closed_at, held, result
        )


async def settle_challenges(
    conn: aiosqlite.Connection,
    guild: int,
    day: str,
    lengths: Counter,
    closed_at: str,
    result: DayCloseResult,
    excluded: bool,
    held: Mapping[int, str] | None = None,
) -> None:
    """Open challenges: met when enough pairs hold a long enough streak at this close
    (each contributing member is paid the reward once), expired after their deadline."""
    async with conn.execute(
        "SELECT id, name, pairs, days, deadline, reward, pool FROM challenges"
        " WHERE guild = ? AND status = 'open' ORDER BY id",
        (guild,),
    ) as cursor:
        open_challenges = await cursor.fetchall()
    for challenge, name, pairs, days, deadline, reward, pool in open_challenges:
        holding = sum(count for length, count in lengths.items() if length >= days)
        if holding >= pairs and day <= deadline:
            async with conn.execute(
                "SELECT a FROM streaks WHERE guild = ?1 AND current >= ?2"
                " UNION SELECT b FROM streaks WHERE guild = ?1 AND current >= ?2"
                " ORDER BY 1",
                (guild, days),
            ) as cursor:
                members = [row[0] for row in await cursor.fetchall()]
            if excluded:
                async with conn.execute("SELECT member FROM close_excluded") as cursor:
                    out = {row[0] for row in await cursor.fetchall()}
                members = [m for m in members if m not in out]
            payments = [(m, reward, f"challenge:{guild}:{challenge}:{m}") for m in members]
            source = TREASURY if pool is None else -pool
            paid = await pay_out(
                conn, guild, day, source, payments, "challenge", closed_at, held, result
            )
            await conn.execute(
                "UPDATE challenges SET status = 'met', closed_day = ?, paid = ? WHERE id = ?",
                (day, paid, challenge),
            )
            result.challenges_met.append((challenge, name, len(members), paid))
        elif day >= deadline:
            await conn.execute(
                "UPDATE challenges SET status = 'expired', closed_day = ? WHERE id = ?",
                (day, challenge),
            )
