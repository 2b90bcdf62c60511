"""Issue 5's anti-fraud signals and scores, as pure functions over plain values.

Each signal returns its evidence and a `Reason` (or None when it does not fire); `scores`
combines reasons into per-member and per-pair risks. The modules follow the signals:

- `quality`: a message's meaningful length, emoji- or mention-only, repeated content;
- `accounts`: account age from the snowflake, time in the guild, the new-account gate;
- `pairs`: immediate ping-pong and nothing else; streak partners all in one closed group;
- `graph`: rings on a day's interaction graph (networkx Louvain communities);
- `burst`: a day far above the member's own history and the guild's;
- `scores`: reasons into `MemberRisk` / `PairRisk`, and whether a risk holds rewards.

All thresholds and weights are in `FraudThresholds` (the guild config's `[fraud]`).
"""

import importlib

from bot.domain.fraud.accounts import (
    account_age_days,
    is_new,
    member_days,
    snowflake_time,
    too_new,
)
from bot.domain.fraud.burst import burst, guild_level
from bot.domain.fraud.evidence import (
    BURST,
    CLOSED_PARTNERS,
    LOW_QUALITY,
    PING_PONG,
    RING,
    TOO_NEW,
    Exchange,
    Reason,
)
from bot.domain.fraud.quality import (
    EMOJI_ONLY,
    MENTION_ONLY,
    REPEATED,
    TOO_SHORT,
    QualityCounts,
    RecentContent,
    judge_message,
    low_quality,
    meaningful_chars,
    member_quality,
    normalise,
    pair_quality,
)
from bot.domain.fraud.thresholds import FraudThresholds

# The pair, graph and score modules need networkx, a large import: they load when one of their
# names is first used, so that ingest (which only judges message quality) never carries
# networkx in memory or in garbage-collection time.
_LAZY = {
    "Closure": "graph",
    "MemberRisk": "scores",
    "PairRisk": "scores",
    "RingEvidence": "graph",
    "TurnStats": "pairs",
    "closed_partners": "pairs",
    "closure": "graph",
    "group_evidence": "graph",
    "interaction_graph": "graph",
    "is_held": "scores",
    "median_turn_gap": "graph",
    "member_risks": "scores",
    "mutual_graph": "graph",
    "pair_risks": "scores",
    "ping_pong": "pairs",
    "ring_reason": "graph",
    "rings": "graph",
    "risk_score": "scores",
    "strongest": "scores",
    "turn_stats": "pairs",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "BURST",
    "CLOSED_PARTNERS",
    "EMOJI_ONLY",
    "LOW_QUALITY",
    "MENTION_ONLY",
    "PING_PONG",
    "REPEATED",
    "RING",
    "TOO_NEW",
    "TOO_SHORT",
    "Closure",
    "Exchange",
    "FraudThresholds",
    "MemberRisk",
    "PairRisk",
    "QualityCounts",
    "Reason",
    "RecentContent",
    "RingEvidence",
    "TurnStats",
    "account_age_days",
    "burst",
    "closed_partners",
    "closure",
    "group_evidence",
    "guild_level",
    "interaction_graph",
    "is_held",
    "is_new",
    "judge_message",
    "low_quality",
    "meaningful_chars",
    "median_turn_gap",
    "member_days",
    "member_quality",
    "member_risks",
    "mutual_graph",
    "normalise",
    "pair_quality",
    "pair_risks",
    "ping_pong",
    "ring_reason",
    "rings",
    "risk_score",
    "snowflake_time",
    "strongest",
    "too_new",
    "turn_stats",
]
