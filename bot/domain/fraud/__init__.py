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
from bot.domain.fraud.graph import (
    Closure,
    RingEvidence,
    closure,
    group_evidence,
    interaction_graph,
    median_turn_gap,
    mutual_graph,
    ring_reason,
    rings,
)
from bot.domain.fraud.pairs import TurnStats, closed_partners, ping_pong, turn_stats
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
from bot.domain.fraud.scores import (
    MemberRisk,
    PairRisk,
    is_held,
    member_risks,
    pair_risks,
    risk_score,
    strongest,
)
from bot.domain.fraud.thresholds import FraudThresholds

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
