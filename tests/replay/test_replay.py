"""`bot.replay.Replay` on the small fixtures of tests/fixtures, with hand-computed answers.

Points are the shipped values (message 1, mention 2, reply 3, reaction 1, 60 s cooldown); tiers
are Spark (3 days, 10 tokens) and Flame (7 days, 25 tokens, 1 freeze); the treasury starts at
1000. See each fixture's test for the arithmetic.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from bot.domain.fraud.accounts import DISCORD_EPOCH_MS
from bot.guild_config import GuildConfig, parse_config
from bot.ingest.replay_files import InputError
from bot.replay import Replay
from tests.conftest import FIXTURES

WEEK = FIXTURES / "week.jsonl"
SMALL_EXPORT = FIXTURES / "small_export.json"


def cfg(**overrides: object) -> GuildConfig:
    """The engine's rules as issue 2 defined them: without issue 5's anti-fraud checks (whose
    output fields these tests do not expect; pass `fraud={"enabled": True}` to turn them on)."""
    data: dict = {
        "fraud": {"enabled": False},
        "tokens": {"treasury": 1000},
        "tiers": [
            {"name": "Spark", "days": 3, "tokens": 10, "freezes": 0},
            {"name": "Flame", "days": 7, "tokens": 25, "freezes": 1},
        ],
    }
    for key, value in overrides.items():
        if isinstance(value, dict):
            data[key] = {**data.get(key, {}), **value}
        else:
            data[key] = value
    return parse_config(data, source="test")


async def replay(
    *paths: Path,
    config: GuildConfig | None = None,
    until: date | None = None,
    db: Path | None = None,
) -> dict:
    result = await Replay(list(paths), config or cfg(), until=until, db_path=db).run()
    return result.to_json()


def message(id: str, author: str, ts: str, **fields: object) -> dict:
    return {
        "type": "message",
        "id": id,
        "guild": "1",
        "channel": "10",
        "author": author,
        "ts": ts,
        **fields,
    }


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def guild(document: dict, guild_id: str) -> dict:
    (found,) = [g for g in document["guilds"] if g["id"] == guild_id]
    return found


# -- the week: a 7-day mutual streak, with everything that must not count around it ----------

WEEK_GUILD_1 = {
    "id": "1",
    "first_day": "2026-11-01",
    "last_closed_day": "2026-11-07",
    "streaks": [{"members": ["101", "102"], "current": 7, "best": 7, "last_day": "2026-11-07"}],
    "members": [
        # 101 mentions 102 every day: 7 × 2 points; tokens 14 + Spark 10 + Flame 25.
        {"id": "101", "points": 14, "tokens": 49, "badges": ["Spark", "Flame"]},
        # 102 replies every day (day 4 also mentions 101: still one reply): 7 × 3; 21 + 35.
        {"id": "102", "points": 21, "tokens": 56, "badges": ["Spark", "Flame"]},
        # 103: a reaction on day 1 (1), a system message (0), a message deleted the same day
        # (day 5: 2 taken back), a message deleted the next day (day 6: kept, 1).
        {"id": "103", "points": 2, "tokens": 2, "badges": []},
    ],
    "treasury": 1000 - 49 - 56 - 2,
}
WEEK_GUILD_3 = {
    # One mutual day on day 1, then silence: closed through the input's last day, broken.
    "id": "3",
    "first_day": "2026-11-01",
    "last_closed_day": "2026-11-07",
    "streaks": [{"members": ["301", "302"], "current": 0, "best": 1, "last_day": "2026-11-01"}],
    "members": [
        {"id": "301", "points": 2, "tokens": 2, "badges": []},
        {"id": "302", "points": 3, "tokens": 3, "badges": []},
    ],
    "treasury": 995,
}


async def test_rules_1_to_10_a_week_of_jsonl() -> None:
    assert await replay(WEEK) == {"guilds": [WEEK_GUILD_1, WEEK_GUILD_3]}


async def test_rule10_per_point_one_half_floors_each_members_day() -> None:
    """101: 2 points a day → 1 token; 102: 3 points → floor(1.5) = 1, not 21 × 0.5 = 10 at
    the end; 103's single points give 0."""
    document = await replay(WEEK, config=cfg(tokens={"per_point": "0.5"}))
    tokens = {m["id"]: m["tokens"] for m in guild(document, "1")["members"]}
    assert tokens == {"101": 7 + 35, "102": 7 + 35, "103": 0}
    assert guild(document, "1")["treasury"] == 1000 - 84
    assert guild(document, "3")["treasury"] == 1000 - 1 - 1


