"""The Ingestor on a real SQLite file: rules 2-5 and 9, duplicates, late events, flushing.

Default points (rule 9): message 1, mention 2, reply 3, reaction 1, cooldown 60 s, no cap.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.store.database import Database
from tests.services.builders import (
    BOT,
    A,
    B,
    C,
    D,
    Engine,
    Events,
    G,
    at,
    config,
    exchange_counts,
    exchanges,
    iso,
    points,
    rows,
    value,
)


@pytest.fixture
async def engine(db: Database, clock: ManualClock) -> Engine:
    return await Engine(db, config(), clock).start()


@pytest.fixture
def ev() -> Events:
    return Events()


async def flushed(engine: Engine, *events) -> None:
    await engine.ingest(*events)
    await engine.ingestor.flush()


# -- rule 2: counted messages ---------------------------------------------------------------


async def test_rule2_a_human_message_is_counted(engine: Engine, ev: Events) -> None:
    await flushed(engine, ev.message(A, at(1)))
    assert await points(engine.db, 1) == {A: 1}
    assert engine.ingestor.stats.counted == 1


async def test_rule2_bot_messages_earn_nothing_and_engage_no_one(
    engine: Engine, ev: Events
) -> None:
    """A bot (webhooks arrive as bot authors too) mentioning a human makes no exchange."""
    await flushed(engine, ev.message(BOT, at(1), mentions=(A,), bot=True))
    assert await points(engine.db, 1) == {}
    assert await exchanges(engine.db, 1) == set()
    assert engine.ingestor.stats.counted == 0
    assert engine.ingestor.stats.messages == 1


async def test_rule2_system_messages_earn_nothing_and_engage_no_one(
    engine: Engine, ev: Events
) -> None:
    await flushed(engine, ev.message(A, at(1), mentions=(B,), system=True))
    assert await points(engine.db, 1) == {}
    assert await exchanges(engine.db, 1) == set()


async def test_rule2_a_bots_message_in_the_index_is_no_reply_target(
    engine: Engine, ev: Events
) -> None:
    """A human replying to a bot: no reply exchange, so the plain message value (1)."""
    from_bot = ev.message(BOT, at(1), bot=True)
    await flushed(engine, from_bot, ev.message(A, at(1, 12, 1), reply_to=from_bot.id))
    assert await exchanges(engine.db, 1) == set()
    assert await points(engine.db, 1) == {A: 1}


async def test_rule2_a_member_known_as_bot_is_not_counted(engine: Engine, ev: Events) -> None:
    """A member event marks the user as a bot: their unflagged messages, and mentions of them,
    count for nothing."""
    await flushed(
        engine,
        ev.member(BOT, bot=True),
        ev.message(BOT, at(1), mentions=(A,)),
        ev.message(A, at(1, 12, 5), mentions=(BOT,)),
    )
    assert await exchanges(engine.db, 1) == set()
    assert await points(engine.db, 1) == {A: 1}


async def test_rule2_the_bot_flag_survives_a_flush(engine: Engine, ev: Events) -> None:
    await flushed(engine, ev.message(BOT, at(1), bot=True))
    assert await rows(engine.db, "SELECT user, is_bot FROM members WHERE guild = ?", G) == [
        (BOT, 1)
    ]
    # A later message of the bot without the flag (e.g. from another source) still is a bot's.
    await flushed(engine, ev.message(BOT, at(1, 13), mentions=(A,)))
    assert await exchanges(engine.db, 1) == set()


# -- rule 3: exchanges of a message ---------------------------------------------------------


async def test_rule3_reply_target_from_the_event(engine: Engine, ev: Events) -> None:
    """The replied-to message was never seen, but the event names its author."""
    await flushed(engine, ev.message(A, at(1), reply_to=99, reply_to_author=B))
    assert await exchanges(engine.db, 1) == {(A, B, "reply")}
    assert await points(engine.db, 1) == {A: 3, B: 0}


async def test_rule3_reply_target_from_a_message_seen_in_the_same_batch(
    engine: Engine, ev: Events
) -> None:
    first = ev.message(B, at(1))
    await flushed(engine, first, ev.message(A, at(1, 12, 5), reply_to=first.id))
    assert await exchanges(engine.db, 1) == {(A, B, "reply")}
    assert await points(engine.db, 1) == {A: 3, B: 1}


async def test_rule3_reply_target_from_a_message_flushed_in_an_earlier_batch(
    engine: Engine, ev: Events
) -> None:
    first = ev.message(B, at(1))
    await flushed(engine, first)
    await flushed(engine, ev.message(A, at(1, 12, 5), reply_to=first.id))
    assert await exchanges(engine.db, 1) == {(A, B, "reply")}
    assert await points(engine.db, 1) == {A: 3, B: 1}


async def test_rule3_reply_target_from_a_message_of_an_earlier_closed_day(
    engine: Engine, ev: Events
) -> None:
    first = ev.message(B, at(1))
    await flushed(engine, first)
    await engine.close(1)
    await flushed(engine, ev.message(A, at(2), reply_to=first.id))
    assert await exchanges(engine.db, 2) == {(A, B, "reply")}


async def test_rule3_reply_to_an_unknown_message_is_no_reply(engine: Engine, ev: Events) -> None:
    await flushed(engine, ev.message(A, at(1), reply_to=424242))
    assert await exchanges(engine.db, 1) == set()
    assert await points(engine.db, 1) == {A: 1}


async def test_rule3_reply_and_mention_of_the_same_person_is_one_reply(
    engine: Engine, ev: Events
) -> None:
    first = ev.message(B, at(1))
    await flushed(engine, first, ev.message(A, at(1, 12, 5), reply_to=first.id, mentions=(B,)))
    assert await exchange_counts(engine.db, 1) == {(A, B, "reply"): 1}
    assert await points(engine.db, 1) == {A: 3, B: 1}


async def test_rule3_every_other_human_mentioned_once(engine: Engine, ev: Events) -> None:
    """Self-mentions, bots and repeated mentions make no extra exchange."""
    await flushed(
        engine,
        ev.member(BOT, bot=True),
        ev.message(A, at(1), mentions=(B, C, B, A, BOT)),
    )
    assert await exchange_counts(engine.db, 1) == {(A, B, "mention"): 1, (A, C, "mention"): 1}
    assert await points(engine.db, 1) == {A: 2, B: 0, C: 0}


async def test_rule3_a_reply_to_oneself_is_no_reply(engine: Engine, ev: Events) -> None:
    first = ev.message(A, at(1))
    await flushed(engine, first, ev.message(A, at(1, 12, 5), reply_to=first.id))
    assert await exchanges(engine.db, 1) == set()
    assert await points(engine.db, 1) == {A: 2}


async def test_rule3_the_reply_target_is_fixed_when_the_reply_arrives(
    engine: Engine, ev: Events
) -> None:
    """Deleting the replied-to message later does not take the reply's exchange back."""
    first = ev.message(B, at(1))
    reply = ev.message(A, at(1, 12, 5), reply_to=first.id)
    await flushed(engine, first, reply, ev.delete(first.id, at(1, 12, 10)))
    assert await exchanges(engine.db, 1) == {(A, B, "reply")}
    assert await points(engine.db, 1) == {A: 3, B: 0}


