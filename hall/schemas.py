"""Request schemas shared by REST views and socket handlers (and the OpenAPI document)."""

from dataclasses import dataclass
from typing import Any

from apiflask import Schema
from apiflask.fields import AwareDateTime, Integer, String
from apiflask.validators import Length, Range
from marshmallow import ValidationError, fields


class IdOrCode(fields.Field):
    """An integer id or a short code string."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> int | str:
        if isinstance(value, bool):
            raise ValidationError("需要编号或代码 / expected an id or a code")
        if isinstance(value, int):
            if value < 1 or value > 2**31:
                raise ValidationError("编号超出范围 / id out of range")
            return value
        if isinstance(value, str) and 1 <= len(value) <= 40:
            return value
        raise ValidationError("需要编号或代码 / expected an id or a code (1–40 characters)")


class TokenIn(Schema):
    """Staff login."""

    username = String(required=True, validate=Length(1, 64))
    password = String(required=True, validate=Length(1, 200))


class TicketIn(Schema):
    """Take a ticket for a matter."""

    matter = IdOrCode(required=True, metadata={"description": "matter id or code"})
    priority = String(load_default=None, allow_none=True, validate=Length(1, 20))


class WindowRef(Schema):
    """A socket action on a window."""

    window = Integer(required=True, validate=Range(1, 2**31))


class CallTicketIn(Schema):
    """Call a chosen ticket."""

    ticket = IdOrCode(required=True)


class TransferIn(Schema):
    """Transfer the current ticket to a queue or a window (``to_window``; REST also takes ``window``)."""

    queue = IdOrCode(load_default=None)
    to_window = Integer(load_default=None, validate=Range(1, 2**31))
    # Over REST the acting window is in the path, so ``window`` names the target there; over
    # the /counter socket ``window`` is the acting window and the target must be ``to_window``.
    window = Integer(load_default=None, validate=Range(1, 2**31))


class PauseIn(Schema):
    """Pause with a reason."""

    reason = String(required=True, validate=Length(1, 200))


class TicketRef(Schema):
    """A ticket by id."""

    ticket = IdOrCode(required=True)


class AppointmentIn(Schema):
    """Book a slot: a matter and a time with its offset."""

    matter = IdOrCode(required=True)
    starts_at = AwareDateTime(required=True, metadata={"example": "2026-11-30T09:30:00+08:00"})


class CheckInIn(Schema):
    """Check in an appointment by its code."""

    code = String(required=True, validate=Length(4, 20))


class NoticeIn(Schema):
    """The hall's scrolling notice (empty to clear it)."""

    notice = String(required=True, validate=Length(0, 500))


class HallRef(Schema):
    """A hall by code."""

    hall = String(required=True, validate=Length(1, 32))


class ReprintIn(Schema):
    """Print a ticket again (staff may name the device whose printer to use)."""

    device = Integer(load_default=None, allow_none=True, validate=Range(1, 2**31))


# marshmallow speaks English; residents and clerks read Chinese first.
_MESSAGES = {
    "Missing data for required field.": "必填 / required",
    "Field may not be null.": "不能为空 / may not be null",
    "Unknown field.": "未知字段 / unknown field",
    "Not a valid string.": "需要文字 / not a valid string",
    "Not a valid integer.": "需要整数 / not a valid integer",
    "Invalid input type.": "输入类型无效 / invalid input type",
}


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        parts = []
        for key, value in messages.items():
            name = "" if key in ("json", "_schema", "_") else str(key)
            parts += _flatten(value, f"{prefix}.{name}".strip(".") if name else prefix)
        return parts
    if isinstance(messages, list | tuple):
        return [part for item in messages for part in _flatten(item, prefix)]
    text = str(messages)
    if text in _MESSAGES:
        text = _MESSAGES[text]
    elif text.isascii():
        text = f"格式无效 / {text}"
    return [f"{prefix}: {text}" if prefix else text]


def describe(messages: Any) -> str:
    """A validation error as one readable line, Chinese first: 参数无效 / invalid input: …"""
    return "参数无效 / invalid input: " + "; ".join(_flatten(messages))


@dataclass(frozen=True)
class WindowAction:
    """A window action as the entrypoints name it: REST path, socket event, body, summary."""

    name: str  # the key of hall.services.calling.ACTIONS and the REST path segment
    event: str  # the /counter socket event
    schema: type[Schema] | None
    summary: str


WINDOW_ACTIONS = (
    WindowAction("open", "open_window", None, "The staff member takes the window"),
    WindowAction(
        "call-next", "call_next", None, "Call the next ticket by queue order, priority and arrival"
    ),
    WindowAction("call", "call_ticket", CallTicketIn, "Call a chosen waiting ticket out of order"),
    WindowAction("recall", "recall", None, "Call the current ticket again"),
    WindowAction("no-show", "no_show", None, "Mark the called resident absent"),
    WindowAction(
        "transfer", "transfer", TransferIn, "Send the current ticket to another queue or window"
    ),
    WindowAction("start", "start", None, "Start serving the called resident"),
    WindowAction("finish", "finish", None, "Finish serving"),
    WindowAction("pause", "pause", PauseIn, "Pause the idle window with a reason"),
    WindowAction("resume", "resume", None, "Resume a paused window"),
    WindowAction("close", "close_window", None, "Close the idle window"),
)
