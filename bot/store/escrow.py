"""Rewards held in escrow (issue 5): how a close holds a payment, and how a hold ends.

A held payment is an ordinary ledger entry under the payment's own key, from its source (the
treasury or a pool) to the ESCROW account, plus a `holds` row saying whose it is and why. A
release moves it on to the member (`release:<key>`), a void back to its source
(`unhold:<key>`): once each, by the ledger's keys, and a decided hold never reopens. So the
total is conserved, and a held token is never paid twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import aiosqlite
import orjson

from bot.domain.ledger import ESCROW
from bot.store.audit import record_action
from bot.store.database import Database
from bot.store.ledger import move_in

RELEASE, VOID = "release", "void"
DECISIONS = (RELEASE, VOID)
HOLD_COLUMNS = "id, day, member, a, b, source, amount, reason, key, why, status"


@dataclass(slots=True, frozen=True)
class Hold:
    id: int
    day: str
    member: int
    a: int | None
    b: int | None
    source: int
    amount: int
    reason: str
    key: str
    why: str
    """The risk reasons, JSON [[signal, detail, weight], ...]."""
    status: str


async def load_held(
    conn: aiosqlite.Connection,
    members: Iterable[tuple[int, str]],
    pairs: Iterable[tuple[int, int, str]],
) -> bool:
    """Fill the close's scratch tables with whose rewards are held today (and why); True if
    anyone's are."""
    await conn.execute("DELETE FROM close_held_members")
    await conn.execute("DELETE FROM close_held_pairs")
    members, pairs = list(members), list(pairs)
    if members:
        await conn.executemany(
            "INSERT OR IGNORE INTO close_held_members (member, why) VALUES (?, ?)", members
        )
    if pairs:
        await conn.executemany(
            "INSERT OR IGNORE INTO close_held_pairs (a, b, why) VALUES (?, ?, ?)", pairs
        )
    return bool(members or pairs)


async def record_holds(
    conn: aiosqlite.Connection, guild: int, day: str, rows: Sequence[tuple]
) -> None:
    """`holds` rows for payments just moved into escrow: (member, a, b, source, amount,
    reason, key, why)."""
    if rows:
        await conn.execute(
            "INSERT INTO holds (guild, day, member, a, b, source, amount, reason, key, why)"
            " SELECT ?1, ?2, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4,"
            "   value ->> 5, value ->> 6, value ->> 7 FROM json_each(?3)",
            (guild, day, orjson.dumps(list(rows)).decode()),
        )


async def hold_close_payments(conn: aiosqlite.Connection, guild: int, day: str, source: int) -> int:
    """In a day close (its `close_payments`, from `source`): mark the payments of held members,
    and the tier tokens of held pairs, for escrow and record their holds; returns the tokens
    held. The close's ledger entries then send marked payments to ESCROW."""
    await conn.execute(
        "UPDATE close_payments SET held = coalesce("
        "  (SELECT why FROM close_held_members h WHERE h.member = close_payments.member),"
        "  (SELECT why FROM close_held_pairs h"
        "   WHERE h.a = close_payments.a AND h.b = close_payments.b))"
    )
    async with conn.execute(
        "SELECT member, a, b, ?, amount, reason, key, held FROM close_payments"
        " WHERE held IS NOT NULL AND amount > 0 ORDER BY rowid",
        (source,),
    ) as cursor:
        rows = [tuple(row) for row in await cursor.fetchall()]
    await record_holds(conn, guild, day, rows)
    return sum(row[4] for row in rows)


async def expire(
    conn: aiosqlite.Connection,
    guild: int,
    day: str,
    hold_days: int,
    on_expiry: str,
    at: str,
) -> tuple[int, int]:
    """In the close of `day`: holds nobody decided within `hold_days` end, released or voided
    as `on_expiry` says; returns the tokens (released, voided)."""
    through = (date.fromisoformat(day) - timedelta(days=hold_days)).isoformat()
    expired = await open_holds(conn, guild, through_day=through)
    if not expired:
        return 0, 0
    decision = RELEASE if on_expiry == "release" else VOID
    moved = await decide(conn, guild, expired, decision, day=day, at=at, moderator=None)
    return (moved, 0) if decision == RELEASE else (0, moved)


