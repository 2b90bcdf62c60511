"""Errors: what the REST API answers the bot, and what the Python API raises at a test."""

from __future__ import annotations

from typing import Any

UNKNOWN_ACCOUNT = 10001
UNKNOWN_APPLICATION = 10002
UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_ROLE = 10011
UNKNOWN_USER = 10013
UNKNOWN_EMOJI = 10014
UNKNOWN_WEBHOOK = 10015
UNKNOWN_BAN = 10026
UNKNOWN_INTERACTION = 10062
UNKNOWN_COMMAND = 10063
REQUEST_TOO_LARGE = 40005
ALREADY_ACKNOWLEDGED = 40060
MISSING_ACCESS = 50001
CANNOT_EDIT_OTHERS_MESSAGE = 50005
EMPTY_MESSAGE = 50006
CANNOT_DM = 50007
MISSING_PERMISSIONS = 50013
BULK_DELETE_TOO_OLD = 50034
INVALID_FORM_BODY = 50035
INVALID_JSON = 50109


class DiscordError(Exception):
    """An error the REST API answers with, in Discord's shape: `{"code": ..., "message": ...}`."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def not_found(code: int, what: str) -> DiscordError:
    return DiscordError(404, code, f"Unknown {what}")


def forbidden(code: int = MISSING_PERMISSIONS) -> DiscordError:
    message = "Missing Access" if code == MISSING_ACCESS else "Missing Permissions"
    return DiscordError(403, code, message)


def invalid_form(field: str, error_code: str, message: str) -> DiscordError:
    """A 50035 naming the offending field (`a.b.0.c` paths nest like Discord's)."""
    errors: dict[str, Any] = {"_errors": [{"code": error_code, "message": message}]}
    for part in reversed(field.split(".")):
        errors = {part: errors}
    return DiscordError(400, INVALID_FORM_BODY, "Invalid Form Body", errors)


class EmulatorError(Exception):
    """The Python API was used in a way the emulated Discord would not allow."""


class UnknownCommand(EmulatorError):
    """No application command with that name (or subcommand path) was registered by the bot."""


class CommandNotPermitted(EmulatorError):
    """Discord would hide this command from the member (its `default_member_permissions`)."""


class InteractionTimeout(EmulatorError, TimeoutError):
    """The bot did not answer an interaction (or did not finish a deferred one) in time."""
