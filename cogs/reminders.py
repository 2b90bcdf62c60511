"""`/remind on|off`, and the job that DMs opted-in members whose streaks still need today.

The job runs every ten minutes on the day-close scheduler's APScheduler; whether a guild's
reminders are due is decided by `bot.domain.reminders` from the guild's clock and config, so a
change of timezone or of `[reminders] hours_before` needs no rescheduling. A reminder is
recorded before it is sent (at most once a day); closed DMs are skipped without a word.
"""

from __future__ import annotations

import logging
from datetime import UTC

import discord
from apscheduler.triggers.interval import IntervalTrigger
from discord import app_commands
from discord.ext import commands

from bot.client import StreakBot
from bot.domain.reminders import Pending, Reminder
from bot.services.reminders import ReminderService
from cogs.render import flame, plain, who

log = logging.getLogger(__name__)

JOB_ID = "reminders"
EVERY_MINUTES = 10
MAX_LINES = 15
"""Streaks listed in one reminder; more are summed up (a DM holds 2,000 characters)."""


class Reminders(commands.Cog):
    remind = app_commands.Group(
        name="remind",
        description="A DM before midnight when a streak still needs today",
        guild_only=True,
    )

    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        services = bot.services
        self.service = ReminderService(services.db, services.intake, services.clock)
        self.scheduler = services.scheduler.scheduler

    async def cog_load(self) -> None:
        self.scheduler.add_job(
            self.send_due,
            IntervalTrigger(minutes=EVERY_MINUTES, timezone=UTC),
            id=JOB_ID,
            replace_existing=True,
            coalesce=True,  # after a pause, one run catches up: the window decides
            max_instances=1,
            misfire_grace_time=None,
        )

    async def cog_unload(self) -> None:
        if self.scheduler.get_job(JOB_ID) is not None:
            self.scheduler.remove_job(JOB_ID)

    @remind.command(name="on", description="DM me before midnight when a streak needs today")
    async def remind_on(self, interaction: discord.Interaction) -> None:
        guild = interaction.guild_id
        assert guild is not None
        changed = await self.service.set(guild, interaction.user.id, True)
        config = (await self.bot.services.ingestor.guild(guild)).config
        hours = config.reminders.hours_before
        text = (
            f"🔔 I'll DM you {hours} {'hour' if hours == 1 else 'hours'} before midnight"
            f" ({plain(config.timezone)}) when one of your streaks still needs today's exchange,"
            " at most once a day. Your DMs must be open to members of this server."
        )
        if not changed:
            text = "Your reminders were on already.\n" + text
        await interaction.response.send_message(text, ephemeral=True)

    @remind.command(name="off", description="No more streak reminders")
    async def remind_off(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        changed = await self.service.set(interaction.guild_id, interaction.user.id, False)
        text = "🔕 No more reminders." if changed else "Your reminders were off already."
        await interaction.response.send_message(text, ephemeral=True)

    # -- the job ------------------------------------------------------------------------------

    async def send_due(self) -> int:
        """Send every reminder due now, in every guild; how many were delivered."""
        sent = 0
        for guild in list(self.bot.guilds):
            try:
                sent += await self._remind(guild)
            except Exception:
                log.exception("guild %s: reminders failed", guild.id)
        return sent

    async def _remind(self, guild: discord.Guild) -> int:
        sent = 0
        for reminder in await self.service.due(guild.id):
            if not await self.service.claim(guild.id, reminder):
                continue
            try:
                user = self.bot.get_user(reminder.member) or await self.bot.fetch_user(
                    reminder.member
                )
                await user.send(reminder_text(guild.name, reminder))
            except discord.Forbidden:
                log.debug("guild %s: %s takes no DMs; not reminded", guild.id, reminder.member)
                continue
            except discord.HTTPException as error:
                log.warning("guild %s: reminding %s failed: %s", guild.id, reminder.member, error)
                continue
            sent += 1
        return sent


def _line(pending: Pending) -> str:
    waiting = {
        "you": "they wrote to you: your turn",
        "them": "you wrote: waiting on them",
        "both": "no exchange yet today",
    }[pending.waiting_on]
    days = "day" if pending.days == 1 else "days"
    return (
        f"{flame(pending.days)} **{pending.days}** {days} with {who(pending.partner)} · {waiting}"
    )


def reminder_text(guild_name: str, reminder: Reminder) -> str:
    ends = discord.utils.format_dt(reminder.ends_at, "R")
    lines = [_line(p) for p in reminder.pending[:MAX_LINES]]
    if len(reminder.pending) > MAX_LINES:
        lines.append(f"…and {len(reminder.pending) - MAX_LINES} more (see `/streaks`).")
    return (
        f"⏳ In **{plain(guild_name)}**, today ends {ends} and these streaks still need"
        " today's exchange:\n"
        + "\n".join(lines)
        + "\n`/remind off` in the server to stop these reminders."
    )


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Reminders(bot))