async def test_rule7_rule8_until_closes_the_days_after_the_input() -> None:
    """Day 8 is empty: Flame's freeze keeps the streak at 7. Day 9: no freeze left, broken."""
    document = await replay(WEEK, until=date(2026, 11, 8))
    g1 = guild(document, "1")
    assert g1["last_closed_day"] == "2026-11-08"
    assert guild(document, "3")["last_closed_day"] == "2026-11-08"
    assert g1["streaks"][0] == {
        "members": ["101", "102"],
        "current": 7,
        "best": 7,
        "last_day": "2026-11-07",
    }
    document = await replay(WEEK, until=date(2026, 11, 9))
    g1 = guild(document, "1")
    assert g1["last_closed_day"] == "2026-11-09"
    assert g1["streaks"][0]["current"] == 0
    assert g1["streaks"][0]["best"] == 7
    # Empty days pay nothing.
    assert g1["treasury"] == WEEK_GUILD_1["treasury"]


async def test_until_before_the_last_event_still_closes_through_the_last_event() -> None:
    document = await replay(WEEK, until=date(2026, 11, 2))
    assert guild(document, "1")["last_closed_day"] == "2026-11-07"


# -- rule 1: the guild's timezone -------------------------------------------------------------


async def test_rule1_the_configured_timezone_moves_the_day_boundary() -> None:
    """101 mentions at 14:30Z and 102 replies at 15:30Z, days 1-3. In UTC both fall on the same
    day: 3 qualifying days, Spark. In Tokyo (UTC+9) they are 23:30 and 00:30 the next day: days
    2 and 3 qualify (a reply of the day before meets the day's mention), day 4 breaks."""
    path = FIXTURES / "late_evening.jsonl"
    utc = (await replay(path))["guilds"][0]
    assert (utc["first_day"], utc["last_closed_day"]) == ("2026-11-01", "2026-11-03")
    assert utc["streaks"] == [
        {"members": ["101", "102"], "current": 3, "best": 3, "last_day": "2026-11-03"}
    ]
    assert utc["treasury"] == 1000 - (6 + 10) - (9 + 10)

    tokyo = (await replay(path, config=cfg(timezone="Asia/Tokyo")))["guilds"][0]
    assert (tokyo["first_day"], tokyo["last_closed_day"]) == ("2026-11-01", "2026-11-04")
    assert tokyo["streaks"] == [
        {"members": ["101", "102"], "current": 0, "best": 2, "last_day": "2026-11-03"}
    ]
    assert tokyo["members"] == [
        {"id": "101", "points": 6, "tokens": 6, "badges": []},
        {"id": "102", "points": 9, "tokens": 9, "badges": []},
    ]
    assert tokyo["treasury"] == 1000 - 15


async def test_rule1_a_25_hour_day_at_the_end_of_daylight_saving_time(tmp_path: Path) -> None:
    """New York leaves DST on 2026-11-01: that day runs from 04:00Z to 05:00Z the next day.
    101 writes at its first half hour (04:30Z) and 102 answers at its last (04:30Z on the 2nd,
    23:30 EST): one day. In UTC the same events fall on three days."""
    path = write_jsonl(
        tmp_path / "dst.jsonl",
        [
            message("1", "101", "2026-11-01T04:30:00Z", mentions=["102"]),
            message("2", "102", "2026-11-02T04:30:00Z", reply_to="1"),
            message("3", "101", "2026-11-02T05:30:00Z", mentions=["102"]),
            message("4", "102", "2026-11-03T04:30:00Z", reply_to="3"),
        ],
    )
    (ny,) = (await replay(path, config=cfg(timezone="America/New_York")))["guilds"]
    assert (ny["first_day"], ny["last_closed_day"]) == ("2026-11-01", "2026-11-02")
    assert ny["streaks"] == [
        {"members": ["101", "102"], "current": 2, "best": 2, "last_day": "2026-11-02"}
    ]
    (utc,) = (await replay(path))["guilds"]
    assert (utc["first_day"], utc["last_closed_day"]) == ("2026-11-01", "2026-11-03")
    assert utc["streaks"] == [
        {"members": ["101", "102"], "current": 0, "best": 1, "last_day": "2026-11-02"}
    ]


