"""Community incentives: `/event` (points multipliers for a while), `/pool` (sponsored token
pools for a channel) and `/challenge` (a server goal paid once when met).

Starting, stopping and creating are owner commands (Manage Server); funding a pool is also open
to the sponsor role; listing and status are for everyone. Discord sets default permissions per
top-level command only, so these mixed groups rely on the bot's own checks.
"""

from __future__ import annotations

from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import StreakBot
from bot.interaction_errors import UserError
from bot.services.community import ChallengeStatus, CommunityError, CommunityService
from cogs.checks import manager_only
from cogs.render import embed, plain


def _ts(iso: str) -> str:
    return discord.utils.format_dt(datetime.fromisoformat(iso), "R")


def _where(channels: tuple[int, ...]) -> str:
    return "in " + ", ".join(f"<#{c}>" for c in channels) if channels else "everywhere"


def progress_bar(fraction: float, width: int = 12) -> str:
    filled = round(fraction * width)
    return "█" * filled + "░" * (width - filled)


def sponsor_or_manager():
    async def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if interaction.permissions.manage_guild:
            return True
        services = interaction.client.services  # type: ignore[attr-defined]
        role = (await services.ingestor.guild(interaction.guild_id)).config.community.sponsor_role
        member = interaction.user
        if (
            role is not None
            and isinstance(member, discord.Member)
            and any(r.id == role for r in member.roles)
        ):
            return True
        raise app_commands.CheckFailure(
            "Funding a pool needs the server's sponsor role or the Manage Server permission."
        )

    return app_commands.check(predicate)


