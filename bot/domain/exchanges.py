"""Rules 3 and 4: who engaged whom, and how."""

from __future__ import annotations

from collections.abc import Callable, Iterable

REPLY = "reply"
MENTION = "mention"
REACTION = "reaction"


def message_exchanges(
    author: int,
    reply_author: int | None,
    mentions: Iterable[int],
    is_human: Callable[[int], bool],
) -> tuple[int | None, tuple[int, ...]]:
    """The exchanges a counted message by `author` creates.

    Returns `(reply_target, mention_targets)`: the human replied to (if known, human and not the
    author) and every other human mentioned by user mention. One exchange per target: a target
    that is both replied to and mentioned gets only the reply (Discord adds the replied-to
    author to the mentions when the reply pings).
    """
    reply_target = None
    if reply_author is not None and reply_author != author and is_human(reply_author):
        reply_target = reply_author
    mention_targets: list[int] = []
    for target in mentions:
        duplicate = target in (author, reply_target) or target in mention_targets
        if not duplicate and is_human(target):
            mention_targets.append(target)
    return reply_target, tuple(mention_targets)


def reaction_target(user: int, message_author: int | None, author_is_human: bool) -> int | None:
    """Rule 4: a reaction is an exchange towards the message's author, if another human."""
    if message_author is None or message_author == user or not author_is_human:
        return None
    return message_author
