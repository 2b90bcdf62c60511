"""Issue 5, graph signals: rings on a day's interaction graph (networkx Louvain communities)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest

from bot.domain.fraud import (
    RING,
    Closure,
    Exchange,
    FraudThresholds,
    group_evidence,
    interaction_graph,
    median_turn_gap,
    mutual_graph,
    ring_reason,
    rings,
)
from bot.domain.fraud.graph import closure

DEFAULTS = FraudThresholds()
DAY = datetime(2026, 3, 20, tzinfo=UTC)

RING_ACCOUNTS = (101, 102, 103, 104, 105)
TIGHT = (1, 2, 3, 4)  # old friends who mostly keep to themselves
CROWD = (11, 12, 13, 14, 15, 16)  # another honest circle
OUTSIDERS = (21, 22, 23)


def at(seconds: float) -> datetime:
    return DAY + timedelta(seconds=seconds)


def scripted_session(members: Sequence[int], start: float, gap: float, rounds: int = 2):
    """A ring's script: members speak in turn `gap` seconds apart, each message an exchange
    with every other member (a reply and mentions), so every pair goes both ways."""
    out, moment = [], start
    for _ in range(rounds):
        for speaker in members:
            out += [Exchange(speaker, other, at(moment)) for other in members if other != speaker]
            moment += gap
    return out


def thread(members: Sequence[int], start: float, gaps: Iterable[float]):
    """An honest thread: speakers take turns, each replying to the one before."""
    out, moment, previous = [], start, members[-1]
    for index, gap in enumerate(gaps):
        speaker = members[index % len(members)]
        out.append(Exchange(speaker, previous, at(moment)))
        previous, moment = speaker, moment + gap
    return out


HUMAN = [38, 61, 25, 140, 44, 30, 95, 52, 33, 70, 41, 29] * 2


def both_ways(a: int, b: int, times: int, start: float) -> list[Exchange]:
    return [Exchange(x, y, at(start + 90 * n)) for n in range(times) for x, y in ((a, b), (b, a))]


def honest_day() -> list[Exchange]:
    """Two honest circles of old accounts at human pace, talking to each other and outsiders."""
    day = thread(TIGHT, 9 * 3600, HUMAN) + thread(TIGHT, 21 * 3600, HUMAN)
    day += thread(CROWD, 12 * 3600, HUMAN) + thread(CROWD[:3], 15 * 3600, HUMAN[:8])
    day += both_ways(1, 11, 2, 13 * 3600) + both_ways(2, 21, 2, 14 * 3600)
    day += both_ways(3, 22, 1, 16 * 3600) + both_ways(12, 23, 2, 17 * 3600)
    return day


def ring_day() -> list[Exchange]:
    """Five new accounts farming every pair seconds apart, with one cover reply to a stranger."""
    day = scripted_session(RING_ACCOUNTS, 20 * 3600, 7) + scripted_session(
        RING_ACCOUNTS, 23 * 3600, 8
    )
    return [*day, Exchange(101, 12, at(20 * 3600 + 3))]


# --- building blocks ---------------------------------------------------------------------------


def test_interaction_graph_sums_both_ways_and_marks_mutual_edges():
    graph = interaction_graph(
        [
            Exchange(1, 2, at(0)),
            Exchange(2, 1, at(5)),
            Exchange(1, 2, at(9)),
            Exchange(1, 3, at(9)),
            Exchange(4, 4, at(9)),
        ]
    )
    assert dict(graph[1][2]) == {"weight": 3, "mutual": True}
    assert dict(graph[1][3]) == {"weight": 1, "mutual": False}
    assert 4 not in graph
    assert sorted(mutual_graph(graph).edges) == [(1, 2)]


def test_closure_counts_inside_and_across():
    graph = interaction_graph(both_ways(1, 2, 3, 0) + both_ways(2, 3, 1, 0) + both_ways(3, 9, 1, 0))
    assert closure(graph, {1, 2, 3}) == Closure(internal=8, external=2)
    assert closure(graph, {1, 2, 3}).share == pytest.approx(0.8)
    assert closure(graph, {77}) == Closure(0, 0)
    assert Closure(0, 0).share == 0.0


def test_median_turn_gap_counts_answers_within_conversations():
    exchanges = [
        Exchange(1, 2, at(0)),
        Exchange(1, 3, at(0)),  # the same message's mention: no answer
        Exchange(2, 1, at(6)),
        Exchange(3, 1, at(14)),
        Exchange(1, 3, at(5000)),  # after a pause: no answer either
    ]
    assert median_turn_gap(reversed(exchanges), 600) == 7.0
    assert median_turn_gap(exchanges[:2], 600) is None


# --- rings -------------------------------------------------------------------------------------


def test_a_ring_of_new_accounts_is_found_among_honest_circles():
    """Issue 5: a group whose exchanges are almost all inside, mostly new, near-synchronous."""
    found = rings(honest_day() + ring_day(), set(RING_ACCOUNTS), DEFAULTS)
    assert len(found) == 1
    ring = found[0]
    assert ring.members == RING_ACCOUNTS
    assert ring.pairs == tuple(combinations(RING_ACCOUNTS, 2))
    assert ring.closure == Closure(internal=80, external=1)
    assert (ring.new_members, ring.new_share) == (5, 1.0)
    assert ring.median_gap_seconds == 7.5  # sessions 7 s and 8 s apart
    assert ring.is_ring(DEFAULTS)


def test_a_ring_reason_states_evidence_not_content():
    ring = rings(ring_day(), set(RING_ACCOUNTS), DEFAULTS)[0]
    reason = ring_reason(ring, DEFAULTS)
    assert reason.signal == RING
    assert reason.weight == DEFAULTS.weight_ring
    assert reason.detail == (
        "group of 5: 99% of 81 exchanges inside, 5 of 5 new,"
        " median 7.5 s between members' exchanges"
    )


def test_a_ring_is_still_found_when_a_stranger_answers_its_cover_reply():
    """An honest member answering once makes one mutual edge to the crowd: the ring stays apart."""
    day = honest_day() + ring_day() + [Exchange(12, 101, at(20 * 3600 + 60))]
    found = rings(day, set(RING_ACCOUNTS), DEFAULTS)
    assert [ring.members for ring in found] == [RING_ACCOUNTS]


def test_a_tight_group_of_old_friends_is_not_a_ring():
    """The tight_group look-alike: a circle of old accounts that talks mostly among itself,
    even fast some days, is not mostly new."""
    day = honest_day() + scripted_session(TIGHT, 19 * 3600, 6)
    assert rings(day, set(), DEFAULTS) == ()
    evidence = group_evidence(TIGHT, day, set(), DEFAULTS)
    assert evidence.new_members == 0
    assert not evidence.is_ring(DEFAULTS)


def test_a_closed_group_of_old_friends_is_not_a_ring_either():
    """Even with no outside contacts at all and seconds-apart answers: old accounts."""
    day = scripted_session(TIGHT, 19 * 3600, 5, rounds=3)
    assert group_evidence(TIGHT, day, set(), DEFAULTS).closure.share == 1.0
    assert rings(day, set(), DEFAULTS) == ()


def test_a_newcomer_befriending_established_members_is_not_a_ring():
    """The fast_friend look-alike: a brand-new account talking every day with members of two
    established circles lands in a community of old accounts."""
    newcomer = 99
    day = honest_day()
    day += thread((newcomer, 1, 2), 10 * 3600, [9, 12, 6, 8, 30, 11, 7, 10])
    day += thread((newcomer, 13, 14), 18 * 3600, [8, 14, 6, 40, 9, 12])
    assert rings(day, {newcomer}, DEFAULTS) == ()


def test_new_friends_talking_at_human_pace_are_not_a_ring():
    """Newcomers who joined together and keep to themselves, but answer like people do."""
    friends = (201, 202, 203, 204)
    day = thread(friends, 9 * 3600, HUMAN) + thread(friends, 20 * 3600, HUMAN)
    evidence = group_evidence(friends, day, set(friends), DEFAULTS)
    assert evidence.closure.share == 1.0
    assert evidence.median_gap_seconds is not None
    assert evidence.median_gap_seconds > DEFAULTS.ring_max_median_gap_seconds
    assert rings(day, set(friends), DEFAULTS) == ()


def test_two_new_accounts_are_a_pair_not_a_ring():
    """Below ring_min_size: a fast pair is the pair signals' business."""
    day = scripted_session((301, 302), 3600, 3, rounds=6)
    assert rings(day, {301, 302}, DEFAULTS) == ()


