"""Who opted in to streak reminders, and the guild day each was last reminded."""

from __future__ import annotations

from bot.store.database import Database


class ReminderRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def set(self, guild: int, member: int, on: bool) -> bool:
        """Turn the member's reminders on or off; False if they already were."""
        async with self.db.transaction() as conn:
            if on:
                cursor = await conn.execute(
                    "INSERT OR IGNORE INTO reminders (guild, member) VALUES (?, ?)",
                    (guild, member),
                )
            else:
                cursor = await conn.execute(
                    "DELETE FROM reminders WHERE guild = ? AND member = ?", (guild, member)
                )
            return cursor.rowcount == 1

    async def is_on(self, guild: int, member: int) -> bool:
        async with self.db.connection.execute(
            "SELECT 1 FROM reminders WHERE guild = ? AND member = ?", (guild, member)
        ) as cursor:
            return await cursor.fetchone() is not None

    async def not_reminded(self, guild: int, day: str) -> list[tuple[int, str | None]]:
        """(member, last reminded day) of the guild's opted-in members not yet reminded on
        `day` and not opted out of tracking. A seek of the guild's range of the primary key:
        only members who asked for reminders have a row."""
        async with self.db.connection.execute(
            "SELECT member, last_reminded FROM reminders"
            " WHERE guild = ?1 AND (last_reminded IS NULL OR last_reminded < ?2)"
            "   AND NOT EXISTS (SELECT 1 FROM opt_outs o WHERE o.guild = ?1"
            "     AND o.member = reminders.member)"
            " ORDER BY member",
            (guild, day),
        ) as cursor:
            return [(member, last) for member, last in await cursor.fetchall()]

    async def claim(self, guild: int, member: int, day: str) -> bool:
        """Record that the member is reminded on `day`; False if they were already (by an
        earlier run, or a concurrent one): the caller sends the reminder only on True, so it
        goes out at most once a day."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE reminders SET last_reminded = ?3 WHERE guild = ?1 AND member = ?2"
                " AND (last_reminded IS NULL OR last_reminded < ?3)",
                (guild, member, day),
            )
            return cursor.rowcount == 1
