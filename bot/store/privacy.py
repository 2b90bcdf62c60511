"""A member's own data: opting out of tracking, exporting everything kept about them, erasing it.

Erasing keeps the ledger conserved: the member's tokens go back to the treasury with one last
entry, then every entry that names them is anonymised in place (migration 0005 allows exactly
that update): their account becomes ERASED and the entry's key `erased:<id>`. Amounts, reasons
and days stay, so the treasury's history and `LedgerRepository.totals` still add up.

Because the tokens went back first, ERASED never holds any: it is not on the tokens board.

Most reads and deletes here seek by day (the guild days the service passes, as /history does).
The message index has no index on its author or targets (ingest writes it at full speed), so a
member's messages are found by scanning it: an erasure took 0.25 s and an export 0.15 s on a
file of 2 million messages and 730,000 ledger entries, for a request a member makes rarely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite
import orjson

from bot.domain.ledger import ERASED, TREASURY
from bot.store import escrow, periods
from bot.store.database import Database
from bot.store.day_close import refresh_leaders
from bot.store.ledger import MEMBER_ENTRIES, balance_in, move_in

"""The ledger account of erased members: Discord snowflake 1 is never a user (0 is the treasury,
negative accounts are pools). Migration 0005 lets entries move to it and nowhere else."""

ERASED_REASON = "account erased"


class AlreadyErased(RuntimeError):
    """An erasure request that was carried out before (its give-back key is used)."""


_STREAK_FIELDS = (
    "current",
    "best",
    "last_day",
    "freezes",
    "run_start",
    "broken_length",
    "broken_day",
    "restored_run",
)


@dataclass(slots=True, frozen=True)
class Erasure:
    tokens_returned: int
    """The member's balance, given back to the treasury."""
    entries_anonymised: int
    messages: int
    days: int
    streaks: int
    badges: int


def _days(days: Sequence[str]) -> str:
    return orjson.dumps(list(days)).decode()


class PrivacyRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- opting out ---------------------------------------------------------------------------

    async def opt_out(self, guild: int, member: int, at: str) -> bool:
        """Stop tracking the member; False if they had opted out already."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO opt_outs (guild, member, since) VALUES (?, ?, ?)",
                (guild, member, at),
            )
            return cursor.rowcount == 1

    async def opt_in(self, guild: int, member: int) -> bool:
        """Track the member again; False if they had not opted out."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM opt_outs WHERE guild = ? AND member = ?", (guild, member)
            )
            return cursor.rowcount == 1

    async def opted_out_since(self, guild: int, member: int) -> str | None:
        async with self.db.connection.execute(
            "SELECT since FROM opt_outs WHERE guild = ? AND member = ?", (guild, member)
        ) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    # -- export -------------------------------------------------------------------------------

    async def export(self, guild: int, member: int, days: Sequence[str]) -> dict[str, Any]:
        """Everything kept about the member in the guild, as JSON-ready values (IDs as strings,
        as in replay's output: 64-bit IDs do not survive every JSON reader as numbers).
        `days` are the guild days the member's rows may be on (see the module docstring)."""
        conn = self.db.connection
        wanted = _days(days)
        me = str(member)

        async def all_rows(sql: str, *params: object) -> list[tuple]:
            async with conn.execute(sql, params) as cursor:
                return [tuple(row) for row in await cursor.fetchall()]

        found = await all_rows(
            "SELECT is_bot, name, last_point_ms, joined_ms FROM members"
            " WHERE guild = ? AND user = ?",
            guild,
            member,
        )
        profile = (
            {
                "bot": bool(found[0][0]),
                "name": found[0][1],
                "last_point_ms": found[0][2],
                "joined_ms": found[0][3],
            }
            if found
            else None
        )
        points = await all_rows(
            "SELECT day, points FROM member_days"
            " WHERE guild = ?1 AND day IN (SELECT value FROM json_each(?3)) AND member = ?2"
            " ORDER BY day",
            guild,
            member,
            wanted,
        )
        # Counters seen from the member: what they sent, then what they received, by kind.
        exchanges = await all_rows(
            "SELECT day, b, a_reply, a_mention, a_reaction, b_reply, b_mention, b_reaction"
            " FROM pair_days WHERE guild = ?1 AND day IN (SELECT value FROM json_each(?3))"
            "   AND a = ?2"
            " UNION ALL"
            " SELECT day, a, b_reply, b_mention, b_reaction, a_reply, a_mention, a_reaction"
            " FROM pair_days WHERE guild = ?1 AND day IN (SELECT value FROM json_each(?3))"
            "   AND a < ?2 AND b = ?2"
            " ORDER BY 1, 2",
            guild,
            member,
            wanted,
        )
        fields = ", ".join(_STREAK_FIELDS)
        streaks = await all_rows(
            f"SELECT b, {fields} FROM streaks WHERE guild = ?1 AND a = ?2"
            " UNION ALL"
            f" SELECT a, {fields} FROM streaks INDEXED BY streaks_by_b WHERE guild = ?1 AND b = ?2"
            " ORDER BY 1",
            guild,
            member,
        )
        tiers = await all_rows(
            "SELECT CASE WHEN a = ?2 THEN b ELSE a END, tier, run_start, day FROM tier_rewards"
            " WHERE guild = ?1 AND (a = ?2 OR b = ?2) ORDER BY day, tier",
            guild,
            member,
        )
        badges = await all_rows(
            "SELECT tier, day FROM member_badges WHERE guild = ? AND member = ? ORDER BY day, tier",
            guild,
            member,
        )
        ledger = await all_rows(
            f"{MEMBER_ENTRIES} ORDER BY 1",
            guild,
            member,
            wanted,
        )
        balance = await all_rows(
            "SELECT balance FROM balances WHERE guild = ? AND account = ?", guild, member
        )
        messages = await all_rows(
            "SELECT id, day, points, reply_target, mention_targets, deleted FROM messages"
            " WHERE guild = ? AND author = ? ORDER BY id",
            guild,
            member,
        )
        reminders = await all_rows(
            "SELECT last_reminded FROM reminders WHERE guild = ? AND member = ?", guild, member
        )
        pooled = await all_rows(
            "SELECT day, pool, exchanges FROM pool_days"
            " WHERE guild = ?1 AND day IN (SELECT value FROM json_each(?3)) AND member = ?2"
            " ORDER BY day, pool",
            guild,
            member,
            wanted,
        )
        held = await all_rows(
            "SELECT id, day, amount, reason, why, status, decided_at FROM holds"
            " WHERE guild = ? AND member = ? ORDER BY id",
            guild,
            member,
        )
        opt_out = await self.opted_out_since(guild, member)
        return {
            "guild": str(guild),
            "member": me,
            "profile": profile,
            "balance": balance[0][0] if balance else 0,
            "opted_out_since": opt_out,
            "reminders": {"last_reminded": reminders[0][0]} if reminders else None,
            "points": [{"day": day, "points": n} for day, n in points],
            "pool_exchanges": [
                {"day": day, "pool": pool, "exchanges": n} for day, pool, n in pooled
            ],
            "exchanges": [
                {
                    "day": day,
                    "partner": str(partner),
                    "sent": {"reply": s1, "mention": s2, "reaction": s3},
                    "received": {"reply": r1, "mention": r2, "reaction": r3},
                }
                for day, partner, s1, s2, s3, r1, r2, r3 in exchanges
            ],
            "streaks": [
                {"partner": str(row[0]), **dict(zip(_STREAK_FIELDS, row[1:], strict=True))}
                for row in streaks
            ],
            "tiers": [
                {"partner": str(partner), "tier": tier, "run_start": run_start, "day": day}
                for partner, tier, run_start, day in tiers
            ],
            "badges": [{"tier": tier, "day": day} for tier, day in badges],
            # Rewards the anti-fraud detector held, with its reasons (evidence, no content).
            "held_rewards": [
                {
                    "id": hold,
                    "day": day,
                    "amount": amount,
                    "reward": reason,
                    "reasons": orjson.loads(why),
                    "status": status,
                    "decided_at": decided_at,
                }
                for hold, day, amount, reason, why, status, decided_at in held
            ],
            "ledger": [
                {
                    "id": entry_id,
                    "day": day,
                    "created_at": created_at,
                    "amount": amount,
                    "reason": reason,
                    "key": key,
                    "counterparty": _account(counterparty),
                }
                for entry_id, day, created_at, amount, reason, key, counterparty in ledger
            ],
            "messages": [
                {
                    "id": str(message_id),
                    "day": day,
                    "points": n,
                    "reply_to": None if reply is None else str(reply),
                    "mentions": mentions.split(",") if mentions else [],
                    "deleted": bool(deleted),
                }
                for message_id, day, n, reply, mentions, deleted in messages
            ],
        }

    # -- erasure ------------------------------------------------------------------------------

    async def erase(
        self, guild: int, member: int, days: Sequence[str], *, key: str, day: str, at: str
    ) -> Erasure:
        """Erase the member's rows in one transaction: tokens back to the treasury (entry
        `key`, dated `day`), ledger entries anonymised, every other row about them deleted.
        The opt-out row, if any, stays: it is what keeps them untracked from now on."""
        wanted = _days(days)
        async with self.db.transaction() as conn:
            # Held rewards go back where they came from: nobody is left to release them to.
            await escrow.decide(
                conn,
                guild,
                await escrow.open_holds(conn, guild, member=member),
                escrow.VOID,
                day=day,
                at=at,
                moderator=None,
            )
            tokens = await balance_in(conn, guild, member)
            if tokens and not await move_in(
                conn,
                guild,
                key=key,
                source=member,
                target=TREASURY,
                amount=tokens,
                reason=ERASED_REASON,
                day=day,
                at=at,
            ):
                # The request was carried out before, and the member holds tokens again: they
                # must go back through an entry of their own, never vanish with the balance.
                raise AlreadyErased("this erasure was already carried out; ask again")
            await conn.execute(
                "DELETE FROM balances WHERE guild = ? AND account = ?", (guild, member)
            )
            anonymised = await _anonymise(conn, guild, member, wanted)
            messages = await _erase_messages(conn, guild, member)
            cursor = await conn.execute(
                "DELETE FROM member_days"
                " WHERE guild = ?1 AND day IN (SELECT value FROM json_each(?3)) AND member = ?2",
                (guild, member, wanted),
            )
            member_days = cursor.rowcount
            await conn.execute(
                "DELETE FROM pool_days"
                " WHERE guild = ?1 AND day IN (SELECT value FROM json_each(?3)) AND member = ?2",
                (guild, member, wanted),
            )
            for side in ("a = ?2", "a < ?2 AND b = ?2"):
                await conn.execute(
                    "DELETE FROM pair_days"
                    f" WHERE guild = ?1 AND day IN (SELECT value FROM json_each(?3)) AND {side}",
                    (guild, member, wanted),
                )
            streaks = await _erase_streaks(conn, guild, member)
            await _erase_fraud_evidence(conn, guild, member)
            await conn.execute(
                "DELETE FROM tier_rewards WHERE guild = ?1 AND (a = ?2 OR b = ?2)",
                (guild, member),
            )
            cursor = await conn.execute(
                "DELETE FROM member_badges WHERE guild = ? AND member = ?", (guild, member)
            )
            badges = cursor.rowcount
            await conn.execute("DELETE FROM members WHERE guild = ? AND user = ?", (guild, member))
            await conn.execute(
                "DELETE FROM reminders WHERE guild = ? AND member = ?", (guild, member)
            )
            await periods.erase_member(conn, guild, member)
        return Erasure(tokens, anonymised, messages, member_days, streaks, badges)


