"""`python -m bot sandbox`: the real bot in a simulated community, no Discord token needed.

It starts the bundled Discord emulator, the real discord.py bot with all its cogs and services
(on a real SQLite file), and a community of members who chat over simulated days on an
accelerated clock. At each simulated midnight the sandbox runs the scheduler's own close job
(what APScheduler runs at the guild's midnight). Three sockpuppet accounts made days before
farm streaks among themselves every night, seconds apart, for the anti-fraud detector to catch.
At the end it asks the bot, as members and a moderator would, for the leaderboards, a member's
streaks and the rewards held in escrow, and prints what the bot answered.
"""

from __future__ import annotations

import contextlib
import logging
import random
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.app import Services
from bot.client import StreakBot
from bot.clock import ManualClock
from bot.emulator import Emulator
from bot.emulator.permissions import DEFAULT_BOT
from bot.guild_config import parse_config
from bot.sandbox.community import (
    HOSTILE_NAME,
    RING_NAMES,
    Community,
    day_actions,
    make_community,
    ring_session,
)
from bot.settings import Settings

START_DAY = date(2026, 11, 2)
MANAGE_ROLES = 1 << 28


@dataclass(frozen=True, slots=True)
class SandboxOptions:
    days: int = 10
    members: int = 12
    seed: int = 7
    db: Path | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.days <= 60:
            raise ValueError(f"--days must be between 1 and 60, not {self.days}")
        if not 4 <= self.members <= 200:
            raise ValueError(f"--members must be between 4 and 200, not {self.members}")


async def run_sandbox(options: SandboxOptions, console: Console) -> int:
    logging.getLogger("discord").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="streakbot-sandbox-") as scratch:
        db = options.db or Path(scratch) / "sandbox.db"
        if db.exists():
            console.print(f"[red]error:[/] {db} exists; the sandbox starts from a new database")
            return 2
        await Sandbox(options, db, console).run()
    return 0


