"""Moderators and the anti-fraud detector's holds: `/mod review` (what is held, and why),
releasing or voiding held rewards, and `/mod flags` (who the detector worries about most).

Each decision is one store transaction with its audit row. Flags show evidence (counts,
timings, group sizes), never what anybody wrote: the detector never stores content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import orjson

from bot.clock import Clock
from bot.domain.calendar import guild_day
from bot.services.ingest import Ingestor
from bot.store.database import Database
from bot.store.escrow import Decided, EscrowRepository, Hold
from bot.store.fraud import FraudRepository

PAGE_SIZE = 8
FLAG_DAYS = 7
"""`/mod flags` looks back over the last week's closes by default."""
MAX_FLAG_DAYS = 90
MAX_IDS = 50


class EscrowError(Exception):
    """A moderator's request about holds that cannot be carried out; the message says why."""


@dataclass(slots=True, frozen=True)
class Evidence:
    signal: str
    detail: str
    weight: float


@dataclass(slots=True, frozen=True)
class HeldItem:
    hold: Hold
    reasons: tuple[Evidence, ...]


@dataclass(slots=True, frozen=True)
class ReviewPage:
    items: list[HeldItem]
    total: int
    tokens: int
    page: int
    pages: int


@dataclass(slots=True, frozen=True)
class Flagged:
    a: int
    b: int | None
    """The pair's other member; None for a member."""
    day: str
    score: float
    held: bool
    reasons: tuple[Evidence, ...]


@dataclass(slots=True, frozen=True)
class Flags:
    since: str
    members: list[Flagged]
    pairs: list[Flagged]


def evidence(reasons_json: str) -> tuple[Evidence, ...]:
    return tuple(Evidence(*reason) for reason in orjson.loads(reasons_json))


def parse_ids(text: str) -> list[int]:
    """Hold IDs as a moderator types them: "12", "12 13", "#12, #13"."""
    ids = []
    for word in text.replace(",", " ").split():
        word = word.removeprefix("#")
        if not word.isdigit() or int(word) <= 0:
            raise EscrowError(f"`{word}` is not a hold ID: give the numbers `/mod review` shows.")
        ids.append(int(word))
    if not ids:
        raise EscrowError("Give the IDs of the holds (as `/mod review` shows them), or a member.")
    if len(ids) > MAX_IDS:
        raise EscrowError(f"At most {MAX_IDS} holds at a time.")
    return sorted(set(ids))


class EscrowService:
    def __init__(self, db: Database, ingestor: Ingestor, clock: Clock) -> None:
        self.store = EscrowRepository(db)
        self.fraud = FraudRepository(db)
        self.ingestor = ingestor
        self.clock = clock

    async def _today(self, guild: int) -> str:
        state = await self.ingestor.guild(guild)
        return guild_day(self.clock.now(), state.config.zone).isoformat()

    async def review(self, guild: int, page: int = 0, member: int | None = None) -> ReviewPage:
        """Open holds, oldest first, a page at a time (a member's, or all)."""
        holds, total, tokens = await self.store.page(guild, page * PAGE_SIZE, PAGE_SIZE, member)
        pages = max(1, -(-total // PAGE_SIZE))
        items = [HeldItem(hold, evidence(hold.why)) for hold in holds]
        return ReviewPage(items, total, tokens, page, pages)

    async def decide(
        self,
        guild: int,
        decision: str,
        moderator: int,
        *,
        ids: list[int] | None = None,
        member: int | None = None,
        reason: str = "",
    ) -> Decided:
        """Release (RELEASE: pay held rewards to the members they were for) or void (VOID: send
        them back where they came from, the treasury or a pool) the open holds with these IDs,
        or all of a member's."""
        if (ids is None) == (member is None):
            raise EscrowError("Give either hold IDs or a member, not both (or neither).")
        decided = await self.store.decide(
            guild,
            decision,
            moderator=moderator,
            day=await self._today(guild),
            at=self.clock.now().isoformat(),
            ids=ids,
            member=member,
            reason=reason.strip() or "no reason given",
        )
        if decided.holds == 0:
            raise EscrowError(
                "Nothing is held there: those holds were decided already, or never existed."
                " `/mod review` lists what is held."
            )
        return decided

    async def flags(self, guild: int, days: int = FLAG_DAYS, limit: int = 10) -> Flags:
        """The highest-risk members and pairs of the last `days` closed days, with evidence."""
        if not 1 <= days <= MAX_FLAG_DAYS:
            raise EscrowError(f"Look back 1 to {MAX_FLAG_DAYS} days, not {days}.")
        today = await self._today(guild)
        since = (date.fromisoformat(today) - timedelta(days=days)).isoformat()
        members, pairs = await self.fraud.flags(guild, since, limit)
        return Flags(
            since,
            [
                Flagged(a, None, day, score, bool(held), evidence(why))
                for a, day, score, held, why in members
            ],
            [
                Flagged(a, b, day, score, bool(held), evidence(why))
                for a, b, day, score, held, why in pairs
            ],
        )
