"""`/config`: the server's rules, for members with Manage Server. Show them, set one key, say
which channels count, edit the tiers, or move the whole config as a TOML file.

Every change goes through `GuildAdmin`: validated whole, saved and applied at once, or refused
with the key that is wrong and nothing changed.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import StreakBot
from bot.guild_config import ConfigError, GuildConfig, Tier, config_to_dict
from bot.interaction_errors import UserError
from bot.services.guild_admin import (
    MAX_IMPORT_BYTES,
    MAX_TIERS,
    SETTINGS,
    ChannelRule,
    ConfigChange,
    GuildAdmin,
    export_toml,
    parse_setting,
)
from cogs.checks import manager_only
from cogs.render import embed, plain

KEY_CHOICES = [
    app_commands.Choice(name=f"{setting.key} — {setting.label}"[:100], value=setting.key)
    for setting in SETTINGS.values()
]
# Channels whose messages carry their own ID (threads and forum posts carry theirs).
Countable = discord.TextChannel | discord.VoiceChannel


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class Config(
    commands.GroupCog,
    group_name="config",
    group_description="Streakbot's rules for this server (Manage Server)",
):
    channels = app_commands.Group(name="channels", description="Which channels count")
    tiers = app_commands.Group(name="tiers", description="Streak tiers: days, rewards, roles")

    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        self.admin = GuildAdmin.from_services(bot.services)

    # -- the whole config ---------------------------------------------------------------------

    @app_commands.command(name="show", description="The server's Streakbot rules")
    @manager_only()
    async def show(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        config = await self.admin.config(interaction.guild_id)
        next_close = self.bot.services.scheduler.next_run(interaction.guild_id)
        await interaction.response.send_message(
            embed=render_config(config, next_close), ephemeral=True
        )

    @app_commands.command(name="export", description="The server's rules as a TOML file")
    @manager_only()
    async def export(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        config = await self.admin.config(interaction.guild.id)
        header = (
            f"Streakbot rules of {interaction.guild.name} ({interaction.guild.id}).\n"
            "Edit and send back with /config import; every key is optional."
        )
        data = export_toml(config, header=header).encode()
        await interaction.response.send_message(
            "The server's rules: edit the file and send it back with `/config import`.",
            file=discord.File(io.BytesIO(data), filename=f"streakbot-{interaction.guild.id}.toml"),
            ephemeral=True,
        )

    @app_commands.command(name="import", description="Replace the rules with a TOML file")
    @app_commands.describe(file="A .toml file like the one /config export gives")
    @manager_only()
    async def import_file(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        assert interaction.guild_id is not None
        name = plain(file.filename)  # the member's words, shown as text
        if not file.filename.lower().endswith(".toml"):
            raise UserError(
                f"Nothing changed: **{name}** is not a `.toml` file. Send one like"
                " `/config export` gives."
            )
        if file.size > MAX_IMPORT_BYTES:
            raise UserError(
                f"Nothing changed: **{name}** is {file.size // 1024:,} KB; a config file is at"
                f" most {MAX_IMPORT_BYTES // 1024} KB."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            raw = await file.read()
        except discord.HTTPException:
            raise UserError("Nothing changed: I could not download the file. Try again.") from None
        change = await _applied(self.admin.import_toml(interaction.guild_id, raw, source=name))
        if not change.changed:
            text = f"Imported **{name}**: it matches the current rules."
        else:
            keys = ", ".join(f"`{key}`" for key in change.changed)
            text = f"Imported **{name}**. Changed: {keys}."
        note = self._timezone_note(interaction.guild_id, change)
        await interaction.followup.send(text + note, ephemeral=True)

    # -- one key ------------------------------------------------------------------------------

    @app_commands.command(name="set", description="Change one setting")
    @app_commands.describe(
        key="What to change",
        value="The new value (true/false, a number, reply,mention, Europe/Paris; none unsets)",
        channel="For announce.channel: where milestones are posted",
        role="For moderation.role: who may use the moderator commands",
    )
    @app_commands.choices(key=KEY_CHOICES)
    @manager_only()
    async def set_value(
        self,
        interaction: discord.Interaction,
        key: str,
        value: app_commands.Range[str, 1, 200] | None = None,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        kind = SETTINGS[key].kind
        if channel is not None and kind != "channel":
            raise UserError("Nothing changed: the `channel` option goes with `announce.channel`.")
        if role is not None and kind != "role":
            raise UserError("Nothing changed: the `role` option goes with `moderation.role`.")
        typed: object
        if channel is not None:
            typed = channel.id
        elif role is not None:
            if role.is_default():
                raise UserError("Nothing changed: @everyone can't be the moderator role.")
            typed = role.id
        elif value is None and kind not in ("channel", "role"):
            raise UserError(f"Nothing changed: `{key}` needs a `value` ({SETTINGS[key].label}).")
        else:
            try:
                typed = parse_setting(key, value or "")
            except ConfigError as error:
                raise UserError(f"Nothing changed: {error}") from None
        change = await _applied(self.admin.set_value(interaction.guild_id, key, typed))
        old, new = _at(change.before, key), _at(change.after, key)
        if old == new:
            text = f"`{key}` is already {shown(key, new)}."
        else:
            text = f"`{key}` is now {shown(key, new)} (was {shown(key, old)})."
        if channel is not None:
            text += _announce_warning(channel)
        await interaction.response.send_message(
            text + self._timezone_note(interaction.guild_id, change), ephemeral=True
        )

    # -- channels -----------------------------------------------------------------------------

    @channels.command(name="count", description="Count this channel (then only counted ones do)")
    @app_commands.describe(channel="The channel to count")
    @manager_only()
    async def count_channel(self, interaction: discord.Interaction, channel: Countable) -> None:
        await self._channel_rule(interaction, channel, "count")

    @channels.command(name="ignore", description="Never count this channel")
    @app_commands.describe(channel="The channel to ignore")
    @manager_only()
    async def ignore_channel(self, interaction: discord.Interaction, channel: Countable) -> None:
        await self._channel_rule(interaction, channel, "ignore")

    @channels.command(name="reset", description="Take this channel off both lists")
    @app_commands.describe(channel="The channel to take off the counted and ignored lists")
    @manager_only()
    async def reset_channel(self, interaction: discord.Interaction, channel: Countable) -> None:
        await self._channel_rule(interaction, channel, "reset")

    async def _channel_rule(
        self, interaction: discord.Interaction, channel: Countable, rule: ChannelRule
    ) -> None:
        assert interaction.guild_id is not None
        change = await _applied(self.admin.channel_rule(interaction.guild_id, channel.id, rule))
        done = {
            "count": f"<#{channel.id}> counts.",
            "ignore": f"<#{channel.id}> never counts.",
            "reset": f"<#{channel.id}> is on neither list.",
        }[rule]
        await interaction.response.send_message(
            f"{done} {channel_rules(change.after)}", ephemeral=True
        )

    # -- tiers --------------------------------------------------------------------------------

    @tiers.command(name="add", description="Add a streak tier")
    @app_commands.describe(
        name="The tier's name, also its badge",
        days="Streak length that reaches it",
        tokens="Tokens each member of the pair gets",
        freezes="Freezes the pair gets (up to streaks.max_freezes in all)",
        role="A role both members get",
    )
    @manager_only()
    async def add_tier(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 64],
        days: app_commands.Range[int, 1, 3650],
        tokens: app_commands.Range[int, 0, 1_000_000_000],
        freezes: app_commands.Range[int, 0, 100],
        role: discord.Role | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        warning = ""
        if role is not None:
            if role.is_default() or role.managed:
                raise UserError(
                    f"Nothing changed: nobody can be given {role.mention}; pick another role."
                )
            assert interaction.guild is not None
            if not (interaction.guild.me.guild_permissions.manage_roles and role.is_assignable()):
                warning = (
                    f"\n⚠️ I can't give {role.mention} yet: I need Manage Roles, and my role"
                    " must be above it."
                )
        change = await _applied(
            self.admin.add_tier(
                interaction.guild_id,
                name,
                days=days,
                tokens=tokens,
                freezes=freezes,
                role=None if role is None else str(role.id),
            )
        )
        tier = next(t for t in change.after.tiers if t.name == name.strip())
        await interaction.response.send_message(f"Added {tier_line(tier)}{warning}", ephemeral=True)

    @tiers.command(name="remove", description="Remove a streak tier (badges earned are kept)")
    @app_commands.describe(name="The tier's name")
    @manager_only()
    async def remove_tier(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 64]
    ) -> None:
        assert interaction.guild_id is not None
        await _applied(self.admin.remove_tier(interaction.guild_id, name))
        await interaction.response.send_message(
            f"Removed the tier **{plain(name.strip())}**; badges earned with it are kept.",
            ephemeral=True,
        )

    @tiers.command(name="list", description="The streak tiers, in ladder order")
    @manager_only()
    async def list_tiers(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        config = await self.admin.config(interaction.guild_id)
        result = embed("Streak tiers", ladder(config, limit=4000))
        result.set_footer(text=f"{len(config.tiers)}/{MAX_TIERS} tiers")
        await interaction.response.send_message(embed=result, ephemeral=True)

    # -- helpers ------------------------------------------------------------------------------

    def _timezone_note(self, guild: int, change: ConfigChange) -> str:
        if not change.timezone_changed:
            return ""
        note = f"\nDays now end at midnight {change.after.timezone}."
        next_close = self.bot.services.scheduler.next_run(guild)
        if next_close is not None:
            note += f" Next day close: <t:{int(next_close.timestamp())}:f>."
        return note


async def _applied(pending: Awaitable[ConfigChange]) -> ConfigChange:
    """A GuildAdmin change, or the member told which key is wrong (nothing changed)."""
    try:
        return await pending
    except ConfigError as error:
        raise UserError(f"Nothing changed: {error}") from None


# -- rendering ------------------------------------------------------------------------------------


def _at(config: GuildConfig, key: str) -> object:
    value: object = config_to_dict(config)
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def shown(key: str, value: object) -> str:
    """A setting's value as owners read it (channels and roles as mentions: they never ping)."""
    kind = SETTINGS[key].kind
    if value is None:
        return "**none**"
    if kind == "channel":
        return f"<#{value}>"
    if kind == "role":
        return f"<@&{value}>"
    if isinstance(value, bool):
        return f"**{str(value).lower()}**"
    if isinstance(value, list):
        return f"**{', '.join(map(str, value))}**"
    if isinstance(value, float):
        return f"**{value:g}**"
    return f"**{plain(str(value))}**"


