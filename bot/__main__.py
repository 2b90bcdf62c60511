"""Command line: `python -m bot run | sandbox | replay ...`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import orjson
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text  # names are shown as text, never parsed as markup

from bot.guild_config import ConfigError, load_config
from bot.ingest.replay_files import InputError
from bot.replay import Replay, ReplayResult
from bot.runtime import tune_gc
from bot.settings import Settings
from bot.store.database import SchemaError

EXIT_INPUT = 2
_PROGRESS_MIN_BYTES = 8 * 1024 * 1024


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streakbot", description="Streakbot: pair streaks and rewards for Discord."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    replay = commands.add_parser(
        "replay",
        help="feed recorded conversations through the streak engine",
        description="Replay DiscordChatExporter JSON exports and JSONL event logs (mixed freely)"
        " through the streak engine with a simulated clock, then report streaks and members.",
    )
    replay.add_argument("files", nargs="+", type=Path, metavar="FILE")
    replay.add_argument("--config", type=Path, help="guild config TOML (default: shipped)")
    replay.add_argument("--until", type=_date, help="close days through this date (YYYY-MM-DD)")
    replay.add_argument("--db", type=Path, help="keep the resulting database at this path")
    replay.add_argument("--json", action="store_true", help="print the result as JSON")
    simulate = commands.add_parser(
        "simulate",
        help="project the economy report of a proposed config over recorded history",
        description="Replay the exports with a proposed config and print the economy report"
        " (tokens paid per day, outstanding, treasury runway, concentration) it would give.",
    )
    simulate.add_argument("files", nargs="+", type=Path, metavar="EXPORT")
    simulate.add_argument("--config", type=Path, required=True, help="the proposed config")
    simulate.add_argument(
        "--chart", type=Path, default=Path("economy.png"), help="where to write the chart PNG"
    )
    commands.add_parser(
        "run",
        help="run the bot on Discord (needs STREAKBOT_TOKEN)",
        description="Connect to Discord with STREAKBOT_TOKEN and run until stopped.",
    )
    sandbox = commands.add_parser(
        "sandbox",
        help="no token needed: the real bot in a simulated community, on a local emulator",
        description="Start the bundled Discord emulator, the real bot, and a simulated"
        " community chatting over simulated days; then show the leaderboards and streaks.",
    )
    sandbox.add_argument("--days", type=int, default=10, help="days to simulate (1-60)")
    sandbox.add_argument("--members", type=int, default=12, help="community size (4-200)")
    sandbox.add_argument("--seed", type=int, default=7, help="randomness of the community")
    sandbox.add_argument("--db", type=Path, help="keep the bot's database at this path")
    return parser


def main(argv: list[str] | None = None) -> int:
    tune_gc()
    args = build_parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=(
            logging.WARNING
            if args.command in ("replay", "sandbox", "simulate")
            else settings.log_level
        ),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "replay":
        return _replay(args, settings)
    if args.command == "run":
        return _run(settings)
    if args.command == "simulate":
        return _simulate(args)
    if args.command == "sandbox":
        return _sandbox(args)
    return 1  # pragma: no cover - argparse requires a command


def _run(settings: Settings) -> int:
    from bot.clock import SystemClock
    from bot.runner import run_bot

    if settings.token is None or not settings.token.get_secret_value().strip():
        _error(
            "no Discord token: set STREAKBOT_TOKEN (in the environment or in .env; see"
            " .env.example). To see Streakbot work without one, run the offline sandbox:"
            " `python -m bot sandbox`."
        )
        return EXIT_INPUT
    try:
        asyncio.run(run_bot(settings, SystemClock(), settings.token.get_secret_value()))
    except ConfigError as error:
        _error(str(error))
        return EXIT_INPUT
    except discord_login_failure() as error:
        _error(f"Discord refused the token: {error}")
        return EXIT_INPUT
    except KeyboardInterrupt:
        pass
    return 0


def _simulate(args: argparse.Namespace) -> int:
    import tempfile

    from bot.charts import economy_chart
    from bot.services.economy import RATE_DAYS, economy_report
    from bot.store.database import Database

    try:
        config = load_config(args.config)
    except ConfigError as error:
        _error(str(error))
        return EXIT_INPUT
    console = Console()

    async def simulate(db_path: Path) -> int:
        result = await Replay(args.files, config, db_path=db_path).run()
        db = await Database.open(db_path)
        try:
            for guild in result.guilds:
                report = await economy_report(db, guild.id)
                console.rule(f"guild {guild.id}: {guild.first_day} → {guild.last_closed_day}")
                runway = (
                    "no payouts"
                    if report.runway_days is None
                    else f"{report.runway_days:,.0f} days at the last {RATE_DAYS} days' rate"
                )
                console.print(
                    f"Minted in the last {len(report.paid_per_day)} closed days:"
                    f" {report.minted:,} tokens\n"
                    f"Outstanding: {report.outstanding:,} tokens held by {report.holders:,}"
                    f" members\nTreasury: {report.treasury:,} tokens · runway {runway}\n"
                    f"Held by the top 1 %: {report.top1_share:.0%} · top 10 %:"
                    f" {report.top10_share:.0%}",
                    highlight=False,
                )
                chart = args.chart
                if len(result.guilds) > 1:
                    chart = chart.with_name(f"{chart.stem}-{guild.id}{chart.suffix}")
                chart.write_bytes(economy_chart(report))
                console.print(f"Chart: {chart}", highlight=False)
        finally:
            await db.close()
        return 0

    try:
        with tempfile.TemporaryDirectory(prefix="streakbot-simulate-") as scratch:
            return asyncio.run(simulate(Path(scratch) / "simulate.db"))
    except InputError as error:
        _error(str(error))
        return EXIT_INPUT


def discord_login_failure() -> type[Exception]:
    import discord

    return discord.LoginFailure


def _sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox import SandboxOptions, run_sandbox

    try:
        options = SandboxOptions(days=args.days, members=args.members, seed=args.seed, db=args.db)
    except ValueError as error:
        _error(str(error))
        return EXIT_INPUT
    return asyncio.run(run_sandbox(options, Console()))


def _replay(args: argparse.Namespace, settings: Settings) -> int:
    err = Console(stderr=True)
    try:
        config = load_config(args.config or settings.config)
    except ConfigError as error:
        _error(str(error))
        return EXIT_INPUT
    total = sum(path.stat().st_size for path in args.files if path.is_file())
    progress = Progress(
        TextColumn("replay"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=args.json or total < _PROGRESS_MIN_BYTES,
    )
    task = progress.add_task("replay", total=total or 1)
    replay = Replay(
        args.files,
        config,
        until=args.until,
        db_path=args.db,
        on_progress=lambda done, all_: progress.update(task, completed=done, total=all_),
    )
    try:
        with progress:
            result = asyncio.run(replay.run())
    except (SchemaError, sqlite3.DatabaseError) as error:
        _error(f"cannot use the database {args.db}: {error}")
        return EXIT_INPUT
    except InputError as error:
        _error(str(error))
        return EXIT_INPUT
    if args.json:
        sys.stdout.write(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
    else:
        _print_summary(Console(), result, args.db)
    return 0


def _error(message: str) -> None:
    """One unwrapped line on stderr, so that `file:line: problem` stays greppable."""
    print(f"error: {message}", file=sys.stderr)


def _print_summary(console: Console, result: ReplayResult, db: Path | None) -> None:
    stats = result.stats
    rate = stats.messages / result.seconds if result.seconds else 0
    console.print(
        f"Replayed {result.events:,} events ({stats.messages:,} messages, {stats.counted:,}"
        f" counted, {stats.reactions:,} reactions, {stats.deletes:,} deletes) in"
        f" {result.seconds:.2f} s ({rate:,.0f} messages/s); closed {result.days_closed:,} days.",
        highlight=False,
    )
    if result.tiers:
        reached = Counter(tier for *_, tier, _day in result.tiers)
        listed = ", ".join(f"{name} {count:,}" for name, count in reached.most_common())
        console.print(f"Tiers reached by pairs: {listed}.", highlight=False)
    if stats.duplicates or stats.late:
        console.print(
            f"Skipped {stats.duplicates:,} duplicate messages and {stats.late:,} events dated"
            " on days already closed.",
            highlight=False,
        )
    if stats.low_quality:
        console.print(
            f"{stats.low_quality:,} messages counted for nothing: too short, emoji or mentions"
            " only, or repeated (docs/fraud.md).",
            highlight=False,
        )
    for guild in result.guilds:
        console.rule(f"guild {guild.id}: {guild.first_day} → {guild.last_closed_day}")
        streaks = sorted(guild.streaks, key=lambda s: (-s.current, -s.best, s.a, s.b))[:10]
        table = Table(title="Top streaks", title_justify="left")
        for column in ("pair", "current", "best", "last day", "freezes"):
            table.add_column(column, justify="left" if column == "pair" else "right")
        for s in streaks:
            flame = "🔥 " if s.current else "   "
            table.add_row(
                Text(f"{flame}{guild.label(s.a)} & {guild.label(s.b)}"),
                str(s.current),
                str(s.best),
                s.last_day,
                str(s.freezes),
            )
        console.print(table)
        members = sorted(guild.members, key=lambda m: (-m.tokens, -m.points, m.id))[:10]
        table = Table(title="Top members", title_justify="left")
        for column in ("member", "points", "tokens", "badges"):
            table.add_column(column, justify="right" if column in ("points", "tokens") else "left")
        for m in members:
            table.add_row(
                Text(guild.label(m.id)), f"{m.points:,}", f"{m.tokens:,}", ", ".join(m.badges)
            )
        console.print(table)
        console.print(
            f"Pairs that ever qualified: {len(guild.streaks):,}; members who took part:"
            f" {len(guild.members):,}; treasury: {guild.treasury:,} tokens.",
            highlight=False,
        )
    if db is not None:
        console.print(f"Database kept at {db}", highlight=False)


if __name__ == "__main__":
    sys.exit(main())
