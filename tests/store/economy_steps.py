"""Helpers of the economy's conservation property test (test_economy_conservation.py): the
services wired on one real SQLite file, plain SQL reads of what the store holds, and the rule 10
invariants checked after every step."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.domain.events import MessageEvent
from bot.domain.ledger import ERASED, ESCROW, TREASURY
from bot.guild_config import GuildConfig
from bot.services.community import CommunityService
from bot.services.escrow import EscrowService
from bot.services.intake import Intake
from bot.services.moderation import ModerationService
from bot.services.privacy import PrivacyService
from bot.services.shop import ShopService
from bot.store.database import Database
from bot.store.fraud import FraudDay
from bot.store.ledger import LedgerRepository
from tests.services.builders import Engine, Events, G, at, rows, snapshot, value

SUSPECTED = '[["burst", "a suspect of the property test", 0.8]]'
LEDGER_COLUMNS = ("id", "guild", "key", "source", "target", "amount", "reason", "day", "created_at")


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    guild: int
    key: str
    source: int | None
    target: int | None
    amount: int
    reason: str
    day: str | None
    created_at: str


class World:
    """One guild's services on one database file, as the bot wires them."""

    def __init__(self, db: Database, engine: Engine, clock: ManualClock) -> None:
        self.db = db
        self.engine = engine
        self.clock = clock
        self.config: GuildConfig = engine.config
        ingestor = engine.ingestor
        self.shop = ShopService(db, ingestor, clock)
        self.moderation = ModerationService(db, ingestor, clock)
        self.community = CommunityService(db, ingestor, clock)
        self.privacy = PrivacyService(db, Intake(ingestor), clock)
        self.escrow = EscrowService(db, ingestor, clock)
        self.ledger = LedgerRepository(db)
        self._ids = 10_000
        # The anti-fraud detector's decisions are the machine's to make: any of them must
        # conserve tokens, whatever the signals say (tests/domain judges the signals).
        self.suspects: set[int] = set()
        self.suspect_pairs: set[tuple[int, int]] = set()
        engine.closer.detector.judge = self._judge

    async def _judge(
        self, guild: int, days: list[str], config: GuildConfig, first_day: str | None = None
    ) -> dict:
        if not (self.suspects or self.suspect_pairs):
            return {}
        held = FraudDay(
            held_members={member: SUSPECTED for member in self.suspects},
            held_pairs={pair: SUSPECTED for pair in self.suspect_pairs},
        )
        return {day: held for day in days}

    @classmethod
    async def open(cls, directory: str, cfg: GuildConfig, fund: int) -> World:
        db = await Database.open(Path(directory) / "economy.db")
        clock = ManualClock(at(1, 0))
        engine = await Engine(db, cfg, clock).start(fund=fund)
        return cls(db, engine, clock)

    def mutual(self, a: int, b: int, ts, channel: int) -> list[MessageEvent]:
        """`a` mentions `b`, `b` replies (Events.mutual) in `channel`, with fresh message IDs."""
        events = Events(channel=channel, first_id=self._ids).mutual(a, b, ts)
        self._ids += len(events)
        return events

    def message(self, author: int, ts) -> MessageEvent:
        """A message that mentions nobody (no exchange), with a fresh ID."""
        self._ids += 1
        return Events(first_id=self._ids).message(author, ts)

    # -- reads ----------------------------------------------------------------------------------

    async def entries(self) -> list[Entry]:
        found = await rows(self.db, f"SELECT {', '.join(LEDGER_COLUMNS)} FROM ledger ORDER BY id")
        return [Entry(*row) for row in found]

    async def balance(self, account: int) -> int:
        return await self.ledger.balance(G, account)

    async def balances(self) -> dict[int, int]:
        return dict(await rows(self.db, "SELECT account, balance FROM balances WHERE guild = ?", G))

    async def streak(self, a: int, b: int) -> dict | None:
        found = await rows(
            self.db,
            "SELECT current, best, last_day, freezes, run_start, broken_length, broken_day,"
            " restored_run FROM streaks WHERE guild = ? AND a = ? AND b = ?",
            G,
            min(a, b),
            max(a, b),
        )
        if not found:
            return None
        names = ("current", "best", "last_day", "freezes", "run_start", "broken_length")
        return dict(zip((*names, "broken_day", "restored_run"), found[0], strict=True))

    async def open_holds(self, member: int) -> list[tuple[int, int]]:
        """(source, amount) of the member's holds not yet decided."""
        return await rows(
            self.db,
            "SELECT source, amount FROM holds WHERE guild = ? AND member = ? AND status = 'held'"
            " ORDER BY id",
            G,
            member,
        )

    async def members_with_open_holds(self) -> list[int]:
        found = await rows(
            self.db,
            "SELECT DISTINCT member FROM holds WHERE guild = ? AND status = 'held' ORDER BY 1",
            G,
        )
        return [member for (member,) in found]

    async def key_used(self, key: str) -> bool:
        return await value(self.db, "SELECT count(*) FROM ledger WHERE key = ?", key) > 0

    async def opted_out(self, member: int) -> bool:
        return bool(
            await value(
                self.db, "SELECT count(*) FROM opt_outs WHERE guild = ? AND member = ?", G, member
            )
        )

    async def run_tier_tokens(self, a: int, b: int, member: int, run_start: str) -> int:
        """What the tiers of the pair's run starting `run_start` paid `member`, found in the
        ledger by the tier keys' shape and the day (a run's tiers are paid on its days) rather
        than through tier_rewards, as the void does."""
        total = 0
        pattern = re.compile(rf"tier:{G}:(\d{{4}}-\d\d-\d\d):{a}-{b}:[^:]+:{member}")
        for entry in await self.entries():
            match = pattern.fullmatch(entry.key)
            if (
                match
                and entry.source == TREASURY
                and entry.target == member
                and match.group(1) >= run_start
            ):
                total += entry.amount
        return total

    async def snapshot(self) -> dict[str, list[tuple]]:
        return await snapshot(self.db)


