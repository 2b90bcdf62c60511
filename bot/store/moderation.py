"""Moderation's SQL: suspensions, the audit trail (`mod_actions`), voided streaks and manual
token adjustments. Each use case is one transaction with its audit row.

Instants are ISO 8601 strings in UTC (`datetime.isoformat()` of an aware UTC datetime), the form
the day close compares `suspensions.until` with.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from typing import Literal

import aiosqlite
import orjson

from bot.domain.ledger import TREASURY
from bot.store.audit import record_action
from bot.store.database import Database
from bot.store.day_close import refresh_leaders
from bot.store.ledger import InsufficientFunds, balance_in, move_in
from bot.store.profiles import LedgerLine, Page

Source = Literal["command", "timeout", "kick", "ban"]
TimeoutOutcome = Literal["suspended", "changed", "unchanged", "covered"]


@dataclass(slots=True, frozen=True)
class Suspension:
    member: int
    since: str
    until: str | None
    """None: until a moderator lifts it."""
    source: Source
    moderator: int | None
    reason: str

    def active(self, now: str) -> bool:
        return self.until is None or self.until > now

    def covers(self, until: str | None) -> bool:
        """Whether this suspension lasts at least until `until` (None: for good)."""
        if self.until is None:
            return True
        return until is not None and self.until >= until


@dataclass(slots=True, frozen=True)
class Withdrawal:
    """What a voided run paid one member, and what the void took back."""

    member: int
    owed: int
    taken: int

    @property
    def short(self) -> bool:
        """The member held less than the run paid them: they gave back all they had."""
        return self.taken < self.owed


@dataclass(slots=True, frozen=True)
class VoidResult:
    a: int
    b: int
    ended: int
    """The streak's length when voided (0: it had already ended)."""
    best: int
    run_start: str
    withdrawals: list[Withdrawal]
    already_voided: bool
    """This run was voided before: nothing changed."""

    @property
    def taken(self) -> int:
        return sum(w.taken for w in self.withdrawals)


@dataclass(slots=True, frozen=True)
class AdjustResult:
    moved: bool
    """False when the key was used already (the same interaction seen twice)."""
    balance: int
    """The member's balance afterwards."""
    treasury: int


class AccountShort(InsufficientFunds):
    """An adjustment would take an account below zero; nothing was written."""

    def __init__(self, account: int, held: int, wanted: int) -> None:
        super().__init__(f"account {account} holds {held}, less than {wanted}")
        self.account = account
        self.held = held
        self.wanted = wanted


@dataclass(slots=True, frozen=True)
class AuditLine:
    """One line of `/mod audit`: a moderator action, or one of the member's ledger entries."""

    at: str
    action: str
    """The action's name (suspend, unsuspend, void, adjust, timeout, timeout_end, ban), or
    'ledger' for a ledger entry (see `entry`)."""
    moderator: int | None
    """None for Discord's own moderation (timeouts, bans) and for ledger entries."""
    target: int | None
    partner: int | None
    """A voided pair's other member."""
    amount: int | None
    """As recorded: a suspension's days, a void's tokens taken back, an adjustment's signed
    tokens."""
    reason: str
    entry: LedgerLine | None = None
    """A ledger entry, its amount positive when the member received tokens."""


_SUSPENSION = "member, since, until, source, moderator, reason"


class ModerationRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- suspensions ----------------------------------------------------------------------------

    async def suspension(self, guild: int, member: int) -> Suspension | None:
        """The member's suspension row, active or expired; None if there is none."""
        async with self.db.connection.execute(
            f"SELECT {_SUSPENSION} FROM suspensions WHERE guild = ? AND member = ?",
            (guild, member),
        ) as cursor:
            row = await cursor.fetchone()
        return Suspension(*row) if row else None

    async def suspend(
        self,
        guild: int,
        member: int,
        *,
        until: str | None,
        days: int | None,
        moderator: int,
        reason: str,
        at: str,
    ) -> Suspension | None:
        """A moderator's suspension (source 'command'), replacing whatever the member had, with
        its audit row. Returns the suspension it replaced if that one was still in force."""
        async with self.db.transaction() as conn:
            previous = await _suspension_in(conn, guild, member)
            await _put(conn, guild, Suspension(member, at, until, "command", moderator, reason))
            await record_action(conn, guild, moderator, "suspend", member, None, days, reason, at)
        return previous if previous is not None and previous.active(at) else None

    async def unsuspend(
        self, guild: int, member: int, *, moderator: int, reason: str, at: str
    ) -> Suspension | None:
        """Lift the member's suspension in force, whatever caused it, with its audit row.
        None (and nothing written) if none is in force."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                f"DELETE FROM suspensions WHERE guild = ?1 AND member = ?2"
                f" AND (until IS NULL OR until > ?3) RETURNING {_SUSPENSION}",
                (guild, member, at),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            await record_action(conn, guild, moderator, "unsuspend", member, None, None, reason, at)
        return Suspension(*row)

    async def record_timeout(
        self, guild: int, member: int, *, until: str, reason: str, at: str
    ) -> TimeoutOutcome:
        """Discord timed the member out until `until`: suspended until then (source 'timeout').

        A timeout follows Discord's: extended or shortened, the suspension moves with it. It
        never shortens a suspension in force from another source (a moderator's, a ban's);
        a longer timeout replaces a shorter one of those."""
        async with self.db.transaction() as conn:
            previous = await _suspension_in(conn, guild, member)
            if previous is not None and previous.active(at):
                if previous.source == "timeout" and previous.until == until:
                    return "unchanged"
                if previous.source != "timeout" and previous.covers(until):
                    return "covered"
            await _put(conn, guild, Suspension(member, at, until, "timeout", None, reason))
            await record_action(conn, guild, None, "timeout", member, None, None, reason, at)
        if previous is not None and previous.active(at):
            return "changed"
        return "suspended"

    async def end_timeout(self, guild: int, member: int, *, reason: str, at: str) -> bool:
        """Discord's timeout was removed early: lift the suspension if a timeout is what it is
        (a moderator's or a ban's stays). True if one was lifted."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM suspensions WHERE guild = ?1 AND member = ?2 AND source = 'timeout'"
                " AND until > ?3",
                (guild, member, at),
            )
            if cursor.rowcount == 0:
                return False
            await record_action(conn, guild, None, "timeout_end", member, None, None, reason, at)
        return True

    async def record_ban(self, guild: int, member: int, *, reason: str, at: str) -> bool:
        """The member was banned: suspended until a moderator lifts it (source 'ban'), unless a
        suspension in force already lasts that long. True if written."""
        async with self.db.transaction() as conn:
            previous = await _suspension_in(conn, guild, member)
            if previous is not None and previous.active(at) and previous.covers(None):
                return False
            await _put(conn, guild, Suspension(member, at, None, "ban", None, reason))
            await record_action(conn, guild, None, "ban", member, None, None, reason, at)
        return True

    # -- streaks --------------------------------------------------------------------------------

    async def void(
        self,
        guild: int,
        first: int,
        second: int,
        *,
        moderator: int,
        reason: str,
        ledger_reason: str,
        day: str,
        at: str,
    ) -> VoidResult | None:
        """End the pair's streak (current 0, best kept) and take back the tier tokens its run
        paid each member, or all they hold if less, through entries member -> treasury; all in
        one transaction with the audit row. None if the pair never had a streak.

        A run is voided once: the withdrawal keys (`void:<guild>:<a>-<b>:<run_start>:<member>`)
        make each member's give-back happen at most once, and a run already voided (a void of
        the pair recorded after the close that started the run) changes nothing at all, so a
        member who held nothing then is not pursued later either."""
        a, b = min(first, second), max(first, second)
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT current, best, run_start FROM streaks WHERE guild = ? AND a = ? AND b = ?",
                (guild, a, b),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            current, best, run_start = row
            if await _run_voided(conn, guild, a, b, run_start):
                return VoidResult(a, b, 0, best, run_start, [], already_voided=True)
            withdrawals = []
            for member, owed in await _run_payments(conn, guild, a, b, run_start):
                taken = 0
                held = await balance_in(conn, guild, member)
                if owed > 0 and held > 0:
                    taken = min(owed, held)
                    await move_in(
                        conn,
                        guild,
                        key=f"void:{guild}:{a}-{b}:{run_start}:{member}",
                        source=member,
                        target=TREASURY,
                        amount=taken,
                        reason=ledger_reason,
                        day=day,
                        at=at,
                    )
                withdrawals.append(Withdrawal(member, owed, taken))
            # Ended as a break ends a streak (no freezes left), and nothing a restore could
            # give back: a voided run stays voided.
            await conn.execute(
                "UPDATE streaks SET current = 0, freezes = 0, broken_length = 0,"
                " broken_day = NULL WHERE guild = ? AND a = ? AND b = ?",
                (guild, a, b),
            )
            if current > 0:
                await _drop_from_snapshots(conn, guild, a, b, current)
            total = sum(w.taken for w in withdrawals)
            await record_action(conn, guild, moderator, "void", a, b, total, reason, at)
        return VoidResult(a, b, current, best, run_start, withdrawals, already_voided=False)

    # -- tokens ---------------------------------------------------------------------------------

    async def adjust(
        self,
        guild: int,
        member: int,
        amount: int,
        *,
        moderator: int,
        reason: str,
        ledger_reason: str,
        key: str,
        day: str,
        at: str,
    ) -> AdjustResult:
        """Give (`amount` > 0, from the treasury) or take (< 0, to the treasury) tokens, with the
        audit row. AccountShort (nothing written) if the paying account holds too little."""
        if amount == 0:
            raise ValueError("an adjustment moves at least one token")
        source, target = (TREASURY, member) if amount > 0 else (member, TREASURY)
        async with self.db.transaction() as conn:
            held = await balance_in(conn, guild, source)
            moved = False
            if not await _key_used(conn, key):
                if held < abs(amount):
                    raise AccountShort(source, held, abs(amount))
                moved = await move_in(
                    conn,
                    guild,
                    key=key,
                    source=source,
                    target=target,
                    amount=abs(amount),
                    reason=ledger_reason,
                    day=day,
                    at=at,
                )
                await record_action(
                    conn, guild, moderator, "adjust", member, None, amount, reason, at
                )
            balance = await balance_in(conn, guild, member)
            treasury = await balance_in(conn, guild, TREASURY)
        return AdjustResult(moved, balance, treasury)

    # -- the audit trail -----------------------------------------------------------------------

    async def audit(
        self, guild: int, member: int | None, days: list[str], offset: int, limit: int
    ) -> Page[AuditLine]:
        """Moderator actions, newest first; with a member, the actions about them (as target
        or as a voided pair's partner) and their ledger entries of `days` (the guild days to
        look in: each is a seek into the day-led ledger indexes, see migration 0002)."""
        conn = self.db.connection
        # Columns: the action's, then a ledger entry's (counterparty, day, key), then the order.
        actions = (
            "SELECT at, action, moderator, target, partner, amount, reason, NULL AS counterparty,"
            " NULL AS day, NULL AS key, 0 AS kind, id FROM mod_actions"
        )
        if member is None:
            sql, params = f"{actions} WHERE guild = ?1", (guild,)
        else:
            # A voided pair's second member is its partner: mod_actions has no index on
            # partner, and is small (moderators' actions), so that side is a scan.
            sql = (
                f"{actions} WHERE guild = ?1 AND target = ?2"
                f" UNION ALL {actions} WHERE guild = ?1 AND partner = ?2 AND target IS NOT ?2"
                " UNION ALL SELECT created_at, 'ledger', NULL, target, NULL, amount, reason,"
                "   source, day, key, 1, id FROM ledger INDEXED BY ledger_by_day_target"
                "   WHERE guild = ?1 AND day IN (SELECT value FROM json_each(?3)) AND target = ?2"
                " UNION ALL SELECT created_at, 'ledger', NULL, source, NULL, -amount, reason,"
                "   target, day, key, 1, id FROM ledger INDEXED BY ledger_by_day_source"
                "   WHERE guild = ?1 AND day IN (SELECT value FROM json_each(?3))"
                "   AND source = ?2 AND source > 0"
            )
            params = (guild, member, orjson.dumps(days).decode())
        n = len(params)
        async with conn.execute(
            f"SELECT * FROM ({sql}) ORDER BY at DESC, kind, id DESC LIMIT ?{n + 1} OFFSET ?{n + 2}",
            (*params, limit, offset),
        ) as cursor:
            found = [_audit_line(row) for row in await cursor.fetchall()]
        async with conn.execute(f"SELECT count(*) FROM ({sql})", params) as cursor:
            total = (await cursor.fetchone())[0]
        return Page(found, total)


