"""Issue 5, pair signals: immediate ping-pong and nothing else; partners all in one closed group."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.fraud import (
    CLOSED_PARTNERS,
    PING_PONG,
    Exchange,
    FraudThresholds,
    closed_partners,
    interaction_graph,
    ping_pong,
    turn_stats,
)

DEFAULTS = FraudThresholds()
ALICE, BOB, CAROL, DAN, ERIN, FRANK = 1, 2, 3, 4, 5, 6
D1 = date(2026, 3, 2)


def conversation(day: int, start: float, gaps: Sequence[float], first: int = ALICE):
    """Exchanges between ALICE and BOB on day `day` (1-based), alternating from `first`, the
    first at `start` seconds into the day and each next one `gap` seconds after the last."""
    second = BOB if first == ALICE else ALICE
    moment = datetime(2026, 3, 2, tzinfo=UTC) + timedelta(days=day - 1, seconds=start)
    out, speakers = [], (first, second)
    for index in range(len(gaps) + 1):
        if index:
            moment += timedelta(seconds=gaps[index - 1])
        src = speakers[index % 2]
        out.append(Exchange(src, speakers[1 - index % 2], moment))
    return out


def by_day(*conversations: list[Exchange]) -> dict[date, list[Exchange]]:
    days: dict[date, list[Exchange]] = {}
    for exchanges in conversations:
        for exchange in exchanges:
            days.setdefault(exchange.at.date(), []).append(exchange)
    return days


# --- ping-pong ---------------------------------------------------------------------------------


def test_colluders_ping_pong_every_day():
    """The collusion attack: 2 to 4 minimal messages 1 to 10 s apart, at one time, every day."""
    days = by_day(*(conversation(n, 20 * 3600, [2.8, 4.1][: 1 + n % 2]) for n in range(1, 8)))
    reason = ping_pong(days, DEFAULTS)
    assert reason is not None
    assert reason.signal == PING_PONG
    assert reason.detail == "11 of 11 turns within 15 s over 7 days (median 2.8 s)"
    assert reason.weight == DEFAULTS.weight_ping_pong


def test_daily_friends_at_human_pace_are_not_ping_pong():
    """The daily_friends look-alike: both ways every day for two weeks, replies at human
    delays (a median near 40 s, one in twenty within 10 s, now and then minutes)."""
    human = [38, 61, 9, 25, 140, 44, 30, 7, 95, 52, 33, 240]
    days = by_day(*(conversation(n, 19 * 3600 + n * 97, human[n % 3 :]) for n in range(1, 15)))
    stats = turn_stats(days, DEFAULTS)
    assert stats.days == 14
    assert stats.fast_share < 0.25
    assert ping_pong(days, DEFAULTS) is None


def test_friends_in_a_lively_thread_are_not_ping_pong():
    """Some days are a lively back-and-forth within seconds; most are not."""
    lively = [6, 9, 5, 11, 8]
    calm = [45, 80, 35, 120]
    days = by_day(
        *(conversation(n, 18 * 3600, lively if n % 3 == 0 else calm) for n in range(1, 15))
    )
    assert ping_pong(days, DEFAULTS) is None


def test_a_daily_greeting_hours_apart_is_no_turn():
    """Answers more than conversation_gap_seconds later start a conversation: no turn at all."""
    days = by_day(*(conversation(n, 8 * 3600, [6 * 3600]) for n in range(1, 15)))
    assert turn_stats(days, DEFAULTS).turns == 0
    assert ping_pong(days, DEFAULTS) is None


def test_the_same_speaker_twice_is_not_a_turn():
    start = datetime(2026, 3, 2, 12, tzinfo=UTC)
    exchanges = [
        Exchange(ALICE, BOB, start),
        Exchange(ALICE, BOB, start + timedelta(seconds=2)),
        Exchange(BOB, ALICE, start + timedelta(seconds=5)),
    ]
    stats = turn_stats({D1: list(reversed(exchanges))}, DEFAULTS)
    assert (stats.turns, stats.fast, stats.median_seconds) == (1, 1, 3.0)


@pytest.mark.parametrize(
    ("days", "turns_a_day", "fires"),
    [
        (2, 5, False),  # ten immediate turns but only two days
        (3, 1, False),  # three days but three turns
        (3, 2, True),  # three days, six turns: just enough
    ],
)
def test_ping_pong_needs_evidence(days: int, turns_a_day: int, fires: bool):
    exchanges = by_day(*(conversation(n, 3600, [3] * turns_a_day) for n in range(1, days + 1)))
    assert (ping_pong(exchanges, DEFAULTS) is not None) is fires


@pytest.mark.parametrize(("slow", "fires"), [(2, True), (3, False)])
def test_ping_pong_share_at_its_edge(slow: int, fires: bool):
    """Ten turns: eight immediate (0.8, the default share) fire, seven do not."""
    gaps = [3.0] * (10 - slow) + [60.0] * slow
    days = by_day(*(conversation(n, 3600, gaps[n * 2 : n * 2 + 2]) for n in range(5)))
    assert turn_stats(days, DEFAULTS).turns == 10
    assert (ping_pong(days, DEFAULTS) is not None) is fires


@pytest.mark.parametrize(("gap", "fast"), [(15.0, 1), (15.001, 0)])
def test_ping_pong_seconds_at_its_edge(gap: float, fast: int):
    assert turn_stats(by_day(conversation(1, 3600, [gap])), DEFAULTS).fast == fast


def test_turn_stats_are_for_one_pair():
    start = datetime(2026, 3, 2, 12, tzinfo=UTC)
    mixed = [Exchange(ALICE, BOB, start), Exchange(CAROL, ALICE, start)]
    with pytest.raises(ValueError, match="one pair"):
        turn_stats({D1: mixed}, DEFAULTS)


def test_no_exchanges_no_turns():
    assert turn_stats({}, DEFAULTS).fast_share == 0.0
    assert ping_pong({}, DEFAULTS) is None


@given(st.lists(st.floats(min_value=0.5, max_value=400), min_size=6, max_size=30))
def test_making_an_answer_faster_never_clears_a_pair(gaps: list[float]):
    """Monotone in evidence: a pair that is ping-pong stays so when an answer comes sooner
    (every gap here is within a conversation, so sooner never makes a new slow turn)."""
    days = by_day(*(conversation(n + 1, 3600, gaps[n::3]) for n in range(3)))
    if ping_pong(days, DEFAULTS) is None:
        return
    faster = [gaps[0] / 2, *gaps[1:]]
    assert ping_pong(by_day(*(conversation(n + 1, 3600, faster[n::3]) for n in range(3))), DEFAULTS)


# --- closed partners ---------------------------------------------------------------------------


def graph_of(*edges: tuple[int, int, int]):
    """An interaction graph from (src, dst, count) directed exchanges."""
    moment = datetime(2026, 3, 2, 12, tzinfo=UTC)
    return interaction_graph(
        Exchange(src, dst, moment) for src, dst, count in edges for _ in range(count)
    )


def test_partners_all_in_one_closed_group():
    graph = graph_of((ALICE, BOB, 5), (BOB, ALICE, 5), (ALICE, CAROL, 4), (CAROL, ALICE, 4))
    graph.add_edge(BOB, CAROL, weight=6, mutual=True)
    reason = closed_partners(ALICE, {BOB, CAROL}, graph, DEFAULTS)
    assert reason is not None
    assert reason.signal == CLOSED_PARTNERS
    assert reason.detail == "all 2 streak partners in one group of 3: 100% of 24 exchanges inside"
    assert reason.weight < DEFAULTS.hold_threshold


def test_partners_from_different_circles_are_not_a_group():
    """The fast_friend look-alike: a newcomer's partners are established members of two
    different friend groups, who do not talk to each other."""
    graph = graph_of((ALICE, BOB, 5), (BOB, ALICE, 5), (ALICE, CAROL, 4), (CAROL, ALICE, 4))
    assert closed_partners(ALICE, {BOB, CAROL}, graph, DEFAULTS) is None


def test_a_tight_group_with_outside_contacts_is_not_closed():
    graph = graph_of(
        (ALICE, BOB, 5), (BOB, ALICE, 5), (ALICE, CAROL, 5), (CAROL, ALICE, 5),
        (BOB, CAROL, 5), (CAROL, BOB, 5),
        (ALICE, DAN, 2), (BOB, ERIN, 3), (FRANK, CAROL, 2),
    )  # fmt: skip
    assert closed_partners(ALICE, {BOB, CAROL}, graph, DEFAULTS) is None


@pytest.mark.parametrize(("outside", "fires"), [(2, True), (3, False)])
def test_closed_share_at_its_edge(outside: int, fires: bool):
    """18 exchanges inside: with 2 outside the share is exactly 0.9 (the default), with 3 not."""
    graph = graph_of((ALICE, BOB, 6), (BOB, CAROL, 6), (CAROL, ALICE, 6), (ALICE, DAN, outside))
    assert (closed_partners(ALICE, {BOB, CAROL}, graph, DEFAULTS) is not None) is fires


def test_one_partner_or_an_unknown_partner_is_no_group():
    graph = graph_of((ALICE, BOB, 5), (BOB, ALICE, 5))
    assert closed_partners(ALICE, {BOB}, graph, DEFAULTS) is None
    assert closed_partners(ALICE, {BOB, ALICE}, graph, DEFAULTS) is None
    assert closed_partners(ALICE, {BOB, CAROL}, graph, DEFAULTS) is None
