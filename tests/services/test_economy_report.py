"""The economy report over a real store: what the closes paid, who holds it, the runway."""

from __future__ import annotations

from bot.clock import ManualClock
from bot.services.economy import economy_report
from bot.store.database import Database
from tests.services.builders import A, B, C, D, Engine, Events, at, config


async def test_report_reads_payouts_outstanding_and_treasury(db: Database, clock: ManualClock):
    engine = await Engine(db, config(), clock).start(fund=10_000)
    ev = Events()
    for n in (1, 2):
        await engine.ingest(*ev.mutual(A, B, at(n)), *ev.mutual(C, D, at(n, 15)))
    results = await engine.close(3)
    report = await economy_report(db, 1)
    assert [day for day, _ in report.paid_per_day] == [r.day for r in results]
    assert report.minted == sum(r.paid for r in results) == report.outstanding
    assert report.treasury == 10_000 - report.minted
    assert report.holders == 4
    assert report.runway_days is not None
    assert report.runway_days > 0
    assert 0 < report.top1_share <= report.top10_share <= 1


async def test_report_of_an_idle_guild(db: Database, clock: ManualClock):
    await Engine(db, config(), clock).start(fund=500)
    report = await economy_report(db, 1)
    assert (report.minted, report.outstanding, report.treasury) == (0, 0, 500)
    assert report.runway_days is None
