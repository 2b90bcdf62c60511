"""The anti-fraud detector measured: the real pipeline over the simulator's labelled community.

    python bench/fraud/evaluate.py [--members 2000 --days 60 --seed 1]
                                   [--out bench/out/fraud-eval.json] [--dce DIR | --no-dce]
                                   [--keep DIR]

generates the attack log and the honest-only log of the same seed, replays them through
`bot.replay.Replay` (ingest, day closes, the detector) three times: attacks with the defence,
attacks without it, honest-only with it; and compares the holds and balances with the labels
(metrics.py). Then it replays each real DiscordChatExporter export of `--dce` with the defence
on, where nobody should be held. It prints tables, writes the report as JSON and exits 0 even
when a target is not met. README.md, "Results: the detector, measured", has the definitions.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import UTC, datetime
from pathlib import Path

import orjson
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if __package__ in (None, ""):  # run as a script: make `bench.fraud` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.fraud.metrics import (
    ATTACKS,
    Detection,
    Labels,
    Pair,
    attack_scores,
    honest_members,
    honest_score,
    honest_tokens,
    load_detection,
    overall_precision,
    signal_counts,
    token_scores,
)
from bench.fraud.simulate import generate, labels_path
from bench.fraud.world import SimConfig
from bot.guild_config import DEFAULT_CONFIG_PATH, GuildConfig, parse_config
from bot.ingest.replay_files import InputError
from bot.replay import Replay, ReplayResult
from bot.runtime import tune_gc

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DCE = REPO.parent / "shared" / "data" / "dce"
DEFAULT_OUT = REPO / "bench" / "out" / "fraud-eval.json"

TARGETS = (
    # (name, where in the report, bound, at least?)
    ("ring recall (members)", ("attacks", "ring", "recall"), 0.9, True),
    ("collusion recall (pairs)", ("attacks", "collusion", "pair_recall"), 0.9, True),
    ("honest members held", ("honest", "share"), 0.005, False),
    ("attackers' tokens cut (all)", ("tokens", "all", "cut"), 0.9, True),
)
TOKEN_CUT_TARGET = 0.9

Tracker = Callable[[str], Callable[[int, int], None] | None]
"""Given a replay's label, its progress callback (or None)."""


def evaluation_config(*, enabled: bool = True) -> GuildConfig:
    """The shipped defaults with holds nobody reviews voided at expiry (a server whose
    moderators review nothing); `enabled=False` is the same without any defence."""
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    fraud = data.setdefault("fraud", {})
    fraud["on_expiry"] = "void"
    if not enabled:
        fraud["enabled"] = False
    return parse_config(data, source=f"{DEFAULT_CONFIG_PATH} (evaluation)")


def honest_only(config: SimConfig) -> SimConfig:
    """The same seed and size with every attack off: the same honest events (simulator's
    guarantee), the baseline of the attackers' gains."""
    values = {f.name: getattr(config, f.name) for f in fields(SimConfig)}
    values.update(rings=0, collusion_pairs=0, spam_bots=0, bursts=0)
    return SimConfig(**values)


class SimulationError(ValueError):
    """A community the simulator refuses (too small for the attacks asked)."""


def simulate(config: SimConfig, path: Path) -> dict:
    """Write the log and its labels beside it; return the labels document."""
    try:
        with path.open("wb") as out:
            labels = generate(out, config).labels
    except ValueError as error:
        raise SimulationError(str(error)) from None
    labels_path(path).write_bytes(orjson.dumps(labels, option=orjson.OPT_INDENT_2) + b"\n")
    return labels