class Sandbox:
    def __init__(self, options: SandboxOptions, db: Path, console: Console) -> None:
        self.options = options
        self.db = db
        self.console = console
        self.rng = random.Random(options.seed)
        self.clock = ManualClock(datetime.combine(START_DAY, datetime.min.time(), tzinfo=UTC))
        self.emu = Emulator(clock=self.clock)

    async def run(self) -> None:
        console = self.console
        await self.emu.start()
        try:
            community = make_community(self.options.members, self.rng)
            self.owner = self.emu.create_user("owner")
            guild = self.emu.create_guild("Sandbox Café", self.owner)
            guild.set_bot_permissions(DEFAULT_BOT | MANAGE_ROLES)
            general = guild.channel("general")
            announcements = guild.create_text_channel("streaks")
            self.mod_log = guild.create_text_channel("mod-log")
            users = [self.emu.create_user(name) for name in community.names]
            # Accounts made in one sitting five days ago: new, as a sockpuppet ring's are.
            made = self.clock.now() - timedelta(days=5)
            self.ring = [self.emu.create_user(name, created_at=made) for name in RING_NAMES]
            for user in [*users, *self.ring]:
                guild.add_member(user)
            settings = Settings(
                _env_file=None, database=self.db, api_base=self.emu.api_base,
                guild_ready_timeout=0.05,
            )  # fmt: skip
            services = await Services.open(settings, self.clock)
            bot = StreakBot(services, guild_ready_timeout=0.05)
            try:
                async with self.emu.running(bot):
                    await bot.caught_up.wait()
                    await self._configure(services, guild.id, announcements.id)
                    await self._incentives(guild, general)
                    console.print(
                        Text(
                            f"Sandbox: {len(users)} members in “{guild.name}”, one of them named"
                            f" {HOSTILE_NAME!r}, and a ring of {len(self.ring)} sockpuppets;"
                            f" the real bot on emulated Discord at {self.emu.api_base};"
                            f" {self.options.days} simulated days.",
                        )
                    )
                    for n in range(self.options.days):
                        await self._day(n, community, users, general, services, guild.id)
                    await self._show(guild, general, users, announcements)
            finally:
                await services.close()
        finally:
            await self.emu.close()

    async def _configure(self, services: Services, guild: int, channel: int) -> None:
        config = parse_config(
            {
                "announce": {"channel": channel},
                "moderation": {"log_channel": self.mod_log.id},
                "tiers": [
                    {"name": "Spark", "days": 3, "tokens": 10, "freezes": 0,
                     "role": "Spark"},
                    {"name": "Flame", "days": 7, "tokens": 25, "freezes": 1,
                     "role": "Flame"},
                ],
            },
            source="sandbox",
        )  # fmt: skip
        await services.ingestor.guild(guild, config)
        await services.treasury.fund(guild, 100_000, key=f"fund:sandbox:{guild}")

    async def _day(self, n, community: Community, users, channel, services, guild) -> None:
        day = START_DAY + timedelta(days=n)
        sent = []
        for action in day_actions(community, day, self.rng):
            self.clock.set(action.at)
            author = users[action.author]
            if action.kind == "react":
                assert action.reply_to is not None
                await self.emu.react(sent[action.reply_to], author, "🔥")
                sent.append(None)
                continue
            reply_to = sent[action.reply_to] if action.reply_to is not None else None
            mentioned = [users[m] for m in action.mentions]
            text = " ".join([*(u.mention for u in mentioned), action.text])
            sent.append(
                await self.emu.say(channel, author, text, reply_to=reply_to, mentions=mentioned)
            )
        previous = None
        for line in ring_session(day, len(self.ring), self.rng):
            self.clock.set(line.at)
            author, target = self.ring[line.author], self.ring[line.mentions[0]]
            previous = await self.emu.say(
                channel, author, f"{target.mention} {line.text}", reply_to=previous,
                mentions=[target],
            )  # fmt: skip
        await self.emu.wait_idle()
        self.clock.set(datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
                       + timedelta(minutes=2))  # fmt: skip
        # Every event is in: a command round trip (the gateway delivers in order).
        await self.emu.command(channel.guild, channel, users[0], "balance")
        [result] = await services.scheduler.fire(guild)
        tiers = ", ".join(sorted({tier for *_, tier in result.tiers})) or "none"
        self.console.print(
            f"  {day:%a %d %b}: {len(sent):3d} events · {result.pairs} pairs qualified,"
            f" {result.frozen} frozen, {result.broken} broken · tiers: {tiers}"
            f" · {result.paid} tokens paid ({result.held} held)",
            highlight=False,
        )

    async def _incentives(self, guild, channel) -> None:
        """What an owner would set up: a challenge for the whole run, a weekend event."""
        last = START_DAY + timedelta(days=self.options.days - 1)
        await self.emu.command(
            guild, channel, self.owner, "challenge create", name="Three pairs, four days",
            pairs=3, days=4, deadline=last.isoformat(), reward=30,
        )  # fmt: skip
        await self.emu.command(
            guild, channel, self.owner, "event start", name="Launch week", multiplier="1.5",
            until="3d",
        )  # fmt: skip

    async def _show(self, guild, channel, users, announcements) -> None:
        console = self.console
        names = {user.id: user.name for user in [*users, *self.ring]}
        for kind in ("pairs", "tokens"):
            reply = await self.emu.command(guild, channel, users[0], "leaderboard", kind=kind)
            console.print(_panel(reply, names))
        reply = await self.emu.command(guild, channel, users[0], "challenge status")
        console.print(_panel(reply, names))
        busiest = max(
            users,
            key=lambda u: sum(
                f"<@{u.id}>" in m.content for m in self.emu.channel_messages(announcements)
            ),
        )
        reply = await self.emu.command(guild, channel, busiest, "streaks")
        console.print(_panel(reply, names, f"/streaks, as {busiest.name} sees it"))
        milestones = [m.content for m in self.emu.channel_messages(announcements)]
        console.print(
            Panel(_names("\n".join(milestones[-8:]) or "(none)", names),
                  title=f"#streaks: {len(milestones)} milestone messages (last 8)",
                  title_align="left"),
        )  # fmt: skip
        notes = [m.content for m in self.emu.channel_messages(self.mod_log)]
        console.print(
            Panel(_names(notes[-1] if notes else "(none)", names),
                  title=f"#mod-log: {len(notes)} notes about held rewards (the last)",
                  title_align="left"),
        )  # fmt: skip
        for command in ("mod review", "mod flags"):
            reply = await self.emu.command(guild, channel, self.owner, command)
            console.print(_panel(reply, names, f"/{command}, as a moderator sees it"))
        with contextlib.suppress(KeyError):
            spark = guild.role("Spark")
            holders = sum(1 for m in guild.members.values() if spark in m.roles)
            console.print(f"Members holding the Spark role: {holders}", highlight=False)


def _names(text: str, names: dict[int, str]) -> str:
    """Discord markup as a terminal shows it: names for mentions, dates for timestamps."""
    for member, name in names.items():
        text = text.replace(f"<@{member}>", f"@{name}")
    text = re.sub(
        r"<t:(\d+):\w>",
        lambda m: datetime.fromtimestamp(int(m.group(1)), UTC).strftime("%a %d %b %H:%M UTC"),
        text,
    )
    return text.replace("**", "").replace("__", "").replace("\\_", "_")


def _panel(reply, names: dict[int, str], title: str | None = None) -> Panel:
    if not reply.embeds:  # an error answer: show it as the member would see it
        return Panel(Text(reply.content), title=Text(title or "answer"), title_align="left")
    embed = reply.embeds[0]
    body = _names(embed.get("description", ""), names)
    for field in embed.get("fields", []):
        body += f"\n\n{field['name']}\n{_names(field['value'], names)}"
    footer = embed.get("footer", {}).get("text")
    return Panel(
        Text(body.strip()),
        title=Text(title or embed.get("title", "")),
        subtitle=Text(footer) if footer else None,
        title_align="left",
    )
