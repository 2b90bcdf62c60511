"""Who is in the honest community: accounts, activity, friend groups, absences, newcomers, and
the honest look-alikes a fraud detector must leave alone.

- Activity is heavy-tailed (Pareto weights): a few members write most of it. The chance of
  being around on a day follows the activity rank: the busiest are there nearly every day.
- Founders (there before the log starts) have accounts months to years old; about 15 % of the
  members join during the period, at a time recorded by their member event. A newcomer's
  account is old for half of them, weeks old for some, brand new (created hours before the
  join) for a fifth: new accounts are not by themselves fraud.
- Friend groups of 1 to 7 members of alike activity (regulars with regulars; a group of 1 is
  someone who only talks in public threads), plus a few acquaintances across groups.
  Newcomers join an existing group (they were invited), pair up with another newcomer, or stay
  on their own. Friends share a home channel and mostly a timezone.
- In a quarter of the groups the two most regular members are best friends who talk nearly
  every day they are both around: the honest long streaks.
- People go quiet for a few days to three weeks (holidays), and some leave for good.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bench.fraud.world import (
    CHANNELS,
    DAY_MS,
    HOUR_MS,
    YEAR_MS,
    World,
    local_time,
    make_name,
)

NEWCOMER_SHARE = 0.15
WEEKEND_PRESENCE = 0.8
# A region per group: Europe, the Americas, Asia (hours from UTC).
SHIFTS = (1, 1, 1, 1, 1, -5, -5, -6, -8, 8)
GROUP_SIZES = (1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 7)
BESTIE_SHARE = 0.25
LOOKALIKE_KINDS = ("daily_friends", "tight_group", "fast_friend", "terse")


@dataclass(slots=True, eq=False)
class Member:
    """An honest member: who they are, how active, with whom, and when they are around."""

    index: int
    id: str
    name: str
    created_ms: int
    weight: float
    join_day: int = -1
    """Day of the join (-1: a founder, there from the start)."""
    join_ms: int | None = None
    regularity: float = 0.5
    group: int = -1
    shift: int = 0
    terse: float = 0.1
    leave_day: int | None = None
    away: set[int] = field(default_factory=set)
    acquaintances: list[Member] = field(default_factory=list)
    lookalike: str = ""
    lookalike_group: int = -1
    private: bool = False
    """Talks only within their own group (the tight friend group)."""
    always: bool = False
    """Around every day (look-alikes whose point is that they never miss one)."""

    def around(self, day: int) -> bool:
        """Can be around on `day` at all (joined, not gone, not away)."""
        return (
            self.join_day <= day
            and (self.leave_day is None or day < self.leave_day)
            and day not in self.away
        )


class Community:
    """The honest members and their relations, built from the seed's `community` stream."""

    def __init__(self, world: World) -> None:
        config = world.config
        rng = world.stream("community")
        ids = world.ids(rng)
        self.world = world
        days = config.days
        count = config.members
        newcomers = round(count * NEWCOMER_SHARE) if days > 1 else 0
        founders = count - newcomers
        start = world.start_ms
        self.members: list[Member] = []
        for index in range(count):
            weight = min(rng.paretovariate(1.3), 200.0)
            if index < founders:
                age = int((0.12 + 7.8 * rng.random() ** 0.8) * YEAR_MS)
                member = Member(index, "", "", start - age, weight)
            else:
                join_day = _join_day(rng, days)
                join_ms = world.day_start(join_day) + local_time(rng, rng.choice(SHIFTS))
                kind = rng.random()
                if kind < 0.5:
                    age = int(rng.uniform(0.3, 8) * YEAR_MS)
                elif kind < 0.8:
                    age = rng.randrange(3 * DAY_MS, 90 * DAY_MS)
                else:
                    age = rng.randrange(10 * 60_000, 2 * DAY_MS)
                weight *= 0.1 if rng.random() < 0.3 else 0.6  # lurkers, and finding their feet
                member = Member(index, "", "", join_ms - age, weight, join_day, join_ms)
            member.id = str(ids.at(member.created_ms))
            member.name = make_name(rng, world.names)
            member.terse = min(0.35, rng.betavariate(1.2, 9))
            self.members.append(member)
        self.members[founders:] = sorted(self.members[founders:], key=lambda m: m.join_ms or 0)
        for index, member in enumerate(self.members):
            member.index = index
        self.founders = self.members[:founders]
        self.newcomers = self.members[founders:]

        by_weight = sorted(self.members, key=lambda m: m.weight, reverse=True)
        for rank, member in enumerate(by_weight):
            share = 1 - rank / count
            member.regularity = min(0.97, 0.08 + 0.85 * share**0.7 + rng.uniform(-0.1, 0.1))
        for member in self.members:
            if member.join_day >= 0 and rng.random() < 0.25:
                member.leave_day = member.join_day + 1 + int(rng.expovariate(1 / 7))
            elif member.join_day < 0 and rng.random() < 0.07:
                member.leave_day = rng.randrange(1, max(2, days))
            for _ in range(_absences(rng, days)):
                first = rng.randrange(days)
                member.away.update(range(first, first + 2 + min(19, int(rng.expovariate(1 / 4)))))

        self.groups: list[list[Member]] = []
        self.lookalikes: list[list[Member]] = []
        reserved = self._lookalikes(rng) if config.lookalikes else set()
        self._founder_groups(rng, [m for m in self.founders if m.index not in reserved])
        self._newcomer_groups(rng, [m for m in self.newcomers if m.index not in reserved])
        self._acquaintances(rng)
        self._befriend(rng)
        self.besties = self._pick_besties(rng)
        self.home = [rng.randrange(CHANNELS) for _ in self.groups]
        for group in self.groups:
            shift = rng.choice(SHIFTS)
            for member in group:
                member.shift = shift if rng.random() < 0.85 else rng.choice(SHIFTS)
        for member in self.members:
            if member.group < 0:
                self._add_group([member])
                self.home.append(rng.randrange(CHANNELS))
                member.shift = rng.choice(SHIFTS)
        self.by_id = {member.id: member for member in self.members}

    def present(self, rng: random.Random, day: int, weekend: bool) -> list[Member]:
        """Who shows up on `day`: those around, each with their regularity (less on weekends)."""
        factor = WEEKEND_PRESENCE if weekend else 1.0
        rand = rng.random
        return [
            m
            for m in self.members
            if m.around(day) and (m.always or rand() < m.regularity * factor)
        ]

    def _add_group(self, group: list[Member]) -> int:
        number = len(self.groups)
        for member in group:
            member.group = number
        self.groups.append(group)
        return number

    def _founder_groups(self, rng: random.Random, founders: list[Member]) -> None:
        # Friends are alike: groups are cut from the members ordered by a noisy activity.
        order = sorted(founders, key=lambda m: m.weight * rng.lognormvariate(0, 0.6), reverse=True)
        position = 0
        while position < len(order):
            size = rng.choice(GROUP_SIZES)
            self._add_group(order[position : position + size])
            position += size

    def _newcomer_groups(self, rng: random.Random, newcomers: list[Member]) -> None:
        open_groups = [g for g in self.groups if 2 <= len(g) < 8 and not g[0].always]
        pending: Member | None = None
        for member in newcomers:
            draw = rng.random()
            if draw < 0.45 and open_groups:
                group = rng.choice(open_groups)
                group.append(member)
                member.group = group[0].group
            elif draw < 0.7:
                if pending is not None and member.join_day - pending.join_day <= 3:
                    self._add_group([pending, member])  # friends who join together
                    pending = None
                else:
                    pending = member
            # else: on their own (a group of one, made at the end)

    def _pick_besties(self, rng: random.Random) -> list[tuple[Member, Member]]:
        """In a quarter of the groups, the two most regular members (if they are regular at
        all) are best friends who talk nearly every day they are both around."""
        besties = []
        for group in self.groups:
            if len(group) < 2 or group[0].always or rng.random() >= BESTIE_SHARE:
                continue
            a, b = sorted(group, key=lambda m: m.regularity, reverse=True)[:2]
            if b.regularity >= 0.5:
                besties.append((a, b))
        return besties

    def _acquaintances(self, rng: random.Random) -> None:
        public = [m for m in self.members if not m.private]
        for member in public:
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                other = rng.choice(public)
                if other is not member and other not in member.acquaintances:
                    member.acquaintances.append(other)
                    other.acquaintances.append(member)

    def _lookalikes(self, rng: random.Random) -> set[int]:
        """The honest look-alikes (see README.md), reserved before the groups are cut."""
        world = self.world
        old = [m for m in self.founders if m.created_ms < world.start_ms - 1.5 * YEAR_MS]
        rng.shuffle(old)
        if len(old) < 11:
            raise ValueError(
                "too few long-standing members for the honest look-alikes:"
                " raise --members or pass --no-lookalikes"
            )
        reserved: set[int] = set()

        def settle(member: Member, kind: str, number: int) -> None:
            member.lookalike, member.lookalike_group = kind, number
            member.always, member.regularity, member.leave_day = True, 1.0, None
            member.away.clear()
            member.weight = max(member.weight, 3.0)
            reserved.add(member.index)

        for number in range(2):  # two real friends who talk every day
            pair = [old.pop(), old.pop()]
            for member in pair:
                settle(member, "daily_friends", number)
            self._add_group(pair)
            self.lookalikes.append(list(pair))
        tight = [old.pop() for _ in range(4)]  # a small friend group that keeps to itself
        for member in tight:
            settle(member, "tight_group", 0)
            member.private = True
        self._add_group(tight)
        self.lookalikes.append(list(tight))
        terse = [old.pop() for _ in range(3)]  # writes mostly "lol", "ok!", "same"
        for number, member in enumerate(terse):
            member.terse = 0.7
            member.regularity = max(member.regularity, 0.8)
            member.lookalike, member.lookalike_group = "terse", number
        self.lookalikes.append(terse)
        # A brand-new account that joins and befriends people across the server within days.
        days = world.config.days
        join_days = sorted({min(days - 1, max(1, days // 4)), min(days - 1, max(1, days // 3))})
        friendly = rng.sample(self.newcomers, min(len(join_days), len(self.newcomers)))
        for number, (newcomer, join_day) in enumerate(zip(friendly, join_days, strict=False)):
            newcomer.join_day = join_day
            newcomer.join_ms = world.day_start(join_day) + rng.randrange(8 * HOUR_MS, 14 * HOUR_MS)
            newcomer.created_ms = newcomer.join_ms - rng.randrange(10 * 60_000, 36 * HOUR_MS)
            newcomer.id = str(world.ids(rng).at(newcomer.created_ms))
            settle(newcomer, "fast_friend", number)
        self.newcomers.sort(key=lambda m: m.join_ms or 0)
        self.lookalikes.append(friendly)
        return reserved

    def _befriend(self, rng: random.Random) -> None:
        """Give each fast friend an established acquaintance in each of five groups."""
        groups = [g for g in self.groups if len(g) >= 2 and not g[0].private]
        for newcomer in self.members:
            if newcomer.lookalike != "fast_friend":
                continue
            for group in rng.sample(groups, min(5, len(groups))):
                friend = max(
                    (m for m in group if m.join_day < 0 and not m.lookalike),
                    key=lambda m: m.regularity,
                    default=None,
                )
                if friend is not None and friend not in newcomer.acquaintances:
                    friend.acquaintances.append(newcomer)
                    newcomer.acquaintances.append(friend)


def _join_day(rng: random.Random, days: int) -> int:
    """Newcomers arrive all along, some in waves (an announcement, a link shared elsewhere)."""
    if days <= 1:
        return 0
    if rng.random() < 0.3:
        return min(days - 1, (days // 3) * rng.choice((1, 2)) + rng.choice((0, 0, 1)))
    return rng.randrange(1, days)


def _absences(rng: random.Random, days: int) -> int:
    """How many quiet spells someone has in `days` (about one per two months on average)."""
    expected = days / 60
    count = 0
    while rng.random() < expected / (expected + 1) and count < 3:
        count += 1
    return count
