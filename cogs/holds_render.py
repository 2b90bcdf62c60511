"""Rendering for the anti-fraud commands of `/mod`: held rewards (`/mod review`), what a release
or a void did, and the detector's flags (`/mod flags`).

Reasons are the detector's evidence (signal names, counts, timings), never what anybody wrote;
they are still rendered with `plain()`, like every stored text, so nothing in them formats or
pings. Members appear as `<@id>`, which never pings (the client allows no mentions).
"""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.services.escrow import Evidence, Flagged, Flags, HeldItem, ReviewPage
from bot.store.escrow import RELEASE, Decided, Hold
from cogs.render import embed, plain, who

DESCRIPTION_LIMIT = 4000
"""Below Discord's 4096 characters per embed description, with room for the "more" line."""
DETAIL_LIMIT = 300
"""One reason's evidence, at most: a page of holds must fit in an embed."""

KINDS = {"points": "points", "tier": "tier tokens", "pool": "pool share", "challenge": "challenge"}


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"**{count}** {one if count == 1 else (many or one + 's')}"


def describe_reasons(reasons: Iterable[Evidence]) -> list[str]:
    """Each reason on its own line: the signal, then its evidence."""
    lines = []
    for reason in reasons:
        detail = reason.detail
        if len(detail) > DETAIL_LIMIT:
            detail = detail[: DETAIL_LIMIT - 1] + "…"
        lines.append(f"└ **{plain(reason.signal)}**: {plain(detail)}")
    return lines or ["└ (no reason recorded)"]


def describe_kind(hold: Hold) -> str:
    """What the held payment was for: points, a tier (with its name), a pool, a challenge."""
    kind = KINDS.get(hold.reason, plain(hold.reason))
    if hold.reason == "tier":
        # Tier payment keys read tier:<guild>:<day>:<a>-<b>:<tier>:<member> (store/day_close).
        parts = hold.key.split(":")
        if len(parts) >= 6:
            kind = f"**{plain(':'.join(parts[4:-1]))}** {kind}"
    return kind


def describe_pair(a: int | None, b: int | None) -> str:
    return f"{who(a)} & {who(b)}" if a is not None and b is not None else ""


def describe_hold(item: HeldItem) -> str:
    """One hold: its ID, day, whose tokens, the pair, the amount and kind, then why."""
    hold = item.hold
    parts = [f"**#{hold.id}**", hold.day, who(hold.member), plural(hold.amount, "token")]
    parts.append(describe_kind(hold))
    if pair := describe_pair(hold.a, hold.b):
        parts.append(f"pair {pair}")
    return "\n".join([" · ".join(parts), *describe_reasons(item.reasons)])


def fit(blocks: list[str], limit: int = DESCRIPTION_LIMIT) -> str:
    """Blocks of lines joined as long as they fit in an embed; then how many were left off."""
    shown: list[str] = []
    used = 0
    for number, block in enumerate(blocks):
        if used + len(block) + 1 > limit:
            shown.append(f"… and {len(blocks) - number} more not shown (too long for one embed).")
            break
        shown.append(block)
        used += len(block) + 1
    return "\n".join(shown)


def render_review(found: ReviewPage, member: int | None) -> discord.Embed:
    """A page of open holds, oldest first, with the totals of all of them."""
    scope = f" for {who(member)}" if member is not None else ""
    if not found.items and found.total == 0:
        return embed("Held rewards", f"Nothing is held{scope}: no reward is waiting in escrow.")
    head = (
        f"{plural(found.total, 'payment')} held{scope}, {plural(found.tokens, 'token')} in"
        " escrow, oldest first.\nRelease with `/mod release`, or void with `/mod void-held`"
        " (hold IDs, or a member)."
    )
    body = fit([describe_hold(item) for item in found.items]) or "Nothing on this page."
    result = embed("Held rewards", f"{head}\n\n{body}")
    result.set_footer(
        text=f"Page {found.page + 1}/{found.pages} · {found.total} hold"
        + ("" if found.total == 1 else "s")
    )
    return result


def render_decided(
    decision: str,
    decided: Decided,
    member: int | None,
    reason: str,
    asked: list[int] | None = None,
) -> str:
    """What a release or a void did; with `asked` (the IDs given), which of them were not open."""
    holds = plural(decided.holds, "hold")
    tokens = plural(decided.tokens, "token")
    scope = f" of {who(member)}" if member is not None else ""
    if decision == RELEASE:
        text = f"Released {holds}{scope}: {tokens} paid to the members they were held for."
    else:
        text = f"Voided {holds}{scope}: {tokens} went back to the treasury (or their pool)."
    skipped = [hold for hold in asked or () if hold not in decided.ids]
    if skipped:
        text += "\nNot held (decided already, or no such hold): " + ", ".join(
            f"#{hold}" for hold in skipped
        )
    return f"{text}\nReason: {plain(reason.strip() or 'no reason given')}"


def describe_flag(flag: Flagged) -> str:
    """One flagged member or pair: who, the risk, whether held, the day, then the evidence."""
    name = describe_pair(flag.a, flag.b) if flag.b is not None else who(flag.a)
    held = "**held**" if flag.held else "not held"
    head = f"{name} · risk **{flag.score:.0%}** · {held} · {flag.day}"
    return "\n".join([head, *describe_reasons(flag.reasons)])


def render_flags(found: Flags, days: int) -> discord.Embed:
    """The riskiest members and pairs of the last days, each at its latest flagged day."""
    span = "day" if days == 1 else f"{days} days"
    if not found.members and not found.pairs:
        return embed("Fraud flags", f"Nobody was flagged in the last {span} (since {found.since}).")
    blocks = [f"Riskiest first, over the last {span} (since {found.since})."]
    if found.members:
        blocks.append("\n__Members__")
        blocks += [describe_flag(flag) for flag in found.members]
    if found.pairs:
        blocks.append("\n__Pairs__")
        blocks += [describe_flag(flag) for flag in found.pairs]
    return embed("Fraud flags", fit(blocks))
