"""A synthetic community as a JSONL event log in `replay`'s format, deterministic for a seed.

    python bench/synth.py --members 2000 --days 60 --messages-per-day 20000 --seed 1 -o FILE

The community has the shape that makes streaks happen, and the noise that breaks them:

- Members post with a heavy-tailed (Pareto) weight: a few write most of it. Each shows up on a
  day with a regularity that follows their activity: the busiest are there nearly every day,
  the quiet ones come and go.
- Members are split into friend groups of 2 to 7, of alike activity (regulars are friends with
  regulars). Most replies go to a friend's latest message (busier friends more often) and most
  mentions name a friend, so friends exchange both ways on the days they are both around:
  mutual pairs, multi-day streaks, tiers, and breaks when one of them stays away.
- Weekends are quieter (0.6 of a weekday) and nights are quiet (a diurnal curve in UTC).
- Some messages get reactions a few minutes later, mostly from friends; about 1 % are deleted,
  mostly within minutes (same day), some days later.
- A couple of bot accounts post too (`"bot": true`) and reply to humans; humans reply to them.
- A few system messages (`"system": true`), as joins and pins are.

IDs are real-looking snowflakes: a message's ID encodes its timestamp, as Discord's do. Every
member is listed first by a `member` event without `ts` (it holds from the start) that gives a
display name; all other lines are in timestamp order. Replies carry `reply_to_author` only
half of the time, and reactions `message_author` only half of the time, so `replay` has to
look the rest up.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import sys
from collections import deque
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson

from bot.domain.fraud.accounts import DISCORD_EPOCH_MS

DAY_MS = 86_400_000
GUILD = 1_079_907_749_569_237_093

# fmt: off
# Relative activity per UTC hour: quiet nights, busy evenings.
HOUR_WEIGHTS = (
    3, 2, 1.5, 1, 1, 1.5, 2.5, 4, 5.5, 6.5, 7, 7.5,
    8, 8, 7.5, 7.5, 8, 8.5, 9.5, 10, 10, 9, 7, 5,
)
# fmt: on
WEEKEND_FACTOR = 0.6
REPLY_RATE = 0.38  # of human messages
FRIEND_REPLY_RATE = 0.8  # of replies, to a friend's latest message (else the channel's)
MENTION_RATE = 0.14
FRIEND_MENTION_RATE = 0.85
REACTION_RATE = 0.18  # of messages that get reactions at all
DELETE_RATE = 0.01
LATE_DELETE_RATE = 0.3  # of deletes, one to three days later (else within minutes)
BOT_SHARE = 0.03  # of all messages
SYSTEM_SHARE = 0.002
CHANNELS = 12

# fmt: off
PHRASES = (
    "gm", "gm everyone", "lol", "haha true", "same here", "nice one!", "wait what",
    "did anyone try the new build?", "brb", "ok back", "that is so good", "agreed",
    "can someone review my PR?", "link pls", "this is the way", "no way", "ty!",
    "thanks a lot", "see you tomorrow", "good night", "morning all", "who is up for a game?",
    "I'll be there in 10", "that bug again...", "works on my machine", "ship it",
    "hmm not sure about that", "+1", "any news on the release?", "omg", "I love this server",
    "what time is the call?", "posted the notes in #general", "coffee first",
)
# fmt: off
NAMES = (
    "ada", "bea", "cai", "dev", "eli", "fay", "gus", "hana", "ivo", "jun", "kai", "lea",
    "milo", "nia", "otto", "pia", "quin", "rae", "sol", "tess", "uma", "vik", "wren", "xia",
    "yara", "zed", "aiko", "bram", "cleo", "dara", "emre", "finn", "gaia", "hugo", "iris",
    "joss", "kira", "lars", "mei", "noor", "oren", "pax", "rhea", "sami", "taro", "ugo",
)
# fmt: on


def display_name(n: int) -> str:
    """The `n`th member's name: a first name, numbered from the second round on."""
    name = NAMES[n % len(NAMES)]
    return name if n < len(NAMES) else f"{name}{n // len(NAMES) + 1}"


