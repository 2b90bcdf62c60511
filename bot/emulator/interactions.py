"""Interactions in flight: the INTERACTION_CREATE payload, the bot's answers to it, and the
`Reply` a test gets back once the bot has answered for good."""

# Waits take a `timeout` so a test that goes wrong fails fast with a message saying what
# never happened, rather than hanging until pytest's own timeout.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import constants as c
from . import payloads
from .access import bot_permissions
from .errors import (
    ALREADY_ACKNOWLEDGED,
    UNKNOWN_INTERACTION,
    UNKNOWN_WEBHOOK,
    DiscordError,
    EmulatorError,
    InteractionTimeout,
    not_found,
)
from .permissions import channel_permissions

if TYPE_CHECKING:
    from .models import Attachment, Channel, Guild, Member, Message, User
    from .state import World

_CALLBACK_NAMES = {
    c.CHANNEL_MESSAGE: "CHANNEL_MESSAGE_WITH_SOURCE",
    c.DEFERRED_CHANNEL_MESSAGE: "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE",
    c.DEFERRED_UPDATE_MESSAGE: "DEFERRED_UPDATE_MESSAGE",
    c.UPDATE_MESSAGE: "UPDATE_MESSAGE",
    c.MODAL: "MODAL",
}


@dataclass(eq=False)
class PendingInteraction:
    """One interaction sent to the bot, and everything the bot has answered so far."""

    id: int
    token: str
    type: int
    name: str
    channel: Channel
    guild: Guild | None
    user: User
    source: Message | None = None  # the message whose component was used
    created: float = field(default_factory=time.monotonic)
    response: int | None = None  # the callback type the bot answered with
    original: Message | None = None
    followups: list[Message] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # errors the bot was answered
    done: asyncio.Future[Reply] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    followup_posted: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def member(self) -> Member | None:
        return self.guild.members.get(self.user.id) if self.guild is not None else None


class Reply:
    """The bot's answer to a command or click.

    `message` is the message the answer produced or edited (None for a modal, see `modal`).
    `type` is the callback type the bot first answered with (4, 5, 6, 7 or 9); `deferred` says
    whether that was a defer (5/6) later completed by an edit or follow-up. `followups` fills up
    as the bot sends more; `wait_for_followup` waits for them.
    """

    def __init__(
        self,
        pending: PendingInteraction,
        message: Message | None,
        modal: dict[str, Any] | None = None,
    ) -> None:
        self.pending = pending
        self.message = message
        self.modal = modal

    @property
    def interaction_id(self) -> int:
        return self.pending.id

    @property
    def type(self) -> int:
        assert self.pending.response is not None
        return self.pending.response

    @property
    def deferred(self) -> bool:
        return self.pending.response in (c.DEFERRED_CHANNEL_MESSAGE, c.DEFERRED_UPDATE_MESSAGE)

    @property
    def followups(self) -> list[Message]:
        return self.pending.followups

    def _message(self) -> Message:
        if self.message is None:
            raise EmulatorError("the bot answered with a modal, not a message: see reply.modal")
        return self.message

    @property
    def content(self) -> str:
        return self._message().content

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self._message().embeds

    @property
    def components(self) -> list[dict[str, Any]]:
        return self._message().components

    @property
    def attachments(self) -> list[Attachment]:
        return self._message().attachments

    @property
    def ephemeral(self) -> bool:
        return self._message().ephemeral

    def custom_ids(self) -> list[str]:
        return self._message().custom_ids()

    async def wait_for_followup(self, count: int = 1, timeout: float = 5.0) -> Message:
        """Wait until the bot has sent `count` follow-ups; returns the `count`-th."""
        pending = self.pending
        async with asyncio.timeout(timeout):
            while len(pending.followups) < count:
                pending.followup_posted.clear()
                await pending.followup_posted.wait()
        return pending.followups[count - 1]

    def __repr__(self) -> str:
        kind = _CALLBACK_NAMES.get(self.pending.response or 0, self.pending.response)
        return f"<Reply to {self.pending.name} {kind} {self.message!r}>"


