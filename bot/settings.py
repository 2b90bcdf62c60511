"""Process settings from the environment (`STREAKBOT_` prefix) or a `.env` file.

Guild rules live in the guild config (see `bot.guild_config`); these are the deployment's knobs.
Settings are built on demand by the entry point, never at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="STREAKBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token: SecretStr | None = None
    database: Path = Path("data/streakbot.db")
    config: Path | None = None
    log_level: str = "INFO"