# -- rule 4: reactions ----------------------------------------------------------------------


async def test_rule4_a_reaction_engages_the_messages_author(engine: Engine, ev: Events) -> None:
    """The author is found through the message index, even across flushes."""
    first = ev.message(A, at(1))
    await flushed(engine, first)
    await flushed(engine, ev.reaction(C, first.id, at(1, 12, 1)))
    assert await exchanges(engine.db, 1) == {(C, A, "reaction")}
    assert await points(engine.db, 1) == {A: 1, C: 1}


async def test_rule4_a_reaction_naming_the_author(engine: Engine, ev: Events) -> None:
    await flushed(engine, ev.reaction(C, 777, at(1), message_author=A))
    assert await exchanges(engine.db, 1) == {(C, A, "reaction")}
    assert await points(engine.db, 1) == {A: 0, C: 1}


async def test_rule4_reactions_that_are_no_exchange(engine: Engine, ev: Events) -> None:
    own = ev.message(A, at(1))
    from_bot = ev.message(BOT, at(1), bot=True)
    await flushed(
        engine,
        own,
        from_bot,
        ev.reaction(A, own.id, at(1, 12, 1)),  # to oneself
        ev.reaction(A, from_bot.id, at(1, 12, 2)),  # to a bot
        ev.reaction(BOT, own.id, at(1, 12, 3)),  # by a bot
        ev.reaction(C, 5555, at(1, 12, 4)),  # to an unknown message
    )
    assert await exchanges(engine.db, 1) == set()
    assert await points(engine.db, 1) == {A: 1}


