"""Reading replay inputs: DiscordChatExporter JSON exports and JSONL event logs.

Both are streamed (memory stays flat however long the file is) and turned into domain events.
Each file must be in time order, as both formats are when written; files are merged by time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import ijson
import msgspec
import orjson

from bot.domain.events import DeleteEvent, GuildEvent, MemberEvent, MessageEvent, ReactionEvent

_MAX_SNOWFLAKE = 2**63 - 1
_DCE_COUNTED_TYPES = frozenset({"Default", "Reply"})
_DCE_DM_CHANNELS = frozenset({"DirectTextChat", "DirectGroupTextChat"})


class InputError(ValueError):
    """A replay input that cannot be used: where (`file:line`) and what is wrong."""

    def __init__(self, path: Path, where: int | str | None, problem: str) -> None:
        self.path, self.where, self.problem = path, where, problem
        location = f"{path}:{where}" if where is not None else str(path)
        super().__init__(f"{location}: {problem}")


class _Bad(ValueError):
    """A field problem, located by the caller."""


def snowflake(value: object, field: str) -> int:
    if type(value) is int:
        number = value
    elif type(value) is str and value.isascii() and value.isdigit():
        number = int(value)
    else:
        raise _Bad(f"{field} must be a snowflake ID (digits), got {value!r}")
    if not 0 < number <= _MAX_SNOWFLAKE:
        raise _Bad(f"{field} is out of range for a snowflake: {value!r}")
    return number


def timestamp(value: object, field: str = "ts") -> datetime:
    try:
        instant = datetime.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise _Bad(f"{field} is not an ISO 8601 timestamp: {value!r}") from None
    if instant.tzinfo is None:
        raise _Bad(f"{field} needs a UTC offset (e.g. +00:00 or Z): {value!r}")
    return instant


@dataclass(slots=True)
class Source:
    """One input file, read once; `consumed` tracks bytes read, for a progress bar."""

    path: Path
    kind: str  # "dce" or "jsonl"
    consumed: int = 0

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def open_source(path: Path) -> Source:
    """Identify a replay input by its extension or, failing that, its first line."""
    if not path.is_file():
        raise InputError(path, None, "no such file")
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        return Source(path, "jsonl")
    with path.open("rb") as handle:
        first = handle.readline().strip()
    try:
        head = orjson.loads(first) if first else None
    except orjson.JSONDecodeError:
        head = None
    if isinstance(head, dict) and "type" in head:
        return Source(path, "jsonl")
    check_dce_header(path)
    return Source(path, "dce")


def check_dce_header(path: Path) -> None:
    """Refuse early what is not a guild channel export."""
    with path.open("rb") as handle:
        try:
            guild = next(ijson.items(handle, "guild"), None)
        except ijson.JSONError as error:
            raise _json_error(path, error) from None
    if not isinstance(guild, dict) or "id" not in guild:
        raise InputError(path, None, "neither a JSONL event log nor a DiscordChatExporter export")
    with path.open("rb") as handle:
        channel = next(ijson.items(handle, "channel"), None) or {}
    if str(guild.get("id")) == "0" or channel.get("type") in _DCE_DM_CHANNELS:
        raise InputError(
            path,
            None,
            "this is a direct-message export (it has no guild); Streakbot tracks guild"
            " channels only: export a server channel instead",
        )


def read(source: Source) -> Iterator[GuildEvent]:
    """The file's events in order (member events without `ts` excepted: see `initial_members`)."""
    reader = _read_dce if source.kind == "dce" else _read_jsonl
    previous = None
    for event, where in reader(source):
        ts = event.ts
        if ts is None:
            continue
        if previous is not None and ts < previous:
            if source.kind == "dce":
                where = dce_location(source.path, where, {"id": str(getattr(event, "id", ""))})
            raise InputError(
                source.path,
                where,
                f"out of time order: {ts.isoformat()} comes after {previous.isoformat()}"
                " (each file must be sorted by time)",
            )
        previous = ts
        yield event


