"""Streakbot: pair streaks, badges and a treasury-budgeted token economy for Discord communities."""

__version__ = "0.1.0"
