"""Day close time for 10k, 100k and 1M live pairs in one guild.

    .venv/bin/python bench/bench_day_close.py [--quick] [--repeat N] [--sizes 10000,...]

The state before the close is built directly with sqlite3 bulk inserts into a real SQLite file
migrated by `Database.open` (so it has every index the schema ships): one guild whose last
closed day is yesterday, N live streaks (1 + Exp(mean 6) days, up to 400; 3 in 7 hold
freezes; earlier tiers already rewarded and badged) plus N/9 broken ones, and the day's
exchanges and points:

- 80 % of the live pairs qualify (exchanges both ways, reply or mention; some reactions too),
- 10 % engaged one way only and 10 % not at all (those with a freeze keep their streak),
- 2 % of N new pairs qualify for the first time, and every member of those pairs has points.

Members are a ring: member i is paired with i+1, i+2 and i+3, so each has about 6 partners.
Then `DayCloseRepository.close_days(guild, [day], config, closed_at)` is timed (target for
1M: <= 3 s), and a second call for the same day, which must be refused (`DayOrderError`) and
change nothing. Each run works on a fresh copy of the built file. `--short-treasury` funds
the treasury with half of what the day owes, to time the pro-rata path too.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sqlite3
import time
from datetime import date, timedelta
from pathlib import Path

import orjson
from _common import OUT, isolated, machine, median, say, table, verdict, warn

TARGET_SECONDS_1M = 3.0
GUILD = 1_079_907_749_569_237_093
DAY = date(2026, 3, 2)
MEMBER_BASE = 1_100_000_000_000_000_000
PARTNERS = 3  # member i is paired with i+1 .. i+PARTNERS
SIZES = {"full": (10_000, 100_000, 1_000_000), "quick": (10_000, 100_000)}


def member_id(index: int) -> int:
    return MEMBER_BASE + index * 7_919


KINDS = ("reply", "mention", "reaction")


def pair_rows(exchanges: list[tuple]) -> list[tuple]:
    """(guild, day, src, dst, kind, count) exchanges as the store keeps them: a row per pair."""
    pairs: dict[tuple, list[int]] = {}
    for guild, day, src, dst, kind, count in exchanges:
        a, b = min(src, dst), max(src, dst)
        counts = pairs.setdefault((guild, day, a, b), [0] * 6)
        counts[KINDS.index(kind) + (0 if src == a else 3)] += count
    return [(*key, *counts) for key, counts in sorted(pairs.items())]


def build(path: Path, live: int, seed: int = 1, short_treasury: bool = False) -> dict:
    """Write the pre-close state for `live` live pairs into a migrated file; expected counts."""
    from bot.guild_config import config_to_dict, load_config
    from bot.store.database import Database

    config = load_config()
    path.unlink(missing_ok=True)

    async def migrate() -> None:
        db = await Database.open(path)
        await db.close()

    asyncio.run(migrate())
    rng = random.Random(seed)
    today = DAY.isoformat()
    yesterday = (DAY - timedelta(days=1)).isoformat()
    tiers = config.tiers_by_days
    expected = dict.fromkeys(("pairs", "extended", "started", "frozen", "broken", "tiers"), 0)

    streaks, rewards, exchanges, points = [], [], [], {}
    members = live // PARTNERS + PARTNERS + 1
    live_pairs = (
        (i, i + d) for i in range(members) for d in range(1, PARTNERS + 1) if i + d < members
    )
    for n, (i, j) in zip(range(live), live_pairs, strict=False):
        a, b = member_id(i), member_id(j)
        current = min(1 + int(rng.expovariate(1 / 6)), 400)
        best = current + (int(rng.expovariate(1 / 4)) if rng.random() < 0.3 else 0)
        freezes = rng.choice((0, 0, 0, 0, 1, 1, 2))
        last = yesterday if rng.random() < 0.95 else (DAY - timedelta(days=2)).isoformat()
        run_start = (DAY - timedelta(days=current)).isoformat()
        streaks.append((GUILD, a, b, current, best, last, freezes, run_start))
        rewards.extend(
            (GUILD, a, b, tier.name, run_start, run_start) for tier in tiers if tier.days <= current
        )
        draw = (n * 0.6180339887) % 1  # spread the three kinds evenly through the ring
        if draw < 0.8:
            exchanges.append((GUILD, today, a, b, "reply", 1 + int(rng.expovariate(0.5))))
            exchanges.append((GUILD, today, b, a, rng.choice(("reply", "mention")), 1))
            if rng.random() < 0.2:
                exchanges.append((GUILD, today, b, a, "reaction", 1))
            expected["pairs"] += 1
            expected["extended"] += 1
            expected["tiers"] += any(tier.days == current + 1 for tier in tiers)
        else:
            if draw < 0.9:
                exchanges.append((GUILD, today, a, b, "mention", 1))
            expected["frozen" if freezes else "broken"] += 1
        for member in (a, b):
            points[member] = 0
    for i in range(0, members - PARTNERS - 1, max(1, round(1 / (0.02 * PARTNERS)))):
        a, b = member_id(i), member_id(i + PARTNERS + 1)  # never paired before
        exchanges.append((GUILD, today, a, b, "reply", 1))
        exchanges.append((GUILD, today, b, a, "reply", 1))
        expected["pairs"] += 1
        expected["started"] += 1
    broken = [
        (
            GUILD,
            member_id(i),
            member_id(i + PARTNERS + 2),
            0,
            1 + int(rng.expovariate(1 / 3)),
            "2025-12-01",
            0,
            "2025-11-25",
        )
        for i in range(0, members - PARTNERS - 2, 3)
    ]
    member_days = [(GUILD, today, m, rng.choice((0, 1, 2, 3, 5, 8, 13, 21))) for m in points]
    owed_points = sum(row[3] for row in member_days)

    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("BEGIN")
        connection.execute(
            "INSERT INTO guilds (id, config, first_day, last_closed_day) VALUES (?, ?, ?, ?)",
            (GUILD, orjson.dumps(config_to_dict(config)).decode(), "2025-01-01", yesterday),
        )
        connection.executemany(
            "INSERT INTO streaks (guild, a, b, current, best, last_day, freezes, run_start)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            sorted(streaks + broken),
        )
        connection.executemany(
            "INSERT INTO tier_rewards (guild, a, b, tier, run_start, day)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            sorted(rewards),
        )
        connection.execute(
            "INSERT OR IGNORE INTO member_badges (guild, member, tier, day)"
            " SELECT guild, a, tier, day FROM tier_rewards UNION ALL"
            " SELECT guild, b, tier, day FROM tier_rewards"
        )
        connection.executemany(
            "INSERT INTO pair_days (guild, day, a, b, a_reply, a_mention, a_reaction, b_reply,"
            " b_mention, b_reaction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            pair_rows(exchanges),
        )
        connection.executemany(
            "INSERT INTO member_days (guild, day, member, points) VALUES (?, ?, ?, ?)",
            sorted(member_days),
        )
        # The treasury: plenty, or half of what the day's points alone will ask for.
        funding = owed_points // 2 if short_treasury else 10**12
        connection.execute(
            "INSERT INTO ledger (guild, key, source, target, amount, reason, day, created_at)"
            " VALUES (?, 'fund:bench', NULL, 0, ?, 'fund', NULL, '2025-01-01T00:00:00+00:00')",
            (GUILD, funding),
        )
        connection.execute(
            "INSERT INTO balances (guild, account, balance) VALUES (?, 0, ?)", (GUILD, funding)
        )
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return {
        **expected,
        "live": live,
        "streak_rows": len(streaks) + len(broken),
        "exchange_rows": len(exchanges),
        "members_with_points": len(member_days),
    }


def close_once(path: str, profile: bool) -> dict:
    """Time one close (and the refused second close) on the file at `path`, in this process."""
    from bot.guild_config import load_config
    from bot.store.database import Database
    from bot.store.day_close import DayCloseRepository, DayOrderError

    config = load_config()
    timer = StatementTimer() if profile else None

    async def run() -> dict:
        db = await Database.open(path)
        try:
            repo = DayCloseRepository(db)
            closed_at = f"{DAY + timedelta(days=1)}T00:00:05+00:00"
            started = time.perf_counter()
            [result] = await repo.close_days(GUILD, [DAY.isoformat()], config, closed_at)
            seconds = time.perf_counter() - started
            if timer is not None:
                timer.enabled = False
            started = time.perf_counter()
            try:
                await repo.close_days(GUILD, [DAY.isoformat()], config, closed_at)
                again = "closed twice!"
            except DayOrderError:
                again = "refused"
            again_seconds = time.perf_counter() - started
            async with db.connection.execute(
                "SELECT count(*) FROM day_closes WHERE guild = ? AND day = ?", (GUILD, str(DAY))
            ) as cursor:
                closes = (await cursor.fetchone())[0]
        finally:
            await db.close()
        return {
            "seconds": seconds,
            "again": again if closes == 1 else f"{closes} day_closes rows!",
            "again_seconds": again_seconds,
            "pairs": result.pairs,
            "started": result.started,
            "extended": result.extended,
            "frozen": result.frozen,
            "broken": result.broken,
            "tiers": len(result.tiers),
            "paid": result.paid,
            "owed": result.owed,
            "statements": timer.slowest() if timer else [],
        }

    return asyncio.run(run())


class StatementTimer:
    """Times every call the store makes on its connection's thread, by SQL text."""

    def __init__(self) -> None:
        import aiosqlite.core

        self.enabled = True
        self.totals: dict[str, tuple[int, float]] = {}
        original = aiosqlite.core.Connection._execute
        timer = self

        async def timed_execute(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
            text = args[0] if args and isinstance(args[0], str) else getattr(fn, "__name__", "?")
            label = " ".join(text.split())[:100]

            def call():  # type: ignore[no-untyped-def]
                started = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    if timer.enabled:
                        count, total = timer.totals.get(label, (0, 0.0))
                        timer.totals[label] = (count + 1, total + time.perf_counter() - started)

            return await original(self, call)

        aiosqlite.core.Connection._execute = timed_execute

    def slowest(self) -> list[tuple[str, int, float]]:
        return sorted(
            ((label, count, total) for label, (count, total) in self.totals.items()),
            key=lambda item: -item[2],
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k pairs only")
    parser.add_argument("--sizes", help="comma-separated numbers of live pairs")
    parser.add_argument(
        "--repeat", type=int, help="closes per size (default 3; 1 for 1M pairs and with --quick)"
    )
    parser.add_argument(
        "--short-treasury", action="store_true", help="also time a pro-rata close at each size"
    )
    parser.add_argument(
        "--profile", action="store_true", help="time each SQL statement of the close"
    )
    args = parser.parse_args(argv)
    sizes = (
        [int(size) for size in args.sizes.split(",")]
        if args.sizes
        else SIZES["quick" if args.quick else "full"]
    )
    say(f"## Day close ({machine()})\n")
    variants = [False, True] if args.short_treasury else [False]
    rows, profiles = [], []
    work = OUT / "day_close"
    work.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        for short in variants:
            base = work / f"state-{size}{'-short' if short else ''}.db"
            built = time.perf_counter()
            expected = isolated(build, base, size, 1, short)
            warn(
                f"built {size:,} live pairs ({expected['streak_rows']:,} streak rows,"
                f" {expected['exchange_rows']:,} exchanges) in {time.perf_counter() - built:.1f} s"
            )
            runs = []
            for _ in range(args.repeat or (1 if args.quick or size >= 1_000_000 else 3)):
                copy = work / "close.db"
                shutil.copyfile(base, copy)
                runs.append(isolated(close_once, str(copy), args.profile))
                copy.unlink()
            for suffix in ("-wal", "-shm"):
                Path(f"{work / 'close.db'}{suffix}").unlink(missing_ok=True)
            result = runs[0]
            checks = all(
                result[key] == expected[key]
                for key in ("pairs", "started", "extended", "frozen", "broken", "tiers")
            )
            seconds = median([run["seconds"] for run in runs])
            target = f"<= {TARGET_SECONDS_1M:g} s" if size == 1_000_000 and not short else ""
            rows.append(
                [
                    f"{size:,}" + (" (pro rata)" if short else ""),
                    f"{result['pairs']:,}",
                    f"{result['extended']:,}/{result['started']:,}/{result['frozen']:,}"
                    f"/{result['broken']:,}",
                    f"{result['tiers']:,}",
                    f"{result['paid']:,}",
                    f"{seconds * 1000:,.0f} ms",
                    f"{max(run['seconds'] for run in runs) * 1000:,.0f} ms",
                    f"{result['again']} in {result['again_seconds'] * 1000:.1f} ms",
                    "as built" if checks else "MISMATCH",
                    target + (f" ({verdict(seconds <= TARGET_SECONDS_1M)})" if target else ""),
                ]
            )
            if args.profile:
                profiles.append((size, short, result["statements"]))
    say(
        table(
            [
                "live pairs",
                "qualifying",
                "extended/new/frozen/broken",
                "tiers",
                "tokens paid",
                "close (median)",
                "slowest",
                "same day again",
                "counts",
                "target",
            ],
            rows,
        )
    )
    for size, short, statements in profiles:
        say(f"\nStatements of the close, {size:,} pairs{' (pro rata)' if short else ''}:\n")
        say(
            table(
                ["seconds", "calls", "statement"],
                [[f"{secs:.3f}", calls, sql] for sql, calls, secs in statements[:12]],
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
