"""What the benchmark scripts share: isolated runs, statistics, the machine note, tables."""

from __future__ import annotations

import multiprocessing
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"  # git-ignored: generated inputs, scratch databases, results


def isolated(function: Callable[..., Any], *args: Any, as_the_cli: bool = True) -> Any:
    """`function(*args)` in a fresh (spawned) process: its own peak RSS, no warm caches, and
    (`as_the_cli`) the process settings of Streakbot's CLI (bot.runtime)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        if not as_the_cli:
            return pool.submit(function, *args).result()
        return pool.submit(_as_the_cli, function, *args).result()


def _as_the_cli(function: Callable[..., Any], *args: Any) -> Any:
    from bot.runtime import tune_gc

    tune_gc()
    return function(*args)


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB.

    Linux's `ru_maxrss` survives exec: a spawned child starts with its parent's peak at the
    fork. /proc/self/status's VmHWM belongs to the process's own address space, so it is
    read where it exists, and `ru_maxrss` (KiB on Linux) elsewhere.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    """The 95th percentile, nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def machine() -> str:
    """One line about where the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB RAM"
    except (ValueError, OSError):
        memory = ""
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {cpu}, {os.cpu_count()} cores{memory};"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version};"
        f" streakbot {revision()}"
    )


def revision() -> str:
    """The checked-out commit, marked `+dirty` when the tree has changes.

    BENCH_REVISION names it instead, for a tree that is not a checkout (e.g. `git archive`).
    """
    if os.environ.get("BENCH_REVISION"):
        return os.environ["BENCH_REVISION"]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "(not a git checkout)"
    return commit + ("+dirty" if dirty else "")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; columns of numbers are right-aligned."""
    cells = [[str(cell) for cell in row] for row in rows]
    columns = range(len(headers))
    widths = [max(len(headers[n]), *(len(row[n]) for row in cells)) for n in columns]
    right = [bool(cells) and all(_numeric(row[n]) for row in cells) for n in columns]

    def line(values: Sequence[str]) -> str:
        padded = [
            values[n].rjust(widths[n]) if right[n] else values[n].ljust(widths[n]) for n in columns
        ]
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * (widths[n] + 1) + (":" if right[n] else "-") for n in columns]
    return "\n".join([line(headers), "|" + "|".join(rule) + "|", *map(line, cells)])


def _numeric(text: str) -> bool:
    stripped = text.replace(",", "").replace(".", "").replace(" ", "").rstrip("%sxmMiBk×")
    return stripped.lstrip("~≤≥<>").isdigit()


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def say(text: str = "") -> None:
    print(text, flush=True)


def warn(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
