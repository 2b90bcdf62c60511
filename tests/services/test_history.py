"""A member's token history covers every day with an entry, even before anyone talked."""

from __future__ import annotations

from bot.clock import ManualClock
from bot.services.intake import Intake
from bot.services.profiles import ProfileService
from bot.store.database import Database
from tests.services.builders import A, Engine, at, config, iso


async def test_an_entry_before_the_first_message_is_in_the_history(
    db: Database, clock: ManualClock
):
    engine = await Engine(db, config(), clock).start(fund=100)
    await engine.ledger.move(
        1, key="adjust:1", source=0, target=A, amount=7, reason="adjustment: welcome",
        day=iso(1), at=at(1).isoformat(),
    )  # fmt: skip
    clock.set(at(3))
    profiles = ProfileService(db, Intake(engine.ingestor), clock)
    page, pages = await profiles.history(1, A, 0)
    assert [(line.amount, line.reason) for line in page.rows] == [(7, "adjustment: welcome")]
    assert pages == 1