def _listed(ids: tuple[int, ...], limit: int = 20) -> str:
    mentions = [f"<#{channel}>" for channel in ids[:limit]]
    more = len(ids) - limit
    return ", ".join(mentions) + (f" and {more} more" if more > 0 else "")


def channel_rules(config: GuildConfig) -> str:
    channels = config.channels
    if channels.counted:
        text = f"Only these channels count: {_listed(channels.counted)}."
        if channels.ignored:
            text += f" Ignored: {_listed(channels.ignored)}."
        return text
    if channels.ignored:
        return f"Every channel counts except {_listed(channels.ignored)}."
    return "Every channel counts."


def tier_line(tier: Tier) -> str:
    days = "day" if tier.days == 1 else "days"
    freezes = "freeze" if tier.freezes == 1 else "freezes"
    line = f"**{plain(tier.name)}** — {tier.days} {days} · {tier.tokens} tokens"
    line += f" · {tier.freezes} {freezes}"
    if tier.role:
        line += f" · <@&{tier.role}>" if tier.role.isdigit() else f" · role {plain(tier.role)}"
    return line


def ladder(config: GuildConfig, limit: int) -> str:
    """The tiers in ladder order, cut to `limit` characters (the rest counted)."""
    lines = [tier_line(tier) for tier in config.tiers_by_days]
    if not lines:
        return "No tiers: streaks earn no badges. Add one with `/config tiers add`."
    kept: list[str] = []
    used = 0
    for n, line in enumerate(lines):
        if used + len(line) > limit - 80:  # room left for the line saying how many more
            kept.append(f"… and {len(lines) - n} more (`/config export` lists them all)")
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def render_config(config: GuildConfig, next_close: datetime | None) -> discord.Embed:
    result = embed(
        "Streakbot rules",
        "Change one with `/config set`, or all at once with `/config export` and `/config import`.",
    )
    day = f"Timezone **{config.timezone}**"
    if next_close is not None:
        day += f" · next day close <t:{int(next_close.timestamp())}:f>"
    result.add_field(name="Day", value=day, inline=False)
    streaks = config.streaks
    result.add_field(
        name="Streaks",
        value=f"Counted: **{', '.join(streaks.count)}** · both ways:"
        f" **{_yes(streaks.require_mutual)}** · max freezes: **{streaks.max_freezes}**\n"
        f"{channel_rules(config)}",
        inline=False,
    )
    points = config.points
    result.add_field(
        name="Points",
        value=f"message **{points.message}** · mention **{points.mention}** · reply"
        f" **{points.reply}** · reaction **{points.reaction}**\n"
        f"cooldown **{points.cooldown_seconds:g} s** · daily cap"
        f" **{points.daily_cap or 'none'}**",
        inline=False,
    )
    tokens = config.tokens
    result.add_field(
        name="Tokens",
        value=f"**{tokens.per_point}** per point · daily budget"
        f" **{tokens.daily_budget or 'none'}** (see `/treasury show`)",
        inline=False,
    )
    announce = config.announce
    result.add_field(
        name="Milestones",
        value=(
            f"posted in <#{announce.channel}> · ping the pair: **{_yes(announce.mention_members)}**"
            if announce.channel
            else "not posted (no `announce.channel`)"
        ),
        inline=False,
    )
    moderation = config.moderation
    moderators = f"<@&{moderation.role}> and " if moderation.role else ""
    result.add_field(
        name="Moderation",
        value=f"{moderators}Manage Messages · a kick suspends for"
        f" **{moderation.kick_suspend_days}** days",
        inline=False,
    )
    result.add_field(name="Tiers", value=ladder(config, limit=1024), inline=False)
    return result


def _announce_warning(channel: discord.TextChannel) -> str:
    mine = channel.permissions_for(channel.guild.me)
    if mine.view_channel and mine.send_messages:
        return ""
    return f"\n⚠️ I can't post in {channel.mention} yet: give me View Channel and Send Messages."


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Config(bot))
