"""REST: interaction callbacks, and the interaction webhook (follow-ups, @original edits)."""

from __future__ import annotations

from typing import Any

from . import constants as c
from . import payloads
from .access import message_fields
from .errors import UNKNOWN_MESSAGE, DiscordError, invalid_form, not_found
from .interactions import InteractionBook, PendingInteraction
from .models import Message
from .rest import Call, Router

router = Router()


@router.add("POST", "/interactions/{interaction_id}/{interaction_token}/callback", auth=False)
async def callback(call: Call) -> Any:
    book = call.interactions
    pending = book.for_callback(call.snowflake("interaction_id"), call.params["interaction_token"])
    body = call.body()
    kind = body.get("type")
    data = body.get("data") or {}
    try:
        message = _respond(call, pending, kind, data)
    except DiscordError as error:
        pending.refusals.append(f"callback type {kind}: {error.code} {error.message}")
        raise
    if call.query.get("with_response", "").lower() not in ("1", "true"):
        return None
    answer: dict[str, Any] = {
        "interaction": {
            "id": str(pending.id),
            "type": pending.type,
            "response_message_loading": kind == c.DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(message is not None and message.ephemeral),
        },
        "resource": {"type": kind},
    }
    if message is not None:
        answer["interaction"]["response_message_id"] = str(message.id)
        answer["resource"]["message"] = payloads.message(message, call.world.bot.id)
    return answer


def _respond(
    call: Call, pending: PendingInteraction, kind: Any, data: dict[str, Any]
) -> Message | None:
    world, book = call.world, call.interactions
    component = pending.type == c.MESSAGE_COMPONENT or pending.type == c.MODAL_SUBMIT
    if kind == c.CHANNEL_MESSAGE:
        message = _post(call, pending, message_fields(data, call.files, partial=False))
        pending.response, pending.original = kind, message
        book.finish(pending, message)
        return message
    if kind == c.DEFERRED_CHANNEL_MESSAGE:
        flags = c.LOADING | (int(data.get("flags") or 0) & c.EPHEMERAL)
        message = _post(call, pending, {"flags": flags})
        pending.response, pending.original = kind, message
        return message
    if kind == c.DEFERRED_UPDATE_MESSAGE and component:
        pending.response, pending.original = kind, pending.source
        if pending.source is not None:
            book.awaiting_edit[pending.source.id] = pending
        return None
    if kind == c.UPDATE_MESSAGE and component and pending.source is not None:
        fields = message_fields(data, call.files, partial=True)
        fields.pop("flags", None)
        world.messages.edit(pending.source, **fields)
        pending.response, pending.original = kind, pending.source
        book.finish(pending, pending.source)
        return pending.source
    if kind == c.MODAL and pending.type != c.MODAL_SUBMIT:
        pending.response = kind
        book.finish(pending, None, modal=data)
        return None
    raise invalid_form(
        "type", "BASE_TYPE_CHOICES", f"Value must be one of the valid callback types, not {kind!r}."
    )


def _post(call: Call, pending: PendingInteraction, fields: dict[str, Any]) -> Message:
    world = call.world
    kind = c.CHAT_INPUT_COMMAND if pending.type == c.APPLICATION_COMMAND else c.DEFAULT
    return world.messages.post(
        pending.channel,
        world.bot,
        webhook_id=world.application_id,
        interaction=call.interactions.metadata(pending),
        type=kind,
        **fields,
    )


@router.add("POST", "/webhooks/{application_id}/{token}", auth=False)
async def follow_up(call: Call) -> Any:
    pending = _pending(call)
    fields = message_fields(call.body(), call.files, partial=False)
    original = pending.original
    if (
        pending.response == c.DEFERRED_CHANNEL_MESSAGE
        and original is not None
        and original.flags & c.LOADING
    ):
        # Discord: the first follow-up after a "thinking" defer replaces the thinking message.
        fields.pop("flags", None)
        fields.pop("tts", None)
        fields.pop("nonce", None)
        message = _edit(call, pending, original, fields)
    else:
        message = _post(call, pending, fields)
        pending.followups.append(message)
        pending.followup_posted.set()
        if pending.response == c.DEFERRED_UPDATE_MESSAGE:
            call.interactions.finish(pending, message)
    if call.query.get("wait", "").lower() in ("1", "true"):
        return payloads.message(message, call.world.bot.id)
    return None


@router.add("GET", "/webhooks/{application_id}/{token}/messages/@original", auth=False)
async def get_original(call: Call) -> Any:
    return payloads.message(_original(_pending(call)), call.world.bot.id)


@router.add("PATCH", "/webhooks/{application_id}/{token}/messages/@original", auth=False)
async def edit_original(call: Call) -> Any:
    pending = _pending(call)
    fields = message_fields(call.body(), call.files, partial=True)
    message = _edit(call, pending, _original(pending), fields)
    return payloads.message(message, call.world.bot.id)


@router.add("DELETE", "/webhooks/{application_id}/{token}/messages/@original", auth=False)
async def delete_original(call: Call) -> None:
    call.world.messages.delete(_original(_pending(call)))


@router.add("GET", "/webhooks/{application_id}/{token}/messages/{message_id}", auth=False)
async def get_followup(call: Call) -> Any:
    return payloads.message(_owned(call, _pending(call)), call.world.bot.id)


@router.add("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}", auth=False)
async def edit_followup(call: Call) -> Any:
    pending = _pending(call)
    fields = message_fields(call.body(), call.files, partial=True)
    message = _edit(call, pending, _owned(call, pending), fields)
    return payloads.message(message, call.world.bot.id)


@router.add("DELETE", "/webhooks/{application_id}/{token}/messages/{message_id}", auth=False)
async def delete_followup(call: Call) -> None:
    call.world.messages.delete(_owned(call, _pending(call)))


def _pending(call: Call) -> PendingInteraction:
    book: InteractionBook = call.interactions
    return book.for_webhook(call.snowflake("application_id"), call.params["token"])


def _original(pending: PendingInteraction) -> Message:
    if pending.original is None or pending.original.deleted:
        raise not_found(UNKNOWN_MESSAGE, "Message")
    return pending.original


def _owned(call: Call, pending: PendingInteraction) -> Message:
    message_id = call.snowflake("message_id")
    for message in (pending.original, *pending.followups):
        if message is not None and message.id == message_id and not message.deleted:
            return message
    raise not_found(UNKNOWN_MESSAGE, "Message")


def _edit(
    call: Call, pending: PendingInteraction, message: Message, fields: dict[str, Any]
) -> Message:
    flags = fields.pop("flags", None)
    keep = message.flags & ~c.LOADING
    if flags is not None:
        keep = (keep & c.EPHEMERAL) | (flags & ~c.EPHEMERAL)
    call.world.messages.edit(message, flags=keep, **fields)
    if message is pending.original and pending.response in (
        c.DEFERRED_CHANNEL_MESSAGE,
        c.DEFERRED_UPDATE_MESSAGE,
    ):
        call.interactions.finish(pending, message)
    return message
