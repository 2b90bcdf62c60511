"""Leaderboard queries at 1M streak rows in one guild.

    .venv/bin/python bench/bench_leaderboard.py [--quick] [--rows N] [--calls N]

A real SQLite file migrated by `Database.open` (so it has the indexes the schema ships) gets
one guild's `streaks` in one bulk insert: N rows, 80 % live with heavy-tailed lengths (1 to
400 days), 20 % broken, members in a ring (member i is paired with i+1 .. i+3); then the
leaderboard snapshots a day close leaves (`streak_leaders` by the store's own
`refresh_leaders`, `streak_lengths` as the count of live streaks by length). Then, through the
store's `ReportRepository` on an open `Database` (so each figure includes aiosqlite's thread
hops), over `--calls` calls each:

- `top_streaks(guild, 10)` (target: <= 5 ms),
- `member_rank(guild, member)` for members whose longest live streak ranks at the top, at
  1 %, 10 %, 50 % and 90 % of the ranking, at the bottom, and for a member with no live
  streak (target: <= 25 ms each).

Median and p95 are reported (over fewer calls when a query is slow: 15 s per query at most),
each answer is checked against the ranking computed in Python, and a trivial `SELECT 1`
through the same connection shows what the async layer alone costs.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import Counter
from pathlib import Path

import orjson
from _common import OUT, isolated, machine, median, p95, say, table, verdict, warn

TOP_TARGET_MS = 5.0
RANK_TARGET_MS = 25.0
BUDGET_SECONDS = 15.0  # per query: fewer calls than asked when each is slow
GUILD = 1_079_907_749_569_237_093
MEMBER_BASE = 1_100_000_000_000_000_000
PARTNERS = 3
RANK_POINTS = (
    ("top", 0.0),
    ("1 %", 0.01),
    ("10 %", 0.10),
    ("50 %", 0.50),
    ("90 %", 0.90),
    ("bottom", 1.0),
)


def member_id(index: int) -> int:
    return MEMBER_BASE + index * 7_919


def build(path: Path, rows: int, seed: int = 1) -> dict:
    """`rows` streak rows for one guild, and the leaderboard snapshots a close would leave.

    Returns the members to look up, by rank position, with the rank each should get.
    """
    from bot.guild_config import config_to_dict, load_config
    from bot.store.database import Database
    from bot.store.day_close import refresh_leaders

    path.unlink(missing_ok=True)
    rng = random.Random(seed)
    members = rows // PARTNERS + PARTNERS + 1
    pairs = ((i, i + d) for i in range(members) for d in range(1, PARTNERS + 1) if i + d < members)
    streaks, longest = [], {}
    for _, (i, j) in zip(range(rows), pairs, strict=False):
        a, b = member_id(i), member_id(j)
        live = rng.random() < 0.8
        length = min(1 + int(rng.paretovariate(1.2) * 2 - 2), 400)
        current = length if live else 0
        last_day = "2026-03-02" if live else "2026-01-10"
        freezes = rng.choice((0, 0, 1, 2))
        streaks.append((GUILD, a, b, current, length, last_day, freezes, "2026-01-01"))
        for member in (a, b):
            longest[member] = max(longest.get(member, 0), current)
    lengths = Counter(row[3] for row in streaks if row[3] > 0)

    async def fill() -> None:
        db = await Database.open(path)
        try:
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO guilds (id, config, first_day, last_closed_day)"
                    " VALUES (?, ?, ?, ?)",
                    (
                        GUILD,
                        orjson.dumps(config_to_dict(load_config())).decode(),
                        "2025-01-01",
                        "2026-03-02",
                    ),
                )
                await conn.executemany(
                    "INSERT INTO streaks (guild, a, b, current, best, last_day, freezes,"
                    " run_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    streaks,
                )
                # The snapshots every close rebuilds: the top streaks (by the store's own
                # code) and how many live streaks have each length.
                await refresh_leaders(conn, GUILD)
                await conn.executemany(
                    "INSERT INTO streak_lengths (guild, current, pairs) VALUES (?, ?, ?)",
                    [(GUILD, days, count) for days, count in sorted(lengths.items())],
                )
        finally:
            await db.close()

    asyncio.run(fill())
    ranked = sorted((m for m, days in longest.items() if days > 0), key=lambda m: -longest[m])
    picks = {}
    for label, share in RANK_POINTS:
        member = ranked[min(len(ranked) - 1, int(share * len(ranked)))]
        days = longest[member]
        rank = 1 + sum(count for length, count in lengths.items() if length > days)
        picks[label] = (member, (rank, days))
    lapsed = [m for m, days in longest.items() if days == 0]
    picks["no live streak"] = (lapsed[0] if lapsed else member_id(members + 10), None)
    top = sorted((row for row in streaks if row[3] > 0), key=lambda r: (-r[3], r[1], r[2]))[:10]
    return {
        "rows": len(streaks),
        "live": sum(lengths.values()),
        "members": len(longest),
        "picks": picks,
        "top": [(row[1], row[2], row[3]) for row in top],
    }


def query(path: str, picks: dict[str, tuple], calls: int) -> dict:
    """Time the queries through the store in this (fresh) process."""
    from bot.store.database import Database
    from bot.store.reports import ReportRepository

    async def run() -> dict:
        db = await Database.open(path)
        try:
            reports = ReportRepository(db)
            timings: dict[str, list[float]] = {}
            answers: dict[str, object] = {}

            async def timed(label: str, call) -> None:  # type: ignore[no-untyped-def]
                samples = timings.setdefault(label, [])
                while len(samples) < calls and sum(samples) < BUDGET_SECONDS:
                    started = time.perf_counter()
                    answers[label] = await call()
                    samples.append(time.perf_counter() - started)

            await timed("top 10", lambda: reports.top_streaks(GUILD, 10))
            for label, (member, _) in picks.items():
                await timed(label, lambda member=member: reports.member_rank(GUILD, member))
            # The async layer's share: one trivial query through the same connection.
            await timed("SELECT 1", lambda: _select_one(db))
            return {"timings": timings, "answers": answers}
        finally:
            await db.close()

    return asyncio.run(run())


async def _select_one(db) -> None:  # type: ignore[no-untyped-def]
    async with db.connection.execute("SELECT 1") as cursor:
        await cursor.fetchone()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100k rows, 50 calls")
    parser.add_argument("--rows", type=int, help="streak rows (default 1,000,000)")
    parser.add_argument("--calls", type=int, help="calls per query (default 200)")
    args = parser.parse_args(argv)
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    calls = args.calls or (50 if args.quick else 200)
    say(f"## Leaderboard ({machine()})\n")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"leaderboard-{rows}.db"
    started = time.perf_counter()
    built = isolated(build, path, rows)
    warn(f"built {built['rows']:,} streak rows in {time.perf_counter() - started:.1f} s")
    result = isolated(query, str(path), built["picks"], calls)

    lines = []
    for label, samples in result["timings"].items():
        answer = result["answers"][label]
        ms, slow = median(samples) * 1000, p95(samples) * 1000
        if label == "SELECT 1":
            query_label, shown, check, target = "`SELECT 1` (the async layer alone)", "", "", ""
        elif label == "top 10":
            query_label, shown = "top_streaks(guild, 10)", f"{len(answer)} rows"
            check = "right" if [(r.a, r.b, r.current) for r in answer] == built["top"] else "WRONG"
            target = f"<= {TOP_TARGET_MS:g} ms ({verdict(slow <= TOP_TARGET_MS)})"
        else:
            query_label = f"member_rank, member at {label}"
            shown = "none" if answer is None else f"rank {answer[0]:,} ({answer[1]} days)"
            expected = built["picks"][label][1]
            check = "right" if (None if answer is None else tuple(answer)) == expected else "WRONG"
            target = f"<= {RANK_TARGET_MS:g} ms ({verdict(slow <= RANK_TARGET_MS)})"
        lines.append(
            [query_label, shown, check, f"{len(samples)}", f"{ms:.2f} ms", f"{slow:.2f} ms", target]
        )
    say(
        f"{built['rows']:,} streak rows ({built['live']:,} live) among {built['members']:,}"
        f" members; {calls} calls per query, fewer when they took over {BUDGET_SECONDS:g} s:\n"
    )
    say(table(["query", "answer", "check", "calls", "median", "p95", "target (on p95)"], lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
