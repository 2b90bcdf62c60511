"""The day close as set-based SQL over a guild's pairs of the day and its live streaks.

Each call closes consecutive days in order inside one transaction, and each day writes its
`day_closes` row in that transaction: a close that already happened is never repeated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import aiosqlite

from bot.domain.ledger import ESCROW, TREASURY, available_for_day, pro_rata
from bot.guild_config import GuildConfig
from bot.store import escrow, payouts
from bot.store.database import Database
from bot.store.fraud import FraudDay, record_day
from bot.store.ledger import balance_in


class DayOrderError(RuntimeError):
    """A close was asked for out of order: days close one after the other, none skipped."""


@dataclass(slots=True)
class DayCloseResult:
    guild: int
    day: str
    pairs: int = 0
    started: int = 0
    extended: int = 0
    frozen: int = 0
    broken: int = 0
    tiers: list[tuple[int, int, str]] = field(default_factory=list)
    held_tiers: list[tuple[int, int, str]] = field(default_factory=list)
    """Of `tiers`, those of pairs whose rewards the detector held: not announced, no role."""
    paid: int = 0
    """Tokens that left the treasury for the day's points and tiers (held ones included)."""
    owed: int = 0
    held: int = 0
    """Of what was paid (points, tiers, pools, challenges), the tokens put in escrow."""
    held_members: int = 0
    held_pairs: int = 0
    """How many members had rewards put in escrow, and how many pairs their tier tokens."""
    released: int = 0
    voided: int = 0
    """Escrowed tokens whose hold ran out at this close, released or voided."""
    pool_paid: int = 0
    challenges_met: list[tuple[int, str, int, int]] = field(default_factory=list)
    """(challenge, name, members paid, tokens paid) for each challenge met at this close."""

    @property
    def scaled(self) -> bool:
        return self.paid < self.owed


def _next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


class DayCloseRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def close_days(
        self,
        guild: int,
        days: list[str],
        config: GuildConfig,
        closed_at: str,
        day_ends: dict[str, str] | None = None,
        fraud: Mapping[str, FraudDay] | None = None,
    ) -> list[DayCloseResult]:
        """Close `days` (consecutive, starting right after the guild's last closed day).

        `day_ends` gives each day's last instant (ISO, UTC), for the points events that
        multiply tier tokens when the day ends; without it no event applies to them.
        `fraud` gives the anti-fraud detector's findings per day: whose rewards are held."""
        if not days:
            return []
        results = []
        async with self.db.deferred_checkpoint(), self.db.transaction() as conn:
            async with conn.execute(
                "SELECT first_day, last_closed_day FROM guilds WHERE id = ?", (guild,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None or row[0] is None:
                raise DayOrderError(f"guild {guild} has no first day yet: nothing to close")
            first_day, last_closed = row
            expected = _next_day(last_closed) if last_closed else first_day
            for day in days:
                if day != expected:
                    raise DayOrderError(
                        f"guild {guild}: next day to close is {expected}, not {day}"
                    )
                expected = _next_day(day)
            await self._load_tiers(conn, config)
            excluded = await self._load_excluded(conn, guild, closed_at)
            active = await self._active_days(conn, guild, days[0], days[-1])
            live = await self._has_live_streaks(conn, guild)
            holding = await escrow.any_open(conn, guild)
            idle: list[str] = []
            for day in days:
                if not (live or holding or day in active or (fraud and day in fraud)):
                    idle.append(day)
                    results.append(DayCloseResult(guild, day))
                    continue
                await self._record_idle(conn, guild, idle, closed_at)
                idle = []
                results.append(
                    await self._close_one(
                        conn,
                        guild,
                        day,
                        config,
                        closed_at,
                        excluded,
                        (day_ends or {}).get(day),
                        (fraud or {}).get(day),
                    )
                )
                live = await self._has_live_streaks(conn, guild)
                holding = await escrow.any_open(conn, guild)
            await self._record_idle(conn, guild, idle, closed_at)
            await conn.execute(
                "UPDATE guilds SET last_closed_day = ? WHERE id = ?", (days[-1], guild)
            )
        return results

    async def _close_one(
        self,
        conn: aiosqlite.Connection,
        guild: int,
        day: str,
        config: GuildConfig,
        closed_at: str,
        excluded: bool,
        day_end: str | None = None,
        found: FraudDay | None = None,
    ) -> DayCloseResult:
        result = DayCloseResult(guild, day)
        result.released, result.voided = await escrow.expire(
            conn, guild, day, config.fraud.hold_days, config.fraud.on_expiry, closed_at
        )
        found = found or FraudDay()
        held = await escrow.load_held(
            conn,
            found.held_members.items(),
            [(a, b, why) for (a, b), why in found.held_pairs.items()],
        )
        await conn.execute("DELETE FROM close_pairs")
        await conn.execute("DELETE FROM close_reached")
        await conn.execute("DELETE FROM close_payments")

        # Rule 6: pairs whose counted exchanges of the day go both ways (or one, if allowed).
        kinds = config.streaks.count
        a_side = " + ".join(f"a_{kind}" for kind in kinds)
        b_side = " + ".join(f"b_{kind}" for kind in kinds)
        joint = "AND" if config.streaks.require_mutual else "OR"
        cursor = await conn.execute(
            "INSERT INTO close_pairs (a, b) SELECT a, b FROM pair_days"
            f" WHERE guild = ? AND day = ? AND ({a_side} > 0 {joint} {b_side} > 0)",
            (guild, day),
        )
        result.pairs = cursor.rowcount
        if excluded:  # suspended or opted-out members: their pairs do not qualify
            cursor = await conn.execute(
                "DELETE FROM close_pairs WHERE a IN (SELECT member FROM close_excluded)"
                " OR b IN (SELECT member FROM close_excluded)"
            )
            result.pairs -= cursor.rowcount

        # Rule 7, qualifying pairs: extend a live streak, or start a new run. The streaks table
        # has no index on what changes daily (current, last_day): moving a million index
        # entries a day would cost more than the scans below.
        async with conn.execute(
            "INSERT INTO streaks (guild, a, b, current, best, last_day, freezes, run_start)"
            " SELECT ?1, a, b, 1, 1, ?2, 0, ?2 FROM close_pairs WHERE true"
            " ON CONFLICT (guild, a, b) DO UPDATE SET"
            "   current = CASE WHEN current > 0 THEN current + 1 ELSE 1 END,"
            "   best = max(best, CASE WHEN current > 0 THEN current + 1 ELSE 1 END),"
            "   run_start = CASE WHEN current > 0 THEN run_start ELSE ?2 END,"
            "   last_day = ?2"
            " RETURNING current",
            (guild, day),
        ) as cursor:
            lengths = Counter(row[0] for row in await cursor.fetchall())
        result.started = lengths[1]
        result.extended = result.pairs - result.started

        # Rule 7, live pairs that did not qualify: spend a freeze if they hold one, else break.
        async with conn.execute(
            "UPDATE streaks SET current = CASE WHEN freezes > 0 THEN current ELSE 0 END,"
            "   freezes = max(freezes - 1, 0),"
            # What a break took, for a restore bought soon after (the shop).
            "   broken_length = CASE WHEN freezes > 0 THEN broken_length ELSE current END,"
            "   broken_day = CASE WHEN freezes > 0 THEN broken_day ELSE ?2 END"
            " WHERE guild = ?1 AND current > 0 AND last_day < ?2 RETURNING current",
            (guild, day),
        ) as cursor:
            outcomes = [row[0] for row in await cursor.fetchall()]
        result.broken = outcomes.count(0)
        result.frozen = len(outcomes) - result.broken
        # Live after the close: the pairs that qualified, and those a freeze kept alive.
        lengths.update(current for current in outcomes if current)

        await self._reward_tiers(conn, guild, day, config, result)
        if held:
            suspects, pairs = found.held_members, found.held_pairs
            result.held_tiers = [
                (a, b, tier)
                for a, b, tier in result.tiers
                if (a, b) in pairs or a in suspects or b in suspects
            ]
        tier_percent = await payouts.tier_percent(conn, guild, day_end)
        await self._pay(conn, guild, day, config, closed_at, result, excluded, tier_percent, held)
        held_members = found.held_members if held else None
        await payouts.pay_pools(conn, guild, day, closed_at, result, excluded, held_members)
        await refresh_leaders(conn, guild)
        await conn.execute("DELETE FROM streak_lengths WHERE guild = ?", (guild,))
        await conn.executemany(
            "INSERT INTO streak_lengths (guild, current, pairs) VALUES (?, ?, ?)",
            [(guild, current, pairs) for current, pairs in sorted(lengths.items())],
        )
        await payouts.settle_challenges(
            conn, guild, day, lengths, closed_at, result, excluded, held_members
        )
        await record_day(conn, guild, day, found)
        if result.held:
            async with conn.execute(
                "SELECT count(DISTINCT member), count(DISTINCT a || '-' || b) FROM holds"
                " WHERE guild = ? AND day = ?",
                (guild, day),
            ) as cursor:
                result.held_members, result.held_pairs = await cursor.fetchone()
        await conn.execute(
            "INSERT INTO day_closes (guild, day, closed_at, pairs, paid) VALUES (?, ?, ?, ?, ?)",
            (guild, day, closed_at, result.pairs, result.paid),
        )
        return result

    async def _reward_tiers(
        self,
        conn: aiosqlite.Connection,
        guild: int,
        day: str,
        config: GuildConfig,
        result: DayCloseResult,
    ) -> None:
        """Rule 8: tiers whose `days` the pair's run reached today, once per run."""
        await conn.execute(
            "INSERT INTO close_reached (a, b, tier, run_start)"
            " SELECT s.a, s.b, t.name, s.run_start FROM streaks s JOIN close_tiers t"
            "   ON t.days = s.current"
            " WHERE s.guild = ?1 AND s.last_day = ?2 AND s.current > 0"
            "   AND s.current IN (SELECT days FROM close_tiers)"
            "   AND NOT EXISTS (SELECT 1 FROM tier_rewards r WHERE r.guild = ?1 AND r.a = s.a"
            "     AND r.b = s.b AND r.tier = t.name AND r.run_start = s.run_start)",
            (guild, day),
        )
        async with conn.execute("SELECT a, b, tier FROM close_reached ORDER BY a, b") as cursor:
            result.tiers = [tuple(row) for row in await cursor.fetchall()]
        if not result.tiers:
            return
        await conn.execute(
            "INSERT INTO tier_rewards (guild, a, b, tier, run_start, day)"
            " SELECT ?, a, b, tier, run_start, ? FROM close_reached",
            (guild, day),
        )
        await conn.execute(
            "INSERT OR IGNORE INTO member_badges (guild, member, tier, day)"
            " SELECT ?1, a, tier, ?2 FROM close_reached UNION ALL"
            " SELECT ?1, b, tier, ?2 FROM close_reached",
            (guild, day),
        )
        await conn.execute(
            "UPDATE streaks SET freezes = min(?3, streaks.freezes + granted.freezes)"
            " FROM (SELECT r.a, r.b, sum(t.freezes) AS freezes"
            "       FROM close_reached r JOIN close_tiers t ON t.name = r.tier"
            "       WHERE t.freezes > 0 GROUP BY r.a, r.b) AS granted"
            " WHERE streaks.guild = ?1 AND streaks.a = granted.a AND streaks.b = granted.b"
            "   AND streaks.last_day = ?2",
            (guild, day, config.streaks.max_freezes),
        )

    async def _pay(
        self,
        conn: aiosqlite.Connection,
        guild: int,
        day: str,
        config: GuildConfig,
        closed_at: str,
        result: DayCloseResult,
        excluded: bool,
        tier_percent: int = 100,
        held: bool = False,
    ) -> None:
        """Rule 10: the day's points and tier tokens, paid from the treasury, pro rata if short
        (tier tokens multiplied by a points event that covers them, `tier_percent`). What the
        detector held (`held`: anyone's) goes to escrow instead of the member."""
        per_point = config.tokens.per_point_fraction
        prefix = f"{guild}:{day}:"
        await conn.execute(
            "INSERT INTO close_payments (member, amount, key, reason)"
            " SELECT member, points * ? / ?, 'points:' || ? || member, 'points'"
            " FROM member_days WHERE guild = ? AND day = ? AND points > 0",
            (per_point.numerator, per_point.denominator, prefix, guild, day),
        )
        for member in ("a", "b"):  # each member of the pair is paid the tier's tokens
            await conn.execute(
                "INSERT INTO close_payments (member, amount, key, reason, a, b)"
                f" SELECT r.{member}, t.tokens * ? / 100, 'tier:' || ? || r.a || '-' || r.b"
                f"   || ':' || r.tier || ':' || r.{member}, 'tier', r.a, r.b"
                " FROM close_reached r JOIN close_tiers t ON t.name = r.tier WHERE t.tokens > 0",
                (tier_percent, prefix),
            )
        if excluded:  # nothing is paid to a suspended or opted-out member
            await conn.execute(
                "DELETE FROM close_payments WHERE member IN (SELECT member FROM close_excluded)"
            )
        async with conn.execute("SELECT coalesce(sum(amount), 0) FROM close_payments") as cursor:
            result.owed = (await cursor.fetchone())[0]
        if result.owed == 0:
            return
        treasury = await balance_in(conn, guild, TREASURY)
        available = available_for_day(treasury, config.tokens.daily_budget)
        if result.owed > available:
            async with conn.execute(
                "SELECT member, amount, key, reason, a, b FROM close_payments ORDER BY rowid"
            ) as cursor:
                payments = await cursor.fetchall()
            scaled = pro_rata([row[1] for row in payments], available)
            await conn.execute("DELETE FROM close_payments")
            await conn.executemany(
                "INSERT INTO close_payments (member, amount, key, reason, a, b)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (m, paid, key, why, a, b)
                    for (m, _, key, why, a, b), paid in zip(payments, scaled, strict=True)
                ],
            )
        if held:
            result.held += await escrow.hold_close_payments(conn, guild, day, TREASURY)
        await conn.execute(
            "INSERT INTO ledger (guild, key, source, target, amount, reason, day, created_at)"
            " SELECT ?1, key, ?2, CASE WHEN held IS NULL THEN member ELSE ?3 END, amount,"
            "   reason, ?4, ?5 FROM close_payments WHERE amount > 0",
            (guild, TREASURY, ESCROW, day, closed_at),
        )
        async with conn.execute(
            "SELECT coalesce(sum(amount), 0) FROM close_payments WHERE amount > 0"
        ) as cursor:
            result.paid = (await cursor.fetchone())[0]
        if result.paid == 0:
            return
        await conn.execute(
            "INSERT INTO balances (guild, account, balance)"
            " SELECT ?1, CASE WHEN held IS NULL THEN member ELSE ?2 END AS account, sum(amount)"
            " FROM close_payments WHERE amount > 0 GROUP BY account ORDER BY account"
            " ON CONFLICT (guild, account) DO UPDATE SET balance = balance + excluded.balance",
            (guild, ESCROW),
        )
        await conn.execute(
            "UPDATE balances SET balance = balance - ? WHERE guild = ? AND account = ?",
            (result.paid, guild, TREASURY),
        )

    async def _load_tiers(self, conn: aiosqlite.Connection, config: GuildConfig) -> None:
        await conn.execute("DELETE FROM close_tiers")
        await conn.executemany(
            "INSERT INTO close_tiers (name, days, tokens, freezes) VALUES (?, ?, ?, ?)",
            [(tier.name, tier.days, tier.tokens, tier.freezes) for tier in config.tiers],
        )

    async def _load_excluded(self, conn: aiosqlite.Connection, guild: int, closed_at: str) -> bool:
        """Members suspended at the close or opted out; True if there are any."""
        await conn.execute("DELETE FROM close_excluded")
        cursor = await conn.execute(
            "INSERT OR IGNORE INTO close_excluded (member)"
            " SELECT member FROM suspensions WHERE guild = ?1 AND (until IS NULL OR until > ?2)"
            " UNION SELECT member FROM opt_outs WHERE guild = ?1",
            (guild, closed_at),
        )
        return cursor.rowcount > 0

    async def _active_days(
        self, conn: aiosqlite.Connection, guild: int, first: str, last: str
    ) -> set[str]:
        async with conn.execute(
            "SELECT DISTINCT day FROM member_days WHERE guild = ? AND day BETWEEN ? AND ?",
            (guild, first, last),
        ) as cursor:
            return {row[0] for row in await cursor.fetchall()}

    async def _has_live_streaks(self, conn: aiosqlite.Connection, guild: int) -> bool:
        # The close's own length histogram, rather than a scan of every (mostly dead) streak.
        async with conn.execute(
            "SELECT EXISTS (SELECT 1 FROM streak_lengths WHERE guild = ?)", (guild,)
        ) as cursor:
            return bool((await cursor.fetchone())[0])

    async def _record_idle(
        self, conn: aiosqlite.Connection, guild: int, days: list[str], closed_at: str
    ) -> None:
        """Days with no activity and no live streak: nothing changes but the record."""
        if days:
            await conn.executemany(
                "INSERT INTO day_closes (guild, day, closed_at, pairs, paid)"
                " VALUES (?, ?, ?, 0, 0)",
                [(guild, day, closed_at) for day in days],
            )


LEADERS = 100
"""How many of a guild's longest live streaks the close keeps ready for leaderboards."""


async def refresh_leaders(conn: aiosqlite.Connection, guild: int) -> None:
    """Snapshot the guild's longest live streaks for leaderboards.

    Streaks change only when something closes or edits them, so leaderboards read snapshots
    taken then: these top streaks, and `streak_lengths` (how many live streaks have each
    length; a member's rank is one plus the number of longer streaks), rather than an index on
    lengths that every close would have to rewrite.
    """
    await conn.execute("DELETE FROM streak_leaders WHERE guild = ?", (guild,))
    await conn.execute(
        "INSERT INTO streak_leaders (guild, position, a, b, current, best, last_day, freezes)"
        " SELECT ?1, row_number() OVER (ORDER BY current DESC, a, b), a, b, current, best,"
        "   last_day, freezes"
        " FROM (SELECT * FROM streaks WHERE guild = ?1 AND current > 0"
        "       ORDER BY current DESC, a, b LIMIT ?2)",
        (guild, LEADERS),
    )
