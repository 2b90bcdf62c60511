"""Pair signals: a pair whose exchanges are nothing but an immediate ping-pong, and a member whose
streak partners are all one closed group."""

from __future__ import annotations

import statistics
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

import networkx as nx

from bot.domain.fraud.evidence import CLOSED_PARTNERS, PING_PONG, Exchange, Reason
from bot.domain.fraud.graph import closure
from bot.domain.fraud.thresholds import FraudThresholds


@dataclass(slots=True, frozen=True)
class TurnStats:
    """A pair's turns over its recent days: an exchange answering the partner's last one
    within a conversation (`conversation_gap_seconds`), and how fast the answers came."""

    days: int
    """Days with at least one turn."""
    turns: int
    fast: int
    """Turns answered within `ping_pong_seconds`."""
    median_seconds: float | None

    @property
    def fast_share(self) -> float:
        return self.fast / self.turns if self.turns else 0.0


def _instant(exchange: Exchange) -> datetime:
    return exchange.at


def turn_stats(days: Mapping[date, Sequence[Exchange]], thresholds: FraudThresholds) -> TurnStats:
    """The turns of one pair: `days` maps each guild day of the window to the pair's exchanges
    (both directions; replies and mentions) on it. A conversation across midnight loses the
    one turn that crosses it.
    """
    people: set[int] = set()
    gaps: list[float] = []
    turn_days = 0
    for exchanges in days.values():
        ordered = sorted(exchanges, key=_instant)
        people.update({exchange[0] for exchange in ordered}, {exchange[1] for exchange in ordered})
        found = [
            seconds
            for before, after in pairwise(ordered)
            if after.src != before.src
            and (seconds := (after.at - before.at).total_seconds())
            <= thresholds.conversation_gap_seconds
        ]
        turn_days += bool(found)
        gaps += found
    if len(people) > 2:
        raise ValueError(f"turn_stats is for one pair, got exchanges among {sorted(people)}")
    fast = sum(1 for gap in gaps if gap <= thresholds.ping_pong_seconds)
    return TurnStats(turn_days, len(gaps), fast, statistics.median(gaps) if gaps else None)


def ping_pong(
    days: Mapping[date, Sequence[Exchange]], thresholds: FraudThresholds
) -> Reason | None:
    """A pair that (almost) only ever answers each other within seconds, with enough evidence:
    at least `ping_pong_min_days` days and `ping_pong_min_turns` turns, of which at least
    `ping_pong_min_share` immediate. Real friends talk at human pace: some fast answers in a
    lively thread, most after half a minute or more, so their share stays far below.
    """
    stats = turn_stats(days, thresholds)
    if (
        stats.days < thresholds.ping_pong_min_days
        or stats.turns < max(1, thresholds.ping_pong_min_turns)
        or stats.fast_share < thresholds.ping_pong_min_share
    ):
        return None
    detail = (
        f"{stats.fast} of {stats.turns} turns within {thresholds.ping_pong_seconds:g} s over"
        f" {stats.days} days (median {stats.median_seconds:.1f} s)"
    )
    return Reason(PING_PONG, detail, thresholds.weight_ping_pong)


def closed_partners(
    member: int, partners: Collection[int], graph: nx.Graph, thresholds: FraudThresholds
) -> Reason | None:
    """A member whose streak partners are all one closed group: at least `closed_min_partners`
    partners, connected among themselves in `graph` (one group, not friends from different
    circles), and the member with them keeping `closed_min_internal_share` of their exchanges
    inside. `graph` is the window's `graph.interaction_graph`.

    A closed group of old friends trips this too: it is a flag, weighed low, never a hold alone.
    """
    others = {partner for partner in partners if partner != member}
    if len(others) < max(1, thresholds.closed_min_partners):
        return None
    if any(partner not in graph for partner in others):
        return None
    if not nx.is_connected(graph.subgraph(others)):
        return None
    group = closure(graph, others | {member})
    if group.share < thresholds.closed_min_internal_share:
        return None
    detail = (
        f"all {len(others)} streak partners in one group of {len(others) + 1}:"
        f" {group.share:.0%} of {group.internal + group.external} exchanges inside"
    )
    return Reason(CLOSED_PARTNERS, detail, thresholds.weight_closed_partners)
