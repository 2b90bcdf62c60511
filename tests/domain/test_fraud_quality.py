"""Issue 5, message quality: meaningful length, emoji- and mention-only, repeated content."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.fraud import (
    EMOJI_ONLY,
    LOW_QUALITY,
    MENTION_ONLY,
    REPEATED,
    TOO_SHORT,
    FraudThresholds,
    QualityCounts,
    RecentContent,
    judge_message,
    low_quality,
    meaningful_chars,
    member_quality,
    normalise,
    pair_quality,
)

DEFAULTS = FraudThresholds()
SPAM = "earn $500 a day from home, DM me to learn how 💸 {code}"


def window(*contents: str) -> RecentContent:
    """An author's window after `contents`, judged in order with the default thresholds."""
    recent = RecentContent()
    for content in contents:
        _, recent = judge_message(content, recent, DEFAULTS)
    return recent


# --- meaningful characters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("lol", 3),
        ("ok!", 3),
        ("ok", 2),
        ("...", 3),
        (" a \t b\n", 2),
        ("<@123> hi", 2),
        ("<@!123>", 0),
        ("<@&123>", 0),
        ("<#123>", 0),
        ("<:pepe:123456>", 0),
        ("<a:dance:123456>", 0),
        ("😂😂", 0),
        ("❤️", 0),
        ("👍🏽", 0),
        ("🇫🇷", 0),
        ("👨‍👩‍👧", 0),
        ("1️⃣", 0),
        ("hello 😂 world", 10),
        ("@everyone", 9),
        ("<@abc>", 6),
        ("ça va", 4),
    ],
)
def test_meaningful_chars_drops_mentions_emoji_and_whitespace(content: str, expected: int):
    """Issue 5: length after removing mentions (user, role, channel), emoji and whitespace;
    punctuation and text that only looks like markup count."""
    assert meaningful_chars(content) == expected


@given(st.text())
def test_meaningful_chars_never_exceeds_the_length(content: str):
    assert 0 <= meaningful_chars(content) <= len(content)


@given(st.text(), st.sampled_from([" ", "\n", "😂", " <@42>", "<:pepe:1>", " 👍🏽 "]))
def test_meaningful_chars_ignores_added_whitespace_emoji_and_mentions(content: str, noise: str):
    """Adding noise never changes the count (plain ASCII and markup take different paths)."""
    assert meaningful_chars(content + noise) == meaningful_chars(content)


# --- normalisation for comparison --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("Hello,   WORLD!!", "hello world"),
        ("<@1> <@!2> free nitro 🎁 https://dlscord-gift.com/ab3k9", "free nitro"),
        ("it's 2 late_now", "it s late now"),
        ("code ab3k9 x1", "code abk x"),
        ("código ab3k9 😂", "código abk"),
        ("<:pepe:123> GG", "gg"),
        ("Straße", "strasse"),
    ],
)
def test_normalise_keeps_only_casefolded_words(content: str, expected: str):
    assert normalise(content) == expected


@given(st.text())
def test_normalise_ignores_a_trailing_emoji(content: str):
    """The plain-ASCII shortcut and the regex agree."""
    assert normalise(content + "😂") == normalise(content)


# --- low quality, one message ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "verdict"),
    [
        ("lol", None),
        ("ok!", None),
        ("same", None),
        ("ok", TOO_SHORT),
        ("ty", TOO_SHORT),
        (".", TOO_SHORT),
        ("k", TOO_SHORT),
        ("<@1> k", TOO_SHORT),
        ("<@1>", MENTION_ONLY),
        ("<@1> <@&2> <#3>", MENTION_ONLY),
        ("<@1> 👍", MENTION_ONLY),
        ("👍", EMOJI_ONLY),
        ("😂😂😂", EMOJI_ONLY),
        ("<:pepe:123>", EMOJI_ONLY),
        ("did anyone try the new raid yet", None),
    ],
)
def test_low_quality_verdicts(content: str, verdict: str | None):
    """Issue 5 with min_chars 3: "lol" (3) counts, "ok" (2) does not; a message of nothing but
    mentions or emoji does not count either."""
    assert low_quality(content) == verdict