# -- rule 5: deletes ------------------------------------------------------------------------


async def test_rule5_a_same_day_delete_takes_back_exchanges_and_points(
    engine: Engine, ev: Events
) -> None:
    message = ev.message(A, at(1), mentions=(B,))
    await flushed(engine, message, ev.delete(message.id, at(1, 18)))
    assert await exchanges(engine.db, 1) == set()
    assert (await points(engine.db, 1)).get(A, 0) == 0


async def test_rule5_a_same_day_delete_of_an_already_flushed_message(
    engine: Engine, ev: Events
) -> None:
    first = ev.message(B, at(1))
    reply = ev.message(A, at(1, 12, 5), reply_to=first.id, mentions=(C,))
    await flushed(engine, first, reply)
    assert await exchanges(engine.db, 1) == {(A, B, "reply"), (A, C, "mention")}
    await flushed(engine, ev.delete(reply.id, at(1, 20)))
    assert await exchanges(engine.db, 1) == set()
    assert (await points(engine.db, 1)).get(A, 0) == 0
    assert (await points(engine.db, 1))[B] == 1


async def test_rule5_a_delete_keeps_other_messages_exchanges(engine: Engine, ev: Events) -> None:
    one = ev.message(A, at(1), mentions=(B,))
    two = ev.message(A, at(1, 13), mentions=(B,))
    await flushed(engine, one, two, ev.delete(one.id, at(1, 14)))
    assert await exchange_counts(engine.db, 1) == {(A, B, "mention"): 1}
    assert (await points(engine.db, 1))[A] == 2


async def test_rule5_a_delete_on_a_later_day_changes_nothing(engine: Engine, ev: Events) -> None:
    message = ev.message(A, at(1), mentions=(B,))
    await flushed(engine, message)
    await flushed(engine, ev.delete(message.id, at(2, 0, 1)))
    assert await exchanges(engine.db, 1) == {(A, B, "mention")}
    assert (await points(engine.db, 1))[A] == 2


async def test_rule5_a_delete_after_the_day_closed_changes_nothing(
    engine: Engine, ev: Events
) -> None:
    message = ev.message(A, at(1), mentions=(B,))
    await flushed(engine, message)
    await engine.close(1)
    await flushed(engine, ev.delete(message.id, at(2)))
    assert await exchanges(engine.db, 1) == {(A, B, "mention")}
    assert (await points(engine.db, 1))[A] == 2


@pytest.mark.parametrize(
    ("timezone", "same_day"),
    [("UTC", True), ("Asia/Tokyo", False), ("America/Los_Angeles", True)],
)
async def test_rule5_rule1_same_day_means_the_guild_day(
    db: Database, clock: ManualClock, timezone: str, same_day: bool
) -> None:
    """Sent 14:00 UTC, deleted 15:30 UTC: one day in UTC and Los Angeles (07:00, 08:30), but
    23:00 and 00:30 the next day in Tokyo, where the delete changes nothing."""
    engine = await Engine(db, config(timezone=timezone), clock).start()
    ev = Events()
    message = ev.message(A, at(1, 14), mentions=(B,))
    await flushed(engine, message, ev.delete(message.id, at(1, 15, 30)))
    found = await rows(db, "SELECT src, dst, kind FROM exchanges WHERE count > 0")
    if same_day:
        assert found == []
    else:
        assert found == [(A, B, "mention")]