async def test_first_day_is_the_day_of_the_earliest_event_of_any_kind(tmp_path: Path) -> None:
    """A reaction to an unknown message on 31 October and a bot's post on 1 November come
    before any human message (2 November): the guild's first day is 31 October, and every
    day from it is closed."""
    path = write_jsonl(
        tmp_path / "first.jsonl",
        [
            {
                "type": "reaction",
                "guild": "1",
                "channel": "10",
                "message": "77",
                "user": "101",
                "ts": "2026-10-31T22:00:00Z",
            },
            message("2", "900", "2026-11-01T10:00:00Z", bot=True, mentions=["101"]),
            message("3", "101", "2026-11-02T10:00:00Z"),
        ],
    )
    (g,) = (await replay(path))["guilds"]
    assert (g["first_day"], g["last_closed_day"]) == ("2026-10-31", "2026-11-02")
    assert g["members"] == [{"id": "101", "points": 1, "tokens": 1, "badges": []}]


async def test_real_sized_snowflakes_come_out_exact(tmp_path: Path) -> None:
    """18-19 digit IDs, as integers or strings, never pass through a float."""
    big_a, big_b = 703096483037052999, 464162496065044481
    path = write_jsonl(
        tmp_path / "big.jsonl",
        [
            {
                "type": "message",
                "id": 1108134354737168434,
                "guild": 1079907749569237093,
                "channel": 1108134343295127592,
                "author": big_a,
                "ts": "2026-11-01T10:00:00Z",
                "mentions": [big_b],
            },
            {
                "type": "message",
                "id": "1108134354737168435",
                "guild": "1079907749569237093",
                "channel": "1108134343295127592",
                "author": str(big_b),
                "ts": "2026-11-01T10:05:00Z",
                "reply_to": "1108134354737168434",
            },
        ],
    )
    (g,) = (await replay(path))["guilds"]
    assert g["id"] == "1079907749569237093"
    assert g["streaks"][0]["members"] == [str(big_b), str(big_a)]
    assert [m["id"] for m in g["members"]] == [str(big_b), str(big_a)]


async def test_the_same_export_twice_counts_once() -> None:
    """Overlapping exports of one channel: every message is a duplicate the second time, and
    so are the reactions recorded on it (an export has no other record of a reaction)."""
    assert await replay(SMALL_EXPORT, SMALL_EXPORT) == await replay(SMALL_EXPORT)


# -- DiscordChatExporter --------------------------------------------------------------------


async def test_rules_2_3_4_9_a_discordchatexporter_export() -> None:
    """Ann (201) and Ben (202) engage each other three days running: Spark.
    Day 1: Ann mentions Ben (2); Ben's Reply to it also pings Ann (one reply: 3); Cat's 👍 on
    Ann's message (1; Ann's own 👍 is nothing); a webhook bot's post mentioning Ann and Ben's
    🎉 on it are nothing; Cat's ThreadCreated is a system message.
    Day 2: Ben mentions Ann (2), Ann replies (3), Ann again 15 s later (cooldown: 0).
    Day 3: Ann replies to the bot's post and mentions Ben (no reply target: a mention, 2); Ben
    replies to a message not in the export and pings Ann (a mention, 2); a pin notice."""
    document = await replay(SMALL_EXPORT)
    assert document == {
        "guilds": [
            {
                "id": "5000",
                "first_day": "2026-11-01",
                "last_closed_day": "2026-11-03",
                "streaks": [
                    {"members": ["201", "202"], "current": 3, "best": 3, "last_day": "2026-11-03"}
                ],
                "members": [
                    {"id": "201", "points": 7, "tokens": 17, "badges": ["Spark"]},
                    {"id": "202", "points": 7, "tokens": 17, "badges": ["Spark"]},
                    {"id": "203", "points": 1, "tokens": 1, "badges": []},
                ],
                "treasury": 1000 - 35,
            }
        ]
    }


async def test_a_dce_and_a_jsonl_file_are_merged_by_time() -> None:
    """101's messages are in the export, 102's replies to them in the log (given first on the
    command line): a reply finds its target only if the export's message came before it. 103
    writes first (09:00, the log) and reacts to a message of the export on day 2."""
    document = await replay(FIXTURES / "mixed_events.jsonl", FIXTURES / "mixed_export.json")
    assert document == {
        "guilds": [
            {
                "id": "1",
                "first_day": "2026-11-01",
                "last_closed_day": "2026-11-03",
                "streaks": [
                    {"members": ["101", "102"], "current": 3, "best": 3, "last_day": "2026-11-03"}
                ],
                "members": [
                    {"id": "101", "points": 6, "tokens": 16, "badges": ["Spark"]},
                    {"id": "102", "points": 9, "tokens": 19, "badges": ["Spark"]},
                    {"id": "103", "points": 2, "tokens": 2, "badges": []},
                ],
                "treasury": 1000 - 37,
            }
        ]
    }


