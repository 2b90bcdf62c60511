"""The labelled attacks, each a stream of its own (its own generator from the seed), written
through the same `World` builders as the honest community.

- `ring`: sockpuppet rings of new accounts created in a batch and joined within minutes of
  each other; once a day or more, a scripted session in which they reply to and mention each
  other within seconds with low-effort content; a few percent of their messages reply to an
  honest message as cover.
- `collusion`: pairs of long-standing members (who keep chatting honestly with their own
  friends) who, every day from some day on, ping-pong minimal messages ("." / "k" / an emoji /
  a bare mention) within seconds, at about the same time of day.
- `spam_bot`: an aged account, not flagged as a bot, posting a hundred messages a day of a few
  near-identical lines, mentioning or replying to whoever is around; moderators delete some,
  members tell it to stop.
- `burst`: long-standing members who, for a few days, reply to and mention dozens of people
  with generic praise ("nice!", "so true"); some of them answer, so new pairs qualify.

`outsiders.py` has the attacks by new accounts (rings, spam bots), `insiders.py` those by
long-standing members (collusion, bursts); README.md says why each is modelled this way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from bench.fraud.community import Community, Member
from bench.fraud.honest import Today
from bench.fraud.world import DAY_MS, HOUR_MS, World, make_name

ATTACK_KINDS = ("ring", "collusion", "spam_bot", "burst")


@dataclass(slots=True)
class Account:
    """A new account an attacker made (rings, spam bots)."""

    id: str
    name: str
    created_ms: int
    join_ms: int


@dataclass(slots=True)
class Label:
    """An attacker's entry in the labels file: which attack, which instance of it (ring,
    pair, ...), from which day (and to which, for bursts)."""

    attack: str
    group: int
    first_day: int
    last_day: int | None = None


class Attack(ABC):
    """One attack type: its members and labels, and what it writes each day."""

    kind = ""

    def __init__(self, world: World, community: Community) -> None:
        self.world, self.community = world, community
        self.rng = world.stream(f"attack:{self.kind}")
        self.ids = world.ids(self.rng)
        self.labels: dict[str, Label] = {}
        self.pairs: list[tuple[str, str]] = []

    @abstractmethod
    def day(self, day: int, today: Today) -> None:
        """Write the attack's events of `day` (after the honest ones, which `today` holds)."""

    def _new_account(self, created_ms: int, join_ms: int) -> Account:
        """An account whose ID encodes its creation, with a name like anyone's."""
        name = make_name(self.rng, self.world.names)
        return Account(str(self.ids.at(created_ms)), name, created_ms, join_ms)

    def _time(self, day: int, offset: int, earliest: int = 0) -> int:
        """An instant on `day` at `offset` into it (wrapped), not before `earliest`."""
        ms = self.world.day_start(day) + offset % DAY_MS
        if ms < earliest:
            ms = earliest + self.rng.randrange(0, HOUR_MS)
        return ms


def eligible(community: Community, taken: set[int]) -> list[Member]:
    """Who colludes or bursts: long-standing, ordinary members who stay, not look-alikes, of
    median to high activity (the top 5 % excepted) and around all along."""
    world = community.world
    founders = sorted(community.founders, key=lambda m: m.weight)
    low, high = founders[len(founders) // 2].weight, founders[len(founders) * 95 // 100].weight
    return [
        m
        for m in community.founders
        if not m.lookalike
        and m.leave_day is None
        and m.index not in taken
        and m.created_ms < world.start_ms - DAY_MS * 180
        and low <= m.weight <= high
        and m.regularity >= 0.4
        and not m.away  # around all along, so that their honest side shows
    ]