async def test_rule5_deleting_an_unknown_message_changes_nothing(
    engine: Engine, ev: Events
) -> None:
    message = ev.message(A, at(1), mentions=(B,))
    await flushed(engine, message, ev.delete(31337, at(1, 13)))
    assert await exchanges(engine.db, 1) == {(A, B, "mention")}


async def test_rule5_a_second_delete_takes_nothing_more(engine: Engine, ev: Events) -> None:
    one = ev.message(A, at(1), mentions=(B,))
    two = ev.message(A, at(1, 13), mentions=(B,))
    await flushed(engine, one, two, ev.delete(one.id, at(1, 14)))
    await flushed(engine, ev.delete(one.id, at(1, 15)))
    assert await exchange_counts(engine.db, 1) == {(A, B, "mention"): 1}
    assert (await points(engine.db, 1))[A] == 2


# -- rule 9: points, cooldown, daily cap ----------------------------------------------------


async def test_rule9_points_by_the_best_kind_of_the_message(engine: Engine, ev: Events) -> None:
    first = ev.message(B, at(1))
    await flushed(
        engine,
        first,
        ev.message(A, at(1, 13), reply_to=first.id, mentions=(C,)),  # reply: 3
        ev.message(C, at(1, 13), mentions=(A,)),  # mention: 2
        ev.message(D, at(1, 13)),  # message: 1
        ev.reaction(D, first.id, at(1, 14)),  # reaction: 1
    )
    assert await points(engine.db, 1) == {A: 3, B: 1, C: 2, D: 2}


async def test_rule9_cooldown_runs_from_the_last_point_earning_message(
    engine: Engine, ev: Events
) -> None:
    """0 s earns, 30 s does not (too soon), 70 s earns: 70 s after the last *earning* message,
    although only 40 s after the one before."""
    base = at(1)
    await flushed(
        engine,
        ev.message(A, base),
        ev.message(A, base + timedelta(seconds=30)),
        ev.message(A, base + timedelta(seconds=70)),
    )
    assert await points(engine.db, 1) == {A: 2}


async def test_rule9_a_message_exactly_at_the_cooldown_earns(engine: Engine, ev: Events) -> None:
    base = at(1)
    await flushed(engine, ev.message(A, base), ev.message(A, base + timedelta(seconds=60)))
    assert await points(engine.db, 1) == {A: 2}


async def test_rule9_a_message_in_cooldown_still_makes_its_exchanges(
    engine: Engine, ev: Events
) -> None:
    await flushed(engine, ev.message(A, at(1)), ev.message(A, at(1, 12, 0, 10), mentions=(B,)))
    assert await exchanges(engine.db, 1) == {(A, B, "mention")}
    assert await points(engine.db, 1) == {A: 1, B: 0}


async def test_rule9_cooldown_is_per_guild(engine: Engine, ev: Events) -> None:
    await flushed(engine, ev.message(A, at(1)), ev.message(A, at(1, 12, 0, 10), guild=2))
    assert await points(engine.db, 1) == {A: 1}
    assert await points(engine.db, 1, guild=2) == {A: 1}


async def test_rule9_reactions_have_no_cooldown(engine: Engine, ev: Events) -> None:
    await flushed(
        engine,
        ev.message(A, at(1)),
        ev.reaction(A, 1, at(1, 12, 0, 1), message_author=B),
        ev.reaction(A, 2, at(1, 12, 0, 2), message_author=C),
    )
    assert (await points(engine.db, 1))[A] == 3


