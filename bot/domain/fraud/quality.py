"""Message quality: what is left of a message once mentions, emoji and whitespace are gone, and
whether its author just said the same thing.

Only judged when the content is known (`content is not None`): without Discord's message
content intent there is nothing to judge and every message counts. An empty content is an
attachment, sticker or embed post: there is no text to judge, and sharing a picture with a
friend is engagement, so it is not low quality either. A low-quality message counts for
nothing (no points, no exchange), silently.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.fraud.evidence import LOW_QUALITY, Reason
from bot.domain.fraud.thresholds import FraudThresholds

TOO_SHORT = "too_short"
EMOJI_ONLY = "emoji_only"
MENTION_ONLY = "mention_only"
REPEATED = "repeated"
VERDICTS = (TOO_SHORT, EMOJI_ONLY, MENTION_ONLY, REPEATED)
_DEFAULT_WINDOW = FraudThresholds().recent_window

# Discord's markup: user (and nickname), role and channel mentions, custom emoji; one `<`
# alternative so the regex engine tries the markup once per `<`, not once per kind.
_MENTION = r"<(?:@[!&]?|#)\d+>"
_MARKUP = r"<(?:@[!&]?\d+|#\d+|a?:\w+:\d+)>"
_KEYCAP = r"[0-9#*]\ufe0f?\u20e3"
# Unicode emoji without a dependency: the pictograph blocks, the older symbol blocks emoji
# borrow from, and the joiners, variation selectors, keycap and tag characters of sequences.
_EMOJI_CHARS = (
    r"\u00a9\u00ae\u203c\u2049\u2122\u2139\u2190-\u21ff\u2300-\u23ff\u24c2\u25a0-\u25ff"
    r"\u2600-\u27bf\u2900-\u297f\u2b00-\u2bff\u3030\u303d\u3297\u3299"
    r"\u200d\u20e3\ufe0e\ufe0f\U0001f000-\U0001faff\U000e0020-\U000e007f"
)
_MENTIONS = re.compile(_MENTION)
_NOT_MEANINGFUL = re.compile(rf"{_MARKUP}|{_KEYCAP}|[{_EMOJI_CHARS}\s]+")
# For comparing messages: links (their codes change), mentions (spam pings new people each
# time), custom emoji, punctuation and emoji go (a space: they separate words); digits go
# without a trace, so that a code like "ab3k9" stays one word and a number is no word.
_NOT_WORDS = re.compile(rf"https?://\S+|{_MARKUP}|[^\w\s]+|_+")
_DIGITS = re.compile(r"\d+")
# Most chat is plain ASCII without markup: no emoji, mention or link to find, only whitespace,
# digits and punctuation to drop, which bytes.translate does several times faster.
_ASCII_NOT_LETTERS = bytes(
    code if chr(code).isalnum() or chr(code).isspace() else ord(" ") for code in range(256)
)
_ASCII_DIGITS = b"0123456789"


def meaningful_chars(content: str) -> int:
    """Length of `content` without user, role and channel mentions, custom and unicode emoji
    and whitespace. Punctuation counts: "ok!" has 3."""
    if content.isascii() and "<" not in content:
        return len("".join(content.split()))
    return len(_NOT_MEANINGFUL.sub("", content))


def normalise(content: str) -> str:
    """The words of `content` for comparing messages: casefolded, without links, mentions,
    emoji, digits and punctuation, single-spaced ("Code ab3k9!" is "code abk")."""
    folded = content.casefold()
    if folded.isascii() and "<" not in folded and "http" not in folded:
        ascii_words = folded.encode().translate(_ASCII_NOT_LETTERS, _ASCII_DIGITS)
        return " ".join(ascii_words.decode().split())
    return " ".join(_DIGITS.sub("", _NOT_WORDS.sub(" ", folded)).split())


@dataclass(slots=True, frozen=True)
class RecentContent:
    """One author's last comparable messages (normalised), newest last, at most `size`."""

    entries: tuple[tuple[str, frozenset[str]], ...] = ()
    size: int = _DEFAULT_WINDOW

    def add(self, normalised: str) -> RecentContent:
        """This window with `normalised` remembered (the oldest forgotten when full)."""
        return self._with(normalised, frozenset(normalised.split()), self.size)

    def repeats(self, normalised: str, similarity: float) -> bool:
        """True when `normalised` equals a remembered message or shares at least `similarity`
        of its words with one (Jaccard): the same line with a fresh code is still the line."""
        return self._matches(normalised, frozenset(normalised.split()), similarity)

    def _with(self, normalised: str, words: frozenset[str], size: int) -> RecentContent:
        return RecentContent((*self.entries, (normalised, words))[-size:], size)

    def _matches(self, normalised: str, words: frozenset[str], similarity: float) -> bool:
        size = len(words)
        # Jaccard is at most the ratio of the two sizes: most pairs stop at this bound.
        low, high = similarity * size, size / similarity if similarity else float("inf")
        for text, seen in self.entries:
            if text == normalised:
                return True
            other = len(seen)
            if other < low or other > high:
                continue
            common = len(words & seen)
            if common >= similarity * (size + other - common):
                return True
        return False