async def decide(
    conn: aiosqlite.Connection,
    guild: int,
    holds: Sequence[Hold],
    decision: str,
    *,
    day: str,
    at: str,
    moderator: int | None,
) -> int:
    """Release or void open holds, inside the caller's transaction; returns the tokens moved.
    Holds already decided are skipped (their status is checked again here)."""
    if decision not in DECISIONS:
        raise ValueError(f"a hold is released or voided, not {decision!r}")
    moved = 0
    for hold in holds:
        cursor = await conn.execute(
            "UPDATE holds SET status = ?, decided_by = ?, decided_at = ?"
            " WHERE id = ? AND guild = ? AND status = 'held'",
            ("released" if decision == RELEASE else "voided", moderator, at, hold.id, guild),
        )
        if cursor.rowcount != 1:
            continue
        if decision == RELEASE:
            key, target, reason = f"release:{hold.key}", hold.member, hold.reason
        else:
            key, target, reason = f"unhold:{hold.key}", hold.source, "hold voided"
        await move_in(
            conn,
            guild,
            key=key,
            source=ESCROW,
            target=target,
            amount=hold.amount,
            reason=reason,
            day=day,
            at=at,
        )
        moved += hold.amount
    return moved


async def any_open(conn: aiosqlite.Connection, guild: int) -> bool:
    """Whether the guild has holds not yet decided (its closes must run, to expire them)."""
    async with conn.execute(
        "SELECT EXISTS (SELECT 1 FROM holds WHERE guild = ? AND status = 'held')", (guild,)
    ) as cursor:
        return bool((await cursor.fetchone())[0])


async def open_holds(
    conn: aiosqlite.Connection,
    guild: int,
    *,
    through_day: str | None = None,
    member: int | None = None,
    ids: Sequence[int] | None = None,
) -> list[Hold]:
    """Holds not yet decided, oldest first: of days up to `through_day`, owed to a member, or
    with these IDs."""
    where, params = ["guild = ?", "status = 'held'"], [guild]
    if through_day is not None:
        where.append("day <= ?")
        params.append(through_day)
    if member is not None:
        where.append("member = ?")
        params.append(member)
    if ids is not None:
        where.append("id IN (SELECT value FROM json_each(?))")
        params.append(orjson.dumps(list(ids)).decode())
    async with conn.execute(
        f"SELECT {HOLD_COLUMNS} FROM holds WHERE {' AND '.join(where)} ORDER BY day, id", params
    ) as cursor:
        return [Hold(*row) for row in await cursor.fetchall()]


@dataclass(slots=True, frozen=True)
class Decided:
    holds: int
    tokens: int
    ids: tuple[int, ...] = ()
    """The holds decided now (a requested hold already decided is not among them)."""


class EscrowRepository:
    """What moderators do with holds: read them, release them, void them."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def page(
        self, guild: int, offset: int, limit: int, member: int | None = None
    ) -> tuple[list[Hold], int, int]:
        """Open holds, oldest first (all, or those owed to a member): the page, how many there
        are, and the tokens they hold together."""
        where, params = "guild = ?1 AND status = 'held'", [guild]
        if member is not None:
            where += " AND member = ?2"
            params.append(member)
        conn = self.db.connection
        async with conn.execute(
            f"SELECT count(*), coalesce(sum(amount), 0) FROM holds WHERE {where}", params
        ) as cursor:
            total, tokens = await cursor.fetchone()
        async with conn.execute(
            f"SELECT {HOLD_COLUMNS} FROM holds WHERE {where} ORDER BY day, id"
            f" LIMIT {int(limit)} OFFSET {int(offset)}",
            params,
        ) as cursor:
            rows = [Hold(*row) for row in await cursor.fetchall()]
        return rows, total, tokens

    async def decide(
        self,
        guild: int,
        decision: str,
        *,
        moderator: int,
        day: str,
        at: str,
        ids: Sequence[int] | None = None,
        member: int | None = None,
        reason: str,
    ) -> Decided:
        """Release or void the open holds with these IDs (or all of a member's), in one
        transaction with the moderator's audit row."""
        async with self.db.transaction() as conn:
            holds = await open_holds(conn, guild, member=member, ids=ids)
            if not holds:
                return Decided(0, 0)
            tokens = await decide(conn, guild, holds, decision, day=day, at=at, moderator=moderator)
            members = {hold.member for hold in holds}
            await record_action(
                conn,
                guild,
                moderator,
                "release" if decision == RELEASE else "void hold",
                members.pop() if len(members) == 1 else None,
                None,
                tokens,
                f"{len(holds)} held payment(s) #{', #'.join(str(h.id) for h in holds)}: {reason}",
                at,
            )
        return Decided(len(holds), tokens, tuple(hold.id for hold in holds))
