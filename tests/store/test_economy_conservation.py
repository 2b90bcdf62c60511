"""Rule 10 across the whole economy, on a real SQLite file: random sequences of talk and day
closes (points, tiers, freezes, pro rata), treasury funding, shop purchases (freeze, restore,
role; refused ones too), moderation (void, adjust, suspend), community incentives (points
events, pools, challenges) and privacy (opt-out, erasure) conserve tokens, never overdraw, pay
once per idempotency key, and keep the ledger append-only (issue 4).

A hypothesis state machine drives the real services; every example gets a fresh database file
and an event loop of its own (the machine is synchronous, the services are not)."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bot.domain.ledger import ESCROW, TREASURY
from bot.guild_config import GuildConfig
from bot.services.community import CommunityError
from bot.services.escrow import EscrowError
from bot.services.moderation import MemberShort, ModerationError, TreasuryShort
from bot.services.shop import earliest_restorable
from bot.store.day_close import DayCloseRepository, DayOrderError
from bot.store.ledger import InsufficientFunds
from bot.store.shop import (
    AlreadyRestored,
    FreezesFull,
    NoLiveStreak,
    NothingToRestore,
    NotTracked,
    PurchaseRefused,
    RestoreExpired,
    StillLive,
)
from tests.services.builders import CHANNEL, A, B, C, D, G, at, config, iso
from tests.store.economy_steps import (
    Entry,
    World,
    check_append_only,
    check_conservation,
    check_history_kept,
    names,
    new_entries,
)

MEMBERS = (A, B, C, D)
MOD = 900
ROLE = "VIP"
LAST_DAY = 28
"""Days are November 2026; the machine stops closing days before the month ends."""

members = st.sampled_from(MEMBERS)
pairs = st.sampled_from([(a, b) for a in MEMBERS for b in MEMBERS if a < b])
# Mostly two pairs that share no member, so that streaks build up day after day.
usual_pairs = st.sampled_from(((A, B), (A, B), (C, D), (C, D), (A, C), (B, D)))
# Few interactions, keys and requests, so that retries (the same key again) are frequent.
interactions = st.integers(min_value=1, max_value=6)
small_keys = st.integers(min_value=1, max_value=4)
pool_names = st.sampled_from(("art", "games"))


@dataclass(frozen=True)
class Setup:
    fund: int
    spark_days: int
    spark_tokens: int
    spark_freezes: int
    flame: bool
    per_point: str
    daily_budget: int
    freeze_price: int
    restore_price: int
    restore_hours: int
    max_freezes: int
    role_price: int
    hold_days: int = 7
    on_expiry: str = "release"
    suspects: frozenset[int] = frozenset()
    """Members the anti-fraud detector holds from the first close on (rules change it)."""

    def config(self) -> GuildConfig:
        tiers = [
            {
                "name": "Spark",
                "days": self.spark_days,
                "tokens": self.spark_tokens,
                "freezes": self.spark_freezes,
            }
        ]
        if self.flame:
            tiers.append({"name": "Flame", "days": 3, "tokens": 25, "freezes": 1})
        return config(
            tiers=tiers,
            tokens={"per_point": self.per_point, "daily_budget": self.daily_budget},
            streaks={"max_freezes": self.max_freezes},
            fraud={"hold_days": self.hold_days, "on_expiry": self.on_expiry},
            shop={
                "freeze_price": self.freeze_price,
                "restore_price": self.restore_price,
                "restore_hours": self.restore_hours,
                "roles": [{"name": ROLE, "role": 5555, "price": self.role_price}],
            },
        )


setups = st.builds(
    Setup,
    # A small treasury (or a budget) now and then, so that the closes pay pro rata.
    fund=st.sampled_from((0, 40, 400, 5000, 5000)),
    spark_days=st.integers(min_value=1, max_value=2),
    spark_tokens=st.integers(min_value=5, max_value=40),
    spark_freezes=st.integers(min_value=0, max_value=1),
    flame=st.booleans(),
    per_point=st.sampled_from(("0", "0.5", "1")),
    daily_budget=st.sampled_from((0, 0, 0, 7, 30)),
    freeze_price=st.integers(min_value=1, max_value=25),
    restore_price=st.integers(min_value=1, max_value=40),
    restore_hours=st.sampled_from((24, 48)),
    max_freezes=st.integers(min_value=0, max_value=2),
    role_price=st.integers(min_value=1, max_value=30),
    hold_days=st.sampled_from((0, 1, 3, 7, 7)),
    on_expiry=st.sampled_from(("release", "void")),
    suspects=st.frozensets(st.sampled_from(MEMBERS), max_size=2),
)


class EconomyMachine(RuleBasedStateMachine):
    """The guild's day: members talk (in the general channel or a pool's), moderators,
    owners and members act, days close. After every step: the invariants of rule 10."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.directory = tempfile.TemporaryDirectory()
        self.world: World | None = None

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        try:
            if self.world is not None:
                self.run(self.world.db.close())
        finally:
            self.loop.close()
            self.directory.cleanup()

    # -- the model: what the machine knows besides the database ------------------------------

    @initialize(setup=setups)
    def start(self, setup: Setup) -> None:
        self.setup = setup
        self.world = self.run(World.open(self.directory.name, setup.config(), setup.fund))
        self.world.suspects.update(setup.suspects)
        self.funded = setup.fund
        self.day = 1
        self.minute = 30
        self.pools: dict[str, int] = {}  # name -> channel
        self.challenges = 0
        self.event_names: set[str] = set()
        self.voided: set[tuple[int, int, str]] = set()  # (a, b, run_start)
        self.paid_purchases: list[tuple[str, int, int, int]] = []
        self.entries: list[Entry] = self.run(self.world.entries())
        self.erasing: int | None = None

    @property
    def now(self):
        return self.world.clock.now()

    async def _refused_changes_nothing(self, action, *errors: type[BaseException]):
        """Run `action`, which must raise one of `errors`, and check it wrote nothing."""
        before = await self.world.snapshot()
        with pytest.raises(errors) as raised:
            await action()
        assert await self.world.snapshot() == before
        return raised.value

    # -- talk and day closes ----------------------------------------------------------------

    @precondition(lambda self: self.minute < 22 * 60)
    @rule(pair=pairs, in_pool=st.booleans())
    def talk(self, pair: tuple[int, int], in_pool: bool) -> None:
        """The pair exchange (a mention and a reply), in a pool's channel or the general one."""
        channel = CHANNEL
        if in_pool and self.pools:  # the pools' channels in turn
            channel = sorted(self.pools.values())[self.minute // 20 % len(self.pools)]
        ts = at(self.day, 0) + timedelta(minutes=self.minute)
        self.minute += 20
        self.world.clock.set(ts + timedelta(minutes=5))
        self.run(self.world.engine.ingest(*self.world.mutual(*pair, ts, channel)))
        event("talk in a pool" if channel != CHANNEL else "talk")

    @precondition(lambda self: self.day < LAST_DAY)
    @rule(days=st.sampled_from((1, 1, 1, 2)))
    def close(self, days: int) -> None:
        """Close today (and, with 2, tomorrow too, as a catch-up would): the pairs that did
        not talk spend a freeze or break."""
        self.run(self._close(self.day + days - 1))
        self.day += days
        self.minute = 30

    @precondition(lambda self: self.day < LAST_DAY)
    @rule(talkers=st.lists(pairs, max_size=4, unique=True), pooled=st.lists(st.booleans()))
    def day_of_talk(self, talkers: list[tuple[int, int]], pooled: list[bool]) -> None:
        """A whole day: some pairs talk (in a pool's channel or not), then the day closes."""
        self._day(talkers, pooled)

    @precondition(lambda self: self.day < LAST_DAY - 3)
    @rule(
        talkers=st.lists(usual_pairs, min_size=1, max_size=3, unique=True),
        days=st.integers(min_value=1, max_value=3),
        pooled=st.booleans(),
        freeze=st.none() | interactions,
    )
    def days_of_talk(
        self, talkers: list[tuple[int, int]], days: int, pooled: bool, freeze: int | None
    ) -> None:
        """The same pairs talk day after day, each day closed: streaks grow, tiers pay. Then,
        maybe, the first pair's first member buys a freeze for their live streak."""
        for _ in range(days):
            self._day(talkers, [pooled])
        if freeze is not None:
            self.run(self._buy("freeze", *talkers[0], freeze))

    def _day(self, talkers: list[tuple[int, int]], pooled: list[bool]) -> None:
        for n, pair in enumerate(talkers):
            if self.minute < 22 * 60:
                self.talk(pair, bool(pooled) and pooled[n % len(pooled)])
        self.close(1)

    async def _close(self, through: int) -> None:
        world = self.world
        before = await world.entries()
        results = await world.engine.close(through)
        after = await world.entries()
        fresh = new_entries(before, after)
        closed_at = world.clock.now().isoformat()
        assert all(entry.created_at == closed_at for entry in fresh)
        for result in results:
            of_day = [entry for entry in fresh if entry.day == result.day]
            # Holds that ran out at this close move out of escrow: not the day's payments.
            expired = [e for e in of_day if e.key.startswith(("release:", "unhold:"))]
            assert all(entry.source == ESCROW for entry in expired)
            assert sum(e.amount for e in expired) == result.released + result.voided
            paid = [e for e in of_day if e not in expired]
            by_reason: dict[str, int] = {}
            for entry in paid:
                by_reason[entry.reason] = by_reason.get(entry.reason, 0) + entry.amount
            rewards = [e for e in paid if e.reason in ("points", "tier")]
            assert all(entry.source == TREASURY for entry in rewards)
            assert sum(entry.amount for entry in rewards) == result.paid
            assert result.paid <= result.owed
            if self.setup.daily_budget:
                assert result.paid <= self.setup.daily_budget
            assert by_reason.get("pool", 0) == result.pool_paid
            assert by_reason.get("challenge", 0) == sum(paid for *_, paid in result.challenges_met)
            if result.scaled:
                event("close paid pro rata")
            if result.pool_paid:
                event("a pool paid")
            if result.challenges_met:
                event("a challenge was met")
            if result.held:
                event("rewards held")
            if result.released or result.voided:
                event("holds ran out")
        assert sum(len([e for e in fresh if e.day == r.day]) for r in results) == len(fresh)
        # Closing again, through the service or straight at the store, pays nothing twice.
        snapshot = await world.snapshot()
        assert await world.engine.close(through) == []
        state = await world.engine.ingestor.guild(G)
        if state.last_closed:
            with pytest.raises(DayOrderError):
                await DayCloseRepository(world.db).close_days(
                    G, [state.last_closed], world.config, closed_at
                )
        assert await world.snapshot() == snapshot

    # -- the treasury -------------------------------------------------------------------------

    @rule(amount=st.integers(min_value=1, max_value=300), key=small_keys)
    def fund_treasury(self, amount: int, key: int) -> None:
        """An owner funds the treasury (a key used already funds nothing)."""
        self.run(self._fund_treasury(amount, f"fund:{G}:owner:{key}"))

    async def _fund_treasury(self, amount: int, key: str) -> None:
        world = self.world
        used = await world.key_used(key)
        treasury = await world.balance(TREASURY)
        moved = await world.engine.treasury.fund(G, amount, key=key)
        assert moved is not used
        if moved:
            self.funded += amount
            assert await world.balance(TREASURY) == treasury + amount
        else:
            event("fund retried")
            assert await world.balance(TREASURY) == treasury

    # -- the shop -----------------------------------------------------------------------------

    @rule(
        kind=st.sampled_from(("freeze", "freeze", "restore")),
        pair=usual_pairs,
        buyer_first=st.booleans(),
        interaction=interactions,
    )
    def buy_for_a_streak(
        self, kind: str, pair: tuple[int, int], buyer_first: bool, interaction: int
    ) -> None:
        """A member buys a freeze or a restore for their streak with a partner."""
        member, partner = pair if buyer_first else pair[::-1]
        self.run(self._buy(kind, member, partner, interaction))

    @precondition(lambda self: self.day < LAST_DAY)
    @rule(
        pair=usual_pairs,
        others_talk=st.booleans(),
        buyer_first=st.booleans(),
        interaction=interactions,
    )
    def stop_then_restore(
        self, pair: tuple[int, int], others_talk: bool, buyer_first: bool, interaction: int
    ) -> None:
        """The pair stops talking for a day (the others may go on): its streak spends a freeze
        or breaks at the close; the next morning one of them tries to buy the restore."""
        others = [p for p in ((A, B), (C, D)) if p != pair] if others_talk else []
        self._day(others, [False])
        member, partner = pair if buyer_first else pair[::-1]
        self.run(self._buy("restore", member, partner, interaction))

    @rule(member=members, interaction=interactions)
    def buy_role(self, member: int, interaction: int) -> None:
        """A member buys the shop's role item."""
        self.run(self._buy("role", member, 0, interaction))

    @precondition(lambda self: self.paid_purchases)
    @rule(which=st.integers(min_value=0, max_value=100))
    def retry_purchase(self, which: int) -> None:
        """The same interaction arrives again: charged once."""
        kind, member, partner, interaction = self.paid_purchases[which % len(self.paid_purchases)]
        self.run(self._buy(kind, member, partner, interaction))

    def _expected_refusal(self, kind: str, streak: dict | None, earliest: str) -> type | None:
        """What the shop's rules refuse, read from the streak before the purchase."""
        if kind == "freeze":
            if streak is None or streak["current"] == 0:
                return NoLiveStreak
            if streak["freezes"] >= self.setup.max_freezes:
                return FreezesFull
        elif kind == "restore":
            if streak is None:
                return NothingToRestore
            if streak["current"] > 0:
                return StillLive
            if streak["broken_day"] is None or streak["broken_length"] == 0:
                return NothingToRestore
            if streak["restored_run"] == streak["run_start"]:
                return AlreadyRestored
            if streak["broken_day"] < earliest:
                return RestoreExpired
        return None

    async def _buy(self, kind: str, member: int, partner: int, interaction: int) -> None:
        world = self.world
        shop = world.shop
        key = f"shop:{G}:{interaction}"
        price = {
            "freeze": self.setup.freeze_price,
            "restore": self.setup.restore_price,
            "role": self.setup.role_price,
        }[kind]
        item = (await shop.catalogue(G)).shop.roles[0]

        async def buy():
            if kind == "freeze":
                return await shop.buy_freeze(G, member, partner, interaction=interaction)
            if kind == "restore":
                return await shop.buy_restore(G, member, partner, interaction=interaction)
            return await shop.buy_role(G, member, item, interaction=interaction)

        if await world.key_used(key):
            event(f"{kind} retried")
            before = await world.snapshot()
            receipt = await buy()
            assert not receipt.paid
            assert await world.snapshot() == before
            return
        held = await world.balance(member)
        streak = await world.streak(member, partner) if partner else None
        zone = world.config.zone
        earliest = earliest_restorable(self.now, zone, self.setup.restore_hours).isoformat()
        expected = self._expected_refusal(kind, streak, earliest)
        if kind != "role" and (await world.opted_out(member) or await world.opted_out(partner)):
            expected = NotTracked
        if expected is None and held < price:
            expected = InsufficientFunds
        if expected is not None:
            error = await self._refused_changes_nothing(buy, PurchaseRefused, InsufficientFunds)
            assert isinstance(error, expected), (error, expected)
            event(f"{kind} refused: {expected.__name__}")
            return
        treasury = await world.balance(TREASURY)
        before = await world.entries()
        receipt = await buy()
        assert receipt.paid
        assert receipt.balance == held - price == await world.balance(member)
        assert await world.balance(TREASURY) == treasury + price
        [entry] = new_entries(before, await world.entries())
        assert (entry.key, entry.source, entry.target, entry.amount) == (
            key,
            member,
            TREASURY,
            price,
        )
        after = await world.streak(member, partner) if partner else None
        if kind == "freeze":
            assert after["freezes"] == streak["freezes"] + 1
        elif kind == "restore":
            assert after["current"] == streak["broken_length"]
            assert after["run_start"] == streak["run_start"]
        self.paid_purchases.append((kind, member, partner, interaction))
        event(f"{kind} bought")

    # -- moderation ---------------------------------------------------------------------------

    @rule(pair=usual_pairs)
    def void(self, pair: tuple[int, int]) -> None:
        """A moderator voids the pair's run: its tier tokens go back to the treasury."""
        self.run(self._void(*pair))

    async def _void(self, a: int, b: int) -> None:
        world = self.world
        streak = await world.streak(a, b)
        if streak is None or (a, b, streak["run_start"]) in self.voided:
            await self._refused_changes_nothing(
                lambda: world.moderation.void(G, MOD, b, a, "cheating"), ModerationError
            )
            event("void refused")
            return
        owed = {m: await world.run_tier_tokens(a, b, m, streak["run_start"]) for m in (a, b)}
        held = {m: await world.balance(m) for m in (a, b)}
        treasury = await world.balance(TREASURY)
        result = await world.moderation.void(G, MOD, b, a, "cheating")
        self.voided.add((a, b, streak["run_start"]))
        assert not result.already_voided
        assert result.run_start == streak["run_start"]
        taken = {w.member: w.taken for w in result.withdrawals}
        assert {w.member: w.owed for w in result.withdrawals} == owed
        for m in (a, b):
            assert taken[m] == min(owed[m], held[m])
            assert await world.balance(m) == held[m] - taken[m]
        assert await world.balance(TREASURY) == treasury + sum(taken.values())
        after = await world.streak(a, b)
        assert (after["current"], after["freezes"], after["broken_length"]) == (0, 0, 0)
        event("void took tokens back" if sum(taken.values()) else "void")

    @rule(
        member=members,
        amount=st.integers(min_value=-60, max_value=60).filter(bool),
        key=small_keys,
    )
    def adjust(self, member: int, amount: int, key: int) -> None:
        """A moderator gives tokens from the treasury, or takes some back into it."""
        self.run(self._adjust(member, amount, f"adjust:{G}:{key}"))

    async def _adjust(self, member: int, amount: int, key: str) -> None:
        world = self.world
        held = await world.balance(member)
        treasury = await world.balance(TREASURY)

        def adjust():
            return world.moderation.adjust(G, MOD, member, amount, "fix", key)

        if await world.key_used(key):
            before = await world.snapshot()
            result = await adjust()
            assert not result.moved
            assert await world.snapshot() == before
            event("adjust retried")
            return
        if amount > 0 and treasury < amount:
            await self._refused_changes_nothing(adjust, TreasuryShort)
            event("adjust refused")
            return
        if amount < 0 and held < -amount:
            await self._refused_changes_nothing(adjust, MemberShort)
            event("adjust refused")
            return
        result = await adjust()
        assert result.moved
        assert result.balance == held + amount == await world.balance(member)
        assert result.treasury == treasury - amount == await world.balance(TREASURY)
        event("adjusted")

    # -- the anti-fraud detector's holds ----------------------------------------------------------

    @rule(member=members, held=st.booleans())
    def suspect(self, member: int, held: bool) -> None:
        """From the next close on, the detector holds (or stops holding) the member's rewards."""
        (self.world.suspects.add if held else self.world.suspects.discard)(member)

    @rule(pair=usual_pairs, held=st.booleans())
    def suspect_pair(self, pair: tuple[int, int], held: bool) -> None:
        """From the next close on, the pair's tier tokens are held (or not)."""
        (self.world.suspect_pairs.add if held else self.world.suspect_pairs.discard)(pair)

    @rule(member=members, decision=st.sampled_from(("release", "void")))
    def decide_holds(self, member: int, decision: str) -> None:
        """A moderator releases or voids every open hold of the member: each moves once."""
        self.run(self._decide_holds(member, decision))

    @rule(decision=st.sampled_from(("release", "void")))
    def decide_someones_holds(self, decision: str) -> None:
        """A moderator decides the holds of whoever has some (most often nobody yet)."""
        held = self.run(self.world.members_with_open_holds())
        if held:
            self.run(self._decide_holds(held[0], decision))

    async def _decide_holds(self, member: int, decision: str) -> None:
        world = self.world
        held = await world.open_holds(member)
        before = await world.balances()

        def act(**options):
            return world.escrow.decide(G, decision, 7, **options)

        if not held:
            await self._refused_changes_nothing(lambda: act(member=member), EscrowError)
            return
        decided = await act(member=member, reason="property test")
        assert (decided.holds, decided.tokens) == (len(held), sum(a for _, a in held))
        after = await world.balances()
        assert after.get(ESCROW, 0) == before.get(ESCROW, 0) - decided.tokens
        if decision == "release":
            assert after.get(member, 0) == before.get(member, 0) + decided.tokens
        else:
            returned = {}
            for source, amount in held:
                returned[source] = returned.get(source, 0) + amount
            for source, amount in returned.items():
                assert after.get(source, 0) == before.get(source, 0) + amount
        assert await world.open_holds(member) == []
        event(f"holds {decision}d")

    @rule(member=members, days=st.sampled_from((None, 1, "lift")))
    def suspension(self, member: int, days: int | str | None) -> None:
        """Suspend the member (until lifted, or for a day), or lift their suspension."""
        moderation = self.world.moderation
        if days != "lift":
            self.run(moderation.suspend(G, MOD, member, days, "spam"))
            return

        async def lift():
            try:
                await moderation.unsuspend(G, MOD, member, "ok")
            except ModerationError:
                event("unsuspend of a member not suspended")

        self.run(lift())

    # -- community ----------------------------------------------------------------------------

    @rule(name=pool_names, per_exchange=st.integers(min_value=0, max_value=6))
    def create_pool(self, name: str, per_exchange: int) -> None:
        """An owner opens a pool paying for exchanges in a channel of its own."""
        community = self.world.community
        channel = 20 + len(self.pools)

        async def create():
            return await community.create_pool(
                G, name, channel=channel, per_exchange=per_exchange, by=A
            )

        if name in self.pools:
            self.run(self._refused_changes_nothing(create, CommunityError))
            return
        self.run(create())
        self.pools[name] = channel

    @rule(name=pool_names, amount=st.integers(min_value=1, max_value=80), key=small_keys)
    def fund_pool(self, name: str, amount: int, key: int) -> None:
        """A sponsor funds a pool from outside (a pool that does not exist is refused)."""
        self.run(self._fund_pool(name, amount, f"pool-fund:{G}:{key}"))

    async def _fund_pool(self, name: str, amount: int, key: str) -> None:
        world = self.world
        community = world.community

        async def fund():
            return await community.fund_pool(G, name, amount, key=key, by=A)

        if name not in self.pools:
            await self._refused_changes_nothing(fund, CommunityError)
            return
        used = await world.key_used(key)
        [before] = [pool for pool in await community.pools(G) if pool.name == name]
        after = await fund()
        if used:
            event("pool funding retried")
            assert after.balance == before.balance
        else:
            self.funded += amount
            assert after.balance == before.balance + amount

    @rule(
        pairs_needed=st.integers(min_value=1, max_value=2),
        days=st.integers(min_value=1, max_value=3),
        within=st.integers(min_value=-1, max_value=4),
        reward=st.integers(min_value=1, max_value=30),
        from_pool=st.none() | pool_names,
    )
    def create_challenge(
        self, pairs_needed: int, days: int, within: int, reward: int, from_pool: str | None
    ) -> None:
        """An owner sets a challenge paid from the treasury or a pool (a deadline passed, or
        a pool that does not exist, is refused)."""
        community = self.world.community
        name = f"challenge {self.challenges}"
        deadline = iso(self.day + within)

        async def create():
            return await community.create_challenge(
                G, name, pairs=pairs_needed, days=days, deadline=deadline, reward=reward,
                pool=from_pool, by=A,
            )  # fmt: skip

        if within < 0 or (from_pool is not None and from_pool not in self.pools):
            self.run(self._refused_changes_nothing(create, CommunityError))
            return
        self.run(create())
        self.challenges += 1

    @rule(multiplier=st.sampled_from(("1.5", "2")), tier_tokens=st.booleans())
    def start_event(self, multiplier: str, tier_tokens: bool) -> None:
        """A points event for a day, multiplying tier tokens too, or not."""
        name = f"event {len(self.event_names)}"
        self.run(
            self.world.community.start_event(G, name, multiplier, "1d", tier_tokens=tier_tokens)
        )
        self.event_names.add(name)

    # -- privacy ------------------------------------------------------------------------------

    @rule(
        member=members, what=st.sampled_from(("opt out", "opt in", "erase")), request=interactions
    )
    def privacy(self, member: int, what: str, request: int) -> None:
        """The member opts out of tracking, back in, or has their data erased."""
        privacy = self.world.privacy
        if what == "opt out":
            self.run(privacy.opt_out(G, member))
        elif what == "opt in":
            self.run(privacy.opt_in(G, member))
        else:
            self.erasing = member
            self.run(self._erase(member, request))

    async def _erase(self, member: int, request: int) -> None:
        world = self.world
        held = await world.balance(member)
        treasury = await world.balance(TREASURY)
        # Their rewards still in escrow go back where they came from.
        escrowed = await world.open_holds(member)
        voided = sum(amount for source, amount in escrowed if source == TREASURY)
        erasure = await world.privacy.erase(G, member, request=request)
        assert erasure.tokens_returned == held
        assert await world.balance(TREASURY) == treasury + held + voided
        assert await world.open_holds(member) == []
        assert member not in await world.balances()
        for entry in await world.entries():
            # Anonymised: no entry moves the member's tokens or names them any more.
            assert member not in (entry.source, entry.target), entry
            assert not names(entry.key, member), entry
        event("erased a member holding tokens" if held else "erased")

    # -- after every step ---------------------------------------------------------------------

    @invariant()
    def rule_10_holds(self) -> None:
        if self.world is None:
            return
        self.run(self._check())

    async def _check(self) -> None:
        world = self.world
        await check_conservation(world, self.funded)
        after = await world.entries()
        check_history_kept(self.entries, after, self.erasing)
        self.entries = after
        self.erasing = None
        await check_append_only(world)


def test_rule_10_the_economy_conserves_tokens_under_random_use():
    """Rule 10 (property, issue 4): whatever members, moderators, owners and the day close do,
    in any order, funded == held, every balance matches its entries and none is negative,
    refused actions write nothing, retried keys pay once, and the ledger only grows (or is
    anonymised by an erasure)."""
    run_state_machine_as_test(
        EconomyMachine,
        settings=settings(
            max_examples=50,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


# -- what the machine found (bugs since fixed; kept as regression tests) -----------------------


async def _erasing_world(tmp_path) -> World:
    return await World.open(str(tmp_path), config(), 100)


async def test_an_erasure_anonymises_entries_dated_before_the_first_message(tmp_path):
    world = await _erasing_world(tmp_path)
    try:
        await world.moderation.adjust(G, MOD, A, 10, "welcome", "adjust:1")  # nobody talked yet
        await world.engine.close(1)  # nothing to close; the clock moves to November 2
        await world.engine.ingest(*world.mutual(A, B, at(2, 10), CHANNEL))  # the first day
        await world.privacy.erase(G, A, request=7)
        totals = await world.ledger.totals(G)
        assert (totals.funded, totals.held, totals.mismatched_accounts) == (100, 100, 0)
        assert all(A not in (entry.source, entry.target) for entry in await world.entries())
    finally:
        await world.db.close()


async def test_an_erasure_retried_never_destroys_tokens(tmp_path):
    world = await _erasing_world(tmp_path)
    try:
        await world.moderation.adjust(G, MOD, A, 10, "welcome", "adjust:1")  # nobody talked yet
        await world.privacy.erase(G, A, request=7)
        await world.moderation.adjust(G, MOD, A, 10, "again", "adjust:2")
        await world.privacy.erase(G, A, request=7)  # the same interaction, delivered twice
        totals = await world.ledger.totals(G)
        assert (totals.funded, totals.held, totals.mismatched_accounts) == (100, 100, 0)
    finally:
        await world.db.close()


async def test_an_erasure_anonymises_the_partners_void_keys(tmp_path):
    spark = [{"name": "Spark", "days": 1, "tokens": 5}]
    world = await World.open(str(tmp_path), config(tiers=spark), 100)
    try:
        await world.engine.ingest(*world.mutual(A, B, at(1, 10), CHANNEL))
        await world.engine.close(1)  # Spark pays each of them 5
        await world.moderation.void(G, MOD, A, B, "cheating")  # and takes them back
        await world.privacy.erase(G, A, request=7)
        keys = [entry.key for entry in await world.entries()]
        assert not [key for key in keys if names(key, A)], keys
    finally:
        await world.db.close()