@pytest.mark.parametrize("content", [None, "", "   "])
def test_nothing_to_judge_is_not_low_quality(content: str | None):
    """Unknown content (no message content intent) or an attachment-only post: counts."""
    assert low_quality(content) is None


@pytest.mark.parametrize(
    ("content", "min_chars", "verdict"),
    [
        ("abc", 3, None),
        ("ab", 3, TOO_SHORT),
        ("ab", 2, None),
        ("a", 0, None),
        ("👍", 0, EMOJI_ONLY),
        ("hello", 6, TOO_SHORT),
    ],
)
def test_min_chars_at_its_edge(content: str, min_chars: int, verdict: str | None):
    """Exactly min_chars meaningful characters is enough; emoji-only is its own rule."""
    assert low_quality(content, min_chars=min_chars) == verdict


# --- repeated content --------------------------------------------------------------------------


def test_the_same_spam_line_with_new_mentions_and_codes_is_repeated():
    """Issue 5: near-identical content from the same author, once mentions and codes are out."""
    recent = window(f"<@11> {SPAM.format(code='ab3k9xyz')}")
    assert low_quality(f"<@22> <@33> {SPAM.format(code='qq7mn2pr')}", 3, recent) == REPEATED
    assert low_quality(f"<@44> {SPAM.format(code='')} 🎉", 3, recent) == REPEATED


def test_case_and_punctuation_do_not_make_a_message_new():
    recent = window("Anyone up for the game night tonight?")
    assert low_quality("anyone up for the GAME NIGHT tonight!!!", 3, recent) == REPEATED


def test_honest_short_replies_repeat_freely():
    """People say "lol" all day: repeated short content is not spam (repeat_min_chars)."""
    recent = window(*["lol", "big if true", "same lol"] * 5)
    assert low_quality("lol", 3, recent) is None
    assert low_quality("big if true", 3, recent) is None
    assert recent.entries == ()


def test_honest_sentences_from_one_pattern_are_not_near_identical():
    """One word changed in six is a different message (Jaccard 5/7 < 0.8)."""
    recent = window("anyone up for a raid tonight", "i just fixed the test suite")
    assert low_quality("anyone up for a quest tonight", 3, recent) is None
    assert low_quality("i just broke the test suite", 3, recent) is None


@pytest.mark.parametrize(
    ("changed", "verdict"),
    [
        (1, REPEATED),  # 8 shared words, one different each side: 8/10 = 0.8
        (2, None),  # 7 shared, two different each side: 7/11
    ],
)
def test_repeat_similarity_at_its_edge(changed: int, verdict: str | None):
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"]
    first = " ".join(words)
    second = " ".join(words[:-changed] + [f"zulu{'x' * n}" for n in range(changed)])
    assert low_quality(second, 3, window(first)) == verdict


def test_the_window_forgets_the_oldest_message():
    """A bounded window: after recent_window other comparable messages the line is new again."""
    line = "reminder the tournament starts on friday"
    others = [f"the {noun} is underrated honestly" for noun in ("pizza", "ramen", "curry")]
    others += ["my sourdough starter finally worked", "who else watched the new show"]
    assert len(others) == DEFAULTS.recent_window
    assert low_quality(line, 3, window(line, *others[:-1])) == REPEATED
    assert low_quality(line, 3, window(line, *others)) is None


def test_judge_message_remembers_only_comparable_messages():
    recent = RecentContent()
    verdict, after = judge_message("lol", recent, DEFAULTS)
    assert (verdict, after) == (None, recent)
    verdict, after = judge_message(None, recent, DEFAULTS)
    assert (verdict, after) == (None, recent)
    verdict, after = judge_message("<@1> did anyone try the new raid", recent, DEFAULTS)
    assert verdict is None
    assert [text for text, _ in after.entries] == ["did anyone try the new raid"]