def names(key: str, member: int) -> bool:
    """Whether a ledger key names the member (keys are fields separated by ':' and '-')."""
    return str(member) in re.split(r"[:\-]", key)


# -- the invariants -------------------------------------------------------------------------------


async def check_conservation(world: World, funded: int) -> None:
    """Rule 10: the treasury plus every balance (members, pools, ERASED) is what was funded
    from outside, every balance equals its entries, none is negative, keys are unique."""
    totals = await world.ledger.totals(G)
    assert totals.funded == funded, totals
    assert totals.held == funded, totals
    assert totals.mismatched_accounts == 0, totals
    lowest = await value(world.db, "SELECT min(balance) FROM balances")
    assert lowest is None or lowest >= 0, lowest
    # ERASED only ever carries anonymised history: the tokens went back to the treasury first.
    assert await world.balance(ERASED) == 0
    # Escrow holds exactly the holds not yet decided.
    open_holds = await value(
        world.db, "SELECT coalesce(sum(amount), 0) FROM holds WHERE status = 'held'"
    )
    assert await world.balance(ESCROW) == open_holds
    keys = await value(world.db, "SELECT count(*) - count(DISTINCT key) FROM ledger")
    assert keys == 0
    # The treasury never pays a pool, and what a pool pays goes to members.
    treasury_to_pools = await value(
        world.db, "SELECT count(*) FROM ledger WHERE source = ? AND target < 0", TREASURY
    )
    assert treasury_to_pools == 0
    # A pool's balance is what it was funded minus what it paid (PoolRow agrees with ledger).
    for pool in await world.community.pools(G):
        assert pool.balance == await world.balance(pool.account)


async def check_append_only(world: World) -> None:
    """Rule 10: updates other than the anonymisation and every delete are refused."""
    before = await world.entries()
    if not before:
        return
    last = before[-1]
    statements = [
        ("UPDATE ledger SET amount = amount + 1 WHERE id = ?", (last.id,)),
        ("UPDATE ledger SET reason = 'edited' WHERE id = ?", (last.id,)),
        ("UPDATE ledger SET key = 'other:' || id WHERE id = ?", (last.id,)),
        ("DELETE FROM ledger WHERE id = ?", (last.id,)),
        ("DELETE FROM ledger", ()),
    ]
    if last.target is not None and last.target > 1:
        # To the outside, or to another member, is not an anonymisation.
        statements.append(("UPDATE ledger SET target = NULL WHERE id = ?", (last.id,)))
        statements.append(("UPDATE ledger SET target = target + 1 WHERE id = ?", (last.id,)))
    for sql, params in statements:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            async with world.db.transaction() as conn:
                await conn.execute(sql, params)
    assert await world.entries() == before


def check_history_kept(before: list[Entry], after: list[Entry], erased: int | None) -> None:
    """Every entry written stays; with `erased`, entries may change only by the anonymisation
    of that member (account -> ERASED, key -> erased:<id>), nothing else."""
    assert len(after) >= len(before)
    for old, new in zip(before, after, strict=False):
        if old == new:
            continue
        assert erased is not None, (old, new)
        assert new.id == old.id
        assert (new.guild, new.amount, new.reason, new.day, new.created_at) == (
            old.guild,
            old.amount,
            old.reason,
            old.day,
            old.created_at,
        )
        assert new.source == old.source or (old.source == erased and new.source == ERASED)
        assert new.target == old.target or (old.target == erased and new.target == ERASED)
        assert new.key == old.key or new.key == f"erased:{old.id}"
        assert old.source == erased or old.target == erased or names(old.key, erased), old


def new_entries(before: list[Entry], after: list[Entry]) -> list[Entry]:
    last = before[-1].id if before else 0
    return [entry for entry in after if entry.id > last]


def day_after(n: int) -> object:
    return at(n, 0) + timedelta(days=1)
