"""Every number the fraud signals and scores use, with the defaults a typical community never trips.

These become the guild config's `[fraud]` section. Each default says why it is what it is; the
figures quoted come from `bench/fraud/README.md` (the simulated honest community and attacks).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

ON_EXPIRY = ("release", "void")


@dataclass(slots=True, frozen=True)
class FraudThresholds:
    """The `[fraud]` settings of a guild. Shares, quantiles, weights and the hold threshold are
    fractions (0 to 1); counts, days and seconds are not negative."""

    enabled: bool = True
    """Off: `is_held` holds nothing, and callers judge nothing (replay's output must be what it
    was before issue 5)."""

    # --- message quality (only when the content is known) ----------------------------------
    min_chars: int = 3
    """Meaningful characters a message needs (issue 5's default): "lol" and "ok!" count, "ok",
    "ty", "." and "k" do not. A real friend's two-letter answer earning nothing is the price
    of not paying for "." ping-pong; it is silent and costs one message, not the day."""
    recent_window: int = 5
    """Comparable messages remembered per author: spam cycles one or two lines, so five is
    plenty, and a small fixed size keeps the repeat check constant-time per message."""
    repeat_min_chars: int = 12
    """Normalised letters a message needs before its repetition matters: people repeat "lol",
    "same" and "big if true" all day (the longest common short reply has 9); spam lines and
    copy-paste run to dozens."""
    repeat_similarity: float = 0.8
    """Word-set overlap (Jaccard) from which two messages are near-identical: one fresh code in a
    ten-word line gives 0.83; two honest sentences from one pattern differing by one word in
    five to seven give at most 0.75."""

    # --- accounts ---------------------------------------------------------------------------
    min_account_age_days: float = 1
    """A Discord account younger than a day is the cheapest sockpuppet there is; an honest
    newcomer with a brand-new account loses at most its first day's streak credit."""
    min_member_days: float = 0
    """Off: the joining day is when honest newcomers are welcomed and answer; time in the guild
    is judged by the ring signal (below) instead."""
    new_account_days: float = 90
    """For rings, an account younger than this is new: ring accounts are created up to two
    weeks before joining and farm for weeks, so a month is not enough."""
    new_member_days: float = 30
    """For rings, a member who joined less than this ago is new (also catches rings of bought,
    older accounts during their first month), unless they joined in the guild's first this many
    days of tracking: in a young server everybody joined recently."""

    # --- pairs ------------------------------------------------------------------------------
    pair_window_days: int = 14
    """The recent days a pair's exchanges are judged over (the caller's window)."""
    conversation_gap_seconds: float = 600
    """An answer more than ten minutes after the partner's exchange starts a new conversation:
    it is no turn, fast or slow."""
    ping_pong_seconds: float = 15
    """A turn answered within this is immediate: colluders answer in 1 to 10 s; honest replies
    come within 10 s one time in twenty."""
    ping_pong_min_share: float = 0.8
    ping_pong_min_turns: int = 6
    ping_pong_min_days: int = 3
    """Evidence before ping-pong fires: a few fast answers between friends happen by chance."""
    closed_min_partners: int = 2
    """With one partner a member's "group" is the pair: that is the pair signals' business."""
    closed_min_internal_share: float = 0.9

    # --- quality over a member's day and over a pair's window ---------------------------------
    quality_min_messages: int = 10
    pair_quality_min_exchanges: int = 6
    quality_min_share: float = 0.5
    """Share of judged messages that were low quality before it is a member's or pair's
    pattern: the terse look-alikes (70 % short replies) have about a quarter below min_chars."""

    # --- rings on a day's interaction graph ---------------------------------------------------
    ring_min_size: int = 3
    """Two accounts are a pair, judged by the pair signals; rings of 3 to 10 are what is seen."""
    ring_min_internal_share: float = 0.85
    """Simulated rings keep 97.9 to 99.4 % of their exchanges inside over the period (3 % cover
    replies), but a ring of three has days with one cover reply in seven or nine exchanges."""
    ring_min_new_share: float = 0.6
    """"Mostly new": a ring may mix in an old account; an honest group with a newcomer is not
    mostly new."""
    ring_max_median_gap_seconds: float = 15
    """Scripted rings speak seconds apart (median 7 to 9 s); an honest group's median answer is
    half a minute, and even its liveliest threads run about 12 s."""
    ring_min_exchanges: int = 6
    """Internal exchanges on the day: a ring of three farming every pair both ways makes six."""
    ring_resolution: float = 1.0
    ring_seed: int = 0
    """Louvain's resolution and seed: the same day always gives the same groups."""

    # --- bursts -------------------------------------------------------------------------------
    burst_history_days: int = 28
    """The trailing days a member's usual level is taken over (the caller's window): longer
    than a holiday, so that coming back is measured against the days before it."""
    burst_factor: float = 5
    burst_margin: float = 30
    """Above their own history: more than factor × their usual day + margin exchanges, the
    usual day being the median of the days they were active. Burst farmers send 70 to 145
    against their usual 0 to 12; the margin spares a quiet member's one long conversation."""
    burst_guild_quantile: float = 0.95
    """And above the guild's day: more than this quantile of the other active members' counts
    (the others': in a guild of 20 or fewer the burster's own count would be the level), so a
    day when everybody is busy (an event, a launch) is nobody's burst."""
    burst_min_history_days: int = 4
    """A member needs this many days in the guild before anything is a burst: a first day is
    not a jump."""

    # --- weights: a reason's share of the risk; scores combine them (scores.py) ----------------
    weight_ring: float = 0.9
    weight_ping_pong: float = 0.8
    weight_burst: float = 0.8
    """The three signals specific enough to hold rewards on their own (all above
    hold_threshold): in the simulated community none of them fires on an honest member."""
    weight_low_quality: float = 0.5
    """Scaled by the low-quality share. Low-quality messages already count for nothing, so this
    flags but never holds on its own."""
    weight_closed_partners: float = 0.3
    """A closed group of old friends is honest (the tight-group look-alike): a flag, not a hold."""
    weight_too_new: float = 0.2
    """A new account is not fraud; the account gate keeps its exchanges out of streaks."""

    # --- holds --------------------------------------------------------------------------------
    hold_threshold: float = 0.75
    """Rings, ping-pong and bursts hold on their own; any mix of the weaker signals stays below
    (low quality + closed group + new account is 0.72)."""
    hold_days: int = 7
    on_expiry: str = "release"
    """What happens to a hold nobody reviewed within hold_days: "release" or "void"."""

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name in ("enabled", "on_expiry", "ring_seed"):
                continue
            if value < 0:
                raise ValueError(f"fraud.{field.name} cannot be negative ({value})")
            fraction = field.name.endswith(("_share", "_similarity", "_quantile", "_threshold"))
            if (fraction or field.name.startswith("weight_")) and value > 1:
                raise ValueError(f"fraud.{field.name} is between 0 and 1, not {value}")
        if self.recent_window < 1:
            raise ValueError("fraud.recent_window must remember at least one message")
        if self.ring_min_size < 2:
            raise ValueError("fraud.ring_min_size must be at least 2")
        if self.on_expiry not in ON_EXPIRY:
            raise ValueError(f"fraud.on_expiry is one of {ON_EXPIRY}, not {self.on_expiry!r}")
