"""Replay throughput and peak memory, end to end into a SQLite file.

    .venv/bin/python bench/bench_replay.py [--quick] [--repeat N] [--dce DIR]

(a) Throughput on a synthetic community from `bench/synth.py` (2,000 members, 20,000 messages
a day, 52 days: ~1M messages), the median of `--repeat` runs (target >= 50,000 messages/s).
(b) Peak memory on the same community at 13 to 208 days (~0.25 to 4M messages), one run each:
it must not grow with the length of the input (past what SQLite's page cache holds).
(c) The real DiscordChatExporter exports in ../shared/data/dce/ (direct-message exports are
skipped: `replay` refuses them), one at a time and all together.

Every run is a fresh spawned process that does what `python -m bot replay --db PATH FILE...`
does: `bot.replay.Replay` from opening the database to the finished file moved into place,
reports included; its peak RSS is its own high-water mark (see `_common.peak_rss_mib`).
Inputs are generated once into bench/out/ (named after the generator's source hash) and
reused.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import tempfile
import time
from pathlib import Path

from _common import (
    OUT,
    ROOT,
    isolated,
    machine,
    median,
    peak_rss_mib,
    say,
    table,
    verdict,
    warn,
)

TARGET_MESSAGES_PER_SECOND = 50_000
MEMBERS = 2_000
MESSAGES_PER_DAY = 20_000
SEED = 1
THROUGHPUT_DAYS = {"full": 52, "quick": 8}
MEMORY_DAYS = {"full": (13, 26, 52, 104, 208), "quick": (2, 4, 8, 16)}
DCE = ROOT.parent / "shared" / "data" / "dce"
SYNTH = Path(__file__).with_name("synth.py")


def synthetic(days: int) -> Path:
    """The synthetic community of `days` days, generated (in a child process) on first use."""
    version = hashlib.sha1(SYNTH.read_bytes()).hexdigest()[:8]
    path = OUT / f"synth-m{MEMBERS}-p{MESSAGES_PER_DAY}-d{days}-s{SEED}-{version}.jsonl"
    if not path.exists():
        started = time.perf_counter()
        lines = isolated(_generate, path, days)
        warn(f"generated {path.name}: {lines:,} lines in {time.perf_counter() - started:.1f} s")
    return path


def _generate(path: Path, days: int) -> int:
    from synth import generate

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        counts = generate(
            out, members=MEMBERS, days=days, messages_per_day=MESSAGES_PER_DAY, seed=SEED
        )
    partial.rename(path)
    return counts["lines"]


def replay_once(paths: list[str]) -> dict:
    """One replay in this (fresh) process: wall time, counts, peak RSS, database size."""
    from bot.guild_config import load_config
    from bot.replay import Replay

    config = load_config()
    baseline = peak_rss_mib()  # the interpreter and the imports, before any input is read
    with tempfile.TemporaryDirectory(prefix="streakbot-bench-") as scratch:
        db_path = Path(scratch) / "replay.db"
        started = time.perf_counter()
        result = asyncio.run(Replay([Path(p) for p in paths], config, db_path=db_path).run())
        wall = time.perf_counter() - started
        db_bytes = db_path.stat().st_size
    return {
        "messages": result.stats.messages,
        "events": result.events,
        "days_closed": result.days_closed,
        "pairs": sum(len(guild.streaks) for guild in result.guilds),
        "seconds": wall,
        "peak_rss_mib": peak_rss_mib(),
        "baseline_rss_mib": baseline,
        "db_mib": db_bytes / 2**20,
    }


def measure(paths: list[Path], repeat: int) -> dict:
    """`repeat` isolated runs: the median time, the largest peak RSS."""
    runs = [isolated(replay_once, [str(p) for p in paths]) for _ in range(repeat)]
    first = runs[0]
    seconds = median([run["seconds"] for run in runs])
    return {
        **first,
        "seconds": seconds,
        "runs": [run["seconds"] for run in runs],
        "messages_per_second": first["messages"] / seconds,
        "events_per_second": first["events"] / seconds,
        "peak_rss_mib": max(run["peak_rss_mib"] for run in runs),
    }


def real_exports(folder: Path) -> list[Path]:
    """The guild exports in `folder`; direct-message exports are left out (replay refuses them)."""
    from bot.ingest.replay_files import InputError, open_source

    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            open_source(path)
        except InputError as error:
            warn(f"skipping {path.name}: {error.problem}")
            continue
        found.append(path)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small inputs, one run each")
    parser.add_argument("--repeat", type=int, help="throughput runs (default 3, quick 1)")
    parser.add_argument("--dce", type=Path, default=DCE, help="folder of DCE exports")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    size = "quick" if args.quick else "full"
    repeat = args.repeat or (1 if args.quick else 3)
    results: dict = {"machine": machine(), "throughput": None, "memory": [], "real": []}
    say(f"## Replay ({results['machine']})\n")

    days = THROUGHPUT_DAYS[size]
    path = synthetic(days)
    warn(f"replaying {path.name} x{repeat} ...")
    run = results["throughput"] = {"input": path.name, "days": days, **measure([path], repeat)}
    rate = run["messages_per_second"]
    met = verdict(rate >= TARGET_MESSAGES_PER_SECOND)
    say(
        table(
            [
                "input",
                "messages",
                "events",
                "runs",
                "wall (median)",
                "messages/s",
                "events/s",
                "target",
            ],
            [
                [
                    f"synthetic, {days} days",
                    f"{run['messages']:,}",
                    f"{run['events']:,}",
                    " / ".join(f"{seconds:.1f}" for seconds in run["runs"]) + " s",
                    f"{run['seconds']:.1f} s",
                    f"{rate:,.0f}",
                    f"{run['events_per_second']:,.0f}",
                    f">= {TARGET_MESSAGES_PER_SECOND:,} ({met})",
                ]
            ],
        )
    )

    memory_rows = []
    for days in MEMORY_DAYS[size]:
        if days == results["throughput"]["days"]:
            run = results["throughput"]
        else:
            path = synthetic(days)
            warn(f"replaying {path.name} ...")
            run = {"input": path.name, "days": days, **measure([path], 1)}
        results["memory"].append(run)
        memory_rows.append(
            [
                f"synthetic, {days} days",
                f"{run['messages']:,}",
                f"{run['seconds']:.1f} s",
                f"{run['baseline_rss_mib']:.0f} MiB",
                f"{run['peak_rss_mib']:.0f} MiB",
                f"{run['db_mib']:.0f} MiB",
            ]
        )
    say()
    say(
        table(
            ["input", "messages", "wall", "RSS after imports", "peak RSS", "database"],
            memory_rows,
        )
    )
    low, high = results["memory"][0], results["memory"][-1]
    say(
        f"\nPeak RSS x{high['peak_rss_mib'] / low['peak_rss_mib']:.2f} for"
        f" x{high['messages'] / low['messages']:.1f} the messages"
        f" ({low['peak_rss_mib']:.0f} -> {high['peak_rss_mib']:.0f} MiB)."
    )

    exports = real_exports(args.dce) if args.dce.is_dir() else []
    if not exports:
        say(f"\nNo real exports in {args.dce}: skipped.")
    else:
        real_repeat = max(repeat, 3)
        real_rows = []
        for label, paths in [*((p.name, [p]) for p in exports), ("all together", exports)]:
            warn(f"replaying {label} x{real_repeat} ...")
            run = measure(paths, real_repeat)
            results["real"].append({"input": label, **run})
            real_rows.append(
                [
                    label,
                    f"{run['messages']:,}",
                    f"{run['days_closed']:,}",
                    f"{run['seconds'] * 1000:,.0f} ms",
                    f"{run['messages_per_second']:,.0f}",
                    f"{run['peak_rss_mib']:.0f} MiB",
                ]
            )
        say()
        say(
            table(
                [
                    "real export",
                    "messages",
                    "days closed",
                    "wall (median)",
                    "messages/s",
                    "peak RSS",
                ],
                real_rows,
            )
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
