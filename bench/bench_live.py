"""Live throughput: emulator -> websocket -> discord.py -> Streakbot -> SQLite.

    .venv/bin/python bench/bench_live.py [--quick] [--messages N] [--repeat N] [--floor]
                                         [--equal-gc]

N messages (default 20,000; `--quick` 2,000) from 200 members in one channel of one guild,
dated evenly over one day (the emulator and the bot share a `ManualClock`): 30 % reply to one
of the 50 messages before their chunk, 20 % mention another member. The emulator posts them
with `say_many` in chunks of 256 (its own flush size) as fast as it can, to one of two bots, each
a `commands.Bot` with the same intents (`bot.client.intents(privileged=True)`,
`guild_ready_timeout=0.05`) and the same listener that counts `on_message` calls:

- **discord.py alone**: a plain `commands.Bot` with only that listener;
- **Streakbot**: `StreakBot` with its cogs and services on a fresh SQLite file, as
  `tests/e2e/harness.py` starts it; timed until `services.ingestor.stats.messages` is N after
  `services.intake.drain()`, and a final `services.ingestor.flush()` (the SQLite write).

With `--floor`, a third variant runs too, for reference only: **discord.py, no on_message**, the
same plain bot without the `on_message` coroutine every `commands.Bot` has (it runs
`process_commands` in a task of its own per message). Streakbot has no text commands and no such
coroutine either, so this floor shows what Streakbot's own work costs, with that saving set apart.

Each variant runs as it ships: Streakbot with its CLI's process settings (`bot.runtime`: the
garbage collector's thresholds), discord.py with Python's defaults. `--equal-gc` gives discord.py
Streakbot's settings too, which makes discord.py alone faster and shows Streakbot's own work
against it.

Each run is a fresh process, emulator and temporary database; the variants alternate (discord.py,
Streakbot, discord.py, ...) and each is reported as the median of `--repeat` runs. The figure
that matters is the ratio of the two throughputs in the same run (target: Streakbot keeps
>= 95 % of discord.py's own). The emulator runs in the same process and event loop as the bot,
so its own work (building and sending every frame) is in both timings: the "emulator posting"
column says how long `say_many` took to hand all the frames to the socket, and "waiting for a
CPU" how long the event loop's thread was ready to run while other work held the CPUs (a run
taken on a busy machine shows it; the target is judged on the plain timings all the same).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import isolated, machine, median, say, table, verdict, warn

TARGET = 0.95
MEMBERS = 200
CHUNK = 256  # the emulator flushes its gateway every 256 messages in say_many
RECENT = 50  # a reply answers one of the RECENT messages before its chunk
REPLY_SHARE = 0.30
MENTION_SHARE = 0.20
DAY = datetime(2026, 11, 2, tzinfo=UTC)
WORDS = ("hey", "hi", "gm", "ok", "nice", "lol", "yes", "no", "maybe", "soon", "later", "today")
VARIANTS = ("discord.py alone", "Streakbot")
FLOOR = "discord.py, no on_message"


class _Missing:
    """A class attribute that reads as missing: `Client.dispatch` finds no `on_message`."""

    def __get__(self, instance: object, owner: type | None = None) -> None:
        raise AttributeError("on_message")


def plan(count: int, seed: int = 1) -> list[tuple]:
    """(author, content, at, reply_to index or None, mentioned member or None) per message."""
    rng = random.Random(seed)
    step = timedelta(days=1) / (count + 1)
    rows = []
    for index in range(count):
        author = rng.randrange(MEMBERS)
        content = " ".join(rng.choices(WORDS, k=rng.randint(2, 12)))
        reply = None
        first = index - index % CHUNK  # a reply's target is posted by an earlier say_many
        if first and rng.random() < REPLY_SHARE:
            reply = rng.randrange(first - RECENT, first)
        mention = None
        if rng.random() < MENTION_SHARE:
            mention = (author + rng.randrange(1, MEMBERS)) % MEMBERS
        rows.append((author, content, DAY + step * (index + 1), reply, mention))
    return rows


def cpu_wait() -> float:
    """Seconds this thread has been runnable but waiting for a CPU (Linux's schedstat; 0 where
    there is none): the share of a timing that other work on the machine took."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as stats:
            return int(stats.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def run(variant: str, count: int) -> dict:
    """One timed run of `variant` in this (fresh) process."""
    import discord
    from discord.ext import commands

    from bot.app import Services
    from bot.client import StreakBot, intents
    from bot.clock import ManualClock
    from bot.emulator import Emulator
    from bot.settings import Settings

    rows = plan(count)

    async def main(tmp: Path) -> dict:
        clock = ManualClock(DAY)
        emu = Emulator(clock=clock)
        await emu.start()
        owner = emu.create_user("owner")
        guild = emu.create_guild("Bench Guild", owner)
        channel = guild.channel("general")
        members = [emu.create_user(f"member{n}") for n in range(MEMBERS)]
        for user in members:
            guild.add_member(user)

        services = None
        if variant == "Streakbot":
            settings = Settings(
                _env_file=None,
                database=tmp / "streakbot.db",
                api_base=emu.api_base,
                guild_ready_timeout=0.05,
            )
            services = await Services.open(settings, clock)
            bot: commands.Bot = StreakBot(services, guild_ready_timeout=0.05)
        else:
            bot_class = commands.Bot
            if variant == FLOOR:
                bot_class = type("FloorBot", (commands.Bot,), {"on_message": _Missing()})
            bot = bot_class(
                command_prefix=commands.when_mentioned,
                help_command=None,
                intents=intents(privileged=True),
                allowed_mentions=discord.AllowedMentions.none(),
                guild_ready_timeout=0.05,
                enable_debug_events=False,
            )

        received = 0
        all_received = asyncio.Event()

        async def counted(message: discord.Message) -> None:
            nonlocal received
            received += 1
            if received >= count:
                all_received.set()

        bot.add_listener(counted, "on_message")
        result: dict = {}
        try:
            async with emu.running(bot):
                if isinstance(bot, StreakBot):
                    async with asyncio.timeout(10):
                        await bot.caught_up.wait()
                posted: list = []
                started = time.perf_counter()
                waited = cpu_wait()
                for start in range(0, count, CHUNK):
                    items = []
                    for author, content, at, reply, mention in rows[start : start + CHUNK]:
                        item = {"channel": channel, "author": members[author], "at": at}
                        if mention is not None:
                            content = f"{content} {members[mention].mention}"
                            item["mentions"] = [members[mention]]
                        if reply is not None:
                            item["reply_to"] = posted[reply]
                        item["content"] = content
                        items.append(item)
                    posted.extend(await emu.say_many(items))
                result["posting"] = time.perf_counter() - started
                async with asyncio.timeout(600):
                    await all_received.wait()
                    if services is not None:
                        # Every message was queued as it was dispatched, before the counting
                        # listener saw it: one drain takes them all in (the loop is a guard).
                        await services.intake.drain()
                        while services.ingestor.stats.messages < count:
                            await asyncio.sleep(0.001)
                            await services.intake.drain()
                        await services.ingestor.flush()
                result["seconds"] = time.perf_counter() - started
                result["cpu_wait"] = cpu_wait() - waited
                result["received"] = received
                if services is not None:
                    result["ingested"] = services.ingestor.stats.messages
                    result["counted"] = services.ingestor.stats.counted
        finally:
            if services is not None:
                await services.close()
            await emu.close()
        if services is not None:
            with sqlite3.connect(tmp / "streakbot.db") as db:
                result["stored"] = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        return result

    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        return asyncio.run(main(Path(tmp)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 messages")
    parser.add_argument("--messages", type=int, help="messages per run (default 20,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each variant (default 3)")
    parser.add_argument("--floor", action="store_true", help=f"also run '{FLOOR}' (for reference)")
    parser.add_argument(
        "--equal-gc",
        action="store_true",
        help="run discord.py with Streakbot's GC settings too (default: each as it ships)",
    )
    args = parser.parse_args(argv)
    count = args.messages or (2_000 if args.quick else 20_000)
    variants = (*VARIANTS, FLOOR) if args.floor else VARIANTS
    settings = "both with Streakbot's GC settings" if args.equal_gc else "each as it ships"
    say(f"## Live bot ({machine()}; {settings})\n")

    runs: dict[str, list[dict]] = {variant: [] for variant in variants}
    for repeat in range(args.repeat):
        for variant in variants:  # alternating, so drift on the machine hits all alike
            as_the_cli = variant == "Streakbot" or args.equal_gc
            result = isolated(run, variant, count, as_the_cli=as_the_cli)
            runs[variant].append(result)
            warn(
                f"run {repeat + 1}, {variant}: {result['seconds']:.2f} s"
                f" (emulator posting {result['posting']:.2f} s)"
            )

    base = count / median([r["seconds"] for r in runs[VARIANTS[0]]])
    lines = []
    for variant in variants:
        seconds = [r["seconds"] for r in runs[variant]]
        rate = count / median(seconds)
        ratio = rate / base
        ok = all(r["received"] == count for r in runs[variant])
        if variant == "Streakbot":
            ok = ok and all(r["ingested"] == r["stored"] == count for r in runs[variant])
            check = "all ingested and stored" if ok else "MISSING messages"
            target = f">= {TARGET * 100:.0f} % ({verdict(ratio >= TARGET)})"
        else:
            check = "all received" if ok else "MISSING messages"
            target = "(reference only)" if variant == FLOOR else ""
        lines.append(
            [
                variant,
                " / ".join(f"{s:.2f}" for s in seconds) + " s",
                f"{median(seconds):.2f} s",
                f"{median([r['posting'] for r in runs[variant]]):.2f} s",
                f"{median([r['cpu_wait'] for r in runs[variant]]) * 1000:.0f} ms",
                f"{rate:,.0f}",
                f"{ratio:.2f}×",
                check,
                target,
            ]
        )
    say(
        f"{count:,} messages from {MEMBERS} members in one channel over one day"
        f" ({REPLY_SHARE * 100:.0f} % replies, {MENTION_SHARE * 100:.0f} % mentions);"
        f" {args.repeat} runs of each variant, alternating, each in a fresh process (waiting for a"
        " CPU: the median time the event loop's thread was ready to run while other work on the"
        " machine held the CPUs):\n"
    )
    say(
        table(
            [
                "variant",
                "runs",
                "median",
                "emulator posting",
                "waiting for a CPU",
                "messages/s",
                "vs discord.py",
                "check",
                "target",
            ],
            lines,
        )
    )
    # Each Streakbot run against the discord.py run just before it: a burst of load on the
    # machine moves a pair together, so the spread of these shows how steady the ratio is.
    paired = [
        plain["seconds"] / streakbot["seconds"]
        for plain, streakbot in zip(runs[VARIANTS[0]], runs[VARIANTS[1]], strict=True)
    ]
    say(
        "\nStreakbot against the discord.py run before it, run by run: "
        + ", ".join(f"{ratio:.2f}×" for ratio in paired)
        + f" (median {median(paired):.2f}×)"
    )
    # The same without the time the event loop's thread waited for a CPU: what the ratio would
    # be on a machine doing nothing else (for reading a noisy run; the target uses the above).
    busy = {
        variant: median([r["seconds"] - r["cpu_wait"] for r in runs[variant]])
        for variant in VARIANTS
    }
    say(
        "Without the time the event loop waited for a CPU (other work on the machine):"
        f" {busy[VARIANTS[0]] / busy[VARIANTS[1]]:.2f}×"
    )
    if args.floor:
        floor = median([r["seconds"] for r in runs[FLOOR]])
        streakbot = median([r["seconds"] for r in runs[VARIANTS[1]]])
        say(f"Streakbot against '{FLOOR}': {floor / streakbot:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
