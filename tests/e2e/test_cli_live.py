"""`python -m bot run` and `python -m bot sandbox` as a new user runs them."""

from __future__ import annotations

from tests.replay.test_cli import streakbot


def test_run_without_a_token_points_to_the_sandbox(tmp_path):
    done = streakbot("run", cwd=tmp_path)
    assert done.returncode == 2
    assert "STREAKBOT_TOKEN" in done.stderr
    assert "python -m bot sandbox" in done.stderr
    assert "Traceback" not in done.stderr


def test_sandbox_runs_the_real_bot_over_simulated_days(tmp_path):
    done = streakbot("sandbox", "--days", "4", "--members", "6", "--seed", "3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Mon 02 Nov" in out
    assert "Thu 05 Nov" in out
    assert "Longest streaks" in out
    assert "Most tokens" in out
    assert "/streaks, as" in out
    # The sockpuppet ring farming every night is caught: its rewards wait in escrow.
    assert "/mod review, as a moderator sees it" in out
    assert "@xX_farm1 · risk" in out
    assert "held · " in out
    assert "Traceback" not in done.stderr


def test_sandbox_refuses_out_of_range_arguments(tmp_path):
    done = streakbot("sandbox", "--days", "0", cwd=tmp_path)
    assert done.returncode == 2
    assert "--days must be between 1 and 60" in done.stderr