async def test_a_direct_message_export_is_refused() -> None:
    with pytest.raises(InputError, match="direct-message"):
        await replay(FIXTURES / "dm_export.json")


# -- member events ----------------------------------------------------------------------------


async def test_rule2_a_member_event_without_ts_holds_from_the_start(tmp_path: Path) -> None:
    """900 posts a digest mentioning 101 and 101 replies, three days running; the file's last
    line says 900 is a bot. So no pair, and 101's replies are plain messages (1 point)."""
    path = FIXTURES / "bot_member_last.jsonl"
    assert await replay(path) == {
        "guilds": [
            {
                "id": "1",
                "first_day": "2026-11-01",
                "last_closed_day": "2026-11-03",
                "streaks": [],
                "members": [{"id": "101", "points": 3, "tokens": 3, "badges": []}],
                "treasury": 997,
            }
        ]
    }
    # Without that last line, 900 is a human and the pair reaches Spark: the line matters.
    without = tmp_path / "without_member.jsonl"
    without.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))
    (g,) = (await replay(without))["guilds"]
    assert g["streaks"][0]["members"] == ["101", "900"]
    assert g["streaks"][0]["current"] == 3


async def test_rule2_a_member_event_with_ts_holds_from_then_on(tmp_path: Path) -> None:
    """Declared a bot at the start of day 2: day 1 still qualifies, days 2-3 do not."""
    lines = (FIXTURES / "bot_member_last.jsonl").read_text().splitlines(keepends=True)[:-1]
    member = {"type": "member", "guild": "1", "user": "900", "bot": True}
    lines.insert(2, json.dumps({**member, "ts": "2026-11-02T00:00:00+00:00"}) + "\n")
    path = tmp_path / "bot_from_day_2.jsonl"
    path.write_text("".join(lines))
    (g,) = (await replay(path))["guilds"]
    assert g["streaks"] == [
        {"members": ["101", "900"], "current": 0, "best": 1, "last_day": "2026-11-01"}
    ]
    points = {m["id"]: m["points"] for m in g["members"]}
    assert points["101"] == 3 + 1 + 1


# -- --db: keep the database, continue from it ------------------------------------------------


def split_week(tmp_path: Path, *, first: range, second: range) -> tuple[Path, Path]:
    """The week's lines by day: days in `first` to one file, days in `second` to another."""
    lines = [json.loads(line) for line in WEEK.read_text().splitlines()]

    def write(name: str, days: range) -> Path:
        path = tmp_path / name
        path.write_text(
            "".join(json.dumps(line) + "\n" for line in lines if int(line["ts"][8:10]) in days)
        )
        return path

    return write("part1.jsonl", first), write("part2.jsonl", second)


async def test_a_second_replay_on_the_same_db_continues_without_refunding(tmp_path: Path):
    """Days 1-4, then days 5-7 on the kept database: the same answer as one replay of the week
    (guild 3, absent from the second input, is closed through its last day too), and each
    treasury was funded once."""
    part1, part2 = split_week(tmp_path, first=range(1, 5), second=range(5, 8))
    db = tmp_path / "kept.db"
    first = await replay(part1, db=db)
    assert first["guilds"][0]["last_closed_day"] == "2026-11-04"
    assert first["guilds"][0]["streaks"][0]["current"] == 4
    second = await replay(part2, db=db)
    assert second == {"guilds": [WEEK_GUILD_1, WEEK_GUILD_3]}
    with sqlite3.connect(db) as conn:
        funded = conn.execute(
            "SELECT guild, sum(amount) FROM ledger WHERE source IS NULL GROUP BY guild"
        ).fetchall()
    conn.close()
    assert funded == [(1, 1000), (3, 1000)]


async def test_a_second_replay_after_a_gap_catches_up_the_missed_days(tmp_path: Path):
    """Days 1-4 kept; the next input starts on day 6: day 5 is closed first, and breaks the
    streak (Spark gives no freeze). Days 6-7 start a new run."""
    part1, part2 = split_week(tmp_path, first=range(1, 5), second=range(6, 8))
    db = tmp_path / "kept.db"
    await replay(part1, db=db)
    g = guild(await replay(part2, db=db), "1")
    assert g["last_closed_day"] == "2026-11-07"
    assert g["streaks"] == [
        {"members": ["101", "102"], "current": 2, "best": 4, "last_day": "2026-11-07"}
    ]
    with sqlite3.connect(db) as conn:
        days = [
            day
            for (day,) in conn.execute("SELECT day FROM day_closes WHERE guild = 1 ORDER BY day")
        ]
    conn.close()
    assert days == [f"2026-11-0{n}" for n in range(1, 8)]


