"""Process settings from the environment (`STREAKBOT_` prefix) or a `.env` file.

Guild rules live in the guild config (see `bot.guild_config`); these are the deployment's knobs.
Settings are built on demand by the entry point, never at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="STREAKBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token: SecretStr | None = None
    database: Path = Path("data/streakbot.db")
    config: Path | None = None
    log_level: str = "INFO"
    api_base: str | None = None
    """A Discord-compatible server to talk to instead of Discord (the bundled emulator)."""
    close_grace_minutes: float = Field(default=2, ge=0, le=120)
    """How long after a guild's midnight its day is closed, for late-delivered messages."""
    guild_ready_timeout: float = Field(default=2.0, gt=0, le=60)
