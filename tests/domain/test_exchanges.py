"""Rules 2 to 4: counted messages, and the directed exchanges messages and reactions create."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.events import MessageEvent, is_counted
from bot.domain.exchanges import message_exchanges, reaction_target

ALICE, BOB, CAROL, DAVE = 101, 102, 103, 104
BOT = 900
BOTS = {BOT}


def is_human(user: int) -> bool:
    return user not in BOTS


def exchanges(author: int, reply_author: int | None = None, mentions=()):
    return message_exchanges(author, reply_author, mentions, is_human)


# --- rule 2 -------------------------------------------------------------------------------


def _message(**fields) -> MessageEvent:
    defaults = dict(id=1, guild=1, channel=1, author=ALICE, ts=datetime(2026, 11, 1, tzinfo=UTC))
    return MessageEvent(**(defaults | fields))


@pytest.mark.parametrize(
    ("fields", "counted"),
    [
        ({}, True),
        ({"reply_to": 7, "reply_to_author": BOB}, True),
        ({"bot": True}, False),
        ({"system": True}, False),
        ({"bot": True, "system": True}, False),
    ],
)
def test_rule_2_only_human_ordinary_messages_count(fields: dict, counted: bool):
    """Rule 2: bots and system messages are not counted; ordinary messages and replies are."""
    assert is_counted(_message(**fields)) is counted


# --- rule 3: replies ------------------------------------------------------------------------


def test_rule_3_reply_to_another_human_is_a_reply_exchange():
    """Rule 3: replying to B's message creates A→B of kind reply."""
    assert exchanges(ALICE, reply_author=BOB) == (BOB, ())


def test_rule_3_reply_to_self_is_no_exchange():
    """Rule 3: the reply target must be a human other than the author."""
    assert exchanges(ALICE, reply_author=ALICE) == (None, ())


def test_rule_3_reply_to_a_bot_is_no_exchange():
    """Rule 3: a bot is never an exchange target."""
    assert exchanges(ALICE, reply_author=BOT) == (None, ())


def test_rule_3_reply_to_an_unknown_author_is_no_reply():
    """Rule 3: without a known author there is no reply target, but mentions still count."""
    assert exchanges(ALICE, reply_author=None) == (None, ())
    assert exchanges(ALICE, reply_author=None, mentions=[BOB]) == (None, (BOB,))


# --- rule 3: mentions -----------------------------------------------------------------------


def test_rule_3_every_mentioned_human_is_a_mention_exchange():
    """Rule 3: one mention exchange for every other human mentioned."""
    reply, mentions = exchanges(ALICE, mentions=[BOB, CAROL, DAVE])
    assert reply is None
    assert sorted(mentions) == [BOB, CAROL, DAVE]


def test_rule_3_mentions_of_self_and_bots_are_ignored():
    """Rule 3: mentioning yourself or a bot creates nothing."""
    assert exchanges(ALICE, mentions=[ALICE, BOT]) == (None, ())
    assert exchanges(ALICE, mentions=[ALICE, BOT, BOB]) == (None, (BOB,))


def test_rule_3_repeated_mentions_make_one_exchange():
    """Rule 3: at most one exchange per (message, target)."""
    reply, mentions = exchanges(ALICE, mentions=[BOB, CAROL, BOB, BOB, CAROL])
    assert reply is None
    assert sorted(mentions) == [BOB, CAROL]


def test_rule_3_reply_target_also_mentioned_gets_only_the_reply():
    """Rule 3: reply wins over mention for the same target (Discord pings the replied-to)."""
    assert exchanges(ALICE, reply_author=BOB, mentions=[BOB]) == (BOB, ())
    reply, mentions = exchanges(ALICE, reply_author=BOB, mentions=[BOB, CAROL, BOB])
    assert reply == BOB
    assert mentions == (CAROL,)


def test_rule_3_reply_to_self_still_counts_mentions_of_others():
    """Rule 3: an ignored reply target does not swallow the message's mentions."""
    assert exchanges(ALICE, reply_author=ALICE, mentions=[ALICE, BOB]) == (None, (BOB,))
    assert exchanges(ALICE, reply_author=BOT, mentions=[BOT, CAROL]) == (None, (CAROL,))


# --- rule 4: reactions ----------------------------------------------------------------------


def test_rule_4_reaction_to_another_humans_message_is_an_exchange():
    """Rule 4: a reaction by U to M's message is U→M of kind reaction."""
    assert reaction_target(ALICE, BOB, author_is_human=True) == BOB


@pytest.mark.parametrize(
    ("message_author", "author_is_human"),
    [
        (ALICE, True),  # own message
        (BOT, False),  # a bot's message
        (None, True),  # the message's author is unknown
        (None, False),
    ],
)
def test_rule_4_reactions_without_another_human_author_are_no_exchange(
    message_author: int | None, author_is_human: bool
):
    """Rule 4: reacting to your own message, a bot's, or an unknown one creates nothing."""
    assert reaction_target(ALICE, message_author, author_is_human) is None
