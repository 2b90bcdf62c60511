"""Ingest: turn guild events into exchanges, points and index rows, aggregated in memory and
written in batches.

Why batches: one database call costs a thread hop (~0.3 ms), so one call per message would cap
ingest near 2,000 messages/s; aggregated rows written with `executemany` go ~100 times faster.
What is accepted stays in memory until the next flush: at most `flush_seconds` (1 s) in the
live bot, and always before a day close and on shutdown. A crash loses at most that window; a
clean shutdown loses nothing.

Memory stays flat: the message index lives in the store, and memory holds only the unflushed
batch, the open days' point totals and each member's cooldown.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.events import (
    DeleteEvent,
    GuildEvent,
    MemberEvent,
    MessageEvent,
    ReactionEvent,
    is_counted,
)
from bot.domain.exchanges import MENTION, REACTION, REPLY, message_exchanges, reaction_target
from bot.domain.fraud.quality import RecentContent, judge_message
from bot.domain.multipliers import boost_percent, boosted
from bot.domain.scoring import capped, in_cooldown, message_points
from bot.guild_config import GuildConfig
from bot.services.guild_state import GuildState
from bot.services.ingest_batch import build_batch
from bot.store.database import Database
from bot.store.guilds import GuildRepository
from bot.store.ingest import IngestBatch, IngestRepository

log = logging.getLogger(__name__)

_NO_RECENT = RecentContent()
# Positions in a message index row (see bot.store.ingest.MESSAGE_COLUMNS).
_AUTHOR, _DAY, _HUMAN, _POINTS, _REPLY, _MENTIONS, _DELETED = 2, 3, 4, 5, 6, 7, 8


@dataclass(slots=True)
class IngestStats:
    messages: int = 0
    counted: int = 0
    reactions: int = 0
    deletes: int = 0
    duplicates: int = 0
    late: int = 0
    """Events dated on a day already closed: logged, counted nowhere."""
    low_quality: int = 0
    """Messages too short, emoji- or mention-only, or repeated: they count for nothing."""


class Ingestor:
    """Accepts events in order, keeps the aggregates, and flushes them to the store."""

    def __init__(
        self,
        db: Database,
        default_config: GuildConfig,
        *,
        flush_rows: int = 50_000,
        flush_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = IngestRepository(db)
        self.guilds_repo = GuildRepository(db)
        self.default_config = default_config
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self.stats = IngestStats()
        self._monotonic = monotonic
        self._last_flush = monotonic()
        self._lock = asyncio.Lock()
        self._guild_lock = asyncio.Lock()
        self._guilds: dict[int, GuildState] = {}
        self._pending: dict[int, list] = {}  # new index rows, not yet written
        self._updated: dict[int, list] = {}  # stored index rows changed since (deleted)
        self._first_days: dict[int, str] = {}

    # -- guilds -----------------------------------------------------------------------------

    async def guild(self, guild: int, config: GuildConfig | None = None) -> GuildState:
        """The guild's state, registering the guild (with `config` or the default) if new."""
        async with self._guild_lock:  # two callers must not each load a state of their own
            state = self._guilds.get(guild)
            if state is not None:
                if config is not None:
                    await self.guilds_repo.save_config(guild, config)
                    state.apply(config)
                return state
            return await self._load_guild(guild, config)

    async def _load_guild(self, guild: int, config: GuildConfig | None) -> GuildState:
        record = await self.guilds_repo.get(guild)
        if record is None or config is not None:
            await self.guilds_repo.save_config(guild, config or self.default_config)
            record = await self.guilds_repo.get(guild)
            assert record is not None
        state = GuildState(guild, record.config, record.first_day, record.last_closed_day)
        for user, is_bot, last_ms, joined_ms in await self.repo.members(guild):
            if is_bot:
                state.bots.add(user)
            if last_ms is not None:
                state.last_point[user] = _from_ms(last_ms)
            if joined_ms is not None:
                state.joined[user] = _from_ms(joined_ms)
        for day, member, points in await self.repo.open_day_points(guild, state.last_closed):
            state.open_days.setdefault(day, {})[member] = points
        state.excluded = await self.repo.exclusions(guild)
        state.points_events = await self.repo.points_events(guild, state.last_closed)
        state.pool_channels = await self.repo.pool_channels(guild)
        self._guilds[guild] = state
        return state

    async def refresh_community(self, guild: int) -> None:
        """Re-read the guild's points events and pools, after a service changed them."""
        state = await self.guild(guild)
        async with self._lock:
            state.points_events = await self.repo.points_events(guild, state.last_closed)
            state.pool_channels = await self.repo.pool_channels(guild)

    async def refresh_exclusions(self, guild: int) -> None:
        """Re-read who is suspended or opted out, after a service changed it."""
        state = await self.guild(guild)
        async with self._lock:  # between two chunks of events, never in the middle of one
            state.excluded = await self.repo.exclusions(guild)

    def known_guilds(self) -> list[GuildState]:
        """Guilds seen by this process so far."""
        return list(self._guilds.values())

    async def all_guilds(self) -> list[GuildState]:
        """Every guild in the store (after a restart, not only those seen since)."""
        for record in await self.guilds_repo.all():
            if record.id not in self._guilds:
                await self.guild(record.id)
        return self.known_guilds()

    def day_closed(self, guild: int, day: str) -> None:
        """The store closed `day`: events dated on or before it no longer count."""
        state = self._guilds.get(guild)
        if state is None:
            return
        state.last_closed = max(state.last_closed, day)
        for open_day in [d for d in state.open_days if d <= day]:
            del state.open_days[open_day]
            state.dirty_days.discard(open_day)
        state.forget_current_day()

    # -- ingest -------------------------------------------------------------------------------

    async def ingest(self, events: Sequence[GuildEvent]) -> None:
        """Accept events (in time order); the store is read once for the whole sequence."""
        async with self._lock:
            for guild in {event.guild for event in events} - self._guilds.keys():
                await self.guild(guild)
            known = await self.repo.lookup_messages(self._wanted(events))
            for event in events:
                state = self._guilds[event.guild]
                kind = type(event)
                if kind is MessageEvent:
                    self._message(event, state, known)
                elif kind is ReactionEvent:
                    self._reaction(event, state, known)
                elif kind is DeleteEvent:
                    self._delete(event, state, known)
                else:
                    self._member(event, state)

    def _wanted(self, events: Sequence[GuildEvent]) -> list[int]:
        """Message IDs to read from the store: the events' own (duplicates) and their targets."""
        wanted = set()
        for event in events:
            kind = type(event)
            if kind is MessageEvent:
                wanted.add(event.id)
                if event.reply_to is not None and event.reply_to_author is None:
                    wanted.add(event.reply_to)
            elif kind is ReactionEvent:
                if event.message_author is None:
                    wanted.add(event.message)
            elif kind is DeleteEvent:
                wanted.add(event.message)
        # Checked one by one: a union of the unflushed rows would cost O(batch) every call.
        pending, updated = self._pending, self._updated
        return sorted(i for i in wanted if i not in pending and i not in updated)

    def _row(self, message: int, known: dict[int, list]) -> list | None:
        return self._pending.get(message) or self._updated.get(message) or known.get(message)

    def _note_day(self, state: GuildState, day: str) -> bool:
        """Record the guild's first day; False (and counted as late) if `day` is closed."""
        if state.first_day is None or day < state.first_day:
            state.first_day = day
            self._first_days[state.id] = day
        if day <= state.last_closed:
            self.stats.late += 1
            log.info("guild %s: event dated %s after that day was closed; ignored", state.id, day)
            return False
        return True

    def _message(self, event: MessageEvent, state: GuildState, known: dict[int, list]) -> None:
        if event.id in self._pending or event.id in known or event.id in self._updated:
            self.stats.duplicates += 1  # its recorded reactions were counted with it already
            return
        self.stats.messages += 1
        author = event.author
        if event.bot and author not in state.bots:
            state.bots.add(author)
            state.dirty_members.add(author)
        human = author not in state.bots
        day = state.clock.day_of(event.ts)
        row = [event.id, state.id, author, day, int(human), 0, None, None, 0]
        self._pending[event.id] = row
        if not self._note_day(state, day):
            return
        if (
            human
            and is_counted(event)
            and state.counts(author, event.ts)
            and state.channel_counts(event.channel)
        ):
            verdict = self._verdict(event, state)
            if verdict is None:
                self._counted_message(event, state, known, day, row)
            elif event.reply_to is not None or event.mentions:
                # Counts for nothing, but the detector sees it (rings and colluders farm with
                # exactly these messages).
                reply_target, mention_targets = self._targets(event, state, known)
                self._log(state, day, event, reply_target, mention_targets, verdict)
        for user in event.reactors:
            self.stats.reactions += 1
            self._react(state, day, user, author, human, event.ts, event.channel)

    def _verdict(self, event: MessageEvent, state: GuildState) -> str | None:
        """Issue 5: a message too short, emoji- or mention-only, or repeating the author's
        recent ones counts for nothing, silently (only when its content is known): its
        verdict, None when it counts.

        Only messages that engage someone (a reply or a mention) are judged: exchanges are what
        streaks and most points are made of, and a plain message earns at most one point a
        cooldown. Judging costs microseconds a message that chat without a target need not pay.
        """
        fraud = state.config.fraud
        if event.content is None or not fraud.enabled:
            return None
        if event.reply_to is None and not event.mentions:
            return None
        recent = state.recent_content.get(event.author) or _NO_RECENT
        verdict, state.recent_content[event.author] = judge_message(event.content, recent, fraud)
        if verdict is not None:
            self.stats.low_quality += 1
        return verdict

    def _targets(
        self, event: MessageEvent, state: GuildState, known: dict[int, list]
    ) -> tuple[int | None, tuple[int, ...]]:
        """Rule 3: the human the message replies to, and the humans it mentions, who count."""
        reply_author = event.reply_to_author
        if reply_author is None and event.reply_to is not None:
            target = self._row(event.reply_to, known)
            if target is not None and target[_HUMAN]:
                reply_author = target[_AUTHOR]
        if reply_author is None and not event.mentions:
            return None, ()  # most messages: no exchange at all
        ts = event.ts
        return message_exchanges(
            event.author,
            reply_author,
            event.mentions,
            (lambda user: state.is_human(user) and state.counts(user, ts))
            if state.excluded
            else state.is_human,
        )

    @staticmethod
    def _log(
        state: GuildState,
        day: str,
        event: MessageEvent,
        reply_target: int | None,
        mention_targets: tuple[int, ...],
        verdict: str | None,
    ) -> None:
        """The detector's evidence: each exchange the message makes, when, and its verdict."""
        at_ms = int(event.ts.timestamp() * 1000)
        log, guild = state.fraud_log, state.id
        if reply_target is not None:
            log.append((guild, day, event.author, reply_target, at_ms, REPLY, event.id, verdict))
        for target in mention_targets:
            log.append((guild, day, event.author, target, at_ms, MENTION, event.id, verdict))

    def _counted_message(
        self, event: MessageEvent, state: GuildState, known: dict[int, list], day: str, row: list
    ) -> None:
        """Rules 3 and 9 for a counted message: its exchanges and its points."""
        self.stats.counted += 1
        author = event.author
        reply_target, mention_targets = self._targets(event, state, known)
        if (reply_target is not None or mention_targets) and state.config.fraud.enabled:
            self._log(state, day, event, reply_target, mention_targets, None)
            reply_target, mention_targets = state.gated(
                author, reply_target, mention_targets, event.ts
            )

        points = state.day_points(day)
        earned = points.get(author, 0)
        values = state.values
        award = 0
        if not in_cooldown(values, event.ts, state.last_point.get(author)):
            base = message_points(values, reply_target is not None, bool(mention_targets))
            if state.points_events:
                base = boosted(base, boost_percent(state.points_events, event.ts, event.channel))
            award = capped(values, base, earned)
            if award:
                state.last_point[author] = event.ts
                state.dirty_members.add(author)
        points[author] = earned + award
        row[_POINTS] = award

        exchanges = state.exchanges
        if reply_target is not None:
            row[_REPLY] = reply_target
            key = (day, author, reply_target, REPLY)
            exchanges[key] = exchanges.get(key, 0) + 1
            if reply_target not in points:
                points[reply_target] = 0  # took part
        if mention_targets:
            row[_MENTIONS] = ",".join(map(str, mention_targets))
            for target in mention_targets:
                key = (day, author, target, MENTION)
                exchanges[key] = exchanges.get(key, 0) + 1
                if target not in points:
                    points[target] = 0
        pool = state.pool_channels.get(event.channel) if state.pool_channels else None
        if pool is not None:
            made = (reply_target is not None) + len(mention_targets)
            if made:
                key = (day, pool, author)
                state.pool_counts[key] = state.pool_counts.get(key, 0) + made

    def _reaction(self, event: ReactionEvent, state: GuildState, known: dict[int, list]) -> None:
        self.stats.reactions += 1
        day = state.clock.day_of(event.ts)
        if not self._note_day(state, day):
            return
        author, human = event.message_author, True
        if author is None:
            row = self._row(event.message, known)
            if row is not None:
                author, human = row[_AUTHOR], bool(row[_HUMAN])
        self._react(state, day, event.user, author, human, event.ts, event.channel)

    def _react(
        self,
        state: GuildState,
        day: str,
        user: int,
        author: int | None,
        author_human: bool,
        at: datetime,
        channel: int,
    ) -> None:
        """Rules 4 and 9 for a reaction by `user` to a message by `author`."""
        if user in state.bots or not state.channel_counts(channel):
            return
        if state.excluded and not (
            state.counts(user, at) and (author is None or state.counts(author, at))
        ):
            return
        human = author_human and author is not None and state.is_human(author)
        target = reaction_target(user, author, human)
        if target is None:
            return
        if state.config.fraud.enabled:
            state.fraud_log.append(
                (state.id, day, user, target, int(at.timestamp() * 1000), REACTION, None, None)
            )
            if state.too_new(user, at) or state.too_new(target, at):
                return
        key = (day, user, target, REACTION)
        state.exchanges[key] = state.exchanges.get(key, 0) + 1
        points = state.day_points(day)
        earned = points.get(user, 0)
        value = state.values.reaction
        if state.points_events:
            value = boosted(value, boost_percent(state.points_events, at, channel))
        points[user] = earned + capped(state.values, value, earned)
        if target not in points:
            points[target] = 0
        pool = state.pool_channels.get(channel) if state.pool_channels else None
        if pool is not None:
            key = (day, pool, user)
            state.pool_counts[key] = state.pool_counts.get(key, 0) + 1

    def _delete(self, event: DeleteEvent, state: GuildState, known: dict[int, list]) -> None:
        self.stats.deletes += 1
        day = state.clock.day_of(event.ts)
        self._note_day(state, day)
        row = self._row(event.message, known)
        if row is None or row[_DELETED]:
            return
        row[_DELETED] = 1
        if event.message not in self._pending:
            self._updated[event.message] = row
        # Rule 5: only a same-day delete takes back what the message earned.
        if row[_DAY] != day or day <= state.last_closed:
            return
        author = row[_AUTHOR]
        if row[_POINTS]:
            points = state.day_points(day)
            points[author] = points.get(author, 0) - row[_POINTS]
        exchanges = state.exchanges
        if row[_REPLY] is not None:
            key = (day, author, row[_REPLY], REPLY)
            exchanges[key] = exchanges.get(key, 0) - 1
        if row[_MENTIONS]:
            for target in map(int, row[_MENTIONS].split(",")):
                key = (day, author, target, MENTION)
                exchanges[key] = exchanges.get(key, 0) - 1
        pool = state.pool_channels.get(event.channel) if state.pool_channels else None
        if pool is not None:
            made = (row[_REPLY] is not None) + (
                len(row[_MENTIONS].split(",")) if row[_MENTIONS] else 0
            )
            if made:
                key = (day, pool, author)
                state.pool_counts[key] = state.pool_counts.get(key, 0) - made

    def _member(self, event: MemberEvent, state: GuildState) -> None:
        if event.joined is not None and state.joined.get(event.user) != event.joined:
            state.note_joined(event.user, event.joined)
            state.dirty_members.add(event.user)
        if event.name is not None:
            state.names[event.user] = event.name
            state.dirty_members.add(event.user)
        if event.bot != (event.user in state.bots):
            if event.bot:
                state.bots.add(event.user)
            else:
                state.bots.discard(event.user)
            state.dirty_members.add(event.user)

    # -- flush --------------------------------------------------------------------------------

    @property
    def unflushed(self) -> int:
        """How many rows the next flush would write (roughly)."""
        return (
            len(self._pending)
            + len(self._updated)
            + len(self._first_days)
            + sum(
                len(s.exchanges)
                + len(s.dirty_days)
                + len(s.dirty_members)
                + len(s.pool_counts)
                + len(s.fraud_log)
                for s in self._guilds.values()
            )
        )

    async def maybe_flush(self) -> None:
        """Flush when the batch is big or the last flush is `flush_seconds` old."""
        if self.unflushed >= self.flush_rows or (
            self._monotonic() - self._last_flush >= self.flush_seconds
        ):
            await self.flush()

    async def flush_periodically(self) -> None:
        """Run until cancelled: flush every `flush_seconds` (the live bot's crash window)."""
        while True:
            await asyncio.sleep(self.flush_seconds)
            if self.unflushed:
                await self.flush()

    async def flush(self) -> None:
        """Write everything accepted so far in one transaction."""
        async with self._lock:
            await self._flush()

    @asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """Flush, then hold ingest back until the block ends (a day close runs inside)."""
        async with self._lock:
            await self._flush()
            yield

    async def _flush(self) -> None:
        batch = self._batch()
        if len(batch):
            await self.repo.write(batch)
        # Only forget what is written: a failed write keeps the batch for the next try.
        self._pending.clear()
        self._updated.clear()
        self._first_days.clear()
        for state in self._guilds.values():
            state.exchanges.clear()
            state.pool_counts.clear()
            state.fraud_log.clear()
            state.dirty_days.clear()
            state.forget_current_day()
            state.dirty_members.clear()
            state.names.clear()
        self._last_flush = self._monotonic()

    def _batch(self) -> IngestBatch:
        return build_batch(self._guilds.values(), self._pending, self._updated, self._first_days)


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
