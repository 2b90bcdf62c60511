"""A small simulated community for the sandbox: friends who talk most days, some who drift.

Deterministic for a seed. Each day is a list of `Action`s in time order: a member says
something, maybe replying to or mentioning a friend, or reacts to a message. Friend pairs have
a closeness (the chance they engage each other on a day) and sometimes only one of them writes,
so streaks start, grow, freeze and break the way they do in a real server.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

NAMES = (
    "Ada", "Bram", "Chidi", "Dana", "Eun-ji", "Farid", "Gaia", "Hugo", "Ines", "Jonas",
    "Kemal", "Lena", "Mateo", "Noor", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tove",
)  # fmt: skip
# One member with a hostile display name: the bot must never let it ping anyone.
HOSTILE_NAME = "@everyone"
RING_NAMES = ("xX_farm1", "xX_farm2", "xX_farm3")
LINES = (
    "morning all", "anyone tried the new map?", "that build is wild", "lunch break!",
    "ok that made me laugh", "brb", "same here", "good luck today", "gg", "what's the plan?",
    "did you see the patch notes?", "sending coffee", "night everyone", "agreed",
    "how was the weekend?", "I finally beat that boss", "who's on tonight?", "nice screenshot",
    "the new season starts friday", "my cat walked on the keyboard again", "ha, true",
    "can someone explain the crafting tree?", "raid at eight?", "that trailer looked great",
    "I'm stuck on level four", "happy birthday!", "rain all day here", "sounds good to me",
    "which server are you on?", "new record!", "taking a break, back soon", "love this song",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Action:
    at: datetime
    kind: str  # "say" | "react"
    author: int  # index into the community's members
    text: str = ""
    reply_to: int | None = None  # index of an earlier "say" action of the same day
    mentions: tuple[int, ...] = ()


@dataclass(slots=True)
class Community:
    names: list[str]
    friends: dict[tuple[int, int], float] = field(default_factory=dict)
    """Friend pairs (i < j) and their closeness: the chance they talk to each other a day."""


def make_community(size: int, rng: random.Random) -> Community:
    names = [
        NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else str(i // len(NAMES) + 1))
        for i in range(size - 1)
    ]
    names.insert(rng.randrange(size), HOSTILE_NAME)
    community = Community(names)
    order = list(range(size))
    rng.shuffle(order)
    # Friend circles of 2-4, and a few friendships across circles.
    start = 0
    while start < size:
        circle = order[start : start + rng.choice((2, 3, 3, 4))]
        start += len(circle)
        for x in range(len(circle)):
            for y in range(x + 1, len(circle)):
                pair = tuple(sorted((circle[x], circle[y])))
                community.friends[pair] = rng.choice((0.97, 0.9, 0.75, 0.5))
    for _ in range(max(1, size // 4)):
        i, j = rng.sample(range(size), 2)
        community.friends.setdefault(tuple(sorted((i, j))), 0.35)
    return community


def day_actions(community: Community, day: date, rng: random.Random) -> list[Action]:
    """The day's actions in time order (UTC), between 08:00 and 23:30."""
    actions: list[tuple[datetime, Action]] = []
    start = datetime.combine(day, time(8), tzinfo=UTC)

    def moment() -> datetime:
        return start + timedelta(seconds=rng.randrange(0, 15 * 3600 + 1800))

    for (i, j), closeness in sorted(community.friends.items()):
        if rng.random() >= closeness:
            continue
        first, second = (i, j) if rng.random() < 0.5 else (j, i)
        opener = moment()
        actions.append(
            (opener, Action(opener, "say", first, rng.choice(LINES), mentions=(second,)))
        )
        if rng.random() < 0.9:  # usually the friend answers the same day
            answer = opener + timedelta(minutes=rng.randrange(2, 90))
            actions.append((answer, Action(answer, "say", second, rng.choice(LINES), reply_to=-1)))
        if rng.random() < 0.4:
            later = opener + timedelta(minutes=rng.randrange(1, 30))
            actions.append((later, Action(later, "react", second, "🔥", reply_to=-1)))
    for member in range(len(community.names)):  # chatter that engages nobody in particular
        for _ in range(rng.randrange(0, 3)):
            at = moment()
            actions.append((at, Action(at, "say", member, rng.choice(LINES))))
    # Everything stays within the day, so that its close (just after midnight) sees it all.
    last = datetime.combine(day, time(23, 58), tzinfo=UTC)
    actions = [
        (min(at, last), action if at <= last else _at(action, last)) for at, action in actions
    ]
    actions.sort(key=lambda item: item[0])
    return [_resolve(actions, n) for n in range(len(actions))]


def _resolve(actions: list[tuple[datetime, Action]], n: int) -> Action:
    """Point a reply or reaction (`reply_to=-1`) at the latest earlier message it answers: the
    friend's message that mentioned its author."""
    action = actions[n][1]
    if action.reply_to != -1:
        return action
    for m in range(n - 1, -1, -1):
        earlier = actions[m][1]
        if earlier.kind == "say" and action.author in earlier.mentions:
            return Action(action.at, action.kind, action.author, action.text, reply_to=m)
    return Action(action.at, "say", action.author, action.text)


def _at(action: Action, at: datetime) -> Action:
    return Action(at, action.kind, action.author, action.text, action.reply_to, action.mentions)


def ring_session(day: date, size: int, rng: random.Random) -> list[Action]:
    """A sockpuppet ring's nightly farming, after everyone else's day (23:59): three rounds in
    which each account answers the previous one and mentions the next, seconds apart, so that
    every pair of the ring engages both ways."""
    at = datetime.combine(day, time(23, 59), tzinfo=UTC)
    found = []
    for turn in range(3 * size):
        author = turn % size
        found.append(Action(at, "say", author, rng.choice(LINES), mentions=((author + 1) % size,)))
        at += timedelta(seconds=rng.randrange(3, 7))
    return found
