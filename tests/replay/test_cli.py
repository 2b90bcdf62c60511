"""`python -m bot replay` as a user runs it: a real process, real files, exit codes, output."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.replay.test_replay import WEEK_GUILD_1, WEEK_GUILD_3, split_week

WEEK = FIXTURES / "week.jsonl"
CONFIG = FIXTURES / "spark_flame.toml"


def streakbot(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in `cwd` with no STREAKBOT_ settings from the environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("STREAKBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )


def replay_json(*args: str | Path, cwd: Path) -> dict:
    done = streakbot("replay", "--json", *args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.read_text() + text)
    return path


def test_json_output_has_exactly_the_specified_shape(tmp_path: Path) -> None:
    """IDs as strings, guilds, streaks and members sorted by ID, pairs in ascending order,
    badges in tier order (Spark before Flame: not alphabetical), first and last closed day,
    treasury = initial funding - everything paid."""
    document = replay_json("--config", CONFIG, WEEK, cwd=tmp_path)
    assert document == {"guilds": [WEEK_GUILD_1, WEEK_GUILD_3]}
    (g1, _) = document["guilds"]
    assert set(g1) == {"id", "first_day", "last_closed_day", "streaks", "members", "treasury"}
    assert set(g1["streaks"][0]) == {"members", "current", "best", "last_day"}
    assert set(g1["members"][0]) == {"id", "points", "tokens", "badges"}
    # Without --db, the scratch database is not left behind.
    assert list(tmp_path.iterdir()) == []


def test_json_with_fraud_checks_adds_held_and_flags_and_keeps_every_other_field(
    tmp_path: Path,
) -> None:
    """Issue 5: with `[fraud]` on (the default), each member gains "held" (tokens in escrow)
    and "flags" (the signals that fired), each streak "held"; every other field is unchanged.
    Honest chat between old accounts trips nothing."""
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.read_text().replace("enabled = false", "enabled = true"))
    document = replay_json("--config", config, WEEK, cwd=tmp_path)
    for guild, expected in zip(document["guilds"], [WEEK_GUILD_1, WEEK_GUILD_3], strict=True):
        assert [m.pop("held") for m in guild["members"]] == [0] * len(guild["members"])
        assert [m.pop("flags") for m in guild["members"]] == [[]] * len(guild["members"])
        assert [s.pop("held") for s in guild["streaks"]] == [False] * len(guild["streaks"])
        assert guild == expected


def test_the_readable_summary_names_the_top_pair_and_members(tmp_path: Path) -> None:
    done = streakbot("replay", "--config", CONFIG, WEEK, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "101" in done.stdout
    assert "102" in done.stdout
    assert "Flame" in done.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(done.stdout)


def test_rule7_until_closes_the_extra_days(tmp_path: Path) -> None:
    document = replay_json("--config", CONFIG, "--until", "2026-11-09", WEEK, cwd=tmp_path)
    (g1, g3) = document["guilds"]
    assert (g1["last_closed_day"], g3["last_closed_day"]) == ("2026-11-09", "2026-11-09")
    assert g1["streaks"] == [
        {"members": ["101", "102"], "current": 0, "best": 7, "last_day": "2026-11-07"}
    ]


def test_rule1_timezone_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "tokyo.toml"
    config.write_text(CONFIG.read_text().replace('timezone = "UTC"', 'timezone = "Asia/Tokyo"'))
    (g,) = replay_json("--config", config, FIXTURES / "late_evening.jsonl", cwd=tmp_path)["guilds"]
    assert g["last_closed_day"] == "2026-11-04"
    assert g["streaks"][0]["best"] == 2


def test_rule10_a_decimal_per_point_in_toml(tmp_path: Path) -> None:
    """`per_point = 0.5` is a TOML float: 102's 3 points a day give exactly 1 token a day."""
    config = tmp_path / "half.toml"
    config.write_text(
        CONFIG.read_text().replace("treasury = 1000", "treasury = 1000\nper_point = 0.5")
    )
    (g1, _) = replay_json("--config", config, WEEK, cwd=tmp_path)["guilds"]
    assert {m["id"]: m["tokens"] for m in g1["members"]} == {"101": 42, "102": 42, "103": 0}
    assert g1["treasury"] == 916