def replay(
    paths: list[Path],
    config: GuildConfig,
    database: Path,
    on_progress: Callable[[int, int], None] | None = None,
) -> ReplayResult:
    """A fresh replay into `database` (replay would otherwise continue an existing one)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    return asyncio.run(Replay(paths, config, db_path=database, on_progress=on_progress).run())


def run_summary(result: ReplayResult) -> dict:
    stats = result.stats
    return {
        "events": result.events,
        "messages": stats.messages,
        "counted": stats.counted,
        "low_quality": stats.low_quality,
        "days_closed": result.days_closed,
        "seconds": round(result.seconds, 2),
    }


def evaluate(
    sim: SimConfig,
    work: Path,
    *,
    dce: list[Path] | None = None,
    track: Tracker | None = None,
) -> dict:
    """Generate, replay three times, score; then the DCE exports. The report, JSON-ready."""
    track = track or (lambda _label: None)
    work.mkdir(parents=True, exist_ok=True)
    attack_log, honest_log = work / "fraud.jsonl", work / "honest.jsonl"
    labels_doc = simulate(sim, attack_log)
    honest_doc = simulate(honest_only(sim), honest_log)
    labels = Labels.from_json(labels_doc)
    runs: dict[str, dict] = {}
    found: dict[str, Detection] = {}
    plan = (
        ("defended", attack_log, evaluation_config()),
        ("undefended", attack_log, evaluation_config(enabled=False)),
        ("honest_only", honest_log, evaluation_config()),
    )
    for name, log, config in plan:
        database = work / f"{name}.db"
        result = replay([log], config, database, track(name))
        found[name] = load_detection(database)
        runs[name] = run_summary(result) | {
            "members_flagged": len(found[name].member_signals),
            "pairs_flagged": len(found[name].pair_signals),
            "members_held": len(found[name].members_held),
            "pairs_held": len(found[name].pairs_held),
        }
    runs["honest_only"]["attackers"] = len(honest_doc["members"])
    report = score(
        labels,
        Labels.from_json(honest_doc),
        found["defended"],
        found["undefended"],
        found["honest_only"],
    )
    report["simulation"] = {
        "config": labels_doc["config"],
        "attackers": dict(Counter(labels.attackers.values())),
        "lookalikes": dict(Counter(labels.lookalikes.values())),
        "pairs": dict(Counter(labels.pairs.values())),
    }
    report["runs"] = runs
    report["fraud_config"] = asdict(evaluation_config().fraud)
    report["dce"] = evaluate_dce(dce or [], work, track)
    report["generated"] = datetime.now(UTC).isoformat(timespec="seconds")
    return report


def score(
    labels: Labels,
    honest_labels: Labels,
    defended: Detection,
    undefended: Detection,
    honest_run: Detection,
) -> dict:
    """Every figure of the report that the three replays decide (`honest_labels`: the
    honest-only log's, its look-alikes and no attackers)."""
    honest = honest_score(labels, defended)
    attackers_held, members_held, precision = overall_precision(labels, defended)
    baseline = honest_score(honest_labels, honest_run)
    report = {
        "attacks": {name: _ids(asdict(s)) for name, s in attack_scores(labels, defended).items()},
        "overall": {
            "attackers": len(labels.attackers),
            "attackers_held": attackers_held,
            "members_held": members_held,
            "precision": precision,
        },
        "honest": {
            "members": honest.members,
            "held": len(honest.held),
            "share": honest.share,
            "lookalikes": {k: {"members": n, "held": h} for k, (n, h) in honest.lookalikes.items()},
            "pairs_flagged": honest.pairs_flagged,
            "pairs_held": len(honest.pairs_held),
            "held_members": [_member_detail(m, labels, defended) for m in honest.held],
            "held_pairs": [_pair_detail(p, defended) for p in honest.pairs_held],
            "flagged_members": _flagged(labels, defended),
        },
        "honest_only_run": {
            "members": baseline.members,
            "held": len(baseline.held),
            "share": baseline.share,
            "held_members": [_member_detail(m, honest_labels, honest_run) for m in baseline.held],
        },
        "signals": signal_counts(labels, defended),
        "tokens": {
            name: asdict(s)
            for name, s in token_scores(labels, defended, undefended, honest_run).items()
        },
        "honest_tokens": {
            "defended": honest_tokens(labels, defended),
            "undefended": honest_tokens(labels, undefended),
            "honest_only": honest_tokens(labels, honest_run),
        },
    }
    report["targets"] = targets(report)
    return report


def targets(report: dict) -> list[dict]:
    out = []
    for name, where, bound, at_least in TARGETS:
        value = report
        for key in where:
            value = value[key]
        met = None if value is None else (value >= bound if at_least else value <= bound)
        out.append({"name": name, "value": value, "bound": bound, "at_least": at_least, "met": met})
    return out


def _ids(score: dict) -> dict:
    score["missed"] = [str(m) for m in score["missed"]]
    return score


def _member_detail(member: int, labels: Labels, found: Detection) -> dict:
    escrow = found.escrow.get(member, Counter())
    return {
        "member": str(member),
        "lookalike": labels.lookalikes.get(member),
        "first_day": found.members_held.get(member),
        "days_held": found.member_days_held[member],
        "signals": sorted(found.member_held_signals.get(member, ())),
        "details": found.details.get((member, 0), {}),
        "escrow": dict(escrow),
        "tokens": found.balances.get(member, 0),
    }


def _flagged(labels: Labels, found: Detection) -> dict[str, dict]:
    """Honest members a row named, held or not: what the detector sees in honest behaviour."""
    honest = honest_members(labels, found)
    return {
        str(m): {
            "lookalike": labels.lookalikes.get(m),
            "signals": sorted(signals),
            "details": found.details.get((m, 0), {}),
        }
        for m, signals in sorted(found.flagged_members(labels.attackers.keys()).items())
        if m in honest
    }


def _pair_detail(pair: Pair, found: Detection) -> dict:
    return {
        "pair": [str(pair[0]), str(pair[1])],
        "first_day": found.pairs_held.get(pair),
        "signals": sorted(found.pair_held_signals.get(pair, ())),
        "details": found.details.get(pair, {}),
    }


# --- real exports -----------------------------------------------------------------------------


def dce_files(directory: Path | None) -> list[Path]:
    if directory is None or not directory.is_dir():
        return []
    return sorted(directory.glob("*.json"))


def evaluate_dce(paths: list[Path], work: Path, track: Tracker) -> list[dict]:
    """Each export on its own with the defence on: who took part, who was flagged or held."""
    out = []
    config = evaluation_config()
    for path in paths:
        database = work / f"dce-{path.stem}.db"
        try:
            result = replay([path], config, database, track(path.name))
        except InputError as error:  # e.g. a direct-message export: no guild to replay
            out.append({"file": path.name, "skipped": error.problem.split(";")[0]})
            continue
        found = load_detection(database)
        out.append(dce_entry(path.name, result, found))
    return out


def dce_entry(name: str, result: ReplayResult, found: Detection) -> dict:
    flagged = {m: s for m, s in found.flagged_members().items() if m not in found.bots}
    members = honest_members(Labels(), found)
    held = sorted(members & found.members_held.keys())
    return {
        "file": name,
        "messages": result.stats.messages,
        "days_closed": result.days_closed,
        "members": len(members),
        "held": len(held),
        "flagged": len(flagged),
        "signals": dict(Counter(s for signals in flagged.values() for s in signals)),
        "pairs_flagged": len(found.pair_signals),
        "pairs_held": len(found.pairs_held),
        "held_members": [_member_detail(m, Labels(), found) for m in held],
        "flagged_members": {
            str(m): {"signals": sorted(s), "details": found.details.get((m, 0), {})}
            for m, s in sorted(flagged.items())
        },
    }


# --- printing ---------------------------------------------------------------------------------


def pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f} %"


