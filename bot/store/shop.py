"""Purchases from the shop: each one is a single transaction holding its ledger entry (member ->
treasury, keyed by the interaction that asked) and the change it buys, so that a purchase
refused for any reason, at any step, writes nothing."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.domain.ledger import TREASURY
from bot.store.database import Database
from bot.store.day_close import LEADERS, refresh_leaders
from bot.store.ledger import balance_in, move_in
from bot.store.profiles import PairStreak


class PurchaseRefused(Exception):
    """A purchase the shop's rules refuse; nothing was written."""


class NoLiveStreak(PurchaseRefused):
    """A freeze is for a live streak; the pair has none."""


class FreezesFull(PurchaseRefused):
    def __init__(self, held: int, limit: int) -> None:
        super().__init__(f"the streak holds {held} freezes, the limit is {limit}")
        self.held = held
        self.limit = limit


class NothingToRestore(PurchaseRefused):
    """The pair never had a streak, or it never broke since restores exist."""


class StillLive(PurchaseRefused):
    """The streak is live (not broken, or a new run started since it broke)."""


class RestoreExpired(PurchaseRefused):
    def __init__(self, broken_day: str) -> None:
        super().__init__(f"the streak broke on {broken_day}, too long ago to restore")
        self.broken_day = broken_day


class AlreadyRestored(PurchaseRefused):
    """This run of the streak was restored once already."""


class NotTracked(PurchaseRefused):
    def __init__(self, member: int) -> None:
        super().__init__(f"member {member} opted out of tracking")
        self.member = member


@dataclass(slots=True, frozen=True)
class Payment:
    """What a purchase moves: `amount` from `member` to the treasury, once per `key`."""

    guild: int
    member: int
    amount: int
    key: str
    reason: str
    day: str
    at: str


@dataclass(slots=True, frozen=True)
class Receipt:
    paid: bool
    """False when `key` had paid already: the same request came twice, nothing new happened."""
    balance: int
    """The member's tokens after the purchase."""
    streak: PairStreak | None = None
    """The pair's streak after the purchase (freezes and restores)."""


_STREAK = (
    "SELECT current, best, last_day, freezes, run_start, broken_length, broken_day, restored_run"
    " FROM streaks WHERE guild = ? AND a = ? AND b = ?"
)


class ShopRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def buy_freeze(self, payment: Payment, partner: int, max_freezes: int) -> Receipt:
        """One more freeze on the live streak of the payer and `partner`, up to `max_freezes`."""
        async with self.db.transaction() as conn:
            if await _seen(conn, payment.key):
                return await _receipt(conn, payment, partner, paid=False)
            await _check_tracked(conn, payment.guild, payment.member, partner)
            row = await _streak(conn, payment.guild, payment.member, partner)
            if row is None or row[0] == 0:
                raise NoLiveStreak("no live streak with that member")
            if row[3] >= max_freezes:
                raise FreezesFull(row[3], max_freezes)
            await _pay(conn, payment)
            await conn.execute(
                "UPDATE streaks SET freezes = freezes + 1 WHERE guild = ? AND a = ? AND b = ?",
                (payment.guild, *_pair(payment.member, partner)),
            )
            return await _receipt(conn, payment, partner, paid=True)

    async def buy_restore(self, payment: Payment, partner: int, earliest_day: str) -> Receipt:
        """Give back what the last break took: `current` becomes the length it broke at, the run
        (and its tiers) goes on from its first day. Once per run, and only for a break on
        `earliest_day` or later (the service derives it from the configured hours)."""
        async with self.db.transaction() as conn:
            if await _seen(conn, payment.key):
                return await _receipt(conn, payment, partner, paid=False)
            await _check_tracked(conn, payment.guild, payment.member, partner)
            row = await _streak(conn, payment.guild, payment.member, partner)
            if row is None:
                raise NothingToRestore("that pair never had a streak")
            current, _, _, _, run_start, broken_length, broken_day, restored_run = row
            if current > 0:
                raise StillLive("the streak is live")
            if broken_day is None or broken_length == 0:
                raise NothingToRestore("nothing to restore")
            if restored_run == run_start:
                raise AlreadyRestored("this run was restored already")
            if broken_day < earliest_day:
                raise RestoreExpired(broken_day)
            await _pay(conn, payment)
            a, b = _pair(payment.member, partner)
            await conn.execute(
                "UPDATE streaks SET current = broken_length, best = max(best, broken_length),"
                " restored_run = run_start WHERE guild = ? AND a = ? AND b = ?",
                (payment.guild, a, b),
            )
            await _count_live(conn, payment.guild, broken_length)
            return await _receipt(conn, payment, partner, paid=True)

    async def buy_role(self, payment: Payment) -> Receipt:
        """Pay for a role item (the role itself is granted on Discord, see cogs/shop.py)."""
        async with self.db.transaction() as conn:
            paid = await _pay(conn, payment)
            return Receipt(paid, await balance_in(conn, payment.guild, payment.member))


def _pair(member: int, partner: int) -> tuple[int, int]:
    return min(member, partner), max(member, partner)


async def _seen(conn: aiosqlite.Connection, key: str) -> bool:
    async with conn.execute("SELECT 1 FROM ledger WHERE key = ?", (key,)) as cursor:
        return await cursor.fetchone() is not None


async def _pay(conn: aiosqlite.Connection, payment: Payment) -> bool:
    """The ledger entry; InsufficientFunds (raised on, rolling back) if the member is short."""
    return await move_in(
        conn,
        payment.guild,
        key=payment.key,
        source=payment.member,
        target=TREASURY,
        amount=payment.amount,
        reason=payment.reason,
        day=payment.day,
        at=payment.at,
    )


async def _check_tracked(conn: aiosqlite.Connection, guild: int, *members: int) -> None:
    """A streak with a member who opted out cannot go on: buying for it would be wasted."""
    marks = ", ".join("?" * len(members))
    async with conn.execute(
        f"SELECT member FROM opt_outs WHERE guild = ? AND member IN ({marks}) ORDER BY member",
        (guild, *members),
    ) as cursor:
        row = await cursor.fetchone()
    if row is not None:
        raise NotTracked(row[0])


async def _streak(
    conn: aiosqlite.Connection, guild: int, member: int, partner: int
) -> tuple | None:
    async with conn.execute(_STREAK, (guild, *_pair(member, partner))) as cursor:
        row = await cursor.fetchone()
    return tuple(row) if row else None


async def _receipt(
    conn: aiosqlite.Connection, payment: Payment, partner: int, *, paid: bool
) -> Receipt:
    row = await _streak(conn, payment.guild, payment.member, partner)
    streak = PairStreak(partner, *row[:5]) if row else None
    return Receipt(paid, await balance_in(conn, payment.guild, payment.member), streak)


async def _count_live(conn: aiosqlite.Connection, guild: int, current: int) -> None:
    """A streak came back to life between two closes: count it in the length histogram that
    ranks are summed from, and in the leaders' snapshot when it is long enough to be there."""
    await conn.execute(
        "INSERT INTO streak_lengths (guild, current, pairs) VALUES (?, ?, 1)"
        " ON CONFLICT (guild, current) DO UPDATE SET pairs = pairs + 1",
        (guild, current),
    )
    async with conn.execute(
        "SELECT count(*), coalesce(min(current), 0) FROM streak_leaders WHERE guild = ?",
        (guild,),
    ) as cursor:
        held, shortest = await cursor.fetchone()
    if held < LEADERS or current >= shortest:
        await refresh_leaders(conn, guild)
