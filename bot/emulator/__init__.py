"""A Discord-compatible emulator for end-to-end tests of a discord.py bot over real sockets.

One `Emulator` serves Discord's REST API (under `/api/v10`) and its gateway (websocket) on
127.0.0.1, keeps a small Discord world (users, guilds, roles, channels, members, messages), and
gives tests the handles to act in that world as its users and to break things on purpose.
The bot is unmodified discord.py pointed at it (`target.use_api_base`, or `emu.running(bot)`).

    emu = Emulator(privileged_intents={"members", "message_content"})  # granted to the app
    await emu.start()                          # emu.api_base == "http://127.0.0.1:PORT"
    alice, bob = emu.create_user("alice"), emu.create_user("bob")
    guild = emu.create_guild("Test", owner=alice)  # @everyone, #general; owner and bot are members
    guild.add_member(bob)                          # or: await emu.member_join(guild, bob)
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    chan = guild.create_text_channel("announcements")

    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
    async with emu.running(bot):               # login, connect, wait for on_ready; close after
        msg = await emu.say(chan, alice, "hi", mentions=[bob], at=some_utc_datetime)
        await emu.react(msg, bob, "🔥")
        reply = await emu.command(guild, chan, alice, "config tiers add", name="Gold", days=7)
        assert reply.ephemeral and "Gold" in reply.content
        reply = await emu.click(reply, "next", alice)
        sent = await emu.wait_for_message(chan)     # the bot's next message there
    await emu.close()

The world. `create_user`, `create_guild`, `guild.add_member`, `guild.create_role`,
`guild.edit_role`, `guild.move_role`, `guild.set_bot_permissions`, `guild.create_text_channel`,
`guild.set_overwrite` are synchronous; when a bot is connected they dispatch the matching
gateway events (GUILD_CREATE, GUILD_MEMBER_ADD, GUILD_ROLE_CREATE/UPDATE, CHANNEL_CREATE/UPDATE)
as Discord would. Assigning attributes of the objects directly tells no one. Role positions
run 1..n above @everyone (0); new roles go to 1, below the bot's managed role (`guild.bot_role`)
unless `position=` says otherwise. Permissions are computed like Discord: @everyone plus roles,
administrator and owner get everything, channel overwrites, timeouts.

What users do. `say`, `say_many` (the fast path for benchmarks), `edit`, `delete`,
`bulk_delete`, `react`, `unreact`, `member_join`, `member_leave`, `member_update`, `ban` are
coroutines: they change the world, dispatch, and return once the frames are on the sockets.
Whether the bot has handled them is the bot's business: wait on its events, on
`emu.wait_for_message(...)`/`emu.wait_for_request(...)`, or call `emu.wait_idle()`.

Interactions. `command(guild, channel, user, "name sub", **options)` builds the interaction
from the schema the bot registered (PUT .../commands), so option types are right, resolves
users/members/roles/channels/attachments, hides commands whose `default_member_permissions`
the member lacks (`CommandNotPermitted` unless `bypass_default_permissions=True`), and returns
a `Reply` once the bot answered for good (callback 4/7/9, or 5/6 followed by the @original
edit or the first follow-up). `click(reply_or_message, custom_id, user)` presses a button or
picks select `values`; `context_menu(...)` and `submit_modal(...)` cover the rest. A reply's
`.message` is an emulator `Message`: `.content`, `.embeds`, `.components`, `.attachments`
(with `.data` bytes), `.ephemeral`, `.allowed_mentions` (as the bot sent them), `.mentions`.

Looking. `emu.channel_messages(chan)`, `emu.dm_messages(user)`, `emu.requests` (every REST
request: method, path without /api/v10, query, parsed JSON or payload_json, files, route
template, status, response), `emu.find_requests(method, path_glob)`, `emu.gateway.handshakes`
(IDENTIFY/RESUME/INVALID_SESSION outcomes), `emu.internal_errors` (emulator bugs; keep empty).

Faults (`emu.faults`). `rate_limit(method, path, times=, retry_after=)` answers 429 the way
discord.py retries transparently; `fail(method, path, status, code=)` answers any 4xx;
`refuse_role_changes(guild)` makes member role changes 403/50013; `drop_gateway()` cuts the
sockets (the bot RESUMEs and gets the events it missed, once); `invalidate_next_resume()` turns
the next RESUME into INVALID_SESSION (the bot IDENTIFYs afresh); `invalidate_sessions()` and
`request_reconnect()` send op 9 / op 7 now.

Gateway rules emulated: events go only to sessions that identified with their intent;
privileged intents the app was not granted close the socket with 4014; without GUILD_MEMBERS a
GUILD_CREATE carries only the bot's member and member events are not sent; without
MESSAGE_CONTENT, message content, embeds, attachments and components are blanked except in the
bot's own messages, DMs and messages mentioning the bot. A bad token gets 401 / close 4004.
"""

from __future__ import annotations

from .emulator import Emulator
from .errors import (
    CommandNotPermitted,
    DiscordError,
    EmulatorError,
    InteractionTimeout,
    UnknownCommand,
)
from .faults import FaultRule, Faults
from .gateway import Handshake
from .interactions import Reply
from .models import Attachment, Channel, Guild, Member, Message, Role, User
from .rest import RecordedRequest, UploadedFile
from .target import gateway_url, pointed_at, use_api_base

__all__ = [
    "Attachment",
    "Channel",
    "CommandNotPermitted",
    "DiscordError",
    "Emulator",
    "EmulatorError",
    "FaultRule",
    "Faults",
    "Guild",
    "Handshake",
    "InteractionTimeout",
    "Member",
    "Message",
    "RecordedRequest",
    "Reply",
    "Role",
    "UnknownCommand",
    "UploadedFile",
    "User",
    "gateway_url",
    "pointed_at",
    "use_api_base",
]