def test_judge_message_remembers_repeats_too_and_uses_the_guild_window():
    thresholds = FraudThresholds(recent_window=2)
    recent = RecentContent()
    verdicts = []
    for content in ["free nitro for everyone here", "free nitro for everyone here!"] * 3:
        verdict, recent = judge_message(content, recent, thresholds)
        verdicts.append(verdict)
    assert verdicts == [None, *[REPEATED] * 5]
    assert len(recent.entries) == 2


def test_recent_content_add_and_repeats_directly():
    recent = RecentContent(size=1).add("join my server for daily giveaways")
    assert recent.repeats("join my server for daily giveaways", 0.8)
    assert not recent.repeats("join my server for weekly raffles", 0.8)
    assert len(recent.add("something else entirely here").entries) == 1


@given(st.lists(st.text(min_size=12), max_size=30), st.integers(min_value=1, max_value=6))
def test_the_window_never_outgrows_its_size(contents: list[str], size: int):
    thresholds = FraudThresholds(recent_window=size)
    recent = RecentContent(size=size)
    for content in contents:
        _, recent = judge_message(content, recent, thresholds)
        assert len(recent.entries) <= size


# --- a member's day, a pair's window ----------------------------------------------------------


def counts(*verdicts: str | None) -> QualityCounts:
    tally = QualityCounts()
    for verdict in verdicts:
        tally = tally.add(verdict)
    return tally


def test_quality_counts_tally_each_verdict():
    tally = counts(None, TOO_SHORT, TOO_SHORT, EMOJI_ONLY, MENTION_ONLY, REPEATED)
    assert (tally.judged, tally.low, tally.too_short, tally.repeated) == (6, 5, 2, 1)
    assert tally.share == pytest.approx(5 / 6)
    assert QualityCounts().share == 0.0


def test_a_day_of_spam_is_flagged_with_counts_not_content():
    reason = member_quality(counts(None, None, *[REPEATED] * 18), DEFAULTS)
    assert reason is not None
    assert reason.signal == LOW_QUALITY
    assert reason.detail == "18 of 20 messages low quality (18 repeated)"
    assert reason.weight == pytest.approx(DEFAULTS.weight_low_quality * 0.9)


@pytest.mark.parametrize(
    ("good", "low", "fires"),
    [
        (5, 5, True),  # 10 judged, half low: the edge
        (6, 4, False),  # share below 0.5
        (4, 5, False),  # 9 judged: not enough evidence
    ],
)
def test_member_quality_at_its_edges(good: int, low: int, fires: bool):
    reason = member_quality(counts(*[None] * good, *[TOO_SHORT] * low), DEFAULTS)
    assert (reason is not None) is fires


def test_a_terse_honest_member_is_not_flagged():
    """The terse look-alike: 70 % short replies, of which about a third under 3 characters."""
    day = counts(*[None] * 15, *[TOO_SHORT] * 4, EMOJI_ONLY)
    assert member_quality(day, DEFAULTS) is None


def test_pair_quality_needs_fewer_exchanges_than_a_member_needs_messages():
    six = counts(*[MENTION_ONLY] * 3, *[TOO_SHORT] * 3)
    assert pair_quality(six, DEFAULTS) is not None
    assert member_quality(six, DEFAULTS) is None
    assert pair_quality(counts(*[TOO_SHORT] * 5), DEFAULTS) is None


@given(st.lists(st.sampled_from([None, TOO_SHORT, REPEATED]), min_size=10, max_size=40))
def test_more_low_quality_never_weighs_less(verdicts: list[str | None]):
    """Monotone in evidence: turning one good message into a bad one never lowers the weight."""
    before = member_quality(counts(*verdicts), DEFAULTS)
    worse = [TOO_SHORT if v is None else v for v in verdicts[:1]] + verdicts[1:]
    after = member_quality(counts(*worse), DEFAULTS)
    if before is not None:
        assert after is not None
        assert after.weight >= before.weight
