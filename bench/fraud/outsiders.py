"""Attacks by new accounts: sockpuppet rings and spam bots (see attacks.py and README.md)."""

from __future__ import annotations

from bench.fraud.attacks import Account, Attack, Label
from bench.fraud.chat import PUSHBACK, RING_LINES, SPAM_TEMPLATES, spam_line
from bench.fraud.community import Community
from bench.fraud.honest import Today
from bench.fraud.world import (
    CHANNELS,
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    SECOND_MS,
    YEAR_MS,
    World,
)

RING_COVER_RATE = 0.03


class Rings(Attack):
    """Sockpuppet rings: new accounts farming every pair of the ring, every day, by script."""

    kind = "ring"

    def __init__(self, world: World, community: Community, count: int, low: int, high: int):
        super().__init__(world, community)
        rng, days = self.rng, world.config.days
        self.rings: list[dict] = []
        for number in range(count):
            size = rng.randint(low, high)
            join_day = rng.randint(int(days * 0.25), max(int(days * 0.25), int(days * 0.6)))
            join_ms = world.day_start(join_day) + rng.randrange(20 * HOUR_MS)
            created = join_ms - rng.randrange(HOUR_MS, 14 * DAY_MS)
            members = []
            for _ in range(size):  # made in one sitting, joined in one sitting
                created += rng.randrange(20 * SECOND_MS, 40 * MINUTE_MS)
                join_ms += rng.randrange(30 * SECOND_MS, 20 * MINUTE_MS)
                members.append(self._new_account(created, join_ms))
            self.rings.append(
                {
                    "members": members,
                    "join_day": join_day,
                    "channel": rng.randrange(CHANNELS),
                    "hour": rng.randrange(DAY_MS),
                    "spacing": rng.randrange(2 * HOUR_MS, 7 * HOUR_MS),
                }
            )
            for account in members:
                self.labels[account.id] = Label("ring", number, join_day)
            self.pairs += [(a.id, b.id) for i, a in enumerate(members) for b in members[i + 1 :]]

    def day(self, day: int, today: Today) -> None:
        rng, world = self.rng, self.world
        for ring in self.rings:
            members: list[Account] = ring["members"]
            if day < ring["join_day"]:
                continue
            earliest = 0
            if day == ring["join_day"]:
                for account in members:
                    world.join(rng, self.ids, account.id, account.name, account.join_ms)
                earliest = members[-1].join_ms + rng.randrange(10 * MINUTE_MS, HOUR_MS)
            # Whom each account still has to reach today: every pair, both ways, every day.
            todo = {
                m.id: [o.id for o in rng.sample(members, len(members)) if o is not m]
                for m in members
            }
            sessions = rng.choice((1, 2, 2, 3))
            for session in range(sessions):
                jitter = int(rng.gauss(0, 10 * MINUTE_MS))
                offset = (ring["hour"] + session * ring["spacing"] + jitter) % DAY_MS
                ms = self._time(day, min(offset, DAY_MS - 30 * MINUTE_MS), earliest)
                last = session == sessions - 1
                self._session(members, ms, ring["channel"], today, todo, last)

    def _session(
        self,
        members: list[Account],
        ms: int,
        channel: int,
        today: Today,
        todo: dict[str, list[str]],
        last: bool,
    ) -> None:
        """The script's run: the accounts speak in turn, seconds apart, each replying to the one
        before and mentioning the next few it has not reached today (the rest in the day's last
        session); now and then one replies to an honest message instead, as cover."""
        rng, rand, world = self.rng, self.rng.random, self.world
        order = rng.sample(members, len(members))
        rounds = 1 + int(rng.uniform(0.5, 2))
        previous: tuple[str, Account] | None = None
        for position in range(rounds * len(order)):
            author = order[position % len(order)]
            final = position >= (rounds - 1) * len(order)
            if rand() < RING_COVER_RATE:
                target = today.recent(rng, ms)
                if target is not None:
                    line = rng.choice(RING_LINES)
                    world.post(rng, self.ids, ms, author.id, target[3], line, reply=target[1:3])
                    ms += SECOND_MS + int(rng.expovariate(1 / 8000))
            reply = None
            pending = todo[author.id]
            if previous is not None and previous[1] is not author and rand() < 0.7:
                reply = (previous[0], previous[1].id)
                if reply[1] in pending:
                    pending.remove(reply[1])
            count = len(pending) if last and final else min(len(pending), rng.choice((0, 1, 2, 3)))
            mentions = [pending.pop() for _ in range(count)]
            if reply is None and not mentions:
                mentions = [rng.choice([m.id for m in members if m is not author])]
            content = rng.choice(RING_LINES)
            if mentions and rand() < 0.5:
                content = " ".join(f"<@{m}>" for m in mentions) + (
                    "" if rand() < 0.5 else f" {content}"
                )
            message = world.post(
                rng, self.ids, ms, author.id, channel, content, reply=reply, mentions=mentions
            )
            if message is None:
                return
            if rand() < 0.25:
                reactor = rng.choice([m for m in members if m is not author])
                later = ms + rng.randrange(2 * SECOND_MS, 30 * SECOND_MS)
                world.react(rng, later, reactor.id, message, author.id, channel)
            previous = (message, author)
            ms += SECOND_MS + int(rng.expovariate(1 / 8000))


