"""The honest community's days: conversations among friends, with human timing.

A day has a message volume (weekends at 0.6 of a weekday, ±15 % noise) spent in threads.
Someone present starts one (weighted by activity) at a time drawn from their local diurnal
curve, in their group's home channel most of the time; present friends join it, acquaintances
sometimes, and a stranger or two in public threads. Speakers follow their activity; each
message takes a human delay: a second and a half, plus a lognormal pause with a median near
25 s (7 s in the lively threads, three in ten), plus typing time for longer messages, and now
and then minutes. A third of messages are Discord replies to an earlier message of the thread,
one in ten mentions someone, some get emoji reactions minutes later, about 1 % are deleted.

Before the open threads, each day has its regular ones: best friends' daily thread, groups of
regulars hanging out, and the look-alikes' guaranteed threads (see README.md).
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass, field

from bench.fraud.chat import EMOJI, Chat
from bench.fraud.community import Community, Member
from bench.fraud.world import CHANNELS, DAY_MS, MINUTE_MS, SECOND_MS, World, local_time

WEEKEND_VOLUME = 0.6
REPLY_RATE = 0.33
MENTION_RATE = 0.1
ABSENT_MENTION_RATE = 0.02  # "@x you missed this": one-sided, someone not in the thread
REACTION_RATE = 0.15
DELETE_RATE = 0.01
BOT_COMMAND_RATE = 0.003
YESTERDAY_REPLY_RATE = 0.08  # a thread that opens by replying to a friend's earlier message
PAUSE_RATE = 0.07
LOG_MEDIAN_GAP = math.log(25.0)
BESTIE_DAILY = 0.95
FAST_THREAD_RATE = 0.3  # a lively back-and-forth: replies within seconds are human too
LOG_FAST_GAP = math.log(7.0)
# The look-alikes' daily threads start early enough to finish their opening the same day.
OPENING_LATEST = DAY_MS - 2 * 3_600_000


@dataclass(slots=True)
class Today:
    """A day's honest messages, for attackers to reply to, and who is around."""

    day: int
    present: list[Member]
    messages: list[tuple[int, str, str, int]] = field(default_factory=list)
    """(ms, message ID, author ID, channel), sorted by time once the day is written."""
    keys: list[int] = field(default_factory=list)

    def recent(
        self, rng: random.Random, ms: int, exclude: str = ""
    ) -> tuple[int, str, str, int] | None:
        """One of the last 30 messages before `ms` (not by `exclude`); None if there is none."""
        end = bisect.bisect_left(self.keys, ms)
        for _ in range(4):
            if end == 0:
                return None
            found = self.messages[rng.randrange(max(0, end - 30), end)]
            if found[2] != exclude:
                return found
        return None


