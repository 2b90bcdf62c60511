"""The anti-fraud detector before a close: gather each day's evidence, judge it, and hand the
close whose rewards to hold (issue 5). The close writes the findings in its own transaction.

Judging runs in a worker thread: a large guild's interaction graph takes a while to cluster,
and the event loop must keep serving the gateway meanwhile. A closed day's log never changes,
so the pair window's days are read once and kept (per guild, only the window's days).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import orjson

from bot.domain.calendar import day_end, day_start
from bot.domain.fraud.detector import (
    DayEvidence,
    DayVerdict,
    LoggedExchange,
    burst_candidates,
    judge_day,
    pair_exchanges,
    window_pairs,
)
from bot.domain.fraud.evidence import Reason
from bot.domain.fraud.thresholds import FraudThresholds
from bot.domain.streaks import Pair
from bot.guild_config import GuildConfig
from bot.store.database import Database
from bot.store.fraud import FraudDay, FraudRepository, days_before


class FraudDetector:
    def __init__(self, db: Database) -> None:
        self.repo = FraudRepository(db)
        self._windows: dict[int, dict[str, dict[Pair, list[LoggedExchange]]]] = {}

    def forget(self, guild: int, member: int) -> None:
        """Drop the member's exchanges from the window kept in memory (their erasure)."""
        for by_pair in self._windows.get(guild, {}).values():
            for pair in [pair for pair in by_pair if member in pair]:
                del by_pair[pair]

    async def judge(
        self,
        guild: int,
        days: Sequence[str],
        config: GuildConfig,
        first_day: str | None = None,
    ) -> dict[str, FraudDay]:
        """The findings for each of `days` (in order); none when `[fraud]` is off (and then the
        evidence logged while it was on is dropped as its windows pass, all the same)."""
        if not config.fraud.enabled:
            if days:
                await self.repo.prune(guild, *_keep_from(days[-1], config.fraud))
            return {}
        found: dict[str, FraudDay] = {}
        made_today: dict[str, dict[int, int]] = {}
        founded = (
            None if first_day is None else day_start(date.fromisoformat(first_day), config.zone)
        )
        for day in days:
            evidence = await self._evidence(guild, day, config, made_today, founded)
            if not evidence.exchanges:
                continue  # a quiet day: nothing to judge, nothing to keep
            verdict = await asyncio.to_thread(judge_day, evidence, config.fraud)
            made_today[day] = dict(verdict.made)
            found[day] = _findings(day, verdict, config)
        return found

    async def _evidence(
        self,
        guild: int,
        day: str,
        config: GuildConfig,
        pending_made: dict[str, dict[int, int]],
        founded: datetime | None = None,
    ) -> DayEvidence:
        fraud = config.fraud
        at = day_end(date.fromisoformat(day), config.zone)
        log = [_logged(row) for row in await self.repo.day_log(guild, day)]
        if not log:
            return DayEvidence(at=at, exchanges=())
        people = sorted({e.src for e in log} | {e.dst for e in log})
        window = await self._window(guild, day, log, fraud)
        joined = {
            member: datetime.fromtimestamp(ms / 1000, UTC)
            for member, ms in (await self.repo.joined(guild, people)).items()
        }
        made = Counter(e.src for e in log if e.src != e.dst)
        history = await self._history(
            guild, day, burst_candidates(made, fraud), fraud.burst_history_days, pending_made
        )
        return DayEvidence(
            at=at,
            exchanges=log,
            window=window,
            joined=joined,
            history=history,
            partners=await self.repo.partners(guild, people),
            founded=founded,
        )

    async def _window(
        self, guild: int, day: str, log: list[LoggedExchange], fraud: FraudThresholds
    ) -> dict[Pair, dict[date, list[LoggedExchange]]]:
        """For each pair judged today (`window_pairs`), their replies and mentions on each day
        of the pair window."""
        days = fraud.pair_window_days
        kept = self._windows.setdefault(guild, {})
        today = kept[day] = pair_exchanges(log)
        wanted = {days_before(day, n) for n in range(max(days, 1))}
        for old in kept.keys() - wanted:
            del kept[old]
        missing = sorted(wanted - kept.keys())
        if missing:  # after a restart (or a gap): the earlier days are in the store
            by_day: dict[str, list[LoggedExchange]] = {past: [] for past in missing}
            for row in await self.repo.window_log(guild, missing[0], missing[-1]):
                if row[0] in by_day:
                    by_day[row[0]].append(_logged(row[1:]))
            for past, found in by_day.items():
                kept[past] = pair_exchanges(found)
        window: dict[Pair, dict[date, list[LoggedExchange]]] = {}
        for pair in window_pairs(today, fraud):
            window[pair] = {
                date.fromisoformat(past): found
                for past, by_pair in kept.items()
                if (found := by_pair.get(pair))
            }
        return window

    async def _history(
        self,
        guild: int,
        day: str,
        members: list[int],
        days: int,
        pending_made: dict[str, dict[int, int]],
    ) -> dict[int, list[int]]:
        """Each member's exchanges made on the trailing `days` days, from their first recorded
        day, zeros for quiet days. Days judged earlier in this same catch-up are not in the
        store yet: `pending_made` has them."""
        if days <= 0 or not members:
            return {}
        first, last = days_before(day, days), days_before(day, 1)
        recorded = await self.repo.made(guild, members, first, last)
        for pending_day, made in pending_made.items():
            if first <= pending_day <= last:
                for member, count in made.items():
                    recorded.setdefault(member, {})[pending_day] = count
        history = {}
        for member, by_day in recorded.items():
            start = date.fromisoformat(min(by_day))
            span = (date.fromisoformat(last) - start).days + 1
            history[member] = [
                by_day.get((start + timedelta(days=n)).isoformat(), 0) for n in range(span)
            ]
        return history


def _logged(row: Sequence) -> LoggedExchange:
    src, dst, at_ms, kind, message, verdict = row
    return LoggedExchange(
        src, dst, datetime.fromtimestamp(at_ms / 1000, UTC), kind, message, verdict
    )


def _why(reasons: Sequence[Reason]) -> str:
    return orjson.dumps([[r.signal, r.detail, round(r.weight, 3)] for r in reasons]).decode()


def _findings(day: str, verdict: DayVerdict, config: GuildConfig) -> FraudDay:
    exchanges_from, made_from = _keep_from(day, config.fraud)
    held_members = {
        r.member: _why(r.reasons) for r in verdict.members if r.member in verdict.held_members
    }
    held_pairs = {r.pair: _why(r.reasons) for r in verdict.pairs if r.pair in verdict.held_pairs}
    flags = [
        (r.member, 0, round(r.score, 4), int(r.member in held_members), _why(r.reasons))
        for r in verdict.members
    ] + [
        (r.a, r.b, round(r.score, 4), int(r.pair in held_pairs), _why(r.reasons))
        for r in verdict.pairs
    ]
    return FraudDay(
        held_members=held_members,
        held_pairs=held_pairs,
        flags=flags,
        made=sorted(verdict.made.items()),
        keep_exchanges_from=exchanges_from,
        keep_made_from=made_from,
    )


def _keep_from(day: str, fraud: FraudThresholds) -> tuple[str, str]:
    """From which days the evidence is still needed after closing `day`: the pair window's
    exchanges and the burst history's counts."""
    return (
        days_before(day, max(fraud.pair_window_days - 1, 0)),
        days_before(day, fraud.burst_history_days),
    )