async def test_an_empty_input_with_until_closes_the_kept_days(tmp_path: Path):
    """Nothing new happened: the clock alone moves to --until, and the streak breaks after
    Flame's freeze is spent (day 8 frozen, day 9 broken)."""
    db = tmp_path / "kept.db"
    await replay(WEEK, db=db)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    document = await replay(empty, db=db, until=date(2026, 11, 9))
    g1 = guild(document, "1")
    assert g1["last_closed_day"] == guild(document, "3")["last_closed_day"] == "2026-11-09"
    assert g1["streaks"][0]["current"] == 0
    assert g1["members"] == WEEK_GUILD_1["members"]


async def test_events_of_closed_days_in_a_second_replay_count_nowhere(tmp_path: Path):
    part1, _ = split_week(tmp_path, first=range(1, 5), second=range(5, 8))
    db = tmp_path / "kept.db"
    first = await replay(part1, db=db)
    again = await Replay([part1], cfg(), db_path=db).run()
    assert again.to_json() == first
    assert again.stats.counted == 0
    assert again.stats.duplicates + again.stats.late > 0


# -- malformed input: nothing half-written -----------------------------------------------------

GOOD = (
    '{"type":"message","id":"1","guild":"1","channel":"10","author":"101",'
    '"ts":"2026-11-01T10:00:00Z","mentions":["102"]}\n'
    '{"type":"message","id":"2","guild":"1","channel":"10","author":"102",'
    '"ts":"2026-11-02T10:00:00Z","reply_to":"1"}\n'
)
# Each bad third line, and a pattern the message must match (it names the field or problem).
BAD_LINES = {
    "bad json": ('{"type":"message","id":"3",', "not valid JSON"),
    "missing field": (
        '{"type":"message","id":"3","guild":"1","channel":"10","ts":"2026-11-02T11:00:00Z"}',
        "author",
    ),
    "bad snowflake": (
        '{"type":"message","id":"3","guild":"1","channel":"10","author":"bob",'
        '"ts":"2026-11-02T11:00:00Z"}',
        "author",
    ),
    "ts without offset": (
        '{"type":"message","id":"3","guild":"1","channel":"10","author":"101",'
        '"ts":"2026-11-02T11:00:00"}',
        r"(?=.*\bts\b)(?=.*(offset|timezone))",
    ),
    "out of order": (
        '{"type":"message","id":"3","guild":"1","channel":"10","author":"101",'
        '"ts":"2026-11-01T09:00:00Z"}',
        "order",
    ),
    "unknown type": ('{"type":"edit","guild":"1"}', "'edit'"),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
async def test_a_malformed_line_stops_the_replay_at_file_and_line(tmp_path: Path, case: str):
    line, problem = BAD_LINES[case]
    path = tmp_path / "events.jsonl"
    path.write_text(GOOD + line + "\n")
    db = tmp_path / "out.db"
    with pytest.raises(InputError) as raised:
        await replay(path, db=db)
    assert str(raised.value).startswith(f"{path}:3: ")
    assert re.search(problem, str(raised.value)), str(raised.value)
    assert not db.exists()


async def test_a_malformed_input_leaves_an_existing_db_unchanged(tmp_path: Path):
    db = tmp_path / "kept.db"
    good = tmp_path / "good.jsonl"
    good.write_text(GOOD)
    await replay(good, db=db)
    before = db.read_bytes()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"type":"message","id":"9","guild":"1","channel":"10","author":"101",'
        '"ts":"2026-11-05T10:00:00Z"}\n{"type":"message"\n'
    )
    with pytest.raises(InputError):
        await replay(bad, db=db)
    assert db.read_bytes() == before


