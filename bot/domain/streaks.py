"""Rules 6 to 8: which pairs qualify on a day, and what a day close does to a pair's streak.

The store runs the same rules as set-based SQL over every pair of a guild at once; these
functions are the reference it is tested against, one pair at a time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol


class TierRule(Protocol):
    name: str
    days: int
    tokens: int
    freezes: int


Pair = tuple[int, int]


def pair_of(a: int, b: int) -> Pair:
    """A pair is unordered: always stored with the smaller ID first."""
    return (a, b) if a < b else (b, a)


def qualifying_pairs(
    exchanges: Iterable[tuple[int, int, str]], counted: Collection[str], require_mutual: bool
) -> set[Pair]:
    """Rule 6: the pairs whose day's exchanges (src, dst, kind) make them qualify."""
    directions: dict[Pair, set[int]] = {}
    for src, dst, kind in exchanges:
        if kind in counted and src != dst:
            directions.setdefault(pair_of(src, dst), set()).add(src)
    needed = 2 if require_mutual else 1
    return {pair for pair, sources in directions.items() if len(sources) >= needed}


@dataclass(slots=True, frozen=True)
class PairStreak:
    current: int = 0
    best: int = 0
    last_day: date | None = None
    freezes: int = 0
    run_start: date | None = None

    @property
    def alive(self) -> bool:
        return self.current > 0


def close_pair(
    streak: PairStreak,
    qualifies: bool,
    day: date,
    tiers: Sequence[TierRule],
    max_freezes: int,
) -> tuple[PairStreak, tuple[TierRule, ...]]:
    """Rules 7 and 8 for one pair at the close of `day`: its new state and the tiers reached."""
    if qualifies:
        if streak.alive:
            current, run_start = streak.current + 1, streak.run_start
        else:
            current, run_start = 1, day
        reached = tuple(tier for tier in tiers if tier.days == current)
        freezes = streak.freezes
        if any(tier.freezes for tier in reached):
            freezes = min(max_freezes, freezes + sum(tier.freezes for tier in reached))
        updated = PairStreak(current, max(streak.best, current), day, freezes, run_start)
        return updated, reached
    if not streak.alive:
        return streak, ()
    if streak.freezes > 0:
        return replace(streak, freezes=streak.freezes - 1), ()
    return replace(streak, current=0), ()
