"""The process settings every entry point applies (bot.runtime)."""

from __future__ import annotations

import gc

from bot.__main__ import main
from bot.runtime import GC_THRESHOLDS
from tests.conftest import FIXTURES


def test_the_cli_runs_with_streakbots_gc_thresholds(capsys) -> None:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's defaults
    try:
        code = main(["replay", "--config", str(FIXTURES / "spark_flame.toml"),
                     str(FIXTURES / "week.jsonl")])  # fmt: skip
        assert code == 0
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.set_threshold(*before)
    assert "Pairs that ever qualified" in capsys.readouterr().out
