"""The simulator's frame: its configuration, snowflake IDs, time, names and the event writer.

Everything that writes an event goes through `World`, so honest members and attackers produce
records of exactly the same shape: the same optional fields left out at the same rates, IDs
with random low bits. A detector can tell them apart by behaviour only, never by how the
generator wrote them.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import BinaryIO

import orjson

from bot.domain.fraud.accounts import DISCORD_EPOCH_MS

SECOND_MS = 1000
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
YEAR_MS = 365 * DAY_MS
GUILD = 1_146_112_035_741_302_784
CHANNELS = 12
# Replies name their target's author, and reactions their message's author, this often; the
# rest have to be looked up by `replay`, as on Discord when the referenced message is unknown.
AUTHOR_KNOWN_RATE = 0.5
# fmt: off
# Relative activity per local hour: quiet nights, busy evenings.
HOUR_WEIGHTS = (
    3, 2, 1.2, 0.8, 0.6, 0.8, 1.5, 3, 4.5, 5.5, 6, 6.5,
    7, 7, 6.5, 6.5, 7, 7.5, 8.5, 9.5, 10, 9.5, 7.5, 5,
)
# fmt: on
HOUR_CUM = tuple(itertools.accumulate(HOUR_WEIGHTS))


@dataclass(frozen=True, slots=True)
class SimConfig:
    """What to simulate. Attack counts of 0 turn an attack off."""

    members: int = 2000
    """Honest humans ever in the guild (founders and newcomers); attackers come on top."""
    days: int = 60
    seed: int = 1
    start: date = date(2026, 3, 2)
    messages_per_day: int = 0
    """Honest messages on an average day; 0 means 4 per member."""
    rings: int = 6
    ring_min: int = 3
    ring_max: int = 10
    collusion_pairs: int = 10
    spam_bots: int = 2
    bursts: int = 8
    lookalikes: bool = True

    @property
    def volume(self) -> int:
        return self.messages_per_day or 4 * self.members

    def as_json(self) -> dict:
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["messages_per_day"] = self.volume
        return data


def snowflake(ms: int, low: int) -> int:
    """A Discord snowflake for an instant; `low` fills the worker, process and increment bits."""
    return ((ms - DISCORD_EPOCH_MS) << 22) | (low & 0x3FFFFF)


def snowflake_ms(value: int) -> int:
    """The instant (epoch milliseconds) a snowflake encodes."""
    return (value >> 22) + DISCORD_EPOCH_MS


class Ids:
    """Snowflakes for one stream of the simulation: random low bits, unique across streams.

    Each stream (the honest community, each attack) draws from its own generator, so that the
    honest events do not change when the attacks do; the set of used IDs is shared.
    """

    def __init__(self, rng: random.Random, used: set[int]) -> None:
        self._bits = rng.getrandbits
        self._used = used

    def at(self, ms: int) -> int:
        """A fresh snowflake for the instant `ms`."""
        while True:
            value = snowflake(ms, self._bits(22))
            if value not in self._used:
                self._used.add(value)
                return value


_FIRST = (
    "ada", "bea", "cai", "dev", "eli", "fay", "gus", "hana", "ivo", "jun", "kai", "lea", "milo",
    "nia", "otto", "pia", "quin", "rae", "sol", "tess", "uma", "vik", "wren", "xia", "yara",
    "zed", "aiko", "bram", "cleo", "dara", "emre", "finn", "gaia", "hugo", "iris", "joss",
    "kira", "lars", "mei", "noor", "oren", "pax", "rhea", "sami", "taro", "ugo", "vera", "wim",
    "alex", "sam", "jo", "max", "lou", "noah", "ella", "luca", "mia", "leo", "zoe", "omar",
    "lina", "ravi", "sofia", "theo", "yuki", "anya", "bo", "chen", "diego", "esme", "farid",
    "greta", "hiro", "ines", "jonas", "kofi", "lucia", "mateo", "nadia", "olga", "pablo",
    "rosa", "sven", "tara", "umar", "vivi", "yusuf", "zara", "arlo", "juno", "nico", "ren",
)  # fmt: skip
_WORDS = (
    "moon", "pixel", "fox", "byte", "star", "rain", "nova", "echo", "jade", "wolf", "sky",
    "leaf", "ember", "frost", "zen", "lux", "orbit", "mango", "kiwi", "ghost", "dust", "tea",
    "cloud", "bean", "cat", "void", "owl", "sun", "wave", "moss",
)  # fmt: skip


def make_name(rng: random.Random, taken: set[str]) -> str:
    """A display name in one of the styles people pick; unique within `taken`."""
    first, word = rng.choice(_FIRST), rng.choice(_WORDS)
    style = rng.random()
    if style < 0.3:
        name = first
    elif style < 0.45:
        name = first.capitalize()
    elif style < 0.6:
        name = f"{first}{rng.randrange(1, 100)}"
    elif style < 0.72:
        name = f"{first}_{word}"
    elif style < 0.82:
        name = f"{word}{first}"
    elif style < 0.9:
        name = f"{first}.{word}"
    elif style < 0.95:
        name = f"{word.capitalize()}{first.capitalize()}"
    else:
        name = f"x{first}x"
    while name in taken:
        name = f"{name}{rng.randrange(10)}"
    taken.add(name)
    return name


class _Iso:
    """Epoch milliseconds to ISO 8601 with a +00:00 offset (day prefixes cached)."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def __call__(self, ms: int) -> str:
        day, rest = divmod(ms, DAY_MS)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%dT")
            self._days[day] = prefix
        seconds = rest // 1000
        return (
            f"{prefix}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
            f".{rest % 1000:03d}+00:00"
        )