async def test_rule9_daily_cap(db: Database, clock: ManualClock) -> None:
    """Cap 5: a reply (3), a reply capped to 2, a reaction capped to 0; the next day is new."""
    engine = await Engine(db, config(points={"daily_cap": 5}), clock).start()
    ev = Events()
    await flushed(
        engine,
        ev.message(A, at(1, 10), reply_to_author=B, reply_to=1),
        ev.message(A, at(1, 11), reply_to_author=B, reply_to=1),
        ev.reaction(A, 7, at(1, 12), message_author=C),
        ev.message(A, at(2, 10), reply_to_author=B, reply_to=1),
    )
    assert (await points(db, 1))[A] == 5
    assert (await points(db, 2))[A] == 3
    # Capped events still engage: the exchanges are there.
    assert await exchanges(db, 1) == {(A, B, "reply"), (A, C, "reaction")}


async def test_rule9_a_message_capped_to_nothing_does_not_restart_the_cooldown(
    db: Database, clock: ManualClock
) -> None:
    """Earning nothing (cap reached) is not 'point-earning': the cooldown still runs from the
    last message that earned, so the next day's first message, 40 s after the capped one but
    130 s after the last earning one, earns."""
    engine = await Engine(db, config(points={"daily_cap": 1}), clock).start()
    ev = Events()
    await flushed(
        engine,
        ev.message(A, at(1, 23, 58)),  # earns 1, the cap
        ev.message(A, at(1, 23, 59, 30)),  # out of cooldown, but capped: earns nothing
        ev.message(A, at(2, 0, 0, 10)),  # 130 s after the last earning message: earns
    )
    assert (await points(db, 1))[A] == 1
    assert (await points(db, 2))[A] == 1


# -- duplicates, late events ----------------------------------------------------------------


async def test_the_same_message_twice_counts_once(engine: Engine, ev: Events) -> None:
    message = ev.message(A, at(1), mentions=(B,))
    await engine.ingest(message, message)
    await engine.ingestor.flush()
    await flushed(engine, message)  # and once more after it reached the store
    assert await exchange_counts(engine.db, 1) == {(A, B, "mention"): 1}
    assert await points(engine.db, 1) == {A: 2, B: 0}
    assert engine.ingestor.stats.duplicates == 2
    assert await value(engine.db, "SELECT count(*) FROM messages") == 1


async def test_events_on_a_closed_day_count_nowhere(engine: Engine, ev: Events) -> None:
    first = ev.message(B, at(1))
    await flushed(engine, first)
    await engine.close(1)
    before = (await exchanges(engine.db, 1), await points(engine.db, 1))
    await flushed(
        engine,
        ev.message(A, at(1, 20), reply_to=first.id),
        ev.reaction(C, first.id, at(1, 21)),
        ev.message(A, at(2)),
    )
    assert (await exchanges(engine.db, 1), await points(engine.db, 1)) == before
    assert engine.ingestor.stats.late == 2
    assert await points(engine.db, 2) == {A: 1}


# -- flushing -------------------------------------------------------------------------------


async def test_nothing_is_written_before_a_flush_and_everything_after(
    engine: Engine, ev: Events
) -> None:
    first = ev.message(B, at(1))
    await engine.ingest(
        ev.message(BOT, at(1), bot=True),
        first,
        ev.message(A, at(1, 12, 5), reply_to=first.id, mentions=(C,)),
        ev.reaction(C, first.id, at(1, 12, 6)),
    )
    assert await value(engine.db, "SELECT count(*) FROM messages") == 0
    await engine.ingestor.flush()
    assert await value(engine.db, "SELECT count(*) FROM messages") == 3
    assert await exchanges(engine.db, 1) == {
        (A, B, "reply"),
        (A, C, "mention"),
        (C, B, "reaction"),
    }
    assert await points(engine.db, 1) == {A: 3, B: 1, C: 1}
    assert await value(engine.db, "SELECT first_day FROM guilds WHERE id = ?", G) == iso(1)
    assert await value(engine.db, "SELECT is_bot FROM members WHERE user = ?", BOT) == 1
    assert engine.ingestor.unflushed == 0