def test_db_is_kept_and_a_second_replay_continues_from_it(tmp_path: Path) -> None:
    part1, part2 = split_week(tmp_path, first=range(1, 5), second=range(5, 8))
    db = tmp_path / "out" / "streakbot.db"
    replay_json("--config", CONFIG, "--db", db, part1, cwd=tmp_path)
    assert db.exists()
    document = replay_json("--config", CONFIG, "--db", db, part2, cwd=tmp_path)
    assert document == {"guilds": [WEEK_GUILD_1, WEEK_GUILD_3]}
    with sqlite3.connect(db) as conn:
        funded = conn.execute("SELECT sum(amount) FROM ledger WHERE source IS NULL").fetchone()[0]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert funded == 2 * 1000  # guilds 1 and 3, once each


# -- refusals: exit code 2, a message that says where and what, nothing written ----------------


@pytest.mark.parametrize(
    ("bad_line", "problem"),
    [
        ('{"type":"message","id":"3",', "JSON"),
        (
            '{"type":"message","id":"3","guild":"1","channel":"10","author":"101",'
            '"ts":"2026-11-01T09:00:00Z"}',
            "order",
        ),
        (
            '{"type":"reaction","guild":"1","channel":"10","message":"1","user":"x1",'
            '"ts":"2026-11-02T11:00:00Z"}',
            "user",
        ),
    ],
    ids=["bad json", "out of order", "bad snowflake"],
)
def test_a_malformed_input_exits_2_at_file_line_and_writes_nothing(
    tmp_path: Path, bad_line: str, problem: str
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"type":"message","id":"1","guild":"1","channel":"10","author":"101",'
        '"ts":"2026-11-01T10:00:00Z","mentions":["102"]}\n'
        '{"type":"message","id":"2","guild":"1","channel":"10","author":"102",'
        '"ts":"2026-11-02T10:00:00Z","reply_to":"1"}\n' + bad_line + "\n"
    )
    db = tmp_path / "out.db"
    done = streakbot("replay", "--config", CONFIG, "--db", db, path, cwd=tmp_path)
    assert done.returncode == 2
    assert f"{path}:3:" in done.stderr
    assert problem in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not db.exists()


def test_a_malformed_input_leaves_the_kept_db_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "kept.db"
    replay_json("--config", CONFIG, "--db", db, WEEK, cwd=tmp_path)
    before = db.read_bytes()
    bad = tmp_path / "later.jsonl"
    bad.write_text(
        '{"type":"message","id":"9001","guild":"1","channel":"10","author":"101",'
        '"ts":"2026-11-09T10:00:00Z"}\n'
        '{"type":"message","id":"9002","guild":"1","channel":"10","author":"101",'
        '"ts":"2026-11-09T10:00:00"}\n'
    )
    done = streakbot("replay", "--config", CONFIG, "--db", db, bad, cwd=tmp_path)
    assert done.returncode == 2
    assert f"{bad}:2:" in done.stderr
    assert db.read_bytes() == before


def test_a_dm_export_is_refused_clearly(tmp_path: Path) -> None:
    db = tmp_path / "out.db"
    dm = FIXTURES / "dm_export.json"
    done = streakbot("replay", "--config", CONFIG, "--db", db, dm, cwd=tmp_path)
    assert done.returncode == 2
    assert str(dm) in done.stderr
    assert "direct-message" in done.stderr
    assert "Traceback" not in done.stderr
    assert not db.exists()


