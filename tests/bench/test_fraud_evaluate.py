"""bench/fraud/evaluate.py and metrics.py: the detector's measurement.

The metric functions are fed hand-made rows written into a real, migrated replay database
(`Database.open`), so the loader is tested against the schema the pipeline writes. One
end-to-end run on a tiny simulated community checks the report's structure and that its
counts add up; it never asserts the targets (those are measured by the bench, not promised).
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from bench.fraud.evaluate import evaluate, evaluation_config, honest_only, targets
from bench.fraud.metrics import (
    ATTACKS,
    Detection,
    Labels,
    attack_scores,
    honest_score,
    load_detection,
    overall_precision,
    signal_counts,
    token_scores,
)
from bench.fraud.world import SimConfig
from bot.store.database import Database

GUILD = 5
# Attackers: a ring of three (one missed), a colluding pair, a burst farmer; no spam bot.
RING = (101, 102, 103)
COLLUDERS = (201, 202)
BURST = 301
LOOKALIKE = 401  # honest, held: a false positive
HONEST = (402, 403, 404, 405)
LURKER = 406  # wrote only messages that earned nothing: took part all the same
BOT = 9
LABELS = {
    "members": {
        **{str(m): {"attack": "ring", "group": 0, "from": "2026-03-10"} for m in RING},
        **{str(m): {"attack": "collusion", "group": 0, "from": "2026-03-03"} for m in COLLUDERS},
        str(BURST): {"attack": "burst", "group": 0, "from": "2026-03-20", "to": "2026-03-22"},
    },
    "pairs": [
        ["101", "102", "ring"],
        ["101", "103", "ring"],
        ["102", "103", "ring"],
        ["201", "202", "collusion"],
    ],
    "lookalikes": {str(LOOKALIKE): {"kind": "tight_group", "group": 0}, "402": {"kind": "terse"}},
    "config": {},
}


def reasons(*signals: str) -> str:
    return orjson.dumps([[s, f"{s} evidence", 0.9] for s in signals]).decode()


async def write_database(path: Path, rows: dict[str, list[tuple]]) -> None:
    """A migrated database with the guild, its members and the given rows."""
    db = await Database.open(path)
    try:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO guilds (id, config) VALUES (?, '{}')", (GUILD,))
            people = [*RING, *COLLUDERS, BURST, LOOKALIKE, *HONEST]
            await conn.executemany(
                "INSERT INTO members (guild, user, is_bot) VALUES (?, ?, ?)",
                [(GUILD, m, 0) for m in people] + [(GUILD, BOT, 1)],
            )
            await conn.executemany(
                "INSERT INTO member_days (guild, day, member, points) VALUES (?, ?, ?, ?)",
                [(GUILD, "2026-03-20", m, 3) for m in [*people, BOT]],
            )
            await conn.executemany(
                "INSERT INTO messages (id, guild, author, day, human) VALUES (?, ?, ?, ?, ?)",
                [(1, GUILD, LURKER, "2026-03-20", 1), (2, GUILD, BOT, "2026-03-20", 0)],
            )
            await conn.executemany(
                "INSERT INTO fraud_flags (guild, day, a, b, score, held, reasons)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(GUILD, *row) for row in rows.get("flags", ())],
            )
            await conn.executemany(
                "INSERT INTO holds (guild, day, member, a, b, source, amount, reason, key, why,"
                " status, decided_at) VALUES (?, ?, ?, NULL, NULL, 0, ?, 'points', ?, ?, ?, ?)",
                [
                    (
                        GUILD,
                        day,
                        member,
                        amount,
                        f"k{n}",
                        why,
                        status,
                        day if status != "held" else None,
                    )
                    for n, (day, member, amount, why, status) in enumerate(rows.get("holds", ()))
                ],
            )
            await conn.executemany(
                "INSERT INTO balances (guild, account, balance) VALUES (?, ?, ?)",
                [(GUILD, *row) for row in rows.get("balances", ())],
            )
    finally:
        await db.close()


async def detection(tmp_path: Path, name: str, rows: dict[str, list[tuple]]) -> Detection:
    path = tmp_path / f"{name}.db"
    await write_database(path, rows)
    return load_detection(path)


DEFENDED_ROWS: dict[str, list[tuple]] = {
    "flags": [
        # Ring: 101 and 102 held on their member rows, 103 only flagged (too_new), so missed.
        ("2026-03-11", 101, 0, 0.9, 1, reasons("ring")),
        ("2026-03-12", 101, 0, 0.9, 1, reasons("ring")),
        ("2026-03-12", 102, 0, 0.9, 1, reasons("ring", "too_new")),
        ("2026-03-12", 103, 0, 0.2, 0, reasons("too_new")),
        ("2026-03-12", 101, 102, 0.9, 1, reasons("ring")),
        # The colluding pair is held although nothing was owed: no holds rows, members not held.
        ("2026-03-06", 201, 202, 0.8, 1, reasons("ping_pong", "low_quality")),
        # An honest look-alike held on its member row: a false positive.
        ("2026-03-15", LOOKALIKE, 0, 0.8, 1, reasons("closed_partners", "burst")),
        # An honest pair flagged, not held; a bot flagged and held (bots are nobody's).
        ("2026-03-15", 402, 403, 0.3, 0, reasons("closed_partners")),
        ("2026-03-16", BOT, 0, 0.9, 1, reasons("burst")),
    ],
    # The burst farmer is held through a holds row only (no member row held).
    "holds": [
        ("2026-03-21", BURST, 40, reasons("burst"), "voided"),
        ("2026-03-22", BURST, 15, reasons("burst"), "held"),
        ("2026-03-12", 101, 8, reasons("ring"), "voided"),
    ],
    "balances": [
        (0, 900),
        (2, 15),
        (101, 2),
        (102, 5),
        (103, 30),
        (201, 50),
        (202, 48),
        (BURST, 100),
        (LOOKALIKE, 20),
        (402, 30),
    ],
}
UNDEFENDED_ROWS: dict[str, list[tuple]] = {
    "balances": [
        (0, 800),
        (101, 40),
        (102, 40),
        (103, 40),
        (201, 80),
        (202, 80),
        (BURST, 160),
        (LOOKALIKE, 25),
        (402, 31),
    ],
}
# Honest-only: ring accounts do not exist; colluders and the burst farmer are honest there.
HONEST_ROWS: dict[str, list[tuple]] = {
    "balances": [(0, 950), (201, 40), (202, 50), (BURST, 100), (LOOKALIKE, 25), (402, 30)],
}


@pytest.fixture
def labels() -> Labels:
    return Labels.from_json(LABELS)


async def test_loader_reads_the_schema(tmp_path: Path) -> None:
    found = await detection(tmp_path, "defended", DEFENDED_ROWS)
    assert found.bots == {BOT}
    assert BOT not in found.participants
    assert found.participants == {*RING, *COLLUDERS, BURST, LOOKALIKE, *HONEST, LURKER}
    assert found.members_held == {
        101: "2026-03-11",
        102: "2026-03-12",
        BURST: "2026-03-21",
        LOOKALIKE: "2026-03-15",
        BOT: "2026-03-16",
    }
    assert found.member_days_held[101] == 2
    assert found.member_signals[103] == {"too_new"}  # flagged, never held
    assert found.pairs_held == {(101, 102): "2026-03-12", (201, 202): "2026-03-06"}
    assert set(found.pair_signals) == {(101, 102), (201, 202), (402, 403)}
    assert found.member_held_signals[BURST] == {"burst"}
    assert found.escrow[BURST] == {"voided": 40, "held": 15}
    assert 0 not in found.balances
    assert 2 not in found.balances
    assert found.details[(LOOKALIKE, 0)] == {
        "closed_partners": "closed_partners evidence",
        "burst": "burst evidence",
    }
    flagged = found.flagged_members()
    assert flagged[201] == {"ping_pong", "low_quality"}  # through the pair row
    assert flagged[103] == {"too_new"}
    assert 201 not in found.flagged_members(skip_pairs_of={202})


async def test_recall_precision_and_false_positives(tmp_path: Path, labels: Labels) -> None:
    found = await detection(tmp_path, "defended", DEFENDED_ROWS)
    scores = attack_scores(labels, found)
    ring, collusion, spam, burst = (scores[a] for a in ATTACKS)
    assert (ring.labelled, ring.caught, ring.missed) == (3, 2, [103])
    assert ring.recall == pytest.approx(2 / 3)
    assert ring.precision == pytest.approx(2 / 3)  # the look-alike is the one honest held
    assert (ring.pairs_labelled, ring.pairs_held) == (3, 1)
    assert ring.days_to_hold == 1.5  # 101 on day 1, 102 on day 2
    assert ring.pair_days_to_hold == 2
    assert ring.pair_precision == 1.0  # the honest pair was flagged, not held
    # The pair is held, its members are not: caught as a pair only.
    assert (collusion.caught, collusion.recall, collusion.pair_recall) == (0, 0.0, 1.0)
    assert collusion.pair_days_to_hold == 3
    assert collusion.precision == 0.0
    # No spam bot in the labels: n/a, not a division error.
    assert (spam.labelled, spam.recall, spam.precision, spam.pair_recall) == (0, None, None, None)
    assert spam.pair_precision is None
    assert spam.days_to_hold is None
    assert (burst.caught, burst.recall, burst.pair_recall) == (1, 1.0, None)
    assert burst.days_to_hold == 1

    honest = honest_score(labels, found)
    assert honest.held == [LOOKALIKE]
    assert honest.members == 6  # 401 to 406; the bot is nobody
    assert honest.share == pytest.approx(1 / 6)
    assert honest.lookalikes == {"terse": (1, 0), "tight_group": (1, 1)}
    assert (honest.pairs_flagged, honest.pairs_held) == (1, [])
    assert overall_precision(labels, found) == (3, 4, 0.75)


async def test_nothing_held_gives_na_not_errors(tmp_path: Path) -> None:
    found = await detection(tmp_path, "quiet", {})
    empty = Labels()
    assert all(
        s.recall is None and s.precision is None for s in attack_scores(empty, found).values()
    )
    assert overall_precision(empty, found) == (0, 0, None)
    assert honest_score(empty, found).share == 0.0
    assert all(t.cut is None for t in token_scores(empty, found, found, found).values())


async def test_signal_counts_split_honest_and_attackers(tmp_path: Path, labels: Labels) -> None:
    found = await detection(tmp_path, "defended", DEFENDED_ROWS)
    counts = signal_counts(labels, found)
    assert list(counts)[:6] == [
        "ring",
        "ping_pong",
        "burst",
        "low_quality",
        "closed_partners",
        "too_new",
    ]
    assert counts["ring"]["members_held_attacker"] == 2
    assert counts["ring"]["pairs_held_attacker"] == 1
    assert counts["too_new"]["members_flagged_attacker"] == 2  # 102 and 103
    assert counts["too_new"]["members_held_attacker"] == 1  # 102's held row carried it
    assert counts["burst"]["members_held_attacker"] == 1  # through the holds row
    assert counts["burst"]["members_held_honest"] == 1  # the look-alike; the bot is left out
    assert counts["closed_partners"]["pairs_flagged_honest"] == 1
    assert counts["closed_partners"]["pairs_held_honest"] == 0
    assert counts["ping_pong"]["pairs_held_attacker"] == 1


async def test_tokens_against_the_honest_only_run(tmp_path: Path, labels: Labels) -> None:
    defended = await detection(tmp_path, "defended", DEFENDED_ROWS)
    undefended = await detection(tmp_path, "undefended", UNDEFENDED_ROWS)
    honest = await detection(tmp_path, "honest", HONEST_ROWS)
    tokens = token_scores(labels, defended, undefended, honest)
    ring = tokens["ring"]
    # Absent from the honest-only run: everything they hold is gain.
    assert (ring.undefended, ring.defended) == (120, 37)
    assert ring.cut == pytest.approx(1 - 37 / 120)
    assert (ring.voided, ring.pending, ring.if_released) == (8, 0, 45)
    collusion = tokens["collusion"]
    assert (collusion.undefended, collusion.defended) == (70, 8)  # 50 − 40 and 48 − 50
    assert collusion.cut_clamped == pytest.approx(1 - 10 / 70)  # 202's −2 offsets nothing
    burst = tokens["burst"]
    assert (burst.undefended, burst.defended, burst.pending, burst.voided) == (60, 0, 15, 40)
    assert burst.cut == 1.0
    assert tokens["spam_bot"].cut is None
    assert tokens["spam_bot"].accounts == 0
    everyone = tokens["all"]
    assert everyone.undefended == 250
    assert everyone.defended == 45
    assert everyone.accounts == 6


def test_targets_report_met_not_met_and_na() -> None:
    report = {
        "attacks": {"ring": {"recall": 0.95}, "collusion": {"pair_recall": None}},
        "honest": {"share": 0.01},
        "tokens": {"all": {"cut": 0.9}},
    }
    assert [t["met"] for t in targets(report)] == [True, None, False, True]


def test_evaluation_config_voids_and_turns_off() -> None:
    defended, undefended = evaluation_config(), evaluation_config(enabled=False)
    assert defended.fraud.on_expiry == "void"
    assert defended.fraud.enabled
    assert undefended.fraud.on_expiry == "void"
    assert not undefended.fraud.enabled
    assert honest_only(SimConfig(seed=3)) == SimConfig(
        seed=3, rings=0, collusion_pairs=0, spam_bots=0, bursts=0
    )


PIPELINE = Path(__file__).resolve().parents[2] / "bot" / "store" / "fraud.py"
SMALL = SimConfig(members=60, days=10, seed=7, rings=2, collusion_pairs=3, spam_bots=1, bursts=2)


@pytest.mark.skipif(
    not PIPELINE.exists(),
    reason="the detector is not wired into the day close yet (no bot/store/fraud.py):"
    " fraud_flags and holds would stay empty",
)
def test_evaluate_end_to_end_adds_up(tmp_path: Path) -> None:
    report = evaluate(SMALL, tmp_path, dce=[])
    orjson.dumps(report)  # JSON-ready
    sim, runs = report["simulation"], report["runs"]
    assert set(runs) == {"defended", "undefended", "honest_only"}
    assert runs["honest_only"]["attackers"] == 0
    assert runs["defended"]["messages"] == runs["undefended"]["messages"]
    assert runs["honest_only"]["messages"] < runs["defended"]["messages"]
    # Without the defence nothing is flagged or held.
    assert runs["undefended"]["members_flagged"] == runs["undefended"]["members_held"] == 0
    assert runs["undefended"]["pairs_held"] == 0

    attacks, overall, honest = report["attacks"], report["overall"], report["honest"]
    assert set(attacks) == set(ATTACKS)
    assert sum(s["labelled"] for s in attacks.values()) == overall["attackers"]
    assert overall["attackers"] == sum(sim["attackers"].values())
    for s in attacks.values():
        assert 0 <= s["caught"] <= s["labelled"]
        assert len(s["missed"]) == s["labelled"] - s["caught"]
        assert 0 <= s["pairs_held"] <= s["pairs_labelled"]
    assert attacks["ring"]["pairs_labelled"] == sim["pairs"]["ring"]
    assert overall["attackers_held"] == sum(s["caught"] for s in attacks.values())
    assert overall["members_held"] == overall["attackers_held"] + honest["held"]
    assert honest["held"] == len(honest["held_members"])
    assert honest["pairs_held"] == len(honest["held_pairs"])
    assert sum(n["members"] for n in honest["lookalikes"].values()) == sum(
        sim["lookalikes"].values()
    )

    tokens = report["tokens"]
    for key in ("undefended", "defended", "pending", "voided", "accounts"):
        assert tokens["all"][key] == sum(tokens[a][key] for a in ATTACKS)
    assert tokens["all"]["undefended"] > 0  # without the defence, the attacks pay
    assert [t["name"] for t in report["targets"]] == [
        "ring recall (members)",
        "collusion recall (pairs)",
        "honest members held",
        "attackers' tokens cut (all)",
    ]
    assert report["dce"] == []
