"""StreakBot takes messages in `dispatch`, without an `on_message` task of its own.

(Proposed for tests/e2e or tests/cogs.)"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import discord
import pytest

from bot.client import StreakBot


class _Intake:
    def __init__(self) -> None:
        self.events: list = []

    def put(self, event) -> None:
        self.events.append(event)


def _bot() -> StreakBot:
    services = SimpleNamespace(intake=_Intake())
    return StreakBot(services)  # type: ignore[arg-type]


def test_streakbot_has_no_on_message_coroutine() -> None:
    assert not hasattr(_bot(), "on_message")  # discord.py then schedules no task for it


async def test_a_message_that_cannot_be_read_is_logged_not_raised(monkeypatch, caplog) -> None:
    bot = _bot()
    monkeypatch.setattr("bot.client.message_event", lambda message: 1 / 0)
    scheduled = []
    monkeypatch.setattr(bot, "_schedule_event", lambda *args, **kwargs: scheduled.append(args))
    with caplog.at_level(logging.ERROR, logger="bot.client"):
        bot.dispatch("message", SimpleNamespace(id=42))
    assert "message 42 could not be read" in caplog.text
    assert bot.services.intake.events == []


@pytest.mark.parametrize("kind", [discord.MessageType.default])
async def test_listeners_still_get_the_message(monkeypatch, kind) -> None:
    bot = _bot()
    monkeypatch.setattr("bot.client.message_event", lambda message: "event")
    got = []

    async def listener(message) -> None:
        got.append(message)

    bot.add_listener(listener, "on_message")
    scheduled = []
    monkeypatch.setattr(bot, "_schedule_event", lambda coro, name, *a, **k: scheduled.append(name))
    bot.dispatch("message", SimpleNamespace(id=1))
    assert bot.services.intake.events == ["event"]
    assert scheduled == ["on_message"]  # the listener's task only, none of the bot's own