class Writer:
    """Events out in time order. Streams add events for a day in any order; `until` writes
    everything before an instant. No stream may add an event before what was written."""

    def __init__(self, out: BinaryIO, start_ms: int, end_ms: int) -> None:
        self.out = out
        self.start_ms, self.end_ms = start_ms, end_ms
        self.counts: dict[str, int] = dict.fromkeys(("member", "message", "reaction", "delete"), 0)
        self.lines = 0
        self._heap: list[tuple[int, int, dict]] = []
        self._seq = itertools.count()
        self._written_ms = start_ms
        self._buffer: list[bytes] = []
        self._iso = _Iso()

    def head(self, record: dict) -> None:
        """An event without `ts`, written at once (member events that hold from the start)."""
        self._write(record)

    def add(self, ms: int, record: dict) -> bool:
        """Schedule `record` at `ms`; False (dropped) if that is after the simulated period."""
        if ms >= self.end_ms:
            return False
        if ms < self._written_ms:
            raise ValueError(f"event at {ms} added after events up to {self._written_ms}")
        record["ts"] = self._iso(ms)
        heapq.heappush(self._heap, (ms, next(self._seq), record))
        return True

    def until(self, ms: int) -> None:
        heap = self._heap
        while heap and heap[0][0] < ms:
            self._write(heapq.heappop(heap)[2])
        self._written_ms = max(self._written_ms, ms)

    def close(self) -> None:
        self.until(self.end_ms)
        self._flush()

    def _write(self, record: dict) -> None:
        self._buffer.append(orjson.dumps(record))
        self.counts[record["type"]] += 1
        self.lines += 1
        if len(self._buffer) >= 8192:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._buffer.append(b"")
            self.out.write(b"\n".join(self._buffer))
            self._buffer = []