class Community(commands.Cog):
    event = app_commands.Group(
        name="event", description="Limited-time points events", guild_only=True
    )
    pool = app_commands.Group(name="pool", description="Sponsored token pools", guild_only=True)
    challenge = app_commands.Group(
        name="challenge", description="Server-wide streak challenges", guild_only=True
    )

    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        s = bot.services
        self.service = CommunityService(s.db, s.ingestor, s.clock)

    async def _run(self, coro):
        try:
            return await coro
        except CommunityError as error:
            raise UserError(str(error)) from None

    # -- events -----------------------------------------------------------------------------

    @event.command(name="start", description="Multiply points for a while (owners)")
    @app_commands.describe(
        name="What to call it", multiplier="e.g. 2, 1.5 or 150%",
        until="How long or until when: 2h, 3d, 1w or 2026-12-24",
        channel="Only in this channel (default: everywhere)",
        tier_tokens="Also multiply tier tokens paid while it runs",
    )  # fmt: skip
    @manager_only()
    async def event_start(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 64],
        multiplier: str,
        until: str,
        channel: discord.TextChannel | None = None,
        tier_tokens: bool = False,
    ) -> None:
        assert interaction.guild_id is not None
        started = await self._run(
            self.service.start_event(
                interaction.guild_id, name, multiplier, until,
                channels=(channel.id,) if channel else (), tier_tokens=tier_tokens,
                by=interaction.user.id,
            )
        )  # fmt: skip
        where = f"in <#{channel.id}>" if channel else "everywhere"
        await interaction.response.send_message(
            f"🎉 **{plain(started.name)}**: points ×{started.percent / 100:g} {where}"
            f"{', tier tokens too' if started.tier_tokens else ''}, ends {_ts(started.ends_at)}.",
            ephemeral=True,
        )

    @event.command(name="list", description="Points events running now")
    async def event_list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        events = await self.service.events(interaction.guild_id)
        if not events:
            text = "No event is running."
        else:
            text = "\n".join(
                f"🎉 **{plain(e.name)}** ×{e.percent / 100:g} {_where(e.channels)}"
                f"{' · tier tokens too' if e.tier_tokens else ''} · ends {_ts(e.ends_at)}"
                for e in events
            )
        await interaction.response.send_message(embed=embed("Events", text), ephemeral=True)

    @event.command(name="stop", description="End a running event now (owners)")
    @manager_only()
    async def event_stop(self, interaction: discord.Interaction, name: str) -> None:
        assert interaction.guild_id is not None
        await self._run(self.service.stop_event(interaction.guild_id, name))
        await interaction.response.send_message(f"Event **{plain(name)}** stopped.", ephemeral=True)

    # -- pools ------------------------------------------------------------------------------

    @pool.command(name="create", description="A sponsored pool paying extra for exchanges (owners)")
    @app_commands.describe(
        name="What to call it", channel="Exchanges in this channel earn from the pool",
        per_exchange="Tokens per exchange made there",
    )  # fmt: skip
    @manager_only()
    async def pool_create(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 64],
        channel: discord.TextChannel,
        per_exchange: app_commands.Range[int, 1, 1_000_000],
    ) -> None:
        assert interaction.guild_id is not None
        await self._run(
            self.service.create_pool(
                interaction.guild_id, name, channel=channel.id, per_exchange=per_exchange,
                by=interaction.user.id,
            )
        )  # fmt: skip
        await interaction.response.send_message(
            f"Pool **{plain(name)}** pays {per_exchange} tokens per exchange in <#{channel.id}>"
            " once funded: `/pool fund`.",
            ephemeral=True,
        )

    @pool.command(name="fund", description="Add tokens to a pool (owners and sponsors)")
    @sponsor_or_manager()
    async def pool_fund(
        self,
        interaction: discord.Interaction,
        name: str,
        amount: app_commands.Range[int, 1, 10**12],
    ) -> None:
        assert interaction.guild_id is not None
        pool = await self._run(
            self.service.fund_pool(
                interaction.guild_id, name, amount, key=f"pool-fund:{interaction.id}",
                by=interaction.user.id,
            )
        )  # fmt: skip
        await interaction.response.send_message(
            f"Pool **{plain(pool.name)}** now holds {pool.balance:,} tokens.", ephemeral=True
        )

    @pool.command(name="list", description="Sponsored pools, their balance and payouts")
    async def pool_list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        pools = await self.service.pools(interaction.guild_id)
        text = (
            "\n".join(
                f"💰 **{plain(p.name)}** · {p.per_exchange} per exchange in <#{p.channel}>"
                f" · holds {p.balance:,} · paid {p.paid:,}"
                for p in pools
            )
            or "No pool yet."
        )
        await interaction.response.send_message(embed=embed("Pools", text), ephemeral=True)

    # -- challenges -------------------------------------------------------------------------

    @challenge.command(name="create", description="A server goal, paid once when met (owners)")
    @app_commands.describe(
        name="What to call it", pairs="How many pairs...", days="...hold a streak this long",
        deadline="Last day to meet it (YYYY-MM-DD, server time)",
        reward="Tokens to every member of a contributing pair",
        pool="Pay from this pool instead of the treasury",
    )  # fmt: skip
    @manager_only()
    async def challenge_create(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 64],
        pairs: app_commands.Range[int, 1, 1_000_000],
        days: app_commands.Range[int, 1, 3650],
        deadline: str,
        reward: app_commands.Range[int, 1, 1_000_000_000],
        pool: str | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        created = await self._run(
            self.service.create_challenge(
                interaction.guild_id, name, pairs=pairs, days=days, deadline=deadline,
                reward=reward, pool=pool, by=interaction.user.id,
            )
        )  # fmt: skip
        await interaction.response.send_message(
            f"🎯 **{plain(created.name)}**: {created.pairs} pairs holding a {created.days}-day"
            f" streak by {created.deadline}; {created.reward} tokens to each of their members.",
            ephemeral=True,
        )

    @challenge.command(name="status", description="The server's challenges and their progress")
    async def challenge_status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        statuses = await self.service.challenges(interaction.guild_id)
        result = embed("Challenges", "" if statuses else "No challenge yet.")
        for status in statuses[:10]:
            result.add_field(name=plain(status.challenge.name), value=render_challenge(status),
                             inline=False)  # fmt: skip
        await interaction.response.send_message(embed=result)


def render_challenge(status: ChallengeStatus) -> str:
    c = status.challenge
    goal = f"{c.pairs} pairs holding a {c.days}-day streak"
    if c.status == "met":
        return f"✅ met on {c.closed_day}: {goal}; {c.paid:,} tokens paid"
    if c.status == "expired":
        return f"⌛ expired on {c.closed_day}: {goal}"
    return (
        f"{progress_bar(status.progress)} {min(status.holding, c.pairs)}/{c.pairs} · {goal}"
        f" by {c.deadline} · {c.reward} tokens each"
    )


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Community(bot))