def broken_export(tmp_path: Path, change) -> Path:
    document = json.loads(SMALL_EXPORT.read_text(encoding="utf-8"))
    change(document["messages"][4])
    path = tmp_path / "broken_export.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda message: message.pop("author"), "author"),
        (lambda message: message.update(timestamp="2026-11-02T09:00:00"), "timestamp"),
        (lambda message: message.update(timestamp="2026-10-02T09:00:00+00:00"), "order"),
        (lambda message: message.update(id="7O05"), "id"),
    ],
)
async def test_a_malformed_export_message_stops_the_replay(tmp_path: Path, change, problem: str):
    """The fifth message of the export is broken: the error names the file, the message and
    the problem, and the kept database is not created."""
    path = broken_export(tmp_path, change)
    db = tmp_path / "out.db"
    with pytest.raises(InputError) as raised:
        await replay(path, db=db)
    message = str(raised.value)
    assert message.startswith(f"{path}:")
    assert "messages[4]" in message or "7005" in message
    assert problem in message
    assert not db.exists()


async def test_a_syntax_error_in_an_export_is_located_by_line(tmp_path: Path) -> None:
    lines = SMALL_EXPORT.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(n for n, line in enumerate(lines, 1) if '"id": "7005"' in line)
    lines[number - 1] = lines[number - 1].replace('",', '"')  # drop the comma after the id
    path = tmp_path / "syntax.json"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        await replay(path)
    # The parser notices on the next line, where the comma was expected.
    assert str(raised.value).startswith(f"{path}:{number + 1}: ")


async def test_rule5_a_same_day_delete_after_a_mid_day_flush(tmp_path: Path) -> None:
    """A busy day: 101's mention, then enough chatter to flush the batch, then the mention is
    deleted the same day. It must lose its exchange and points like any same-day delete."""
    records = [message("1", "101", "2026-11-01T00:00:00Z", mentions=["102"])]
    records += [
        message(str(10 + n), "103", f"2026-11-01T01:{n // 600:02}:{n // 10 % 60:02}.{n:06}Z")
        for n in range(4200)
    ]
    records.append(
        {"type": "delete", "guild": "1", "channel": "10", "message": "1", "ts": "2026-11-01T23:00Z"}
    )
    path = write_jsonl(tmp_path / "busy.jsonl", records)
    result = await Replay([path], cfg(), flush_rows=10).run()
    (g,) = result.to_json()["guilds"]
    assert {m["id"]: m["points"] for m in g["members"]}["101"] == 0
    assert g["streaks"] == []


# -- issue 5: what the anti-fraud detector did, in --json -------------------------------------

RING_MADE_MS = 1_793_059_200_000  # 2026-10-27T00:00Z: five days before the log starts


def _account(n: int) -> str:
    """A Discord ID made at RING_MADE_MS: a young account."""
    return str(((RING_MADE_MS - DISCORD_EPOCH_MS) << 22) + n)


async def test_json_shows_a_farming_rings_held_tokens_flags_and_streaks(tmp_path: Path) -> None:
    """Three five-day-old accounts answer each other seconds apart every night (a ring), while
    two old members talk at human pace: the ring's members carry tokens in escrow and the
    "ring" flag, its streaks are held; the honest pair's are not."""
    ring = [_account(n) for n in (1, 2, 3)]
    lines = ["so true", "nice one", "agreed!", "haha yes", "same here", "good call"]
    records, ids = [], iter(range(1, 10_000))
    for day in range(1, 5):
        records.append(
            message(str(next(ids)), "101", f"2026-11-0{day}T12:00:00Z", mentions=["102"])
        )
        records.append(
            message(
                str(next(ids)),
                "102",
                f"2026-11-0{day}T12:05:00Z",
                reply_to=records[-1]["id"],
                content="sounds great to me",
            )
        )
        previous = None
        for turn in range(9):
            author, target = ring[turn % 3], ring[(turn + 1) % 3]
            fields = {"mentions": [target], "content": f"{lines[(turn + day) % 6]} <@{target}>"}
            if previous is not None:
                fields["reply_to"] = previous
            previous = str(next(ids))
            records.append(
                message(previous, author, f"2026-11-0{day}T21:00:{5 * turn:02d}Z", **fields)
            )
    path = write_jsonl(tmp_path / "ring.jsonl", records)
    document = await replay(path, config=cfg(fraud={"enabled": True}))
    (g,) = document["guilds"]
    members = {m["id"]: m for m in g["members"]}
    for account in ring:
        assert "ring" in members[account]["flags"]
        assert members[account]["held"] > 0
    assert (members["101"]["flags"], members["101"]["held"]) == ([], 0)
    assert (members["102"]["flags"], members["102"]["held"]) == ([], 0)
    held = {tuple(s["members"]): s["held"] for s in g["streaks"]}
    assert held.pop(("101", "102")) is False
    assert held == {pair: True for pair in held}
    assert len(held) == 3
