"""A community with labelled attackers, as a `replay` JSONL event log and a labels file.

    python bench/fraud/simulate.py -o bench/out/fraud.jsonl [--members 2000 --days 60 --seed 1]

writes the events to the `-o` file and the labels beside it (`fraud.labels.json`): which
accounts are attackers of which type, which pairs farm, which honest members are the
look-alikes a detector must not punish, and the configuration. The same arguments write the
same bytes. README.md describes the model.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import BinaryIO

import orjson

if __package__ in (None, ""):  # run as a script: make `bench.fraud` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.fraud.attacks import ATTACK_KINDS, Attack
from bench.fraud.community import LOOKALIKE_KINDS, Community
from bench.fraud.honest import HonestChat
from bench.fraud.insiders import Bursts, Collusion
from bench.fraud.outsiders import Rings, SpamBots
from bench.fraud.world import SimConfig, World


@dataclass(slots=True)
class Simulation:
    """What was written: the labels document and counts for the summary."""

    labels: dict
    counts: dict[str, int]
    founders: int
    newcomers: int
    bots: int


def generate(out: BinaryIO, config: SimConfig) -> Simulation:
    """Write the event log of `config` to the binary stream `out`; return its labels."""
    if config.members < 20 or config.days < 1:
        raise ValueError("need at least 20 members and 1 day")
    if not 2 <= config.ring_min <= config.ring_max:
        raise ValueError("ring sizes need 2 <= ring_min <= ring_max")
    world = World(config, out)
    community = Community(world)
    attacks = build_attacks(world, community)
    # Everyone there from the start, in ID order (which says nothing about who is who).
    for member in sorted(community.founders, key=lambda m: int(m.id)):
        world.member(member.id, member.name)
    for bot, name in zip(world.bots, world.bot_names, strict=True):
        world.writer.head(
            {"type": "member", "guild": world.guild, "user": bot, "bot": True, "name": name}
        )
    honest = HonestChat(world, community)
    for day in range(config.days):
        today = honest.day(day)
        for attack in attacks:
            attack.day(day, today)
        world.writer.until(world.day_start(day + 1))
    world.writer.close()
    counts = dict(world.writer.counts, lines=world.writer.lines)
    return Simulation(
        _labels(world, community, attacks),
        counts,
        len(community.founders),
        len(community.newcomers),
        len(world.bots),
    )


def build_attacks(world: World, community: Community) -> list[Attack]:
    """Every attack of the configuration, in a fixed order (the labels' group numbers)."""
    config = world.config
    taken: set[int] = set()
    return [
        Rings(world, community, config.rings, config.ring_min, config.ring_max),
        Collusion(world, community, config.collusion_pairs, taken),
        SpamBots(world, community, config.spam_bots),
        Bursts(world, community, config.bursts, taken),
    ]


def _labels(world: World, community: Community, attacks: list[Attack]) -> dict:
    members: dict[str, dict] = {}
    pairs: list[list[str]] = []
    for attack in attacks:
        for member, label in attack.labels.items():
            entry = {
                "attack": label.attack,
                "group": label.group,
                "from": world.iso_day(label.first_day),
            }
            if label.last_day is not None:
                entry["to"] = world.iso_day(label.last_day)
            members[member] = entry
        for a, b in attack.pairs:
            pairs.append([*sorted((a, b), key=int), attack.kind])
    lookalikes = {
        member.id: {"kind": member.lookalike, "group": member.lookalike_group}
        for group in community.lookalikes
        for member in group
    }
    return {
        "members": dict(sorted(members.items(), key=lambda item: int(item[0]))),
        "pairs": sorted(pairs, key=lambda pair: (int(pair[0]), int(pair[1]))),
        "lookalikes": dict(sorted(lookalikes.items(), key=lambda item: int(item[0]))),
        "config": world.config.as_json(),
    }


def labels_path(output: Path) -> Path:
    """`fraud.jsonl` -> `fraud.labels.json`, beside it."""
    stem = output.name.removesuffix(".jsonl") if output.name.endswith(".jsonl") else output.name
    return output.with_name(f"{stem}.labels.json")


def summary(result: Simulation, output: Path, labels: Path, seconds: float) -> str:
    counts, config = result.counts, result.labels["config"]
    attackers = Counter(entry["attack"] for entry in result.labels["members"].values())
    groups = {
        kind: len({e["group"] for e in result.labels["members"].values() if e["attack"] == kind})
        for kind in ATTACK_KINDS
    }
    lookalikes = Counter(entry["kind"] for entry in result.labels["lookalikes"].values())
    per_type = ", ".join(
        f"{kind} {attackers[kind]}"
        + (f" in {groups[kind]} rings" if kind == "ring" and attackers[kind] else "")
        + (f" in {groups[kind]} pairs" if kind == "collusion" and attackers[kind] else "")
        for kind in ATTACK_KINDS
    )
    days = f"{config['days']} day" + ("s" if config["days"] != 1 else "")
    return "\n".join(
        (
            f"{output}: {counts['lines']:,} lines ({counts['message']:,} messages,"
            f" {counts['reaction']:,} reactions, {counts['delete']:,} deletes,"
            f" {counts['member']:,} member events), {days} from {config['start']},"
            f" seed {config['seed']}, {seconds:.1f} s",
            f"honest members: {result.founders + result.newcomers:,} ({result.founders:,} from"
            f" the start, {result.newcomers:,} joined during the period), {result.bots} bots",
            f"attackers: {sum(attackers.values())} ({per_type})",
            "honest look-alikes: "
            + ", ".join(f"{kind} {lookalikes[kind]}" for kind in LOOKALIKE_KINDS),
            f"labels: {labels}",
        )
    )


def main(argv: list[str] | None = None) -> int:
    defaults = SimConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, required=True, help="JSONL file to write")
    parser.add_argument(
        "--labels", type=Path, help="labels file (default: beside the output, .labels.json)"
    )
    parser.add_argument(
        "--members", type=int, default=defaults.members, help="honest members (default %(default)s)"
    )
    parser.add_argument(
        "--days", type=int, default=defaults.days, help="days (default %(default)s)"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=defaults.seed,
        help="same seed, same bytes (default %(default)s)",
    )
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=defaults.start,
        help="first day, YYYY-MM-DD (default %(default)s)",
    )
    parser.add_argument(
        "--messages-per-day",
        type=int,
        default=0,
        help="honest messages on an average day (default 4 per member)",
    )
    parser.add_argument(
        "--rings", type=int, default=defaults.rings, help="sockpuppet rings (default %(default)s)"
    )
    parser.add_argument(
        "--ring-min",
        type=int,
        default=defaults.ring_min,
        help="smallest ring (default %(default)s)",
    )
    parser.add_argument(
        "--ring-max", type=int, default=defaults.ring_max, help="largest ring (default %(default)s)"
    )
    parser.add_argument(
        "--collusion-pairs",
        type=int,
        default=defaults.collusion_pairs,
        help="colluding pairs (default %(default)s)",
    )
    parser.add_argument(
        "--spam-bots",
        type=int,
        default=defaults.spam_bots,
        help="spam accounts (default %(default)s)",
    )
    parser.add_argument(
        "--bursts", type=int, default=defaults.bursts, help="burst farmers (default %(default)s)"
    )
    parser.add_argument(
        "--no-lookalikes", action="store_true", help="leave out the honest look-alikes"
    )
    args = parser.parse_args(argv)
    values = {f.name: getattr(args, f.name) for f in fields(SimConfig) if hasattr(args, f.name)}
    config = SimConfig(**values, lookalikes=not args.no_lookalikes)
    labels = args.labels or labels_path(args.output)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        with args.output.open("wb") as out:
            result = generate(out, config)
    except ValueError as error:
        args.output.unlink(missing_ok=True)
        parser.error(str(error))
    labels.parent.mkdir(parents=True, exist_ok=True)
    labels.write_bytes(orjson.dumps(result.labels, option=orjson.OPT_INDENT_2) + b"\n")
    print(summary(result, args.output, labels, time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
