"""Process-wide settings of every Streakbot entry point (the CLI; the benchmarks run as it)."""

from __future__ import annotations

import gc

GC_THRESHOLDS = (10_000, 10, 10)
"""Python's default collects its youngest generation every 700 container allocations. Ingest
and the anti-fraud detector allocate many short-lived containers while a large set lives on
(the unflushed batch, the detector's window of recent exchanges), and the default then runs
dozens of full collections during a replay, each walking every live object: 3.4 s of a 17 s
replay of the 26-day synthetic community, 0.2 s with these thresholds (bench/README.md).
Cyclic garbage is rare here (plain data), so collecting it a little later costs nothing."""


def tune_gc() -> None:
    gc.set_threshold(*GC_THRESHOLDS)
