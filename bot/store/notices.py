"""Problems the bot tells a guild's owners about once (a missing permission, a role too high)."""

from __future__ import annotations

from bot.clock import Clock
from bot.store.database import Database


class NoticeRepository:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def first_time(self, guild: int, kind: str, detail: str = "") -> bool:
        """Record the notice; True only the first time it is recorded for this guild."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO owner_notices (guild, kind, detail, noticed_at)"
                " VALUES (?, ?, ?, ?)",
                (guild, kind, detail, self.clock.now().isoformat()),
            )
            return cursor.rowcount == 1