def snowflake(ms: int, sequence: int) -> int:
    """A Discord snowflake for an instant (worker bits left 0, the increment from `sequence`)."""
    return ((ms - DISCORD_EPOCH_MS) << 22) | (sequence & 0x3FFFFF)


class Community:
    """Who is in the guild: friend groups, activity weights, regularity, home channels."""

    def __init__(
        self, rng: random.Random, members: int, bots: int, start_ms: int, skew: float
    ) -> None:
        joined = start_ms - 3 * 365 * DAY_MS
        self.ids = sorted(
            {
                snowflake(joined + rng.randrange(2 * 365 * DAY_MS), rng.randrange(1 << 22))
                for _ in range(members)
            }
        )
        while len(self.ids) < members:  # astronomically unlikely collisions
            self.ids.append(self.ids[-1] + 1)
        # Posting weight: Pareto (a few members write most).
        self.weight = [min(rng.paretovariate(skew), 200.0) for _ in range(members)]
        # Friends are alike: groups are cut from the members ordered by a noisy activity, so
        # the regulars are friends with regulars. Regularity (the chance to be around on a
        # day) follows the activity rank: the busiest are there nearly every day.
        order = sorted(
            range(members), key=lambda m: self.weight[m] * rng.lognormvariate(0, 0.6), reverse=True
        )
        by_weight = sorted(range(members), key=self.weight.__getitem__, reverse=True)
        self.regularity = [0.0] * members
        for rank, member in enumerate(by_weight):
            share = 1 - rank / members
            self.regularity[member] = min(0.97, 0.1 + 0.85 * share**0.6 + rng.uniform(-0.1, 0.1))
        # Friend groups of 2..7 members.
        self.group_of = [0] * members
        self.groups: list[list[int]] = []
        position = 0
        while position < members:
            size = min(rng.choice((2, 3, 3, 4, 4, 5, 6, 7)), members - position)
            group = order[position : position + size]
            for member in group:
                self.group_of[member] = len(self.groups)
            self.groups.append(group)
            position += size
        self.home = [rng.randrange(CHANNELS) for _ in self.groups]
        self.channels = [snowflake(start_ms - 400 * DAY_MS, 1000 + n) for n in range(CHANNELS)]
        self.bots = [snowflake(start_ms - 500 * DAY_MS, 2000 + n) for n in range(bots)]


class Writer:
    """Events out in time order: messages come in order; reactions and deletes wait in a heap."""

    def __init__(self, out, end_ms: int) -> None:
        self.out = out
        self.end_ms = end_ms
        self.later: list[tuple[int, int, dict]] = []
        self.seq = itertools.count()
        self.lines = 0
        self._buffer: list[bytes] = []

    def emit(self, record: dict) -> None:
        self._buffer.append(orjson.dumps(record))
        self.lines += 1
        if len(self._buffer) >= 8192:
            self._flush()

    def schedule(self, ms: int, record: dict) -> bool:
        """Hold `record` until `ms`; False (dropped) if that is after the log's end."""
        if ms >= self.end_ms:
            return False
        heapq.heappush(self.later, (ms, next(self.seq), record))
        return True

    def until(self, ms: int) -> None:
        """Emit every waiting event dated before `ms`."""
        later = self.later
        while later and later[0][0] <= ms:
            self.emit(heapq.heappop(later)[2])

    def close(self) -> None:
        self.until(self.end_ms)
        self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._buffer.append(b"")
            self.out.write(b"\n".join(self._buffer))
            self._buffer = []


class _Iso:
    """Epoch milliseconds to ISO 8601 with a +00:00 offset, from cached parts (it is hot)."""

    _CLOCK = tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}." for s in range(86_400))

    def __init__(self) -> None:
        self._day = -1
        self._prefix = ""

    def __call__(self, ms: int) -> str:
        day, rest = divmod(ms, DAY_MS)
        if day != self._day:
            self._day = day
            self._prefix = datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%dT")
        return f"{self._prefix}{self._CLOCK[rest // 1000]}{rest % 1000:03d}+00:00"


