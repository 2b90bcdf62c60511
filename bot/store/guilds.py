"""Guild rows: config, first day and the day-close watermark."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from bot.guild_config import GuildConfig, config_to_dict, parse_config
from bot.store.database import Database


@dataclass(slots=True)
class GuildRecord:
    id: int
    config: GuildConfig
    first_day: str | None
    last_closed_day: str | None


class GuildRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self) -> list[GuildRecord]:
        async with self.db.connection.execute(
            "SELECT id, config, first_day, last_closed_day FROM guilds ORDER BY id"
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            GuildRecord(gid, parse_config(orjson.loads(cfg), source=f"guild {gid}"), first, last)
            for gid, cfg, first, last in rows
        ]

    async def get(self, guild: int) -> GuildRecord | None:
        async with self.db.connection.execute(
            "SELECT config, first_day, last_closed_day FROM guilds WHERE id = ?", (guild,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return GuildRecord(guild, parse_config(orjson.loads(row[0])), row[1], row[2])

    async def save_config(self, guild: int, config: GuildConfig) -> None:
        payload = orjson.dumps(config_to_dict(config)).decode()
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guilds (id, config) VALUES (?, ?)"
                " ON CONFLICT (id) DO UPDATE SET config = excluded.config",
                (guild, payload),
            )