class World:
    """The guild, its channels and bots, the clock of the simulated period, and the event
    builders every stream uses."""

    def __init__(self, config: SimConfig, out: BinaryIO) -> None:
        self.config = config
        start = config.start
        self.start_ms = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())
        self.start_ms *= 1000
        self.end_ms = self.start_ms + config.days * DAY_MS
        self.writer = Writer(out, self.start_ms, self.end_ms)
        self.used_ids: set[int] = set()
        self.names: set[str] = set()
        self.guild = str(GUILD)
        setup = self.stream("setup")
        ids = self.ids(setup)
        self.channels = [
            str(ids.at(self.start_ms - 900 * DAY_MS + n * HOUR_MS)) for n in range(CHANNELS)
        ]
        self.bots = [str(ids.at(self.start_ms - 800 * DAY_MS + n * DAY_MS)) for n in range(2)]
        self.bot_names = ["Carl-bot", "MEE6"]

    def stream(self, name: str) -> random.Random:
        """A generator of its own for one part of the simulation, derived from the seed."""
        return random.Random(f"{self.config.seed}:{name}")

    def ids(self, rng: random.Random) -> Ids:
        return Ids(rng, self.used_ids)

    def day_start(self, day: int) -> int:
        return self.start_ms + day * DAY_MS

    def weekend(self, day: int) -> bool:
        return (self.config.start + timedelta(days=day)).weekday() >= 5

    def iso_day(self, day: int) -> str:
        return (self.config.start + timedelta(days=day)).isoformat()

    # -- events ---------------------------------------------------------------------------------

    def member(self, user: str, name: str, joined_ms: int | None = None) -> None:
        """A member event: without `ts` (there from the start) or at the join."""
        record = {"type": "member", "guild": self.guild, "user": user, "name": name}
        if joined_ms is None:
            self.writer.head(record)
        else:
            self.writer.add(joined_ms, record)

    def post(
        self,
        rng: random.Random,
        ids: Ids,
        ms: int,
        author: str,
        channel: int,
        content: str,
        *,
        reply: tuple[str, str] | None = None,
        mentions: list[str] | None = None,
        bot: bool = False,
        system: bool = False,
    ) -> str | None:
        """Write a message; `reply` is (message ID, its author). Returns its ID (None when the
        message falls after the simulated period and is dropped)."""
        message = str(ids.at(ms))
        record = {
            "type": "message",
            "id": message,
            "guild": self.guild,
            "channel": self.channels[channel],
            "author": author,
            "ts": "",
        }
        if reply is not None:
            record["reply_to"] = reply[0]
            if rng.random() < AUTHOR_KNOWN_RATE:
                record["reply_to_author"] = reply[1]
        if mentions:
            record["mentions"] = mentions
        if bot:
            record["bot"] = True
        if system:
            record["system"] = True
        record["content"] = content
        return message if self.writer.add(ms, record) else None

    def react(
        self, rng: random.Random, ms: int, user: str, message: str, author: str, channel: int
    ) -> None:
        record = {
            "type": "reaction",
            "guild": self.guild,
            "channel": self.channels[channel],
            "message": message,
            "user": user,
            "ts": "",
        }
        if rng.random() < AUTHOR_KNOWN_RATE:
            record["message_author"] = author
        self.writer.add(ms, record)

    def delete(self, ms: int, message: str, channel: int) -> None:
        record = {
            "type": "delete",
            "guild": self.guild,
            "channel": self.channels[channel],
            "message": message,
            "ts": "",
        }
        self.writer.add(ms, record)

    def join(self, rng: random.Random, ids: Ids, user: str, name: str, ms: int) -> None:
        """A newcomer arrives as on Discord: the member event, the system join message, and the
        welcome bot greeting them by mention a few seconds later."""
        self.member(user, name, ms)
        self.post(rng, ids, ms, user, 0, "", system=True)
        greeting = rng.choice(
            (
                "Welcome {}! Read #rules and say hi 👋",
                "Hey {}, welcome to the server! 🎉",
                "{} just joined. Everyone say hi!",
            )
        )
        later = ms + rng.randrange(1_000, 6_000)
        self.post(
            rng,
            ids,
            later,
            self.bots[0],
            0,
            greeting.format(f"<@{user}>"),
            mentions=[user],
            bot=True,
        )


def local_time(rng: random.Random, shift_hours: int) -> int:
    """A time of day (ms since UTC midnight) drawn from the diurnal curve of someone whose
    local time is UTC + `shift_hours`."""
    hour = rng.choices(range(24), cum_weights=HOUR_CUM)[0]
    return ((hour - shift_hours) % 24) * HOUR_MS + int(rng.random() * HOUR_MS)