def initial_members(source: Source) -> list[MemberEvent]:
    """Member events without `ts`: they hold from the start, wherever they stand in the file."""
    if source.kind != "jsonl":
        return []
    found = []
    with source.path.open("rb") as handle:
        for line in handle:
            if b'"member"' not in line:
                continue
            try:
                event = _event(_decode_line(line))
            except (msgspec.ValidationError, msgspec.DecodeError, _Bad):
                continue  # reported with its line number by the main pass
            if isinstance(event, MemberEvent) and event.ts is None:
                found.append(event)
    return found


# -- JSONL ------------------------------------------------------------------------------------
# Typed decoding with msgspec validates and converts each line in C (about 1 us a line); the
# structs below are the JSONL schema. Lax mode turns digit strings into IDs (and accepts any
# whole JSON number; "true"/1 for flags); the bounds refuse what is not a snowflake.

_Id = Annotated[int, msgspec.Meta(gt=0, le=_MAX_SNOWFLAKE)]


class _Message(msgspec.Struct, tag="message", tag_field="type"):
    id: _Id
    guild: _Id
    channel: _Id
    author: _Id
    ts: str  # parsed by `timestamp`: ISO 8601 is wider than msgspec's RFC 3339 ("T10:00Z")
    reply_to: _Id | None = None
    reply_to_author: _Id | None = None
    mentions: tuple[_Id, ...] = ()
    bot: bool = False
    system: bool = False
    content: str | None = None


class _Reaction(msgspec.Struct, tag="reaction", tag_field="type"):
    guild: _Id
    channel: _Id
    message: _Id
    user: _Id
    ts: str
    message_author: _Id | None = None


class _Delete(msgspec.Struct, tag="delete", tag_field="type"):
    guild: _Id
    channel: _Id
    message: _Id
    ts: str


class _Member(msgspec.Struct, tag="member", tag_field="type"):
    guild: _Id
    user: _Id
    bot: bool = False
    ts: str | None = None
    name: str | None = None


_decode_line = msgspec.json.Decoder(_Message | _Reaction | _Delete | _Member, strict=False).decode


def _read_jsonl(source: Source) -> Iterator[tuple[GuildEvent, int]]:
    with source.path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not number & 1023:
                source.consumed = handle.tell()
            try:
                event = _event(_decode_line(line))
            except (msgspec.DecodeError, _Bad) as error:  # ValidationError is a DecodeError
                if not line.strip():
                    continue  # blank lines are allowed
                raise InputError(source.path, number, _line_problem(error)) from None
            yield event, number
    source.consumed = source.size


def _line_problem(error: Exception) -> str:
    text = str(error)
    if not isinstance(error, msgspec.ValidationError | _Bad):
        return f"not valid JSON ({text})"
    if "Invalid value" in text and "$.type" in text:
        return f"{text}: the type must be message, reaction, delete or member"
    if "missing required field `type`" in text or "Expected `object`" in text:
        return f"{text}: each line must be a JSON object with a type"
    return text


def _event(record: _Message | _Reaction | _Delete | _Member) -> GuildEvent:
    kind = record.__class__
    if kind is _Message:
        return MessageEvent(
            record.id,
            record.guild,
            record.channel,
            record.author,
            timestamp(record.ts),
            record.reply_to,
            record.reply_to_author,
            record.mentions,
            record.bot,
            record.system,
            record.content,
        )
    if kind is _Reaction:
        return ReactionEvent(
            record.guild,
            record.channel,
            record.message,
            record.user,
            timestamp(record.ts),
            record.message_author,
        )
    if kind is _Delete:
        return DeleteEvent(record.guild, record.channel, record.message, timestamp(record.ts))
    ts = None if record.ts is None else timestamp(record.ts)
    return MemberEvent(record.guild, record.user, record.bot, ts, record.name, joined=ts)


# -- DiscordChatExporter -------------------------------------------------------------------