class HonestChat:
    """Writes the honest community's events, a day at a time."""

    def __init__(self, world: World, community: Community) -> None:
        self.world, self.community = world, community
        self.rng = world.stream("honest")
        self.ids = world.ids(self.rng)
        self.chat = Chat(self.rng)
        self.latest: dict[int, tuple[str, str, int, int]] = {}
        """Each member's latest message written so far: (ID, author, channel, ms)."""
        self._previous: dict[int, tuple[str, str, int, int]] = {}
        """`latest` as the day began: what a thread may open by replying to."""
        self._present_flags = bytearray(len(community.members))

    def day(self, day: int) -> Today:
        """Write `day`'s joins and threads; return its messages for the attacks to use."""
        world, rng, community = self.world, self.rng, self.community
        start = world.day_start(day)
        for member in community.newcomers:
            if member.join_day == day:
                world.join(rng, self.ids, member.id, member.name, member.join_ms)
        present = community.present(rng, day, world.weekend(day))
        today = Today(day, present)
        self._previous = dict(self.latest)
        self._present_flags = bytearray(len(community.members))
        for member in present:
            self._present_flags[member.index] = 1
        volume = world.config.volume * (WEEKEND_VOLUME if world.weekend(day) else 1.0)
        target = round(volume * rng.uniform(0.85, 1.15))
        written = self._lookalike_threads(day, start, today)
        written += self._hangouts(day, start, today)
        written += self._besties(day, start, today)
        public = [m for m in present if not m.private]
        cum = list(itertools.accumulate(m.weight for m in present))
        public_cum = list(itertools.accumulate(m.weight for m in public))
        while written < target and present:
            initiator = rng.choices(present, cum_weights=cum)[0]
            begin = start + self._start_time(initiator, day)
            members = self._participants(initiator, public, public_cum, begin)
            channel = self._channel(initiator)
            written += self._thread(today, begin, channel, members)
        for _ in range(round(target * BOT_COMMAND_RATE)):
            if public:
                self._bot_command(today, start, rng.choice(public))
        today.messages.sort()
        today.keys = [message[0] for message in today.messages]
        return today

    def _besties(self, day: int, start: int, today: Today) -> int:
        """Best friends' daily thread: on 95 % of the days both are around, each answers the
        other at least once (and the thread goes on like any other)."""
        rng, written = self.rng, 0
        for a, b in self.community.besties:
            if a.around(day) and b.around(day) and rng.random() < BESTIE_DAILY:
                first, second = (a, b) if rng.random() < 0.5 else (b, a)
                ms = start + self._start_time(first, day, OPENING_LATEST)
                if (second.join_ms or 0) >= ms:
                    continue  # joins later today
                pair = [first, second]
                written += self._thread(today, ms, self._channel(first), pair, [*pair, first])
        return written

    def _hangouts(self, day: int, start: int, today: Today) -> int:
        """Friend groups of regulars meet most days: the thread that gives honest pairs their
        long streaks. The chance is the cube of the group's mean regularity (0.9: 73 %)."""
        rng, flags, written = self.rng, self._present_flags, 0
        for group in self.community.groups:
            if len(group) < 2 or group[0].always:
                continue  # the look-alikes' groups have their own threads
            here = [m for m in group if flags[m.index]]
            chance = (sum(m.regularity for m in group) / len(group)) ** 3
            if len(here) >= 2 and rng.random() < chance:
                initiator = max(here, key=lambda m: m.weight * rng.random())
                begin = start + self._start_time(initiator, day)
                here = [m for m in here if m.join_ms is None or m.join_ms < begin]
                if len(here) >= 2:
                    channel = self.community.home[initiator.group]
                    length = 2 * len(here)
                    written += self._thread(today, begin, channel, here, None, 0.5, length)
        return written

    # -- who, where, when ---------------------------------------------------------------------

    def _participants(
        self, initiator: Member, public: list[Member], public_cum: list[float], begin: int
    ) -> list[Member]:
        rand, flags = self.rng.random, self._present_flags
        group = self.community.groups[initiator.group]
        members = [initiator]
        members += [m for m in group if m is not initiator and flags[m.index] and rand() < 0.6]
        if not initiator.private:
            members += [m for m in initiator.acquaintances if flags[m.index] and rand() < 0.25]
            if public and (len(members) == 1 or rand() < 0.35):
                for _ in range(1 + (rand() < 0.3)):
                    stranger = self.rng.choices(public, cum_weights=public_cum)[0]
                    if stranger not in members:
                        members.append(stranger)
        # Someone who joins later today cannot be in a thread that starts before.
        return [m for m in members if m.join_ms is None or m.join_ms < begin]

    def _channel(self, initiator: Member) -> int:
        if self.rng.random() < 0.7:
            return self.community.home[initiator.group]
        return self.rng.randrange(CHANNELS)

    def _start_time(self, member: Member, day: int, latest: int = DAY_MS) -> int:
        offset = local_time(self.rng, member.shift)
        if offset > latest:
            offset = int(self.rng.random() * latest)
        if member.join_day == day and member.join_ms is not None:
            # Not before they joined: shortly after it, or later that day.
            earliest = member.join_ms - self.world.day_start(day) + 5 * MINUTE_MS
            offset = max(offset, earliest + int(self.rng.random() * (DAY_MS - earliest) / 3))
        return offset

    # -- threads ------------------------------------------------------------------------------

    def _thread(
        self,
        today: Today,
        ms: int,
        channel: int,
        members: list[Member],
        opening: list[Member] | None = None,
        reply_rate: float = REPLY_RATE,
        minimum: int = 0,
    ) -> int:
        """One conversation from `ms`; `opening` speakers go first, each replying to the one
        before (that is what makes a pair's day certain). Returns the messages written."""
        rng, rand, chat, world = self.rng, self.rng.random, self.chat, self.world
        opening = opening or []
        if len(members) == 1:
            length = 1 + (rand() < 0.3)
        else:
            length = 2 + int(rng.expovariate(1 / (1.5 + 1.6 * len(members))))
        length = min(max(length, len(opening), minimum), 40)
        weights = list(itertools.accumulate(m.weight for m in members))
        pace = LOG_FAST_GAP if rand() < FAST_THREAD_RATE else LOG_MEDIAN_GAP
        thread: list[tuple[str, Member]] = []
        speaker: Member | None = None
        written = 0
        for position in range(length):
            previous = speaker
            if position < len(opening):
                speaker = opening[position]
            else:
                speaker = rng.choices(members, cum_weights=weights)[0]
                if speaker is previous and len(members) > 1 and rand() < 0.8:
                    speaker = rng.choices(members, cum_weights=weights)[0]
            content = chat.line(speaker.terse, channel)
            reply = None
            if 0 < position < len(opening):
                reply = (thread[-1][0], thread[-1][1].id)
            elif thread and rand() < reply_rate:
                others = [entry for entry in thread if entry[1] is not speaker]
                if others:
                    target = others[-1] if rand() < 0.8 else others[int(rand() * len(others))]
                    reply = (target[0], target[1].id)
            elif position == 0 and rand() < YESTERDAY_REPLY_RATE:
                friend = self._previous.get(rng.choice(members).index)
                # (A thread that ran past midnight may have messages later than this one.)
                if friend is not None and friend[1] != speaker.id and friend[3] < ms:
                    reply = (friend[0], friend[1])
                    channel = friend[2]
            mentions = None
            if rand() < MENTION_RATE and len(members) > 1:
                named = rng.choice(members)
                if named is not speaker:
                    mentions = [named.id]
            elif rand() < ABSENT_MENTION_RATE and speaker.acquaintances and not speaker.private:
                named = rng.choice(speaker.acquaintances)
                if named.join_ms is None or named.join_ms < ms:
                    mentions = [named.id]
            if mentions:
                content = f"<@{mentions[0]}>" if rand() < 0.05 else f"<@{mentions[0]}> {content}"
            message = world.post(
                rng, self.ids, ms, speaker.id, channel, content, reply=reply, mentions=mentions
            )
            if message is None:
                break
            written += 1
            thread.append((message, speaker))
            today.messages.append((ms, message, speaker.id, channel))
            self.latest[speaker.index] = (message, speaker.id, channel, ms)
            if rand() < REACTION_RATE:
                self._reactions(ms, message, speaker, channel, members)
            if position >= len(opening) and rand() < DELETE_RATE:
                if rand() < 0.3:
                    world.delete(ms + rng.randrange(DAY_MS, 3 * DAY_MS), message, channel)
                else:
                    world.delete(
                        ms + rng.randrange(5 * SECOND_MS, 30 * MINUTE_MS), message, channel
                    )
            gap = 1.5 + rng.lognormvariate(pace, 0.8) + 0.12 * len(content)
            if rand() < PAUSE_RATE:
                gap += rng.uniform(180, 2700)
            ms += int(gap * 1000)
        return written

    def _reactions(
        self, ms: int, message: str, author: Member, channel: int, members: list[Member]
    ) -> None:
        rng, flags = self.rng, self._present_flags
        friends = self.community.groups[author.group]
        for _ in range(1 + int(rng.expovariate(1.5))):
            pool = members if rng.random() < 0.6 else friends
            user = rng.choice(pool)
            later = ms + 3 * SECOND_MS + int(rng.expovariate(1 / 120_000))
            if user is author or not flags[user.index] or (user.join_ms or 0) > later:
                continue
            self.world.react(rng, later, user.id, message, author.id, channel)

    def _bot_command(self, today: Today, start: int, member: Member) -> None:
        """A "!rank" command and the bot's answer: a reply to a human by a bot (no exchange)."""
        rng, world = self.rng, self.world
        ms = start + self._start_time(member, today.day)
        command = world.post(
            rng, self.ids, ms, member.id, 0, rng.choice(("!rank", "!daily", "!level"))
        )
        if command is None:
            return
        answer = f"<@{member.id}> you are rank #{rng.randrange(1, 500)} {rng.choice(EMOJI)}"
        later = ms + rng.randrange(400, 2500)
        world.post(
            rng, self.ids, later, world.bots[1], 0, answer, reply=(command, member.id), bot=True
        )

    def _lookalike_threads(self, day: int, start: int, today: Today) -> int:
        """The look-alikes' daily threads: the friends who talk every day, the tight group,
        and each fast friend with two of their new acquaintances."""
        rng, flags, written = self.rng, self._present_flags, 0
        for group in self.community.lookalikes:
            kind = group[0].lookalike if group else ""
            if kind == "daily_friends":
                first, second = rng.sample(group, 2)
                opening = [first, second, first]
                ms = start + self._start_time(first, day, OPENING_LATEST)
                written += self._thread(today, ms, self._channel(first), group, opening)
            elif kind == "tight_group":
                here = [m for m in group if flags[m.index]]
                if len(here) >= 2:
                    # Everyone answers everyone: each pair x, y as "x, y, x" (replies both ways).
                    pairs = [(x, y) for i, x in enumerate(here) for y in here[i + 1 :]]
                    rng.shuffle(pairs)
                    opening = []
                    for x, y in pairs:
                        opening += [x, y, x] if not opening or opening[-1] is not x else [y, x]
                    ms = start + self._start_time(opening[0], day, OPENING_LATEST)
                    written += self._thread(today, ms, self._channel(opening[0]), here, opening)
            elif kind == "fast_friend":
                for newcomer in group:
                    if newcomer.join_day > day:
                        continue
                    ms = start + self._start_time(newcomer, day, OPENING_LATEST)
                    friends = [
                        m
                        for m in newcomer.acquaintances
                        if flags[m.index] and (m.join_ms is None or m.join_ms < ms)
                    ]
                    if not friends:
                        continue
                    chosen = rng.sample(friends, min(2, len(friends)))
                    opening = [newcomer]
                    for friend in chosen:
                        opening += [friend, newcomer]
                    members = [newcomer, *chosen]
                    written += self._thread(today, ms, self._channel(newcomer), members, opening)
        return written