class InteractionBook:
    """Interactions by ID and token; enforces Discord's 3-second window for the first answer
    and the 15-minute lifetime of the token for edits and follow-ups."""

    def __init__(
        self, world: World, *, response_window: float = 3.0, lifetime: float = 900.0
    ) -> None:
        self.world = world
        self.response_window = response_window
        self.lifetime = lifetime
        self.by_id: dict[int, PendingInteraction] = {}
        self.by_token: dict[str, PendingInteraction] = {}
        # Deferred component updates (type 6) by message ID: any edit of it completes them.
        self.awaiting_edit: dict[int, PendingInteraction] = {}

    def open(
        self,
        kind: int,
        name: str,
        channel: Channel,
        user: User,
        source: Message | None = None,
    ) -> PendingInteraction:
        pending = PendingInteraction(
            self.world.new_id(),
            secrets.token_urlsafe(48),
            kind,
            name,
            channel,
            channel.guild,
            user,
            source,
        )
        self.by_id[pending.id] = pending
        self.by_token[pending.token] = pending
        return pending

    def envelope(
        self, pending: PendingInteraction, data: dict[str, Any], locale: str
    ) -> dict[str, Any]:
        """The INTERACTION_CREATE payload."""
        world = self.world
        channel, guild = pending.channel, pending.guild
        payload: dict[str, Any] = {
            "id": str(pending.id),
            "application_id": str(world.application_id),
            "type": pending.type,
            "data": data,
            "token": pending.token,
            "version": 1,
            "channel_id": str(channel.id),
            "locale": locale,
            "app_permissions": str(bot_permissions(world, channel)),
            "entitlements": [],
            "attachment_size_limit": c.ATTACHMENT_SIZE_LIMIT,
        }
        member = pending.member
        if guild is not None and member is not None:
            perms = channel_permissions(member, channel, world.now())
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.locale, "features": []},
                guild_locale=guild.locale,
                member=payloads.member(member, permissions=perms),
                channel=payloads.channel(channel, permissions=perms),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=payloads.user(pending.user),
                channel=payloads.channel(channel),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        if pending.source is not None:
            payload["message"] = payloads.message(pending.source, world.bot.id)
        return payload

    def metadata(self, pending: PendingInteraction) -> dict[str, Any]:
        """`interaction_metadata` of the messages the interaction produces."""
        owners = {"0": str(pending.guild.id)} if pending.guild is not None else {"0": "0"}
        data: dict[str, Any] = {
            "id": str(pending.id),
            "type": pending.type,
            "user": payloads.user(pending.user),
            "authorizing_integration_owners": owners,
        }
        if pending.type == c.APPLICATION_COMMAND:
            data["name"] = pending.name.lstrip("/")
        if pending.source is not None:
            data["interacted_message_id"] = str(pending.source.id)
        if pending.original is not None and pending.followups:
            data["original_response_message_id"] = str(pending.original.id)
        return data

    def for_callback(self, interaction_id: int, token: str) -> PendingInteraction:
        pending = self.by_id.get(interaction_id)
        if pending is None or pending.token != token:
            raise not_found(UNKNOWN_INTERACTION, "interaction")
        if pending.response is not None:
            raise DiscordError(
                400, ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged."
            )
        if time.monotonic() - pending.created > self.response_window:
            pending.refusals.append(f"answered after the {self.response_window}s window")
            raise not_found(UNKNOWN_INTERACTION, "interaction")
        return pending

    def for_webhook(self, application_id: int, token: str) -> PendingInteraction:
        pending = self.by_token.get(token)
        if (
            pending is None
            or application_id != self.world.application_id
            or time.monotonic() - pending.created > self.lifetime
        ):
            raise not_found(UNKNOWN_WEBHOOK, "Webhook")
        return pending

    def finish(
        self,
        pending: PendingInteraction,
        message: Message | None,
        modal: dict[str, Any] | None = None,
    ) -> None:
        if pending.source is not None:
            self.awaiting_edit.pop(pending.source.id, None)
        if not pending.done.done():
            pending.done.set_result(Reply(pending, message, modal))

    def message_edited(self, message: Message) -> None:
        """The bot edited a message over plain REST: a deferred update waiting on it is done
        (`await interaction.response.defer()` then `await interaction.message.edit(...)`)."""
        pending = self.awaiting_edit.get(message.id)
        if pending is not None:
            self.finish(pending, message)

    @staticmethod
    async def wait(pending: PendingInteraction, timeout: float) -> Reply:
        try:
            return await asyncio.wait_for(asyncio.shield(pending.done), timeout)
        except TimeoutError:
            if pending.response is None:
                what = "never answered it"
            else:
                kind = _CALLBACK_NAMES.get(pending.response, pending.response)
                what = f"answered {kind} but never edited the original response or followed up"
            refusals = (
                f" (the emulator refused: {'; '.join(pending.refusals)})"
                if pending.refusals
                else ""
            )
            raise InteractionTimeout(
                f"interaction {pending.name}: the bot {what} within {timeout}s{refusals}"
            ) from None