def dce_location(path: Path, number: int, message: object) -> str:
    """`LINE (messages[N])` for the N-th message of an export, found by its ID.

    The streaming parser does not know lines; errors are rare, so the file is scanned again.
    """
    where = f"messages[{number}]"
    message_id = message.get("id") if isinstance(message, dict) else None
    if not isinstance(message_id, str):
        return where
    needle = f'"id": "{message_id}"'
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line_number, line in enumerate(handle, start=1):
            if needle in line:
                return f"{line_number} ({where})"
    return where


def _read_dce(source: Source) -> Iterator[tuple[MessageEvent | MemberEvent, int]]:
    path = source.path
    with path.open("rb") as handle:
        guild = next(ijson.items(handle, "guild"))
    with path.open("rb") as handle:
        channel = next(ijson.items(handle, "channel"), None) or {}
    try:
        guild_id = snowflake(guild.get("id"), "guild.id")
        channel_id = snowflake(channel.get("id"), "channel.id")
    except _Bad as error:
        raise InputError(path, None, str(error)) from None
    seen: set[int] = set()
    with path.open("rb") as handle:
        try:
            for number, message in enumerate(ijson.items(handle, "messages.item")):
                source.consumed = handle.tell()
                try:
                    event = _dce_event(message, guild_id, channel_id)
                    people = _dce_people(message, guild_id, event.ts, seen)
                except (_Bad, KeyError, TypeError, AttributeError) as error:
                    where = dce_location(path, number, message)
                    raise InputError(path, where, _dce_problem(error)) from None
                for member in people:
                    yield member, number
                yield event, number
        except ijson.JSONError as error:
            raise _json_error(path, error) from None
    source.consumed = source.size


def _dce_problem(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]!r}"
    if isinstance(error, _Bad):
        return str(error)
    return f"malformed message ({error})"


def _dce_event(message: dict, guild: int, channel: int) -> MessageEvent:
    author = message["author"]
    author_id = snowflake(author["id"], "author.id")
    ts = timestamp(message["timestamp"], "timestamp")
    kind = message["type"]
    reference = message.get("reference") or {}
    reply_to = None
    if kind == "Reply" and reference.get("messageId"):
        reply_to = snowflake(reference["messageId"], "reference.messageId")
    mentions = tuple(
        snowflake(user["id"], "mentions.id")
        for user in message.get("mentions") or ()
        if not user.get("isBot")
    )
    # Exports carry no reaction times: reactions count with the message they react to.
    reactors = tuple(
        snowflake(user["id"], "reactions.users.id")
        for reaction in message.get("reactions") or ()
        for user in reaction.get("users") or ()
        if not user.get("isBot")
    )
    return MessageEvent(
        id=snowflake(message["id"], "id"),
        guild=guild,
        channel=channel,
        author=author_id,
        ts=ts,
        reply_to=reply_to,
        mentions=mentions,
        bot=bool(author.get("isBot")),
        system=kind not in _DCE_COUNTED_TYPES,
        content=message.get("content"),
        reactors=reactors,
    )


def _dce_people(message: dict, guild: int, ts: datetime, seen: set[int]) -> list[MemberEvent]:
    """A member event (name, bot or not) for each user this export shows for the first time."""
    users = [message["author"], *(message.get("mentions") or ())]
    for reaction in message.get("reactions") or ():
        users.extend(reaction.get("users") or ())
    found = []
    for user in users:
        user_id = snowflake(user["id"], "user.id")
        if user_id not in seen:
            seen.add(user_id)
            name = user.get("nickname") or user.get("name")
            bot = bool(user.get("isBot"))
            found.append(
                MemberEvent(guild, user_id, bot, ts, name if isinstance(name, str) else None)
            )
    return found


def _json_error(path: Path, error: Exception) -> InputError:
    """Locate a JSON syntax error by line (ijson does not say where; the slow parser does)."""
    try:
        with path.open(encoding="utf-8") as handle:
            json.load(handle)
    except json.JSONDecodeError as located:
        return InputError(path, located.lineno, f"not valid JSON: {located.msg}")
    except (OSError, UnicodeDecodeError) as other:
        return InputError(path, None, f"cannot be read: {other}")
    return InputError(path, None, f"not valid JSON: {error}")