def _account(account: int | None) -> str | None:
    """A counterparty as exported: the treasury, the outside world, or an ID."""
    if account is None:
        return "outside"
    if account == TREASURY:
        return "treasury"
    if account == ERASED:
        return "erased member"
    return str(account)


async def _anonymise(conn: aiosqlite.Connection, guild: int, member: int, wanted: str) -> int:
    """Entries from or to the member move to ERASED; every entry of the guild whose key names
    them (theirs, and their partners' tier payments and void give-backs, whose keys carry the
    pair) gets the key `erased:<id>`. Returns how many entries were from or to the member."""
    touched = 0
    for column, index, extra in (
        ("source", "ledger_by_day_source", " AND source > 0"),
        ("target", "ledger_by_day_target", ""),
    ):
        cursor = await conn.execute(
            f"UPDATE ledger INDEXED BY {index} SET {column} = ?3, key = 'erased:' || id"
            f" WHERE guild = ?1 AND day IN (SELECT value FROM json_each(?4))"
            f" AND {column} = ?2{extra}",
            (guild, member, ERASED, wanted),
        )
        touched += cursor.rowcount
    # Keys are ':'-separated, a pair inside one is 'a-b': a key names the member when one of
    # its parts is their ID. A pass over the guild's entries, for a rare request.
    await conn.execute(
        "UPDATE ledger SET key = 'erased:' || id WHERE guild = ?1 AND key NOT LIKE 'erased:%'"
        "   AND instr(':' || replace(key, '-', ':') || ':', ':' || ?2 || ':') > 0",
        (guild, member),
    )
    return touched