def verdict(met: bool | None) -> str:
    return {True: "[green]met[/]", False: "[red]NOT met[/]", None: "n/a"}[met]


def render(report: dict, console: Console) -> None:
    sim = report["simulation"]
    config = sim["config"]
    console.print(
        f"Simulated {config['members']:,} honest members over {config['days']} days, seed"
        f" {config['seed']}; attackers: "
        + ", ".join(f"{k} {sim['attackers'].get(k, 0)}" for k in ATTACKS)
        + f'. \\[fraud] defaults, on_expiry = "{report["fraud_config"]["on_expiry"]}".',
        highlight=False,
    )
    for name, run in report["runs"].items():
        console.print(
            f"  {name}: {run['messages']:,} messages ({run['low_quality']:,} low quality),"
            f" {run['days_closed']} days closed, {run['seconds']:.1f} s",
            highlight=False,
        )
    console.print(_attack_table(report))
    overall = report["overall"]
    console.print(
        f"Overall precision: {overall['attackers_held']} attackers among {overall['members_held']}"
        f" members held ({pct(overall['precision'])}).",
        highlight=False,
    )
    console.print(_honest_table(report))
    if report["honest"]["held_members"] or report["honest"]["held_pairs"]:
        console.print(_held_table(report["honest"]))
    console.print(_signal_table(report["signals"]))
    console.print(_token_table(report))
    console.print(_target_table(report["targets"]))
    if report["dce"]:
        console.print(_dce_table(report["dce"]))


