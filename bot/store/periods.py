"""Periodic boards in SQL: a week's or month's live totals, finalising an ended period into
its standings (exactly once), and the records behind the winner roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import aiosqlite

from bot.domain.periods import PERIOD_KINDS, Period, PeriodKind, period_of
from bot.store.database import Database
from bot.store.profiles import MemberScore, Page

TOP = 100
"""How deep a finalised period's standings are kept (everyone tied at the cut too)."""

# A period's totals: a range of the member_days primary key (guild, day, member), summed per
# member. Points of one member on one day are one row, so a week is at most 7 rows a member.
_TOTALS = (
    "SELECT member, sum(points) AS score FROM member_days"
    " WHERE guild = ?1 AND day BETWEEN ?2 AND ?3 GROUP BY member HAVING score > 0"
)


class PeriodNotEnded(RuntimeError):
    """A period was to be finalised before its last day was closed."""


@dataclass(slots=True, frozen=True)
class PeriodClose:
    """A finalised period: how many members had points in it, and when it was finalised."""

    period: Period
    members: int
    points: int
    closed_at: str


@dataclass(slots=True, frozen=True)
class RoleHolder:
    """A member holding a winner role as a period's winner."""

    member: int
    role: int
    first_day: str
    given: bool
    """Whether the bot added the role (False: they had it already and keep it afterwards)."""


def _period(kind: str, first_day: str) -> Period:
    assert kind in PERIOD_KINDS
    return period_of(kind, date.fromisoformat(first_day))  # type: ignore[arg-type]


class PeriodRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- live boards --------------------------------------------------------------------------

    async def live_board(
        self, guild: int, period: Period, offset: int, limit: int
    ) -> Page[MemberScore]:
        """Members by points earned in the period's days so far, most first (ties by ID)."""
        bounds = (guild, period.first.isoformat(), period.last.isoformat())
        conn = self.db.connection
        async with conn.execute(
            "SELECT rank() OVER (ORDER BY score DESC), member, score, count(*) OVER ()"
            f" FROM ({_TOTALS}) ORDER BY score DESC, member LIMIT ?5 OFFSET ?4",
            (*bounds, offset, limit),
        ) as cursor:
            found = await cursor.fetchall()
        if found:
            return Page([MemberScore(*row[:3]) for row in found], found[0][3])
        async with conn.execute(f"SELECT count(*) FROM ({_TOTALS})", bounds) as cursor:
            return Page([], (await cursor.fetchone())[0])

    async def live_rank(self, guild: int, period: Period, member: int) -> tuple[int, int] | None:
        """(rank, points) of the member on the period's live board; None without points."""
        async with self.db.connection.execute(
            "SELECT rank, score FROM ("
            f"  SELECT member, score, rank() OVER (ORDER BY score DESC) AS rank FROM ({_TOTALS}))"
            " WHERE member = ?4",
            (guild, period.first.isoformat(), period.last.isoformat(), member),
        ) as cursor:
            row = await cursor.fetchone()
        return (row[0], row[1]) if row else None

    # -- finalised periods --------------------------------------------------------------------

    async def finalise(
        self, guild: int, period: Period, closed_at: str, *, top: int = TOP
    ) -> PeriodClose | None:
        """Snapshot the period's standings, once: None if it was finalised before (then
        nothing changes). Refused while the period's last day is not closed."""
        first, last = period.first.isoformat(), period.last.isoformat()
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT 1 FROM day_closes WHERE guild = ? AND day = ?", (guild, last)
            ) as cursor:
                if await cursor.fetchone() is None:
                    raise PeriodNotEnded(f"guild {guild}: {last} is not closed yet")
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO period_closes"
                " (guild, period, first_day, last_day, members, points, closed_at)"
                " SELECT ?1, ?4, ?2, ?3, count(*), coalesce(sum(score), 0), ?5"
                f" FROM ({_TOTALS})",
                (guild, first, last, period.kind, closed_at),
            )
            if cursor.rowcount != 1:
                return None
            await conn.execute(
                "INSERT INTO period_standings"
                " (guild, period, first_day, position, rank, member, points)"
                " SELECT ?1, ?4, ?2, position, rank, member, score FROM ("
                "   SELECT member, score, rank() OVER (ORDER BY score DESC) AS rank,"
                "          row_number() OVER (ORDER BY score DESC, member) AS position"
                f"  FROM ({_TOTALS}))"
                " WHERE rank <= ?5",
                (guild, first, last, period.kind, top),
            )
            async with conn.execute(
                "SELECT members, points FROM period_closes"
                " WHERE guild = ? AND period = ? AND first_day = ?",
                (guild, period.kind, first),
            ) as cursor:
                members, points = await cursor.fetchone()
        return PeriodClose(period, members, points, closed_at)

    async def period_close(self, guild: int, period: Period) -> PeriodClose | None:
        """The period's finalisation, if it happened."""
        async with self.db.connection.execute(
            "SELECT members, points, closed_at FROM period_closes"
            " WHERE guild = ? AND period = ? AND first_day = ?",
            (guild, period.kind, period.key),
        ) as cursor:
            row = await cursor.fetchone()
        return PeriodClose(period, *row) if row else None

    async def latest_close(self, guild: int, kind: PeriodKind) -> PeriodClose | None:
        """The most recent finalised period of `kind`."""
        async with self.db.connection.execute(
            "SELECT first_day, members, points, closed_at FROM period_closes"
            " WHERE guild = ? AND period = ? ORDER BY first_day DESC LIMIT 1",
            (guild, kind),
        ) as cursor:
            row = await cursor.fetchone()
        return PeriodClose(_period(kind, row[0]), *row[1:]) if row else None

    async def closes(self, guild: int, kind: PeriodKind) -> list[PeriodClose]:
        """Every finalised period of `kind`, oldest first: the boards' history."""
        async with self.db.connection.execute(
            "SELECT first_day, members, points, closed_at FROM period_closes"
            " WHERE guild = ? AND period = ? ORDER BY first_day",
            (guild, kind),
        ) as cursor:
            return [PeriodClose(_period(kind, row[0]), *row[1:]) for row in await cursor.fetchall()]

    async def standings(
        self, guild: int, period: Period, offset: int, limit: int
    ) -> Page[MemberScore]:
        """A page of a finalised period's standings, in board order."""
        key = (guild, period.kind, period.key)
        conn = self.db.connection
        async with conn.execute(
            "SELECT rank, member, points, count(*) OVER () FROM period_standings"
            " WHERE guild = ?1 AND period = ?2 AND first_day = ?3"
            " ORDER BY position LIMIT ?5 OFFSET ?4",
            (*key, offset, limit),
        ) as cursor:
            found = await cursor.fetchall()
        if found:
            return Page([MemberScore(*row[:3]) for row in found], found[0][3])
        async with conn.execute(
            "SELECT count(*) FROM period_standings"
            " WHERE guild = ? AND period = ? AND first_day = ?",
            key,
        ) as cursor:
            return Page([], (await cursor.fetchone())[0])

    async def standing(self, guild: int, period: Period, member: int) -> tuple[int, int] | None:
        """(rank, points) of the member in a finalised period's standings, if kept there."""
        async with self.db.connection.execute(
            "SELECT rank, points FROM period_standings"
            " WHERE guild = ? AND period = ? AND first_day = ? AND member = ?",
            (guild, period.kind, period.key, member),
        ) as cursor:
            row = await cursor.fetchone()
        return (row[0], row[1]) if row else None

    async def winners(self, guild: int, period: Period) -> list[int]:
        """The finalised period's winners (rank 1: ties share the win), in board order."""
        async with self.db.connection.execute(
            "SELECT member FROM period_standings"
            " WHERE guild = ? AND period = ? AND first_day = ? AND rank = 1 ORDER BY position",
            (guild, period.kind, period.key),
        ) as cursor:
            return [member for (member,) in await cursor.fetchall()]

    # -- winner roles -------------------------------------------------------------------------

    async def roles(self, guild: int) -> dict[PeriodKind, int]:
        """The winner role chosen for each kind of period (kinds without one are absent)."""
        async with self.db.connection.execute(
            "SELECT period, role FROM period_roles WHERE guild = ?", (guild,)
        ) as cursor:
            return {kind: role for kind, role in await cursor.fetchall()}

    async def set_role(
        self, guild: int, kind: PeriodKind, role: int | None, by: int, at: str
    ) -> None:
        """Choose the role for the winners of `kind` (None: give none any more)."""
        async with self.db.transaction() as conn:
            if role is None:
                await conn.execute(
                    "DELETE FROM period_roles WHERE guild = ? AND period = ?", (guild, kind)
                )
                return
            await conn.execute(
                "INSERT INTO period_roles (guild, period, role, set_by, set_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild, period) DO UPDATE"
                " SET role = excluded.role, set_by = excluded.set_by, set_at = excluded.set_at",
                (guild, kind, role, by, at),
            )

    async def holders(self, guild: int, kind: PeriodKind) -> list[RoleHolder]:
        async with self.db.connection.execute(
            "SELECT member, role, first_day, given FROM period_role_holders"
            " WHERE guild = ? AND period = ? ORDER BY member",
            (guild, kind),
        ) as cursor:
            return [RoleHolder(m, r, d, bool(g)) for m, r, d, g in await cursor.fetchall()]

    async def hold(
        self, guild: int, kind: PeriodKind, member: int, role: int, first_day: str, given: bool
    ) -> None:
        """Record that the member holds `role` as the winner of the period from `first_day`."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO period_role_holders (guild, period, member, role, first_day, given)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild, period, member) DO UPDATE"
                " SET role = excluded.role, first_day = excluded.first_day,"
                "     given = excluded.given",
                (guild, kind, member, role, first_day, int(given)),
            )

    async def release(self, guild: int, kind: PeriodKind, member: int) -> None:
        """The member no longer holds the winner role of `kind`."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM period_role_holders WHERE guild = ? AND period = ? AND member = ?",
                (guild, kind, member),
            )


async def erase_member(conn: aiosqlite.Connection, guild: int, member: int) -> int:
    """Delete the member's lines from every period's standings and their winner-role records,
    inside the caller's transaction (an erasure). The others keep their ranks as finalised.
    Returns how many standings lines went."""
    cursor = await conn.execute(
        "DELETE FROM period_standings INDEXED BY period_standings_of_member"
        " WHERE guild = ? AND member = ?",
        (guild, member),
    )
    erased = cursor.rowcount
    await conn.execute(
        "DELETE FROM period_role_holders"
        " WHERE guild = ? AND period IN ('week', 'month') AND member = ?",
        (guild, member),
    )
    return erased
