"""Interactions a test starts: slash commands, context menus, component clicks, modal submits.

Mixed into `Emulator`. The interaction goes to the bot's live gateway session; the call returns
the bot's final `Reply` (see `interactions.py`) or raises when Discord would not have let the
member do it.
"""

# ruff: noqa: ASYNC109 (a timeout per call: a test that goes wrong fails fast and says why)

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from . import commands
from . import constants as c
from .errors import EmulatorError, UnknownCommand
from .gateway import Gateway
from .interactions import InteractionBook, PendingInteraction, Reply
from .models import Channel, Guild, Member, Message, User, as_user
from .state import World


class InteractionActions:
    """The part of `Emulator` that starts interactions and waits for the bot's answer."""

    world: World
    gateway: Gateway
    interactions: InteractionBook

    async def command(
        self,
        guild: Guild | None,
        channel: Channel | None,
        user: User | Member,
        name: str,
        /,
        *,
        options: Mapping[str, Any] | None = None,
        bypass_default_permissions: bool = False,
        timeout: float = 5.0,
        locale: str = "en-US",
        **values: Any,
    ) -> Reply:
        """`user` runs the slash command `name` ("config tiers add" for subcommands) with
        option values as keywords (or `options=` for names that clash). Returns the bot's
        final answer: its message (4), its edit after a defer (5), or its modal (9)."""
        user = as_user(user)
        channel = self._command_channel(guild, channel, user)
        path = name.split()
        command = await self._registered(guild, path[0], commands.CHAT_INPUT, timeout)
        self._check_access(command, guild, channel, user, bypass_default_permissions)
        builder = commands.OptionBuilder(self.world, guild, channel, command, user)
        data = builder.chat_input(path[1:], {**(options or {}), **values})
        pending = self.interactions.open(c.APPLICATION_COMMAND, "/" + name, channel, user)
        return await self._send(pending, data, locale, timeout)

    async def context_menu(
        self,
        guild: Guild | None,
        channel: Channel | None,
        user: User | Member,
        name: str,
        target: User | Member | Message,
        *,
        bypass_default_permissions: bool = False,
        timeout: float = 5.0,
        locale: str = "en-US",
    ) -> Reply:
        """A user (or message) context-menu command on `target`."""
        user = as_user(user)
        channel = self._command_channel(guild, channel, user)
        kind = commands.MESSAGE_COMMAND if isinstance(target, Message) else commands.USER_COMMAND
        command = await self._registered(guild, name, kind, timeout)
        self._check_access(command, guild, channel, user, bypass_default_permissions)
        data = commands.OptionBuilder(self.world, guild, channel, command, user).context_menu(
            target
        )
        pending = self.interactions.open(c.APPLICATION_COMMAND, name, channel, user)
        return await self._send(pending, data, locale, timeout)

    async def click(
        self,
        target: Reply | Message,
        custom_id: str,
        user: User | Member,
        *,
        values: Iterable[Any] | None = None,
        timeout: float = 5.0,
        locale: str = "en-US",
    ) -> Reply:
        """`user` clicks the button (or picks `values` in the select menu) `custom_id` on the
        message. Returns the bot's final answer (an edit of that message for 6/7)."""
        message = target.message if isinstance(target, Reply) else target
        if message is None:
            raise EmulatorError("that reply is a modal: it has no components to click")
        user = as_user(user)
        component = message.find_component(custom_id)
        if component is None:
            raise EmulatorError(
                f"no component {custom_id!r} on {message!r}; it has {message.custom_ids()}"
            )
        if component.get("disabled"):
            raise EmulatorError(f"component {custom_id!r} is disabled")
        if message.ephemeral and isinstance(target, Reply) and target.pending.user is not user:
            raise EmulatorError("only the user who got an ephemeral message can see its components")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = [str(getattr(v, "id", v)) for v in values]
        pending = self.interactions.open(
            c.MESSAGE_COMPONENT, custom_id, message.channel, user, message
        )
        return await self._send(pending, data, locale, timeout)

    async def submit_modal(
        self,
        reply: Reply,
        user: User | Member,
        values: Mapping[str, str],
        *,
        timeout: float = 5.0,
        locale: str = "en-US",
    ) -> Reply:
        """Fill in the modal the bot answered with (`values` by text input custom_id)."""
        if reply.modal is None:
            raise EmulatorError("the bot did not answer with a modal")
        rows: list[dict[str, Any]] = []
        for component in reply.modal.get("components") or []:
            if component.get("type") == 18 and component.get("component"):
                inner = component["component"]
                rows.append({"type": 18, "component": _submitted(inner, values)})
            else:
                inputs = [_submitted(i, values) for i in component.get("components") or []]
                rows.append({"type": 1, "components": inputs})
        data = {"custom_id": reply.modal["custom_id"], "components": rows}
        pending = self.interactions.open(
            c.MODAL_SUBMIT,
            reply.modal["custom_id"],
            reply.pending.channel,
            as_user(user),
            reply.pending.source,
        )
        return await self._send(pending, data, locale, timeout)

    def _command_channel(self, guild: Guild | None, channel: Channel | None, user: User) -> Channel:
        if guild is None:
            return channel or self.world.dm_channel(user)
        if channel is None or channel.guild is not guild:
            raise EmulatorError("a guild command needs a channel of that guild")
        if user.id not in guild.members:
            raise EmulatorError(f"{user.name} is not a member of {guild.name}")
        return channel

    def _check_access(
        self,
        command: dict[str, Any],
        guild: Guild | None,
        channel: Channel,
        user: User,
        bypass: bool,
    ) -> None:
        if not bypass:
            member = guild.members[user.id] if guild is not None else None
            commands.check_permitted(command, member, channel)

    async def _registered(
        self, guild: Guild | None, name: str, kind: int, timeout: float
    ) -> dict[str, Any]:
        """The command by that name; waits for the bot's first registration if none came yet."""
        world = self.world
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (command := commands.find(world, guild, name, kind)) is None:
            remaining = deadline - loop.time()
            if world.commands or remaining <= 0:
                names = commands.registered_names(world, guild)
                raise UnknownCommand(
                    f"the bot registered no command {name!r} here (it has {names})"
                )
            world.commands_changed.clear()
            try:
                await asyncio.wait_for(world.commands_changed.wait(), remaining)
            except TimeoutError:
                continue
        return command

    async def _send(
        self, pending: PendingInteraction, data: dict[str, Any], locale: str, timeout: float
    ) -> Reply:
        session = self.gateway.live_session()
        if session is None:
            raise EmulatorError("no bot is connected to the gateway (is it running and ready?)")
        session.push_event("INTERACTION_CREATE", self.interactions.envelope(pending, data, locale))
        return await self.interactions.wait(pending, timeout)


def _submitted(component: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    custom_id = component.get("custom_id")
    return {
        "type": component.get("type", 4),
        "custom_id": custom_id,
        "value": values.get(custom_id, ""),
    }
