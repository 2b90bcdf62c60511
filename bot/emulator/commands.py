"""Application commands: what the bot registered, who may see them, and the interaction `data`
(options and `resolved`) a member's invocation produces, typed by the registered schema."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import constants as c
from . import payloads
from .errors import CommandNotPermitted, EmulatorError, UnknownCommand, invalid_form
from .models import Attachment, Channel, Member, Message, Role, User
from .permissions import ADMINISTRATOR, channel_permissions

if TYPE_CHECKING:
    from .models import Guild
    from .state import World

CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
_NAME = re.compile(r"^[-_\w]{1,32}$")
_SUBCOMMANDS = (c.SUB_COMMAND, c.SUB_COMMAND_GROUP)
_OPTION_TYPES = {
    c.STRING: "string",
    c.INTEGER: "integer",
    c.BOOLEAN: "boolean",
    c.USER: "user",
    c.CHANNEL: "channel",
    c.ROLE: "role",
    c.MENTIONABLE: "mentionable",
    c.NUMBER: "number",
    c.ATTACHMENT: "attachment",
}


def overwrite(world: World, guild_id: int | None, commands: Any) -> list[dict[str, Any]]:
    """PUT .../commands: replace the registered set (same name keeps its ID, like Discord)."""
    if not isinstance(commands, list):
        raise invalid_form("_", "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
    old = world.commands.get(guild_id, {})
    stored: dict[tuple[int, str], dict[str, Any]] = {}
    for index, command in enumerate(commands):
        full = _validated(world, command, index, guild_id)
        key = (full["type"], full["name"])
        if key in stored:
            raise invalid_form(
                f"{index}.name",
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            )
        if key in old:
            full["id"] = old[key]["id"]
        stored[key] = full
    world.commands[guild_id] = stored
    return list(stored.values())


def upsert(world: World, guild_id: int | None, command: Any) -> dict[str, Any]:
    full = _validated(world, command, 0, guild_id)
    registered = world.commands.setdefault(guild_id, {})
    key = (full["type"], full["name"])
    if key in registered:
        full["id"] = registered[key]["id"]
    registered[key] = full
    return full


def _validated(world: World, command: Any, index: int, guild_id: int | None) -> dict[str, Any]:
    if not isinstance(command, dict):
        raise invalid_form(
            str(index), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"
        )
    kind = int(command.get("type") or CHAT_INPUT)
    name = command.get("name") or ""
    if kind == CHAT_INPUT and (not _NAME.match(name) or name != name.lower()):
        raise invalid_form(
            f"{index}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
        )
    description = command.get("description") or ""
    if kind == CHAT_INPUT and not 1 <= len(description) <= 100:
        raise invalid_form(
            f"{index}.description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    _check_options(command.get("options") or [], f"{index}.options")
    permissions = command.get("default_member_permissions")
    full = dict(command)
    full.update(
        id=str(world.new_id()),
        application_id=str(world.application_id),
        version=str(world.new_id()),
        type=kind,
        description=description,
        default_member_permissions=None if permissions is None else str(permissions),
    )
    if guild_id is not None:
        full["guild_id"] = str(guild_id)
    return full


def _check_options(options: list[dict[str, Any]], where: str) -> None:
    if len(options) > 25:
        raise invalid_form(where, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    for number, option in enumerate(options):
        if not _NAME.match(option.get("name") or ""):
            raise invalid_form(
                f"{where}.{number}.name",
                "APPLICATION_COMMAND_INVALID_NAME",
                "Command name is invalid",
            )
        if not 1 <= len(option.get("description") or "") <= 100:
            raise invalid_form(
                f"{where}.{number}.description",
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
        if option.get("type") in _SUBCOMMANDS:
            _check_options(option.get("options") or [], f"{where}.{number}.options")
        elif option.get("required"):
            if seen_optional:
                raise invalid_form(
                    f"{where}.{number}.required",
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True


def find(world: World, guild: Guild | None, name: str, kind: int) -> dict[str, Any] | None:
    """The command a member in `guild` would see under that name (guild commands first)."""
    if guild is not None:
        found = world.commands.get(guild.id, {}).get((kind, name))
        if found is not None:
            return found
    return world.commands.get(None, {}).get((kind, name))


def registered_names(world: World, guild: Guild | None) -> list[str]:
    scopes = [None] if guild is None else [guild.id, None]
    return sorted({name for scope in scopes for (_, name) in world.commands.get(scope, {})})


def check_permitted(command: dict[str, Any], member: Member | None, channel: Channel) -> None:
    """Discord hides a command from members lacking its default_member_permissions, and
    from contexts (guild, bot DM) it was not made for."""
    name = command["name"]
    contexts = command.get("contexts")
    if member is None:
        if (
            command.get("guild_id")
            or (contexts is not None and 1 not in contexts)
            or (contexts is None and command.get("dm_permission") is False)
        ):
            raise CommandNotPermitted(f"/{name} is not available in DMs")
        return
    if contexts is not None and 0 not in contexts:
        raise CommandNotPermitted(f"/{name} is not available in servers")
    needed = command.get("default_member_permissions")
    if needed is None:
        return
    have = channel_permissions(member, channel, member.guild._world.now())
    if have & ADMINISTRATOR:
        return
    needed_value = int(needed)
    if needed_value == 0 or have & needed_value != needed_value:
        raise CommandNotPermitted(
            f"{member.user.name} cannot see /{name}: it needs permissions {needed_value} "
            f"(default_member_permissions) and they have {have}; pass "
            "bypass_default_permissions=True to invoke it anyway"
        )


class OptionBuilder:
    """Turns Python values into a command's `options` and `resolved`, checked against its schema."""

    def __init__(
        self,
        world: World,
        guild: Guild | None,
        channel: Channel,
        command: dict[str, Any],
        invoker: User,
    ) -> None:
        self.world = world
        self.guild = guild
        self.channel = channel
        self.command = command
        self.invoker = guild.members.get(invoker.id) if guild is not None else None
        self.resolved: dict[str, dict[str, Any]] = {}

    def chat_input(self, path: list[str], values: dict[str, Any]) -> dict[str, Any]:
        command = self.command
        data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": CHAT_INPUT}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        schema: list[dict[str, Any]] = command.get("options") or []
        options: list[dict[str, Any]] = []
        data["options"] = options
        walked = [command["name"]]
        for part in path:
            sub = next(
                (o for o in schema if o.get("type") in _SUBCOMMANDS and o["name"] == part), None
            )
            if sub is None:
                names = [o["name"] for o in schema if o.get("type") in _SUBCOMMANDS]
                raise UnknownCommand(
                    f"/{' '.join(walked)} has no subcommand {part!r} (it has {names})"
                )
            entry: dict[str, Any] = {"type": sub["type"], "name": part, "options": []}
            options.append(entry)
            options, schema = entry["options"], sub.get("options") or []
            walked.append(part)
        nested = [o["name"] for o in schema if o.get("type") in _SUBCOMMANDS]
        if nested:
            raise UnknownCommand(f"/{' '.join(walked)} needs a subcommand: one of {nested}")
        by_name = {o["name"]: o for o in schema}
        for name, value in values.items():
            option = by_name.get(name)
            if option is None:
                raise EmulatorError(
                    f"/{' '.join(walked)} has no option {name!r} (it has {sorted(by_name)})"
                )
            options.append(
                {"type": option["type"], "name": name, "value": self._value(option, value)}
            )
        missing = [o["name"] for o in schema if o.get("required") and o["name"] not in values]
        if missing:
            raise EmulatorError(f"/{' '.join(walked)} needs option(s) {missing}")
        if self.resolved:
            data["resolved"] = self.resolved
        return data

    def context_menu(self, target: Any) -> dict[str, Any]:
        command = self.command
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": command["type"],
        }
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if command["type"] == USER_COMMAND:
            data["target_id"] = self._user(target)
        else:
            if not isinstance(target, Message):
                raise EmulatorError("a message command needs a Message target")
            data["target_id"] = str(target.id)
            self.resolved.setdefault("messages", {})[str(target.id)] = payloads.message(
                target, self.world.bot.id
            )
        data["resolved"] = self.resolved
        return data

    def _value(self, option: dict[str, Any], value: Any) -> Any:
        kind = option["type"]
        label = f"option {option['name']!r} ({_OPTION_TYPES.get(kind, kind)})"
        if kind == c.STRING:
            if not isinstance(value, str):
                raise EmulatorError(f"{label} takes a str, not {value!r}")
            self._check_choices(option, value, label)
            if not option.get("min_length", 0) <= len(value) <= option.get("max_length", 6000):
                raise EmulatorError(f"{label}: length {len(value)} is outside the allowed range")
            return value
        if kind in (c.INTEGER, c.NUMBER):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or (kind == c.INTEGER and not isinstance(value, int))
            ):
                raise EmulatorError(f"{label} takes a number, not {value!r}")
            self._check_choices(option, value, label)
            low, high = option.get("min_value"), option.get("max_value")
            if (low is not None and value < low) or (high is not None and value > high):
                raise EmulatorError(f"{label}: {value} is outside [{low}, {high}]")
            return value
        if kind == c.BOOLEAN:
            if not isinstance(value, bool):
                raise EmulatorError(f"{label} takes a bool, not {value!r}")
            return value
        if kind == c.USER:
            return self._user(value)
        if kind == c.ROLE:
            return self._role(value)
        if kind == c.MENTIONABLE:
            return self._role(value) if isinstance(value, Role) else self._user(value)
        if kind == c.CHANNEL:
            return self._channel(value, option.get("channel_types"))
        if kind == c.ATTACHMENT:
            return self._attachment(value)
        raise EmulatorError(f"{label}: unsupported option type")

    @staticmethod
    def _check_choices(option: dict[str, Any], value: Any, label: str) -> None:
        choices = option.get("choices")
        if choices and value not in [choice["value"] for choice in choices]:
            raise EmulatorError(
                f"{label}: {value!r} is not one of {[ch['value'] for ch in choices]}"
            )

    def _user(self, value: Any) -> str:
        user = value.user if isinstance(value, Member) else value
        if isinstance(user, int):
            user = self.world.users.get(user)
        if not isinstance(user, User):
            raise EmulatorError(f"expected a User or Member, got {value!r}")
        self.resolved.setdefault("users", {})[str(user.id)] = payloads.user(user)
        if self.guild is not None and user.id in self.guild.members:
            member = self.guild.members[user.id]
            perms = channel_permissions(member, self.channel, self.world.now())
            data = payloads.member(member, with_user=False, permissions=perms)
            self.resolved.setdefault("members", {})[str(user.id)] = data
        return str(user.id)

    def _role(self, value: Any) -> str:
        role = self.guild.roles.get(value) if isinstance(value, int) and self.guild else value
        if not isinstance(role, Role) or self.guild is None or role.guild_id != self.guild.id:
            raise EmulatorError(f"expected a Role of this guild, got {value!r}")
        self.resolved.setdefault("roles", {})[str(role.id)] = payloads.role(role)
        return str(role.id)

    def _channel(self, value: Any, channel_types: list[int] | None) -> str:
        channel = self.world.channels.get(value) if isinstance(value, int) else value
        if not isinstance(channel, Channel):
            raise EmulatorError(f"expected a Channel, got {value!r}")
        if channel_types and channel.type not in channel_types:
            raise EmulatorError(f"channel type {channel.type} is not one of {channel_types}")
        invoker = self.invoker
        perms = channel_permissions(invoker, channel, self.world.now()) if invoker else 0
        self.resolved.setdefault("channels", {})[str(channel.id)] = payloads.channel(
            channel, permissions=perms
        )
        return str(channel.id)

    def _attachment(self, value: Any) -> str:
        if not isinstance(value, Attachment):
            if not isinstance(value, tuple) or len(value) < 2:
                raise EmulatorError("an attachment option takes an Attachment or (filename, bytes)")
            value = self.world.messages.attach(self.channel, *value)
        self.resolved.setdefault("attachments", {})[str(value.id)] = payloads.attachment(value)
        return str(value.id)