async def test_maybe_flush_writes_at_most_every_second(db: Database, clock: ManualClock) -> None:
    now = [0.0]
    engine = await Engine(db, config(), clock, monotonic=lambda: now[0]).start()
    ev = Events()
    await engine.ingest(ev.message(A, at(1)))
    now[0] = 0.9
    await engine.ingestor.maybe_flush()
    assert await value(db, "SELECT count(*) FROM messages") == 0
    now[0] = 1.0
    await engine.ingestor.maybe_flush()
    assert await value(db, "SELECT count(*) FROM messages") == 1


async def test_maybe_flush_writes_a_big_batch_at_once(db: Database, clock: ManualClock) -> None:
    """Within the second, a batch past `flush_rows` is written without waiting."""
    engine = await Engine(db, config(), clock, flush_rows=100, monotonic=lambda: 0.0).start()
    ev = Events()
    await engine.ingest(ev.message(A, at(1)))
    await engine.ingestor.maybe_flush()
    assert await value(db, "SELECT count(*) FROM messages") == 0
    await engine.ingest(*(ev.message(A, at(1, 13)) for _ in range(100)))
    await engine.ingestor.maybe_flush()
    assert await value(db, "SELECT count(*) FROM messages") == 101


async def test_a_clean_shutdown_loses_nothing(db_path: Path, clock: ManualClock) -> None:
    cfg = config()
    db = await Database.open(db_path)
    engine = await Engine(db, cfg, clock).start()
    ev = Events()
    first = ev.message(B, at(1))
    await engine.ingest(first, ev.message(A, at(1, 12, 5), reply_to=first.id))
    await engine.ingestor.flush()  # what the bot does on shutdown
    await db.close()

    db = await Database.open(db_path)
    try:
        assert await exchanges(db, 1) == {(A, B, "reply")}
        assert await points(db, 1) == {A: 3, B: 1}
        assert await value(db, "SELECT count(*) FROM messages") == 2
    finally:
        await db.close()


async def test_flush_periodically_writes_within_its_interval(db: Database, clock: ManualClock):
    """The live bot's crash window: accepted events reach the store within `flush_seconds`."""
    engine = await Engine(db, config(), clock, flush_seconds=0.05).start()
    flusher = asyncio.create_task(engine.ingestor.flush_periodically())
    try:
        ev = Events()
        await engine.ingest(ev.message(A, at(1), mentions=(B,)))
        assert await value(db, "SELECT count(*) FROM messages") == 0
        for _ in range(40):
            await asyncio.sleep(0.05)
            if await value(db, "SELECT count(*) FROM messages") == 1:
                break
        assert await value(db, "SELECT count(*) FROM messages") == 1
        assert await exchanges(db, 1) == {(A, B, "mention")}
    finally:
        flusher.cancel()


async def test_a_new_config_applies_to_later_events_and_keeps_what_was_accepted(
    db: Database, clock: ManualClock
):
    """Replacing a guild's config mid-day (an owner's change) keeps the unflushed points and
    scores later messages with the new values."""
    engine = await Engine(db, config(), clock).start()
    ev = Events()
    await engine.ingest(ev.message(A, at(1, 10)))  # plain message: 1 point
    await engine.ingestor.guild(G, config(points={"message": 5}))
    await engine.ingest(ev.message(A, at(1, 11)))  # after the cooldown: 5 points
    await engine.ingestor.flush()
    assert await points(db, 1) == {A: 6}
    stored = await engine.ingestor.guilds_repo.get(G)
    assert stored is not None
    assert stored.config.points.message == 5


async def test_concurrent_first_sight_of_a_guild_shares_one_state(db):
    """The live bot registers a guild on ready while its first messages are ingested: both
    must land in the same state, or the events counted by one are lost to the other."""
    from bot.services.ingest import Ingestor

    ingestor = Ingestor(db, config())
    first, second = await asyncio.gather(ingestor.guild(G), ingestor.guild(G))
    assert first is second