def _audit_line(row: tuple) -> AuditLine:
    at, action, moderator, target, partner, amount, reason, counterparty, day, key, _, id_ = row
    if action != "ledger":
        return AuditLine(at, action, moderator, target, partner, amount, reason)
    entry = LedgerLine(id_, day, at, amount, reason, key, counterparty)
    return AuditLine(at, action, None, target, None, amount, reason, entry)


# -- inside a transaction -------------------------------------------------------------------------


async def _suspension_in(conn: aiosqlite.Connection, guild: int, member: int) -> Suspension | None:
    async with conn.execute(
        f"SELECT {_SUSPENSION} FROM suspensions WHERE guild = ? AND member = ?", (guild, member)
    ) as cursor:
        row = await cursor.fetchone()
    return Suspension(*row) if row else None


async def _put(conn: aiosqlite.Connection, guild: int, suspension: Suspension) -> None:
    """Write the member's suspension, replacing the row they had (one per member)."""
    await conn.execute(
        "INSERT INTO suspensions (guild, member, since, until, source, moderator, reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild, member) DO UPDATE SET"
        " since = excluded.since, until = excluded.until, source = excluded.source,"
        " moderator = excluded.moderator, reason = excluded.reason",
        (guild, *astuple(suspension)),
    )


async def _key_used(conn: aiosqlite.Connection, key: str) -> bool:
    async with conn.execute("SELECT 1 FROM ledger WHERE key = ?", (key,)) as cursor:
        return await cursor.fetchone() is not None