def test_no_mutual_exchange_no_ring():
    assert rings([], set(), DEFAULTS) == ()
    one_way = [Exchange(101, n, at(n)) for n in range(1, 6)]
    assert rings(one_way, {101}, DEFAULTS) == ()


def test_rings_are_deterministic():
    day = honest_day() + ring_day() + scripted_session((401, 402, 403), 5 * 3600, 4)
    new = {*RING_ACCOUNTS, 401, 402, 403}
    first = rings(day, new, DEFAULTS)
    assert first == rings(list(reversed(day)), new, DEFAULTS)
    assert [ring.members for ring in first] == [RING_ACCOUNTS, (401, 402, 403)]


# --- thresholds at their edges -----------------------------------------------------------------


def evidence_of(
    internal_pairs: int = 3, outside: int = 0, new: int = 3, gap: float = 7, size: int = 3
):
    """A group of `size` (201...) with `internal_pairs` scripted rounds, `outside` exchanges to
    a stranger, `new` of them new, speaking `gap` seconds apart."""
    members = tuple(range(201, 201 + size))
    day = scripted_session(members, 3600, gap, rounds=internal_pairs)
    day += [Exchange(201, 999, at(7200 + n)) for n in range(outside)]
    return group_evidence(members, day, set(members[:new]), DEFAULTS)


@pytest.mark.parametrize(("outside", "ring"), [(3, True), (4, False)])
def test_internal_share_at_its_edge(outside: int, ring: bool):
    """17 inside and 3 out is exactly 0.85 (the default); 17 and 4 is not."""
    members = (201, 202, 203)
    day = scripted_session(members, 3600, 7, rounds=3)[:17]
    day += [Exchange(201, 999, at(7200 + n)) for n in range(outside)]
    evidence = group_evidence(members, day, set(members), DEFAULTS)
    assert evidence.closure.internal == 17
    assert evidence.is_ring(DEFAULTS) is ring


@pytest.mark.parametrize(("new", "ring"), [(3, True), (2, False)])
def test_new_share_at_its_edge(new: int, ring: bool):
    """Three new of five is 0.6 (the default): "mostly new"; two of five is not."""
    assert evidence_of(size=5, new=new).is_ring(DEFAULTS) is ring


@pytest.mark.parametrize(("gap", "ring"), [(15.0, True), (15.5, False)])
def test_synchrony_at_its_edge(gap: float, ring: bool):
    assert evidence_of(gap=gap).is_ring(DEFAULTS) is ring


def test_a_ring_needs_enough_exchanges_inside():
    """Six internal exchanges: a ring of three farming every pair once each way."""
    members = (201, 202, 203)
    day = scripted_session(members, 3600, 7, rounds=1)
    assert group_evidence(members, day, set(members), DEFAULTS).is_ring(DEFAULTS)
    assert not group_evidence(members, day[:5], set(members), DEFAULTS).is_ring(DEFAULTS)


def test_ring_thresholds_can_be_tightened():
    strict = FraudThresholds(ring_min_size=4, ring_max_median_gap_seconds=5)
    assert rings(ring_day(), set(RING_ACCOUNTS), strict) == ()
    assert rings(scripted_session(RING_ACCOUNTS[:3], 0, 2), set(RING_ACCOUNTS), strict) == ()
