"""The day's verdict: every signal run over one closed day's evidence, combined into risks and
the decision of whose rewards are held. The store gathers the evidence, this judges it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from bot.domain.exchanges import REACTION
from bot.domain.fraud.accounts import is_new, too_new
from bot.domain.fraud.burst import burst, guild_level
from bot.domain.fraud.evidence import Reason
from bot.domain.fraud.graph import interaction_graph, rings
from bot.domain.fraud.pairs import closed_partners, ping_pong, turn_stats
from bot.domain.fraud.quality import QualityCounts, member_quality, pair_quality
from bot.domain.fraud.scores import MemberRisk, PairRisk, is_held, member_risks, pair_risks
from bot.domain.fraud.thresholds import FraudThresholds
from bot.domain.streaks import Pair, pair_of


class LoggedExchange(NamedTuple):
    """An exchange as ingest logged it: who engaged whom, when, how, by which message (None for
    a reaction) and the message's quality verdict (None: it counted). Its first three fields
    are an `Exchange`'s, so the signals read it as one."""

    src: int
    dst: int
    at: datetime
    kind: str
    message: int | None
    verdict: str | None


@dataclass(slots=True, frozen=True)
class DayEvidence:
    """What the detector needs to judge one guild day."""

    at: datetime
    """The day's end: accounts and memberships are as old as they were then."""
    exchanges: Sequence[LoggedExchange]
    """The day's exchanges, low-quality messages' included."""
    window: Mapping[Pair, Mapping[date, Sequence[LoggedExchange]]] = field(default_factory=dict)
    """For each pair judged on the day (`window_pairs`): its replies and mentions (both ways)
    on each day of the pair window, the day included."""
    joined: Mapping[int, datetime] = field(default_factory=dict)
    """When members joined, where known (absent: long before anything was recorded)."""
    history: Mapping[int, Sequence[int]] = field(default_factory=dict)
    """Each member's exchanges made on their trailing days, oldest first, the day excluded."""
    partners: Mapping[int, Collection[int]] = field(default_factory=dict)
    """Each member's live streak partners."""
    founded: datetime | None = None
    """When the guild's tracking began (its first day): its founders are not newcomers."""


@dataclass(slots=True, frozen=True)
class DayVerdict:
    members: tuple[MemberRisk, ...] = ()
    pairs: tuple[PairRisk, ...] = ()
    made: Mapping[int, int] = field(default_factory=dict)
    """Exchanges each member made on the day (tomorrow's burst history)."""
    held_members: frozenset[int] = frozenset()
    held_pairs: frozenset[Pair] = frozenset()


def judge_day(evidence: DayEvidence, thresholds: FraudThresholds) -> DayVerdict:
    """Run every signal over the day and decide whose rewards are held."""
    exchanges = [e for e in evidence.exchanges if e.src != e.dst]
    made = Counter(e.src for e in exchanges)
    if not thresholds.enabled or not exchanges:
        return DayVerdict(made=dict(made))
    at, joined = evidence.at, evidence.joined
    people = made.keys() | {e.dst for e in exchanges}

    reasons: list[tuple[int, Reason]] = []
    for member in sorted(people):
        reason = too_new(member, joined.get(member), at, thresholds)
        if reason is not None:
            reasons.append((member, reason))
    reasons += _quality_reasons(exchanges, thresholds)
    reasons += _burst_reasons(made, evidence.history, thresholds)

    new = {
        member
        for member in people
        if is_new(member, joined.get(member), at, thresholds, evidence.founded)
    }
    # Rings are looked for around new members (graph.rings), and a closed circle of partners,
    # supporting evidence only (old friends are one too), where another signal fired: the
    # interaction graph is built from the exchanges touching those people, which holds every
    # edge either signal reads. A logged exchange starts like a plain one (src, dst, at).
    suspects = {member for member, _ in reasons}
    wanted = _within(exchanges, new, 2) | suspects
    wanted.update(*(evidence.partners.get(member, ()) for member in suspects))
    graph = interaction_graph(e for e in exchanges if e.src in wanted or e.dst in wanted)
    ringed = rings(exchanges, new, thresholds, graph) if new else ()
    suspects.update(member for ring in ringed for member in ring.members)
    for member in sorted(suspects & evidence.partners.keys()):
        if member in graph:
            reason = closed_partners(member, evidence.partners[member], graph, thresholds)
            if reason is not None:
                reasons.append((member, reason))

    pair_reasons: list[tuple[Pair, Reason]] = []
    for pair, days in evidence.window.items():
        # Cheap counts first: most pairs have too few days or exchanges for either signal.
        exchanged = sum(map(len, days.values()))
        if (
            len(days) >= thresholds.ping_pong_min_days
            and exchanged > thresholds.ping_pong_min_turns
        ):
            reason = ping_pong(days, thresholds)
            if reason is not None:
                pair_reasons.append((pair, reason))
        if exchanged < thresholds.pair_quality_min_exchanges:
            continue
        counts = QualityCounts.of(e.verdict for logged in days.values() for e in logged)
        reason = pair_quality(counts, thresholds)
        if reason is not None:
            pair_reasons.append((pair, reason))

    members = member_risks(reasons, thresholds, ringed)
    pairs = pair_risks(pair_reasons, thresholds, ringed)
    return DayVerdict(
        members=members,
        pairs=pairs,
        made=dict(made),
        held_members=frozenset(r.member for r in members if is_held(r, thresholds)),
        held_pairs=frozenset(r.pair for r in pairs if is_held(r, thresholds)),
    )