async def _erase_fraud_evidence(conn: aiosqlite.Connection, guild: int, member: int) -> None:
    """The detector's evidence and findings about the member, and their (decided) holds; a
    partner's hold on a pair with them keeps its tokens but no longer names them."""
    await conn.execute("DELETE FROM holds WHERE guild = ? AND member = ?", (guild, member))
    await conn.execute(
        "UPDATE holds SET a = NULL, b = NULL, key = 'erased-pair:' || id"
        " WHERE guild = ?1 AND (a = ?2 OR b = ?2)",
        (guild, member),
    )
    await conn.execute(
        "DELETE FROM fraud_flags WHERE guild = ?1 AND (a = ?2 OR b = ?2)", (guild, member)
    )
    await conn.execute(
        "DELETE FROM fraud_exchanges WHERE guild = ?1 AND (src = ?2 OR dst = ?2)", (guild, member)
    )
    await conn.execute(
        "DELETE FROM fraud_member_days WHERE guild = ? AND member = ?", (guild, member)
    )


async def _erase_messages(conn: aiosqlite.Connection, guild: int, member: int) -> int:
    """The member's messages leave the index; others' messages forget they replied to or
    mentioned them (their own points stay: those are the other members' data)."""
    cursor = await conn.execute(
        "DELETE FROM messages WHERE guild = ? AND author = ?", (guild, member)
    )
    erased = cursor.rowcount
    # One more pass over the index. mention_targets is a comma-separated list: the member's ID
    # is cut out of it.
    mentioned = "instr(',' || mention_targets || ',', ',' || ?2 || ',') > 0"
    await conn.execute(
        "UPDATE messages SET"
        " reply_target = CASE WHEN reply_target = ?2 THEN NULL ELSE reply_target END,"
        f" mention_targets = CASE WHEN {mentioned} THEN nullif(trim(replace("
        "   ',' || mention_targets || ',', ',' || ?2 || ',', ','), ','), '')"
        "   ELSE mention_targets END"
        f" WHERE guild = ?1 AND (reply_target = ?2 OR {mentioned})",
        (guild, member),
    )
    return erased


async def _erase_streaks(conn: aiosqlite.Connection, guild: int, member: int) -> int:
    """Delete the member's streaks, keeping the leaderboard snapshots true: each live one
    leaves the length histogram, and the leaders are re-taken if the member was among them."""
    async with conn.execute(
        "SELECT current FROM streaks WHERE guild = ?1 AND a = ?2 AND current > 0"
        " UNION ALL SELECT current FROM streaks INDEXED BY streaks_by_b"
        " WHERE guild = ?1 AND b = ?2 AND current > 0",
        (guild, member),
    ) as cursor:
        live = [row[0] for row in await cursor.fetchall()]
    cursor = await conn.execute("DELETE FROM streaks WHERE guild = ? AND a = ?", (guild, member))
    erased = cursor.rowcount
    cursor = await conn.execute(
        "DELETE FROM streaks INDEXED BY streaks_by_b WHERE guild = ? AND b = ?", (guild, member)
    )
    erased += cursor.rowcount
    for current in live:
        await conn.execute(
            "UPDATE streak_lengths SET pairs = pairs - 1 WHERE guild = ? AND current = ?",
            (guild, current),
        )
    if live:
        await conn.execute("DELETE FROM streak_lengths WHERE guild = ? AND pairs <= 0", (guild,))
    async with conn.execute(
        "SELECT EXISTS (SELECT 1 FROM streak_leaders WHERE guild = ?1 AND (a = ?2 OR b = ?2))",
        (guild, member),
    ) as cursor:
        leading = (await cursor.fetchone())[0]
    if leading:
        await refresh_leaders(conn, guild)
    return erased