def _attack_table(report: dict) -> Table:
    table = Table(title="Holds per attack type (defended run)")
    for column in (
        "attack",
        "attackers",
        "held",
        "recall",
        "precision*",
        "pairs held",
        "pair recall",
        "pair precision*",
        "days to hold*",
    ):
        table.add_column(column, justify="left" if column == "attack" else "right")
    for attack, s in report["attacks"].items():
        table.add_row(
            attack,
            str(s["labelled"]),
            str(s["caught"]),
            pct(s["recall"]),
            pct(s["precision"]),
            f"{s['pairs_held']}/{s['pairs_labelled']}" if s["pairs_labelled"] else "-",
            pct(s["pair_recall"]),
            pct(s["pair_precision"]),
            f"{_days(s['days_to_hold'])} / {_days(s['pair_days_to_hold'])}",
        )
    table.caption = (
        "precision*: caught / (caught + honest members held), as if the only attack (pairs:"
        " with honest pairs held);"
        " days to hold*: median from the attack's first day, members / pairs"
    )
    return table


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _honest_table(report: dict) -> Table:
    honest, baseline = report["honest"], report["honest_only_run"]
    table = Table(title="Honest members held (false positives)")
    for column in ("who", "took part", "held", "share"):
        table.add_column(column, justify="left" if column == "who" else "right")
    table.add_row(
        "all honest (attack log)",
        f"{honest['members']:,}",
        str(honest["held"]),
        pct(honest["share"], 2),
    )
    for kind, entry in honest["lookalikes"].items():
        table.add_row(f"  look-alike {kind}", str(entry["members"]), str(entry["held"]), "")
    table.add_row(
        "honest pairs", f"{honest['pairs_flagged']:,} flagged", str(honest["pairs_held"]), ""
    )
    table.add_row(
        "all honest (honest-only log)",
        f"{baseline['members']:,}",
        str(baseline["held"]),
        pct(baseline["share"], 2),
    )
    return table


def _held_table(honest: dict, limit: int = 15) -> Table:
    table = Table(title="Honest members and pairs held, with the detector's reasons")
    for column in ("who", "look-alike", "first held", "days", "reasons"):
        table.add_column(column)
    rows = honest["held_members"][:limit]
    for entry in rows:
        table.add_row(
            entry["member"],
            entry["lookalike"] or "",
            entry["first_day"] or "",
            str(entry["days_held"]),
            _reasons_text(entry["details"]),
        )
    for entry in honest["held_pairs"][:limit]:
        table.add_row(
            " & ".join(entry["pair"]),
            "",
            entry["first_day"] or "",
            "",
            _reasons_text(entry["details"]),
        )
    left = len(honest["held_members"]) - len(rows) + max(0, len(honest["held_pairs"]) - limit)
    if left > 0:
        table.caption = f"{left} more in the JSON report"
    return table


def _reasons_text(details: dict[str, str]) -> str:
    return "; ".join(f"{signal}: {detail}" for signal, detail in details.items())


def _signal_table(signals: dict) -> Table:
    table = Table(title="Per signal (defended run): honest / attacker")
    for column in ("signal", "members flagged", "members held", "pairs flagged", "pairs held"):
        table.add_column(column, justify="left" if column == "signal" else "right")
    for signal, c in signals.items():
        table.add_row(
            signal,
            *(
                f"{c[f'{what}_honest']} / {c[f'{what}_attacker']}"
                for what in ("members_flagged", "members_held", "pairs_flagged", "pairs_held")
            ),
        )
    table.caption = "a pair is the attackers' when either member is an attacker"
    return table