def _within(exchanges: Sequence[LoggedExchange], start: set[int], steps: int) -> set[int]:
    """`start` and everyone within `steps` mutual exchanges of it (both directions that day)."""
    if not start:
        return set()
    directed = {(e.src, e.dst) for e in exchanges}
    mutual: dict[int, set[int]] = {}
    for src, dst in directed:
        if src != dst and (dst, src) in directed:
            mutual.setdefault(src, set()).add(dst)
    found = set(start)
    for _ in range(steps):
        found.update(*(mutual.get(member, ()) for member in list(found)))
    return found


def _quality_reasons(
    exchanges: Sequence[LoggedExchange], thresholds: FraudThresholds
) -> list[tuple[int, Reason]]:
    """Each member's messages of the day (those that engaged someone), judged once each."""
    verdicts: dict[int, dict[int, str | None]] = {}
    for e in exchanges:
        if e.kind != REACTION and e.message is not None:
            verdicts.setdefault(e.src, {})[e.message] = e.verdict
    found = []
    for member, messages in sorted(verdicts.items()):
        if len(messages) < thresholds.quality_min_messages:
            continue
        reason = member_quality(QualityCounts.of(messages.values()), thresholds)
        if reason is not None:
            found.append((member, reason))
    return found


def _burst_reasons(
    made: Mapping[int, int], history: Mapping[int, Sequence[int]], thresholds: FraudThresholds
) -> list[tuple[int, Reason]]:
    """A member's day against their own history and the rest of the guild's day: the level is
    taken over the other members, or in a small guild (20 or fewer active) the burster's own
    count would always be the guild's 95 % level and nobody could burst."""
    counts = sorted(made.values())
    found = []
    for member in burst_candidates(made, thresholds):
        today = made[member]
        others = counts.copy()
        others.remove(today)
        level = guild_level(others, thresholds.burst_guild_quantile)
        reason = burst(today, history.get(member, ()), level, thresholds)
        if reason is not None:
            found.append((member, reason))
    return found


def pair_exchanges(exchanges: Iterable[LoggedExchange]) -> dict[Pair, list[LoggedExchange]]:
    """A day's replies and mentions by pair (both ways): what the pair signals read."""
    found: dict[Pair, list[LoggedExchange]] = {}
    for e in exchanges:
        if e.kind != REACTION and e.src != e.dst:
            found.setdefault(pair_of(e.src, e.dst), []).append(e)
    return found


def window_pairs(
    by_pair: Mapping[Pair, Sequence[LoggedExchange]], thresholds: FraudThresholds
) -> set[Pair]:
    """The pairs judged over their window, of a day's `pair_exchanges`: those whose day
    includes a low-quality message, or whose turns of the day were mostly immediate. A pair
    talking at human pace with content today is not farming today, whatever its past: its
    rewards of today are not in question (and judging every pair's fortnight would cost the
    most)."""
    judged = set()
    for pair, found in by_pair.items():
        if any(e.verdict is not None for e in found):
            judged.add(pair)
        elif len(found) > 1:
            today = turn_stats({None: found}, thresholds)
            if today.turns and today.fast_share >= thresholds.ping_pong_min_share:
                judged.add(pair)
    return judged


def burst_candidates(made: Mapping[int, int], thresholds: FraudThresholds) -> list[int]:
    """Members whose day could be a burst: above the margin, which every limit exceeds (the
    history of the others need not be read)."""
    return sorted(member for member, count in made.items() if count > thresholds.burst_margin)
