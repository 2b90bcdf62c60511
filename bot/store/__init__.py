"""The only place with SQL: the SQLite database, its migrations and the repositories."""

from bot.store.database import Database

__all__ = ["Database"]
