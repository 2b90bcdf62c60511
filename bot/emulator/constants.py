"""Numbers Discord puts on the wire: intents, channel, message, interaction and callback types."""

from __future__ import annotations

# Gateway intents (IDENTIFY `intents` bits) the emulator looks at.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MODERATION = 1 << 2
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15

# Privileged intents by the names the emulator's settings use.
PRIVILEGED_INTENTS = {
    "members": GUILD_MEMBERS,
    "presences": GUILD_PRESENCES,
    "message_content": MESSAGE_CONTENT,
}
# Application flags that tell a bot which privileged intents it was granted.
PRIVILEGED_APP_FLAGS = {
    "presences": 1 << 12,
    "members": 1 << 14,
    "message_content": 1 << 18,
}

# Channel types.
GUILD_TEXT = 0
DM = 1
GUILD_VOICE = 2
GUILD_CATEGORY = 4
GUILD_ANNOUNCEMENT = 5

# Message types.
DEFAULT = 0
REPLY = 19
CHAT_INPUT_COMMAND = 20
CONTEXT_MENU_COMMAND = 23

# Message flags.
EPHEMERAL = 1 << 6
LOADING = 1 << 7

# Interaction types.
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
MODAL_SUBMIT = 5

# Interaction callback types.
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
MODAL = 9

# Application command option types.
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING = 3
INTEGER = 4
BOOLEAN = 5
USER = 6
CHANNEL = 7
ROLE = 8
MENTIONABLE = 9
NUMBER = 10
ATTACHMENT = 11

# Limits Discord enforces on what a bot sends.
MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_FILES = 10
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
BULK_DELETE_MAX_AGE_DAYS = 14
