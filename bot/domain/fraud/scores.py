"""Risk scores: the reasons of every signal combined per member and per pair.

A score is the chance that at least one of the independent signals is right, each signal being
right with its weight: 1 − Π(1 − weight) over distinct signals (the strongest reason of each).
So it lies in [0, 1], never falls when evidence is added, and one strong signal can hold on
its own while weak ones only add up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.fraud.evidence import Reason
from bot.domain.fraud.graph import RingEvidence, ring_reason
from bot.domain.fraud.thresholds import FraudThresholds
from bot.domain.streaks import Pair, pair_of


def strongest(reasons: Iterable[Reason]) -> tuple[Reason, ...]:
    """The strongest reason of each signal, strongest first (ties by signal name)."""
    best: dict[str, Reason] = {}
    for reason in reasons:
        if reason.signal not in best or reason.weight > best[reason.signal].weight:
            best[reason.signal] = reason
    return tuple(sorted(best.values(), key=lambda reason: (-reason.weight, reason.signal)))


def risk_score(reasons: Iterable[Reason]) -> float:
    """1 − Π(1 − weight) over the strongest reason of each signal; 0 without reasons."""
    remaining = 1.0
    for reason in strongest(reasons):
        remaining *= 1.0 - reason.weight
    return 1.0 - remaining


@dataclass(slots=True, frozen=True)
class MemberRisk:
    member: int
    score: float
    reasons: tuple[Reason, ...]

    @property
    def signals(self) -> tuple[str, ...]:
        """The names of the signals that fired (replay's `"flags"`)."""
        return tuple(reason.signal for reason in self.reasons)


@dataclass(slots=True, frozen=True)
class PairRisk:
    a: int
    b: int
    score: float
    reasons: tuple[Reason, ...]

    @property
    def pair(self) -> Pair:
        return (self.a, self.b)

    @property
    def signals(self) -> tuple[str, ...]:
        return tuple(reason.signal for reason in self.reasons)


def member_risks(
    reasons: Iterable[tuple[int, Reason]],
    thresholds: FraudThresholds,
    rings: Iterable[RingEvidence] = (),
) -> tuple[MemberRisk, ...]:
    """Every member with a reason, riskiest first (ties by ID). A ring's members each get its
    reason, weighed by `thresholds.weight_ring`."""
    by_member: dict[int, list[Reason]] = {}
    for member, reason in reasons:
        by_member.setdefault(member, []).append(reason)
    for ring in rings:
        reason = ring_reason(ring, thresholds)
        for member in ring.members:
            by_member.setdefault(member, []).append(reason)
    risks = [
        MemberRisk(member, risk_score(found), strongest(found))
        for member, found in by_member.items()
    ]
    return tuple(sorted(risks, key=lambda risk: (-risk.score, risk.member)))


def pair_risks(
    reasons: Iterable[tuple[Pair, Reason]],
    thresholds: FraudThresholds,
    rings: Iterable[RingEvidence] = (),
) -> tuple[PairRisk, ...]:
    """Every pair with a reason, riskiest first (ties by pair); pairs in either order. A ring's
    pairs (those inside that exchanged both ways) each get its reason."""
    by_pair: dict[Pair, list[Reason]] = {}
    for (a, b), reason in reasons:
        by_pair.setdefault(pair_of(a, b), []).append(reason)
    for ring in rings:
        reason = ring_reason(ring, thresholds)
        for pair in ring.pairs:
            by_pair.setdefault(pair, []).append(reason)
    risks = [
        PairRisk(a, b, risk_score(found), strongest(found)) for (a, b), found in by_pair.items()
    ]
    return tuple(sorted(risks, key=lambda risk: (-risk.score, risk.pair)))


def is_held(risk: MemberRisk | PairRisk, thresholds: FraudThresholds) -> bool:
    """Whether the day's rewards of this member or pair go to escrow instead of being paid."""
    return thresholds.enabled and risk.score >= thresholds.hold_threshold