class SpamBots(Attack):
    """Unflagged spam accounts: near-identical lines at whoever is around, all day long."""

    kind = "spam_bot"

    def __init__(self, world: World, community: Community, count: int):
        super().__init__(world, community)
        rng, days = self.rng, world.config.days
        self.bots: list[dict] = []
        for number in range(count):
            join_day = rng.randint(int(days * 0.3), max(int(days * 0.3), int(days * 0.6)))
            join_ms = world.day_start(join_day) + rng.randrange(DAY_MS)
            created = join_ms - rng.randrange(20 * DAY_MS, YEAR_MS)  # bought or hijacked
            account = self._new_account(created, join_ms)
            lines = rng.sample(SPAM_TEMPLATES, rng.choice((1, 2)))
            self.bots.append({"account": account, "join_day": join_day, "lines": lines})
            self.labels[account.id] = Label("spam_bot", number, join_day)

    def day(self, day: int, today: Today) -> None:
        rng, world = self.rng, self.world
        for bot in self.bots:
            account: Account = bot["account"]
            if day < bot["join_day"]:
                continue
            earliest = 0
            if day == bot["join_day"]:
                world.join(rng, self.ids, account.id, account.name, account.join_ms)
                earliest = account.join_ms + rng.randrange(MINUTE_MS, 20 * MINUTE_MS)
            left = rng.randint(60, 150)
            while left > 0:
                ms = self._time(day, rng.randrange(DAY_MS), earliest)
                for _ in range(min(left, rng.randint(5, 15))):
                    left -= 1
                    self._spam(account, bot["lines"], ms, today)
                    ms += rng.randrange(15 * SECOND_MS, 90 * SECOND_MS)

    def _spam(self, account: Account, lines: list[str], ms: int, today: Today) -> None:
        rng, rand, world = self.rng, self.rng.random, self.world
        content = spam_line(rng, rng.choice(lines))
        channel = rng.randrange(CHANNELS)
        reply = None
        if rand() < 0.35:
            target = today.recent(rng, ms)
            if target is not None:
                reply, channel = target[1:3], target[3]
        victims = [m for m in today.present if m.join_ms is None or m.join_ms < ms]
        mentions = [m.id for m in rng.sample(victims, min(len(victims), rng.randint(1, 3)))]
        content = " ".join([*(f"<@{m}>" for m in mentions), content])
        message = world.post(
            rng, self.ids, ms, account.id, channel, content, reply=reply, mentions=mentions
        )
        if message is None:
            return
        if rand() < 0.08:  # a moderator removes it
            world.delete(ms + rng.randrange(MINUTE_MS, 45 * MINUTE_MS), message, channel)
        if rand() < 0.03 and mentions:  # somebody it pinged tells it to stop
            member = self.community.by_id[rng.choice(mentions)]
            later = ms + rng.randrange(20 * SECOND_MS, 5 * MINUTE_MS)
            text = (
                f"<@{account.id}> {rng.choice(PUSHBACK)}" if rand() < 0.5 else rng.choice(PUSHBACK)
            )
            world.post(rng, self.ids, later, member.id, channel, text, reply=(message, account.id))
