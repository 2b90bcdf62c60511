"""A discord.py bot with the kinds of app commands Streakbot has, for the interaction tests."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from tests.emulator.conftest import make_bot


class Pager(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.page = 1

    @discord.ui.button(label="Next", custom_id="next")
    async def next_page(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.page += 1
        await interaction.response.edit_message(content=f"page {self.page}", view=self)


class Ballot(discord.ui.View):
    """Defers the click, then edits the message over plain REST (not the interaction webhook)."""

    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.votes = 0

    @discord.ui.button(label="Vote", custom_id="vote")
    async def cast(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.defer()
        self.votes += 1
        assert interaction.message is not None
        await interaction.message.edit(content=f"votes: {self.votes}")


def streak_bot() -> commands.Bot:
    bot = make_bot()
    config = app_commands.Group(name="config", description="Server settings")
    tiers = app_commands.Group(name="tiers", description="Streak tiers", parent=config)

    @tiers.command(name="add", description="Add a tier")
    async def add_tier(
        interaction: discord.Interaction,
        name: str,
        days: int,
        bonus: float,
        badge: bool,
        member: discord.Member,
        role: discord.Role,
        channel: discord.TextChannel,
    ) -> None:
        await interaction.response.send_message(
            f"{name}:{days}:{bonus}:{badge}:{member.display_name}:{role.name}:{channel.name}:"
            f"{interaction.permissions.manage_guild}",
            ephemeral=True,
        )

    @app_commands.command(name="leaderboard", description="Top streaks")
    @app_commands.choices(kind=[app_commands.Choice(name=k, value=k) for k in ("pairs", "members")])
    async def leaderboard(
        interaction: discord.Interaction, kind: str, target: discord.User | None = None
    ) -> None:
        who = target.name if target else "everyone"
        await interaction.response.send_message(f"{kind} for {who} page 1", view=Pager())

    @app_commands.command(name="report", description="A slow report")
    async def report(interaction: discord.Interaction, thinking_followup: bool = False) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if thinking_followup:
            await interaction.followup.send("followed up")
        else:
            await interaction.edit_original_response(
                content="report ready", embed=discord.Embed(title="R")
            )

    @app_commands.command(name="purge", description="Moderators only")
    @app_commands.default_permissions(manage_messages=True)
    async def purge(interaction: discord.Interaction) -> None:
        allowed = interaction.permissions.manage_messages
        await interaction.response.send_message(
            "purged" if allowed else "you may not", ephemeral=True
        )

    @app_commands.command(name="silent", description="Never answers")
    async def silent(interaction: discord.Interaction) -> None:
        return None

    class Feedback(discord.ui.Modal, title="Feedback"):
        text = discord.ui.TextInput(label="What do you think?", custom_id="text")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)

    @app_commands.command(name="feedback", description="Tell us")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    @app_commands.command(name="vote", description="A poll with a slow button")
    @app_commands.guild_only()
    async def vote(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("votes: 0", view=Ballot())

    @app_commands.context_menu(name="Thank")
    async def thank(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"thanked {member.name}", ephemeral=True)

    @app_commands.context_menu(name="Quote")
    async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"> {message.content}")

    for command in (config, leaderboard, report, purge, silent, feedback, vote, thank, quote):
        bot.tree.add_command(command)

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot
