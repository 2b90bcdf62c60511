"""`/mod`: moderators suspend members from rewards, void farmed streaks, adjust balances, read
the audit trail, and decide what the anti-fraud detector held in escrow (`/mod review`,
`/mod release`, `/mod void-held`, `/mod flags`; rendered in cogs/holds_render.py). Discord's
own moderation counts too: a timeout suspends while it lasts, a ban until a moderator lifts it.

Kicks are not acted on: Discord sends a kick as the same GUILD_MEMBER_REMOVE as a leave, and
only the guild's audit log (View Audit Log, read while racing the event) tells them apart. The
emulator the tests run against has no audit log, so `[moderation] kick_suspend_days` could not
be tested and is not applied.

Every command is checked by the bot (`moderator_only`: the moderator role or Manage Messages)
and sets no Discord default permissions, so that the moderator role works on its own. Replies
are ephemeral and name members as `<@id>`, which never pings (the client allows no mentions).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import StreakBot
from bot.interaction_errors import UserError
from bot.services.escrow import FLAG_DAYS, MAX_FLAG_DAYS, EscrowError, EscrowService, parse_ids
from bot.services.moderation import MAX_ADJUST, MAX_DAYS, ModerationError, ModerationService
from bot.store.escrow import RELEASE, VOID
from bot.store.moderation import AdjustResult, AuditLine, Suspension, VoidResult
from bot.store.profiles import Page
from cogs.checks import moderator_only
from cogs.holds_render import render_decided, render_flags, render_review
from cogs.render import embed, plain, who
from cogs.wallet import describe_entry

T = TypeVar("T")

Reason = app_commands.Range[str, 1, 200]
HoldIds = app_commands.Range[str, 1, 400]
Turn = Callable[[int], Awaitable[tuple[discord.Embed, int]]]
"""Renders a page of a paginated reply: its embed, and how many pages there are now."""
SOURCES = {
    "command": "a moderator",
    "timeout": "a Discord timeout",
    "kick": "a kick",
    "ban": "a ban",
}


# -- checks ---------------------------------------------------------------------------------


async def _refused(call: Awaitable[T]) -> T:
    """Await a service call; its refusals become the moderator's ephemeral error reply."""
    try:
        return await call
    except (ModerationError, EscrowError) as refused:
        raise UserError(str(refused)) from refused


def _hold_ids(text: str | None) -> list[int] | None:
    """The hold IDs a moderator typed ("12 13", "#12, #13"), or None when they gave none."""
    if text is None:
        return None
    try:
        return parse_ids(text)
    except EscrowError as refused:
        raise UserError(str(refused)) from refused


def _guild(interaction: discord.Interaction) -> int:
    assert interaction.guild_id is not None  # the group is guild-only
    return interaction.guild_id


def _human(user: discord.User | discord.Member) -> None:
    if user.bot:
        raise UserError("Bots earn no rewards: there is nothing to moderate.")


class Moderation(commands.Cog):
    mod = app_commands.Group(
        name="mod",
        description="Moderators: suspensions, voided streaks, token adjustments, the audit trail",
        guild_only=True,
    )

    def __init__(self, bot: StreakBot) -> None:
        self.bot = bot
        services = bot.services
        self.moderation = ModerationService(services.db, services.ingestor, services.clock)
        self.escrow = EscrowService(services.db, services.ingestor, services.clock)
        self.clock = services.clock

    # -- commands -------------------------------------------------------------------------------

    @mod.command(name="suspend", description="Suspend a member from rewards")
    @app_commands.describe(
        member="Who earns nothing while suspended",
        reason="Why (kept in the audit trail)",
        days="For how many days (default: until a moderator lifts it)",
    )
    @moderator_only()
    async def suspend(
        self,
        interaction: discord.Interaction,
        member: discord.User,
        reason: Reason,
        days: app_commands.Range[int, 1, MAX_DAYS] | None = None,
    ) -> None:
        guild = _guild(interaction)
        _human(member)
        until, replaced = await _refused(
            self.moderation.suspend(guild, interaction.user.id, member.id, days, reason)
        )
        await _reply(interaction, "Suspended", render_suspended(member.id, until, replaced, reason))

    @mod.command(name="unsuspend", description="Lift a member's suspension from rewards")
    @app_commands.describe(member="Whose suspension to lift", reason="Why (optional)")
    @moderator_only()
    async def unsuspend(
        self, interaction: discord.Interaction, member: discord.User, reason: Reason | None = None
    ) -> None:
        guild = _guild(interaction)
        lifted = await _refused(
            self.moderation.unsuspend(guild, interaction.user.id, member.id, reason or "lifted")
        )
        await _reply(
            interaction,
            "Suspension lifted",
            f"{who(member.id)} earns again from now on (the suspension came from"
            f" {SOURCES[lifted.source]}: {plain(lifted.reason)}).",
        )

    @mod.command(name="void", description="End a pair's streak and take back its tier tokens")
    @app_commands.describe(
        first="One member of the pair",
        second="The other member",
        reason="Why (the pair see it in /history)",
    )
    @moderator_only()
    async def void(
        self,
        interaction: discord.Interaction,
        first: discord.User,
        second: discord.User,
        reason: Reason,
    ) -> None:
        guild = _guild(interaction)
        _human(first)
        _human(second)
        result = await _refused(
            self.moderation.void(guild, interaction.user.id, first.id, second.id, reason)
        )
        await _reply(interaction, "Streak voided", render_void(result))

    @mod.command(name="adjust", description="Give tokens from the treasury, or take them back")
    @app_commands.describe(
        member="Whose balance",
        amount="Tokens: positive gives from the treasury, negative takes into it",
        reason="Why (the member sees it in /history)",
    )
    @moderator_only()
    async def adjust(
        self,
        interaction: discord.Interaction,
        member: discord.User,
        amount: app_commands.Range[int, -MAX_ADJUST, MAX_ADJUST],
        reason: Reason,
    ) -> None:
        guild = _guild(interaction)
        _human(member)
        key = f"adjust:{guild}:{interaction.id}"
        result = await _refused(
            self.moderation.adjust(guild, interaction.user.id, member.id, amount, reason, key)
        )
        await _reply(interaction, "Balance adjusted", render_adjust(member.id, amount, result))

    @mod.command(name="audit", description="Moderator actions, and a member's token entries")
    @app_commands.describe(member="Whose actions and ledger entries (default: all actions)")
    @moderator_only()
    async def audit(
        self, interaction: discord.Interaction, member: discord.User | None = None
    ) -> None:
        guild = _guild(interaction)
        target = member.id if member is not None else None
        await _send_pages(interaction, "mod-audit", partial(self._audit_page, guild, target))

    async def _audit_page(
        self, guild: int, member: int | None, number: int
    ) -> tuple[discord.Embed, int]:
        page, pages = await self.moderation.audit(guild, member, number)
        return render_audit(member, page, min(number, pages - 1), pages), pages

    @mod.command(name="review", description="Rewards the anti-fraud detector holds in escrow")
    @app_commands.describe(member="Only what is held for this member or their pairs")
    @moderator_only()
    async def review(
        self, interaction: discord.Interaction, member: discord.User | None = None
    ) -> None:
        guild = _guild(interaction)
        target = member.id if member is not None else None
        await _send_pages(interaction, "mod-review", partial(self._review_page, guild, target))

    async def _review_page(
        self, guild: int, member: int | None, number: int
    ) -> tuple[discord.Embed, int]:
        found = await self.escrow.review(guild, number, member)
        if found.page >= found.pages:  # fewer holds since the last page was shown
            found = await self.escrow.review(guild, found.pages - 1, member)
        return render_review(found, member), found.pages

    @mod.command(name="release", description="Pay held rewards to the members they were for")
    @app_commands.describe(
        holds="Hold IDs as /mod review shows them: 12 13, or #12, #13",
        member="Or all of this member's open holds",
        reason="Why (kept in the audit trail)",
    )
    @moderator_only()
    async def release(
        self,
        interaction: discord.Interaction,
        holds: HoldIds | None = None,
        member: discord.User | None = None,
        reason: Reason | None = None,
    ) -> None:
        await self._decide(interaction, RELEASE, holds, member, reason or "")

    @mod.command(name="void-held", description="Send held rewards back to the treasury or pool")
    @app_commands.describe(
        holds="Hold IDs as /mod review shows them: 12 13, or #12, #13",
        member="Or all of this member's open holds",
        reason="Why (kept in the audit trail)",
    )
    @moderator_only()
    async def void_held(
        self,
        interaction: discord.Interaction,
        holds: HoldIds | None = None,
        member: discord.User | None = None,
        reason: Reason | None = None,
    ) -> None:
        await self._decide(interaction, VOID, holds, member, reason or "")

    async def _decide(
        self,
        interaction: discord.Interaction,
        decision: str,
        holds: str | None,
        member: discord.User | None,
        reason: str,
    ) -> None:
        """Release or void holds given by ID or by member, and say what moved."""
        guild, target = _guild(interaction), member.id if member is not None else None
        ids = _hold_ids(holds)
        decided = await _refused(
            self.escrow.decide(
                guild, decision, interaction.user.id, ids=ids, member=target, reason=reason
            )
        )
        title = "Holds released" if decision == RELEASE else "Holds voided"
        await _reply(interaction, title, render_decided(decision, decided, target, reason, ids))

    @mod.command(name="flags", description="The members and pairs the anti-fraud detector flagged")
    @app_commands.describe(days=f"How many days to look back (default {FLAG_DAYS})")
    @moderator_only()
    async def flags(
        self,
        interaction: discord.Interaction,
        days: app_commands.Range[int, 1, MAX_FLAG_DAYS] = FLAG_DAYS,
    ) -> None:
        found = await _refused(self.escrow.flags(_guild(interaction), days))
        await interaction.response.send_message(embed=render_flags(found, days), ephemeral=True)

    # -- listeners ------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        """A timeout set, extended or removed early (needs the members intent)."""
        if after.bot or before.timed_out_until == after.timed_out_until:
            return
        now = self.clock.now()
        until = after.timed_out_until
        if until is not None and until > now:
            await self.moderation.timed_out(after.guild.id, after.id, until)
        elif before.timed_out_until is not None and before.timed_out_until > now:
            await self.moderation.timeout_removed(after.guild.id, after.id)

    @commands.Cog.listener()
    async def on_member_ban(
        self, guild: discord.Guild, user: discord.User | discord.Member
    ) -> None:
        """A ban (needs the moderation intent, which sends GUILD_BAN_ADD)."""
        if not user.bot:
            await self.moderation.banned(guild.id, user.id)


async def _send_pages(interaction: discord.Interaction, name: str, turn: Turn) -> None:
    """The first page of a paginated ephemeral reply, with its Previous/Next buttons."""
    shown, pages = await turn(0)
    await interaction.response.send_message(
        embed=shown, view=Pager(name, turn, pages), ephemeral=True
    )


class Pager(discord.ui.View):
    """Prev/next buttons over a paginated reply (`turn` renders a page). The message is
    ephemeral: only the moderator who asked sees it, and its buttons."""

    def __init__(self, name: str, turn: Turn, pages: int, timeout: float = 300) -> None:
        super().__init__(timeout=timeout)
        self.turn = turn
        self.page = 0
        self.pages = pages
        self.previous.custom_id = f"{name}:previous"
        self.next.custom_id = f"{name}:next"
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        wanted = min(max(self.page + step, 0), self.pages - 1)
        shown, self.pages = await self.turn(wanted)
        self.page = min(wanted, self.pages - 1)
        self._sync_buttons()
        await interaction.response.edit_message(embed=shown, view=self)

    @discord.ui.button(label="Previous", emoji="◀️")
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", emoji="▶️")
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._turn(interaction, +1)


# -- rendering --------------------------------------------------------------------------------


async def _reply(interaction: discord.Interaction, title: str, text: str) -> None:
    await interaction.response.send_message(embed=embed(title, text), ephemeral=True)


def _when(instant: datetime | str) -> str:
    """An instant as a Discord timestamp: each reader sees it in their own timezone."""
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    return f"<t:{int(instant.timestamp())}:f>"


def render_suspended(
    member: int, until: datetime | None, replaced: Suspension | None, reason: str
) -> str:
    end = f"until {_when(until)}" if until is not None else "until a moderator lifts it"
    lines = [
        f"{who(member)} is suspended from rewards {end}: nothing they do counts and nothing is"
        " paid to them, today's close included.",
        f"Reason: {plain(reason)}",
    ]
    if replaced is not None:
        lines.append(f"This replaces their suspension by {SOURCES[replaced.source]}.")
    return "\n".join(lines)


def render_void(result: VoidResult) -> str:
    pair = f"{who(result.a)} and {who(result.b)}"
    if result.ended:
        lines = [
            f"The streak of {pair} ended at **{result.ended}** days (best kept: {result.best})."
        ]
    else:
        lines = [f"The streak of {pair} had already ended; its last run is voided."]
    for w in result.withdrawals:
        if w.owed == 0:
            lines.append(f"{who(w.member)}: the run paid them no tier tokens.")
        elif not w.short:
            lines.append(f"{who(w.member)} gave back **{w.taken}** tokens, what the run paid.")
        elif w.taken:
            lines.append(
                f"{who(w.member)} held only **{w.taken}** of the **{w.owed}** tokens the run"
                " paid: all of it was taken back."
            )
        else:
            lines.append(
                f"{who(w.member)} held nothing of the **{w.owed}** tokens the run paid: nothing"
                " was taken."
            )
    return "\n".join(lines)


def render_adjust(member: int, amount: int, result: AdjustResult) -> str:
    if not result.moved:
        head = "This adjustment was made already: nothing moved again."
    elif amount > 0:
        head = f"Gave **{amount}** tokens to {who(member)} from the treasury."
    else:
        head = f"Took **{-amount}** tokens from {who(member)} into the treasury."
    return (
        f"{head}\n{who(member)} now holds **{result.balance}**; the treasury **{result.treasury}**."
    )


_ACTIONS = {
    "suspend": "⛔ {mod} suspended {target}",
    "unsuspend": "✅ {mod} lifted {target}'s suspension",
    "void": "💥 {mod} voided the streak of {target} and {partner}",
    "adjust": "🪙 {mod} adjusted {target}'s balance",
    "timeout": "⏳ {target} was timed out",
    "timeout_end": "⌛ {target}'s timeout was removed",
    "ban": "🔨 {target} was banned",
    "release": "🔓 {mod} released rewards held for {target}",
    "void hold": "🚫 {mod} voided rewards held for {target}",
}
HOLD_ACTIONS = ("release", "void hold")
"""Decisions about escrow holds (bot/store/escrow.py): no target when several members'."""


def describe_action(line: AuditLine) -> str:
    """One audit line: a ledger entry as /history shows it, or what a moderator did and why."""
    if line.entry is not None:
        return f"{_when(line.at)} {describe_entry(line.entry)}"
    mod = who(line.moderator) if line.moderator is not None else "Discord"
    target = who(line.target) if line.target is not None else "?"
    if line.target is None and line.action in HOLD_ACTIONS:
        target = "several members"
    partner = who(line.partner) if line.partner is not None else "?"
    template = _ACTIONS.get(line.action)
    if template is None:
        text = f"{mod} {plain(line.action)} {target}"
    else:
        text = template.format(mod=mod, target=target, partner=partner)
    if line.action == "suspend":
        text += f" for {line.amount} days" if line.amount else " until lifted"
    elif line.action == "void":
        text += f" ({line.amount or 0} tokens taken back)"
    elif line.action == "adjust" and line.amount is not None:
        text += f" by **{line.amount:+}**"
    elif line.action in HOLD_ACTIONS:
        text += f" ({line.amount or 0} tokens)"
    return f"{_when(line.at)} {text} — {plain(line.reason)}"


def render_audit(
    member: int | None, page: Page[AuditLine], number: int, pages: int
) -> discord.Embed:
    if page.rows:
        text = "\n".join(describe_action(line) for line in page.rows)
    elif member is None:
        text = "No moderator action yet."
    else:
        text = f"Nothing about {who(member)} yet."
    if member is not None:
        text = f"Actions about {who(member)} and their token entries, newest first\n{text}"
    result = embed("Moderation audit", text)
    entries = "entry" if page.total == 1 else "entries"
    result.set_footer(text=f"Page {number + 1}/{pages} · {page.total} {entries}")
    return result


async def setup(bot: StreakBot) -> None:
    await bot.add_cog(Moderation(bot))
