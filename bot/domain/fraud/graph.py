"""Graph signals: rings of accounts that talk almost only among themselves, are mostly new, and
speak seconds apart, found on a day's interaction graph with networkx.

Groups are Louvain communities of the *mutual* graph (an edge where both directions exist that
day): a ring's cover replies to strangers and a spam bot's pings are one-way and must not glue
a ring to the honest crowd. How closed a group is, though, is measured on every exchange, both
ways: the cover replies and the pings it receives count against it.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import networkx as nx

from bot.domain.fraud.evidence import RING, Exchange, Reason
from bot.domain.fraud.thresholds import FraudThresholds
from bot.domain.streaks import Pair, pair_of


def interaction_graph(exchanges: Iterable[Exchange]) -> nx.Graph:
    """The undirected graph of who exchanged with whom: edge `weight` is the number of
    exchanges both ways, `mutual` whether both directions happened. Self-exchanges are ignored.
    """
    directed = Counter((e[0], e[1]) for e in exchanges if e[0] != e[1])
    graph = nx.Graph()
    for (src, dst), count in directed.items():
        if graph.has_edge(src, dst):
            graph[src][dst]["weight"] += count
            graph[src][dst]["mutual"] = True
        else:
            graph.add_edge(src, dst, weight=count, mutual=False)
    return graph


def mutual_graph(graph: nx.Graph) -> nx.Graph:
    """The view of `graph` keeping only the edges used both ways."""
    return graph.edge_subgraph(
        (a, b) for a, b, mutual in graph.edges(data="mutual", default=False) if mutual
    )


@dataclass(slots=True, frozen=True)
class Closure:
    """How closed a group is: exchanges among its members, and between them and everyone else."""

    internal: int
    external: int

    @property
    def share(self) -> float:
        total = self.internal + self.external
        return self.internal / total if total else 0.0


def closure(graph: nx.Graph, group: Collection[int]) -> Closure:
    """Exchanges inside `group` and across its boundary, from `interaction_graph` weights."""
    members = [node for node in group if node in graph]
    if not members:
        return Closure(0, 0)
    cut = nx.cut_size(graph, members, weight="weight")
    volume = nx.volume(graph, members, weight="weight")
    return Closure(round((volume - cut) / 2), round(cut))


def median_turn_gap(exchanges: Iterable[Exchange], conversation_gap_seconds: float) -> float | None:
    """Median seconds between consecutive exchanges made by different people, within
    conversations (gaps over `conversation_gap_seconds` are a pause, not an answer); None when
    nobody ever answered anybody."""
    ordered = sorted(exchanges, key=lambda exchange: exchange.at)
    gaps = [
        seconds
        for before, after in pairwise(ordered)
        if after.src != before.src
        and (seconds := (after.at - before.at).total_seconds()) <= conversation_gap_seconds
    ]
    return statistics.median(gaps) if gaps else None


@dataclass(slots=True, frozen=True)
class RingEvidence:
    """What a group did on the day: who, how closed, how new, how synchronous."""

    members: tuple[int, ...]
    pairs: tuple[Pair, ...]
    """The pairs inside that exchanged both ways: the pairs a ring farms."""
    closure: Closure
    new_members: int
    median_gap_seconds: float | None

    @property
    def new_share(self) -> float:
        return _share(self.new_members, len(self.members))

    def is_ring(self, thresholds: FraudThresholds) -> bool:
        """Big enough, closed, mostly new and near-synchronous: all four, or it is a group."""
        gap = self.median_gap_seconds
        return (
            len(self.members) >= thresholds.ring_min_size
            and self.closure.internal >= thresholds.ring_min_exchanges
            and self.closure.share >= thresholds.ring_min_internal_share
            and self.new_share >= thresholds.ring_min_new_share
            and gap is not None
            and gap <= thresholds.ring_max_median_gap_seconds
        )

    def describe(self) -> str:
        """The evidence in words (no content): size, closure, newness, timing."""
        gap = "no answers"
        if self.median_gap_seconds is not None:
            gap = f"median {self.median_gap_seconds:.1f} s between members' exchanges"
        total = self.closure.internal + self.closure.external
        return (
            f"group of {len(self.members)}: {self.closure.share:.0%} of {total} exchanges inside,"
            f" {self.new_members} of {len(self.members)} new, {gap}"
        )


def group_evidence(
    group: Collection[int],
    exchanges: Sequence[Exchange],
    new_members: Collection[int],
    thresholds: FraudThresholds,
    graph: nx.Graph | None = None,
) -> RingEvidence:
    """The ring evidence of any `group` on a day's `exchanges` (`graph` when already built)."""
    graph = interaction_graph(exchanges) if graph is None else graph
    members = frozenset(group)
    inside = [e for e in exchanges if e.src in members and e.dst in members and e.src != e.dst]
    pairs = sorted(
        pair_of(a, b)
        for a, b, mutual in graph.subgraph(members).edges(data="mutual", default=False)
        if mutual
    )
    return RingEvidence(
        members=tuple(sorted(members)),
        pairs=tuple(pairs),
        closure=closure(graph, members),
        new_members=sum(1 for member in members if member in new_members),
        median_gap_seconds=median_turn_gap(inside, thresholds.conversation_gap_seconds),
    )


def rings(
    exchanges: Sequence[Exchange],
    new_members: Collection[int],
    thresholds: FraudThresholds,
    graph: nx.Graph | None = None,
) -> tuple[RingEvidence, ...]:
    """The rings of a day: Louvain communities of the mutual graph (seeded, so a day always
    gives the same answer) that meet every ring criterion, largest first.

    `exchanges`: the day's exchanges of every counted kind, low-quality messages' included;
    `new_members`: who is new on the day (`accounts.is_new`).
    """
    graph = interaction_graph(exchanges) if graph is None else graph
    # A ring is mostly new members: only groups around someone new need finding. Louvain runs
    # on what lies within two steps of a new member: their partners, and their partners' own
    # ties, which keep a partner with their friends rather than pulled into a ring they once
    # answered. Every criterion is still judged on the whole graph.
    mutual = mutual_graph(graph)
    around = {member for member in new_members if member in mutual}
    for _ in range(2):
        around.update(*(mutual.adj[member] for member in list(around)))
    mutual = mutual.subgraph(around)
    if mutual.number_of_edges() == 0:
        return ()
    communities = nx.community.louvain_communities(
        mutual, weight="weight", resolution=thresholds.ring_resolution, seed=thresholds.ring_seed
    )
    # Cheap checks first: most communities are honest friends with outside contacts, and their
    # timing never needs computing.
    candidates = [
        community
        for community in communities
        if len(community) >= thresholds.ring_min_size
        and _share(sum(1 for member in community if member in new_members), len(community))
        >= thresholds.ring_min_new_share
        and closure(graph, community).share >= thresholds.ring_min_internal_share
    ]
    owner = {member: index for index, community in enumerate(candidates) for member in community}
    inside: list[list[Exchange]] = [[] for _ in candidates]
    for exchange in exchanges if candidates else ():
        index = owner.get(exchange.src)
        if index is not None and owner.get(exchange.dst) == index:
            inside[index].append(exchange)
    found = []
    for community, internal in zip(candidates, inside, strict=True):
        evidence = group_evidence(community, internal, new_members, thresholds, graph)
        if evidence.is_ring(thresholds):
            found.append(evidence)
    return tuple(sorted(found, key=lambda ring: (-len(ring.members), ring.members)))


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def ring_reason(ring: RingEvidence, thresholds: FraudThresholds) -> Reason:
    """The reason every member and pair of a ring is given."""
    return Reason(RING, ring.describe(), thresholds.weight_ring)