async def _run_voided(conn: aiosqlite.Connection, guild: int, a: int, b: int, run: str) -> bool:
    """Whether the pair was voided after the close that started its run `run` (a run starts
    at a close: whatever voided the pair since then voided this run)."""
    async with conn.execute(
        "SELECT EXISTS (SELECT 1 FROM mod_actions WHERE guild = ?1 AND target = ?2"
        "   AND partner = ?3 AND action = 'void'"
        "   AND at >= (SELECT closed_at FROM day_closes WHERE guild = ?1 AND day = ?4))",
        (guild, a, b, run),
    ) as cursor:
        return bool((await cursor.fetchone())[0])


async def _run_payments(
    conn: aiosqlite.Connection, guild: int, a: int, b: int, run: str
) -> list[tuple[int, int]]:
    """(member, tokens) the run's tiers paid each member of the pair: the ledger entries
    behind the run's `tier_rewards`, found by their keys (the day close writes
    `tier:<guild>:<day>:<a>-<b>:<tier>:<member>`), as paid (pro rata, or nothing to a
    suspended member)."""
    async with conn.execute(
        "SELECT m.member, coalesce(sum(l.amount), 0)"
        " FROM (SELECT ?2 AS member UNION ALL SELECT ?3) AS m"
        " LEFT JOIN tier_rewards r ON r.guild = ?1 AND r.a = ?2 AND r.b = ?3 AND r.run_start = ?4"
        " LEFT JOIN ledger l ON l.key = 'tier:' || r.guild || ':' || r.day || ':' || r.a || '-'"
        "   || r.b || ':' || r.tier || ':' || m.member AND l.source = ?5 AND l.target = m.member"
        " GROUP BY m.member ORDER BY m.member",
        (guild, a, b, run, TREASURY),
    ) as cursor:
        return [(member, owed) for member, owed in await cursor.fetchall()]


async def _drop_from_snapshots(
    conn: aiosqlite.Connection, guild: int, a: int, b: int, current: int
) -> None:
    """The leaderboard snapshots the last close left, without the voided streak."""
    await conn.execute(
        "UPDATE streak_lengths SET pairs = pairs - 1 WHERE guild = ? AND current = ?",
        (guild, current),
    )
    await conn.execute(
        "DELETE FROM streak_lengths WHERE guild = ? AND current = ? AND pairs <= 0",
        (guild, current),
    )
    # Rebuilt only when the streak was among the leaders: that costs a scan of the guild's
    # streaks, as at each close.
    async with conn.execute(
        "SELECT EXISTS (SELECT 1 FROM streak_leaders WHERE guild = ? AND a = ? AND b = ?)",
        (guild, a, b),
    ) as cursor:
        if (await cursor.fetchone())[0]:
            await refresh_leaders(conn, guild)