def _token_table(report: dict) -> Table:
    table = Table(title="Attackers' tokens beyond their honest-only balances")
    for column in (
        "attack",
        "accounts",
        "undefended",
        "defended",
        "in escrow",
        "voided",
        "cut",
        "cut (gains ≥ 0)",
        "if released",
        "cut if released",
    ):
        table.add_column(column, justify="left" if column == "attack" else "right")
    for name, t in report["tokens"].items():
        met = t["cut"] is not None and t["cut"] >= TOKEN_CUT_TARGET
        table.add_row(
            name,
            str(t["accounts"]),
            f"{t['undefended']:,}",
            f"{t['defended']:,}",
            f"{t['pending']:,}",
            f"{t['voided']:,}",
            ("[green]" if met else "[red]") + pct(t["cut"]) + "[/]",
            pct(t["cut_clamped"]),
            f"{t['if_released']:,}",
            pct(t["cut_if_released"]),
        )
    h = report["honest_tokens"]
    table.caption = (
        f"honest members received {h['honest_only']['received']:,} (honest-only log),"
        f" {h['undefended']['received']:,} (attacks, undefended), {h['defended']['received']:,}"
        f" (attacks, defended; {h['defended']['voided']:,} voided, {h['defended']['pending']:,}"
        " in escrow)"
    )
    return table


def _target_table(rows: list[dict]) -> Table:
    table = Table(title="Targets (issue 5)")
    for column in ("target", "measured", "bound", "verdict"):
        table.add_column(column)
    for row in rows:
        digits = 2 if row["bound"] < 0.1 else 1
        bound = ("≥ " if row["at_least"] else "≤ ") + pct(row["bound"], digits)
        table.add_row(row["name"], pct(row["value"], digits), bound, verdict(row["met"]))
    return table


def _dce_table(rows: list[dict]) -> Table:
    table = Table(title="Real exports (DiscordChatExporter), defence on")
    for column in ("export", "messages", "members", "held", "flagged", "signals"):
        table.add_column(column, justify="left" if column in ("export", "signals") else "right")
    for row in rows:
        if "skipped" in row:
            table.add_row(row["file"], "", "", "", "", f"skipped: {row['skipped']}")
            continue
        signals = ", ".join(f"{s} {n}" for s, n in sorted(row["signals"].items())) or "none"
        table.add_row(
            row["file"],
            f"{row['messages']:,}",
            str(row["members"]),
            str(row["held"]),
            str(row["flagged"]),
            signals,
        )
    return table


# --- command line -----------------------------------------------------------------------------


@contextmanager
def progress_tracker(console: Console) -> Iterator[Tracker]:
    progress = Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )

    def track(label: str) -> Callable[[int, int], None]:
        task = progress.add_task(f"replay {label}", total=1)
        return lambda done, total: progress.update(task, completed=done, total=total or 1)

    with progress:
        yield track


def main(argv: list[str] | None = None) -> int:
    tune_gc()  # as the CLI's replay runs
    defaults = SimConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--members", type=int, default=defaults.members, help="honest members (default %(default)s)"
    )
    parser.add_argument(
        "--days", type=int, default=defaults.days, help="days (default %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="(default %(default)s)")
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="JSON report (default bench/out/fraud-eval.json)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--dce", type=Path, help=f"directory of DCE exports (default {DEFAULT_DCE} when it exists)"
    )
    where.add_argument("--no-dce", action="store_true", help="skip the real exports")
    parser.add_argument(
        "--keep",
        type=Path,
        help="write the logs and databases here and keep them (default: a temp dir)",
    )
    args = parser.parse_args(argv)
    sim = SimConfig(members=args.members, days=args.days, seed=args.seed)
    dce = [] if args.no_dce else dce_files(args.dce or DEFAULT_DCE)
    if args.dce and not dce:
        parser.error(f"no *.json exports in {args.dce}")
    console = Console()
    if not console.is_terminal:  # piped: wide enough that the tables keep one line a row
        console = Console(width=150)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fraud-eval-") as scratch:
        work = args.keep or Path(scratch)
        try:
            with progress_tracker(Console(stderr=True)) as track:
                report = evaluate(sim, work, dce=dce, track=track)
        except SimulationError as error:  # it names simulate.py's flags; only --members is here
            parser.error(f"{error} (evaluate.py runs the default attacks: raise --members)")
    report["seconds"] = round(time.perf_counter() - started, 1)
    render(report, console)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    console.print(f"{report['seconds']:.0f} s; report: {args.out}", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