def test_a_dm_export_among_good_files_is_refused_before_anything_runs(tmp_path: Path) -> None:
    db = tmp_path / "out.db"
    done = streakbot(
        "replay", "--config", CONFIG, "--db", db, WEEK, FIXTURES / "dm_export.json", cwd=tmp_path
    )
    assert done.returncode == 2
    assert not db.exists()


@pytest.mark.parametrize(
    ("extra", "names"),
    [
        ("\n[streaks]\ncolour = 1\n", ["streaks.colour", "unknown key"]),
        ("\n[points]\nreply = -3\n", ["points.reply"]),
    ],
)
def test_an_invalid_config_exits_2_naming_the_key(
    tmp_path: Path, extra: str, names: list[str]
) -> None:
    config = write_config(tmp_path, extra)
    done = streakbot("replay", "--config", config, WEEK, cwd=tmp_path)
    assert done.returncode == 2
    for name in names:
        assert name in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_timezone_exits_2_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "mars.toml"
    config.write_text(CONFIG.read_text().replace('"UTC"', '"Mars/Olympus_Mons"'))
    done = streakbot("replay", "--config", config, WEEK, cwd=tmp_path)
    assert done.returncode == 2
    assert "timezone" in done.stderr
    assert "Mars/Olympus_Mons" in done.stderr


def test_a_missing_input_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    done = streakbot("replay", "--config", CONFIG, missing, cwd=tmp_path)
    assert done.returncode == 2
    assert str(missing) in done.stderr


def test_a_bad_until_date_exits_2(tmp_path: Path) -> None:
    done = streakbot("replay", "--config", CONFIG, "--until", "2026-13-01", WEEK, cwd=tmp_path)
    assert done.returncode == 2
    assert "2026-13-01" in done.stderr


def test_the_summary_shows_display_names_as_plain_text(tmp_path: Path) -> None:
    """Names come from the input (a member event's `name`, an export's nicknames); a hostile
    name is printed as written, never interpreted as terminal markup."""
    log = tmp_path / "names.jsonl"
    lines = [
        {"type": "member", "guild": "1", "user": "5", "name": "[bold red]Mallory[/] @everyone"},
        {"type": "member", "guild": "1", "user": "6", "name": "Alice"},
        {
            "type": "message",
            "id": "10",
            "guild": "1",
            "channel": "2",
            "author": "5",
            "ts": "2026-01-01T10:00:00Z",
            "mentions": ["6"],
        },
        {
            "type": "message",
            "id": "11",
            "guild": "1",
            "channel": "2",
            "author": "6",
            "ts": "2026-01-01T10:05:00Z",
            "mentions": ["5"],
        },
    ]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    done = streakbot("replay", log, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "[bold red]Mallory[/] @everyone" in done.stdout
    assert "Alice" in done.stdout
    assert "Pairs that ever qualified: 1; members who took part: 2" in done.stdout


def test_a_db_that_is_not_a_streakbot_database_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_text("shopping list: eggs, milk\n")
    done = streakbot("replay", "--db", junk, WEEK, cwd=tmp_path)
    assert done.returncode == 2
    assert "cannot use the database" in done.stderr
    assert "Traceback" not in done.stderr
    assert junk.read_text() == "shopping list: eggs, milk\n"


def test_a_db_from_a_newer_streakbot_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "kept.db"
    assert streakbot("replay", "--db", db, WEEK, cwd=tmp_path).returncode == 0
    with sqlite3.connect(db) as raw:
        raw.execute("PRAGMA user_version = 99")
    raw.close()
    done = streakbot("replay", "--db", db, WEEK, cwd=tmp_path)
    assert done.returncode == 2
    assert "schema version 99 is newer" in done.stderr


def test_the_summary_counts_the_tiers_reached(tmp_path: Path) -> None:
    """The week fixture's pairs reach Spark and then Flame (see test_replay)."""
    done = streakbot("replay", "--config", CONFIG, WEEK, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Tiers reached by pairs: " in done.stdout
    assert "Spark" in done.stdout.split("Tiers reached by pairs: ")[1].splitlines()[0]
