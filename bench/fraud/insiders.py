"""Attacks by long-standing members who otherwise chat honestly: colluding pairs and burst
farmers (see attacks.py and README.md)."""

from __future__ import annotations

from bench.fraud.attacks import Attack, Label, eligible
from bench.fraud.chat import BURST_LINES, COLLUSION_LINES, Chat
from bench.fraud.community import Community, Member
from bench.fraud.honest import Today
from bench.fraud.world import (
    CHANNELS,
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    SECOND_MS,
    World,
    local_time,
)


class Collusion(Attack):
    """Pairs of real members ping-ponging minimal messages within seconds, every day."""

    kind = "collusion"

    def __init__(self, world: World, community: Community, count: int, taken: set[int]):
        super().__init__(world, community)
        rng, days = self.rng, world.config.days
        pool = eligible(community, taken)
        rng.shuffle(pool)
        self.plans: list[dict] = []
        while len(self.plans) < count:
            if len(pool) < 2:
                raise ValueError(
                    f"too few long-standing members for {count} collusion pairs:"
                    " lower --collusion-pairs or raise --members"
                )
            a = pool.pop()
            # Not friends already: their exchanges are the farming, nothing else.
            b = next((m for m in pool if m.group != a.group and m not in a.acquaintances), None)
            if b is None:
                continue
            pool.remove(b)
            taken.update((a.index, b.index))
            number, first_day = len(self.plans), rng.randint(0, max(0, days // 4))
            self.plans.append(
                {
                    "pair": (a, b),
                    "first_day": first_day,
                    "habit": local_time(rng, a.shift),
                    "channel": rng.randrange(CHANNELS),
                    "last": {},
                }
            )
            for member in (a, b):
                self.labels[member.id] = Label("collusion", number, first_day)
            self.pairs.append((a.id, b.id))

    def day(self, day: int, today: Today) -> None:
        rng, rand, world = self.rng, self.rng.random, self.world
        for plan in self.plans:
            if day < plan["first_day"]:
                continue
            offset = min(plan["habit"] + int(rng.gauss(0, 45 * MINUTE_MS)), DAY_MS - 5 * MINUTE_MS)
            ms = self._time(day, max(0, offset))
            a, b = rng.sample(plan["pair"], 2)
            channel, last = plan["channel"], plan["last"]
            if b.id in last and rand() < 0.5:
                message = world.post(
                    rng,
                    self.ids,
                    ms,
                    a.id,
                    channel,
                    rng.choice(COLLUSION_LINES),
                    reply=(last[b.id], b.id),
                )
            else:
                message = world.post(
                    rng, self.ids, ms, a.id, channel, f"<@{b.id}>", mentions=[b.id]
                )
            rounds = 1 + (rand() < 0.5) + (rand() < 0.25)
            speaker, other = b, a
            for _ in range(rounds):
                if message is None:
                    break
                last[other.id] = message
                ms += SECOND_MS + min(int(rng.expovariate(1 / 2500)), 9 * SECOND_MS)
                line = rng.choice(COLLUSION_LINES)
                message = world.post(
                    rng, self.ids, ms, speaker.id, channel, line, reply=(message, other.id)
                )
                speaker, other = other, speaker
            if message is not None:
                last[other.id] = message


class Bursts(Attack):
    """Real members who, for a few days, reply to and mention everyone around."""

    kind = "burst"

    def __init__(self, world: World, community: Community, count: int, taken: set[int]):
        super().__init__(world, community)
        rng, days = self.rng, world.config.days
        earliest = max(4, days // 2)
        if count and days - earliest < 2:
            raise ValueError("a burst needs 6 days (4 of history, 2 of burst): pass --bursts 0")
        pool = eligible(community, taken)
        rng.shuffle(pool)
        if len(pool) < count:
            raise ValueError(
                f"too few long-standing members for {count} burst farmers:"
                " lower --bursts or raise --members"
            )
        self.plans: list[dict] = []
        self.chat = Chat(rng)
        for number in range(count):
            member = pool.pop()
            taken.add(member.index)
            length = min(rng.randint(3, 5), days - earliest)
            first_day = rng.randint(earliest, days - length)
            self.plans.append({"member": member, "days": range(first_day, first_day + length)})
            self.labels[member.id] = Label("burst", number, first_day, first_day + length - 1)

    def day(self, day: int, today: Today) -> None:
        for plan in self.plans:
            if day in plan["days"]:
                self._farm(plan["member"], day, today)

    def _farm(self, member: Member, day: int, today: Today) -> None:
        rng, rand, world = self.rng, self.rng.random, self.world
        left = rng.randint(60, 130)
        others = [m for m in today.present if m is not member and m.join_ms is None]
        while left > 0:
            ms = self._time(day, min(local_time(rng, member.shift), DAY_MS - HOUR_MS))
            for _ in range(min(left, rng.randint(10, 25))):
                left -= 1
                ms += 5 * SECOND_MS + int(rng.expovariate(1 / 40_000))
                target = today.recent(rng, ms, exclude=member.id) if rand() < 0.7 else None
                content = rng.choice(BURST_LINES)
                if target is not None:
                    channel, reply, mentions = target[3], target[1:3], None
                    partner = self.community.by_id.get(target[2])
                else:
                    channel, reply = rng.randrange(CHANNELS), None
                    named = rng.sample(others, min(len(others), rng.choice((1, 1, 2))))
                    mentions = [m.id for m in named] or None
                    content = " ".join(f"<@{m.id}>" for m in named) + f" {content}"
                    partner = named[0] if named else None
                message = world.post(
                    rng, self.ids, ms, member.id, channel, content, reply=reply, mentions=mentions
                )
                if message is not None and partner is not None and rand() < 0.3:
                    # Some answer: that is what turns the farming into qualifying pairs.
                    later = ms + int((5 + rng.lognormvariate(3.4, 0.9)) * SECOND_MS)
                    text = self.chat.line(partner.terse, channel)
                    world.post(
                        rng, self.ids, later, partner.id, channel, text, reply=(message, member.id)
                    )
