"""What ingest keeps in memory per guild between flushes."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.calendar import DayClock
from bot.domain.fraud.accounts import snowflake_time
from bot.domain.fraud.quality import RecentContent
from bot.domain.multipliers import PointsEvent
from bot.domain.scoring import PointValues
from bot.guild_config import GuildConfig


class GuildState:
    """What ingest keeps in memory for one guild."""

    __slots__ = (
        "bots",
        "clock",
        "config",
        "current_day",
        "current_points",
        "dirty_days",
        "dirty_members",
        "exchanges",
        "excluded",
        "first_day",
        "fraud_log",
        "id",
        "joined",
        "last_closed",
        "last_point",
        "names",
        "open_days",
        "points_events",
        "pool_channels",
        "pool_counts",
        "recent_content",
        "values",
        "young_until",
    )

    def __init__(
        self, guild: int, config: GuildConfig, first_day: str | None, last_closed: str | None
    ) -> None:
        self.id = guild
        self.apply(config)
        self.first_day = first_day
        self.last_closed = last_closed or ""
        self.bots: set[int] = set()
        self.last_point: dict[int, datetime] = {}
        self.open_days: dict[str, dict[int, int]] = {}
        self.exchanges: dict[tuple[str, int, int, str], int] = {}
        self.dirty_days: set[str] = set()
        # The day most events fall on, and its points: saves a lookup on the hot path.
        self.current_day: str | None = None
        self.current_points: dict[int, int] = {}
        self.dirty_members: set[int] = set()
        self.names: dict[int, str] = {}  # display names to write at the next flush
        self.points_events: list[PointsEvent] = []
        """Events that multiply points (any not yet ended when loaded)."""
        self.pool_channels: dict[int, int] = {}
        """Channel -> the sponsored pool paying extra for exchanges there."""
        self.pool_counts: dict[tuple[str, int, int], int] = {}
        """(day, pool, member) -> exchanges made in the pool's channel, not yet flushed."""
        self.recent_content: dict[int, RecentContent] = {}
        """Each author's last comparable messages, for the repeated-content check."""
        self.excluded: dict[int, datetime | None] = {}
        """Members suspended (until when; None: until lifted) or opted out (None): nothing
        they do counts, and nobody's engaging them counts either."""
        self.joined: dict[int, datetime] = {}
        """When members joined, where a source said (newcomers mostly)."""
        self.fraud_log: list[tuple] = []
        """The detector's evidence not yet flushed: (guild, day, src, dst, at_ms, kind, message,
        verdict) for every exchange met while `[fraud]` is on (bot.store.fraud)."""

    def apply(self, config: GuildConfig) -> None:
        """Take a (new) config; what was accepted under the old one stays as it is."""
        self.config = config
        self.clock = DayClock(config.zone)
        self.values = PointValues(**config.points.model_dump())
        self.young_until: dict[int, tuple[datetime, datetime]] = {}
        """Per member: when their account was made, and until when they are too new."""

    def is_human(self, user: int) -> bool:
        return user not in self.bots

    def channel_counts(self, channel: int) -> bool:
        """Whether events in `channel` count (`[channels] counted` / `ignored`)."""
        return self.config.channels.counts(channel)

    def counts(self, member: int, at: datetime) -> bool:
        """Whether the member's part in an event at `at` counts (not suspended, not opted out)."""
        if member not in self.excluded:
            return True
        until = self.excluded[member]
        return until is not None and at >= until

    def too_new(self, member: int, at: datetime) -> bool:
        """Issue 5's account gate: a member whose account (or membership) is younger than
        `[fraud]` allows makes and receives no exchanges that count for streaks yet. An act
        dated before the account existed (an export dates a reaction by its message) is not
        the act's own time: the gate cannot judge it."""
        window = self.young_until.get(member)
        if window is None:
            fraud = self.config.fraud
            born = snowflake_time(member)
            until = born + timedelta(days=fraud.min_account_age_days)
            joined = self.joined.get(member)
            if joined is not None:
                until = max(until, joined + timedelta(days=fraud.min_member_days))
            window = self.young_until[member] = (born, until)
        return window[0] <= at < window[1]

    def gated(
        self, author: int, reply_target: int | None, mention_targets: tuple[int, ...], at: datetime
    ) -> tuple[int | None, tuple[int, ...]]:
        """A message's exchanges that pass the account gate: none when its author is too new,
        and none with a target who is (most messages: all of them, as they were)."""
        if self.too_new(author, at):
            return None, ()
        if reply_target is not None and self.too_new(reply_target, at):
            reply_target = None
        if any(self.too_new(target, at) for target in mention_targets):
            mention_targets = tuple(t for t in mention_targets if not self.too_new(t, at))
        return reply_target, mention_targets

    def note_joined(self, member: int, joined: datetime) -> None:
        self.joined[member] = joined
        self.young_until.pop(member, None)

    def day_points(self, day: str) -> dict[int, int]:
        """Points by member on an open day; the day is written at the next flush."""
        if day == self.current_day:
            return self.current_points
        points = self.open_days.get(day)
        if points is None:
            points = self.open_days[day] = {}
        self.dirty_days.add(day)
        self.current_day, self.current_points = day, points
        return points

    def forget_current_day(self) -> None:
        """After a flush or a close: the next change must mark its day dirty again."""
        self.current_day, self.current_points = None, {}