def _letters(normalised: str) -> int:
    return len(normalised) - normalised.count(" ")


def low_quality(
    content: str | None,
    min_chars: int = 3,
    recent_contents: RecentContent | None = None,
    *,
    repeat_min_chars: int = 12,
    repeat_similarity: float = 0.8,
) -> str | None:
    """Why a message is low quality (`mention_only`, `emoji_only`, `too_short`, `repeated`),
    or None when it counts. None also when there is nothing to judge: content unknown or empty.

    Mention-only wins over emoji-only ("<@1> 👍" is a ping); a message with fewer than
    `min_chars` meaningful characters is too short; a long enough message (`repeat_min_chars`
    letters once normalised) is repeated when near-identical to one in `recent_contents`.
    """
    verdict, _ = _judge(content, min_chars, recent_contents, repeat_min_chars, repeat_similarity)
    return verdict


def judge_message(
    content: str | None, recent: RecentContent, thresholds: FraudThresholds
) -> tuple[str | None, RecentContent]:
    """`low_quality` with the guild's thresholds, and the author's window after this message
    (`recent_window` long): the one call ingest makes per message (one normalisation, a
    bounded comparison). Start each author with `RecentContent()`."""
    verdict, normalised = _judge(
        content,
        thresholds.min_chars,
        recent,
        thresholds.repeat_min_chars,
        thresholds.repeat_similarity,
    )
    if normalised is None:
        return verdict, recent
    return verdict, recent._with(*normalised, thresholds.recent_window)


def _judge(
    content: str | None,
    min_chars: int,
    recent: RecentContent | None,
    repeat_min_chars: int,
    similarity: float,
) -> tuple[str | None, tuple[str, frozenset[str]] | None]:
    """The verdict, and the normalised text and its words when the message is long enough to be
    compared (to be remembered)."""
    if content is None or not content.strip():
        return None, None
    meaningful = meaningful_chars(content)
    if meaningful == 0:
        return (MENTION_ONLY if _MENTIONS.search(content) else EMOJI_ONLY), None
    if meaningful < min_chars:
        return TOO_SHORT, None
    if meaningful < repeat_min_chars and content.isascii():
        # ASCII casefolds to itself, and normalising only removes characters: too short to
        # compare, without normalising (most short replies stop here).
        return None, None
    normalised = normalise(content)
    if _letters(normalised) < repeat_min_chars:
        return None, None
    entry = (normalised, frozenset(normalised.split()))
    if recent is not None and recent._matches(*entry, similarity):
        return REPEATED, entry
    return None, entry


@dataclass(slots=True, frozen=True)
class QualityCounts:
    """Verdicts tallied over a member's day or a pair's window (messages with content only)."""

    judged: int = 0
    too_short: int = 0
    emoji_only: int = 0
    mention_only: int = 0
    repeated: int = 0

    @classmethod
    def of(cls, verdicts: Iterable[str | None]) -> QualityCounts:
        """The tally of these verdicts (None: the message counted)."""
        tally = Counter(verdicts)
        return cls(sum(tally.values()), *(tally[verdict] for verdict in VERDICTS))

    def add(self, verdict: str | None) -> QualityCounts:
        """These counts with one more judged message of `verdict` (None: it counted)."""
        counts = [self.too_short, self.emoji_only, self.mention_only, self.repeated]
        if verdict is not None:
            counts[VERDICTS.index(verdict)] += 1
        return QualityCounts(self.judged + 1, *counts)

    @property
    def low(self) -> int:
        return self.too_short + self.emoji_only + self.mention_only + self.repeated

    @property
    def share(self) -> float:
        return self.low / self.judged if self.judged else 0.0


def member_quality(counts: QualityCounts, thresholds: FraudThresholds) -> Reason | None:
    """A member whose day is mostly low-quality messages (the spam bot, the ring account)."""
    return _quality_reason(counts, thresholds.quality_min_messages, "messages", thresholds)


def pair_quality(counts: QualityCounts, thresholds: FraudThresholds) -> Reason | None:
    """A pair whose exchanges over the window are mostly low-quality messages (collusion)."""
    return _quality_reason(counts, thresholds.pair_quality_min_exchanges, "exchanges", thresholds)


def _quality_reason(
    counts: QualityCounts, min_judged: int, noun: str, thresholds: FraudThresholds
) -> Reason | None:
    if counts.judged < max(1, min_judged) or counts.share < thresholds.quality_min_share:
        return None
    kinds = ", ".join(
        f"{getattr(counts, kind)} {kind.replace('_', ' ')}"
        for kind in VERDICTS
        if getattr(counts, kind)
    )
    detail = f"{counts.low} of {counts.judged} {noun} low quality ({kinds})"
    return Reason(LOW_QUALITY, detail, thresholds.weight_low_quality * counts.share)