def generate(
    out,
    *,
    members: int = 2000,
    days: int = 60,
    messages_per_day: int = 20_000,
    seed: int = 1,
    start: date = date(2026, 1, 5),
    bots: int = 2,
    skew: float = 1.3,
) -> dict[str, int]:
    """Write the community's event log to the binary stream `out`; return counts by type."""
    rng = random.Random(seed)
    start_ms = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp() * 1000)
    community = Community(rng, members, bots, start_ms, skew)
    writer = Writer(out, start_ms + days * DAY_MS)
    ts = _Iso()
    guild = str(GUILD)
    ids = [str(member) for member in community.ids]
    channels = [str(channel) for channel in community.channels]
    bot_ids = [str(bot) for bot in community.bots]
    counts = dict.fromkeys(("member", "message", "reaction", "delete"), 0)

    for n, user in enumerate(ids):
        writer.emit({"type": "member", "guild": guild, "user": user, "name": display_name(n)})
    for n, bot in enumerate(bot_ids):
        writer.emit(
            {
                "type": "member",
                "guild": guild,
                "user": bot,
                "bot": True,
                "name": f"helper-bot-{n + 1}",
            }
        )
    counts["member"] = len(ids) + len(bot_ids)

    weekday_days = sum(1 for n in range(days) if (start + timedelta(n)).weekday() < 5)
    weekday_volume = (
        messages_per_day * days / (weekday_days + WEEKEND_FACTOR * (days - weekday_days))
    )
    hour_cum = list(itertools.accumulate(HOUR_WEIGHTS))
    hours = range(24)
    group_of, groups, home = community.group_of, community.groups, community.home
    # Friends reply to friends who write more, more often (their messages are the ones seen).
    friend_cum = [list(itertools.accumulate(community.weight[m] for m in g)) for g in groups]
    # Messages as (id, author index or -bot number, channel index): each member's latest, and
    # each channel's recent ones.
    latest: list[tuple[int, int, int] | None] = [None] * members
    recent_by_channel = [deque(maxlen=30) for _ in range(CHANNELS)]
    sequence = messages = 0
    rand, emit, later_events = rng.random, writer.emit, writer.later

    for n in range(days):
        day_ms = start_ms + n * DAY_MS
        weekend = (start + timedelta(n)).weekday() >= 5
        volume = weekday_volume * (WEEKEND_FACTOR if weekend else 1.0) * rng.uniform(0.9, 1.1)
        count = round(volume)
        around = [m for m in range(members) if rand() < community.regularity[m]] or [0]
        around_cum = list(itertools.accumulate(community.weight[m] for m in around))
        authors = rng.choices(around, cum_weights=around_cum, k=count)
        offsets = sorted(
            h * 3_600_000 + int(rand() * 3_600_000)
            for h in rng.choices(hours, cum_weights=hour_cum, k=count)
        )
        is_around = bytearray(members)
        for m in around:
            is_around[m] = 1

        for author, offset in zip(authors, offsets, strict=True):
            ms = day_ms + offset
            if later_events and later_events[0][0] <= ms:
                writer.until(ms)
            sequence += 1
            message_id = ((ms - DISCORD_EPOCH_MS) << 22) | (sequence & 0x3FFFFF)
            draw = rand()
            if bot_ids and draw < BOT_SHARE:
                author = -1 - int(rand() * len(bot_ids))
            group = group_of[author] if author >= 0 else -1
            channel = home[group] if group >= 0 and rand() < 0.75 else int(rand() * CHANNELS)
            record = {
                "type": "message",
                "id": str(message_id),
                "guild": guild,
                "channel": channels[channel],
                "author": ids[author] if author >= 0 else bot_ids[-1 - author],
                "ts": ts(ms),
                "content": PHRASES[int(rand() * len(PHRASES))],
            }
            if author < 0:
                record["bot"] = True
            elif draw > 1 - SYSTEM_SHARE:
                record["system"] = True
                record["content"] = ""

            if rand() < REPLY_RATE:
                target = None
                if group >= 0 and len(groups[group]) > 1 and rand() < FRIEND_REPLY_RATE:
                    friend = rng.choices(groups[group], cum_weights=friend_cum[group])[0]
                    target = latest[friend]
                if target is None and recent_by_channel[channel]:
                    pool = recent_by_channel[channel]
                    target = pool[int(rand() * len(pool))]
                if target is not None:
                    target_id, target_author, _ = target
                    if target_author != author:
                        record["reply_to"] = str(target_id)
                        if rand() < 0.5:
                            record["reply_to_author"] = (
                                ids[target_author]
                                if target_author >= 0
                                else bot_ids[-1 - target_author]
                            )
            if author >= 0 and rand() < MENTION_RATE:
                friends = groups[group]
                named = (
                    friends[int(rand() * len(friends))]
                    if rand() < FRIEND_MENTION_RATE
                    else int(rand() * members)
                )
                if named != author:
                    record["mentions"] = [ids[named]]
                    if bot_ids and rand() < 0.05:
                        record["mentions"].append(bot_ids[0])  # a bot: no exchange

            emit(record)
            messages += 1
            entry = (message_id, author, channel)
            recent_by_channel[channel].append(entry)
            if author >= 0:
                latest[author] = entry

            if rand() < REACTION_RATE:
                friends = groups[group] if group >= 0 else around
                for _ in range(1 + int(rng.expovariate(1.5))):
                    if rand() < 0.7:
                        user = friends[int(rand() * len(friends))]
                    else:
                        user = around[int(rand() * len(around))]
                    if user == author or not is_around[user]:
                        continue
                    reaction = {
                        "type": "reaction",
                        "guild": guild,
                        "channel": channels[channel],
                        "message": str(message_id),
                        "user": ids[user],
                        "ts": None,
                    }
                    if rand() < 0.5:
                        reaction["message_author"] = record["author"]
                    later = ms + int(rng.expovariate(1 / 600_000)) + 1
                    reaction["ts"] = ts(later)
                    counts["reaction"] += writer.schedule(later, reaction)
            if rand() < DELETE_RATE:
                if rand() < LATE_DELETE_RATE:
                    later = ms + rng.randrange(DAY_MS, 3 * DAY_MS)
                else:
                    later = ms + rng.randrange(5_000, 1_800_000)
                delete = {
                    "type": "delete",
                    "guild": guild,
                    "channel": channels[channel],
                    "message": str(message_id),
                    "ts": ts(later),
                }
                counts["delete"] += writer.schedule(later, delete)
    writer.close()
    counts["message"] = messages
    counts["lines"] = writer.lines
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=2000, help="humans (default 2000)")
    parser.add_argument("--days", type=int, default=60, help="days of history (default 60)")
    parser.add_argument(
        "--messages-per-day",
        type=int,
        default=20_000,
        help="mean messages a day; weekdays busier than weekends (default 20000)",
    )
    parser.add_argument("--seed", type=int, default=1, help="same seed, same file (default 1)")
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=date(2026, 1, 5),
        help="first day, YYYY-MM-DD (default 2026-01-05)",
    )
    parser.add_argument(
        "--bots", type=int, default=2, help="bot accounts that post too (default 2)"
    )
    parser.add_argument(
        "--skew",
        type=float,
        default=1.3,
        help="Pareto shape of the members' activity: lower is more skewed (default 1.3)",
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="JSONL file to write")
    args = parser.parse_args(argv)
    if args.members < 2 or args.days < 1 or args.messages_per_day < 1:
        parser.error("need at least 2 members, 1 day and 1 message per day")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("wb") as out:
        counts = generate(
            out,
            members=args.members,
            days=args.days,
            messages_per_day=args.messages_per_day,
            seed=args.seed,
            start=args.start,
            bots=args.bots,
            skew=args.skew,
        )
    print(
        f"{args.output}: {counts['lines']:,} lines ({counts['message']:,} messages,"
        f" {counts['reaction']:,} reactions, {counts['delete']:,} deletes,"
        f" {counts['member']:,} members)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
