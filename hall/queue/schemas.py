"""Request schemas shared by REST views and socket handlers (and the OpenAPI document)."""

from dataclasses import dataclass

from apiflask import Schema
from apiflask.fields import AwareDateTime, Boolean, Integer, String
from apiflask.validators import Length, Range

from hall.schemas import MAX_ID, IdOrCode


class TicketIn(Schema):
    """Take a ticket for a matter."""

    matter = IdOrCode(required=True, metadata={"description": "matter id or code"})
    priority = String(load_default=None, allow_none=True, validate=Length(1, 20))


class DeferIn(Schema):
    """The resident moves the ticket back; ``late``: "I'll be late" (once), the counters hear it."""

    late = Boolean(load_default=False)


class WindowRef(Schema):
    """A socket action on a window."""

    window = Integer(required=True, validate=Range(1, MAX_ID))


class CallTicketIn(Schema):
    """Call a chosen ticket."""

    ticket = IdOrCode(required=True)


class TransferIn(Schema):
    """Transfer the current ticket to a queue or a window (``to_window``; REST also takes ``window``)."""

    queue = IdOrCode(load_default=None)
    to_window = Integer(load_default=None, validate=Range(1, MAX_ID))
    # Over REST the acting window is in the path, so ``window`` names the target there; over
    # the /counter socket ``window`` is the acting window and the target must be ``to_window``.
    window = Integer(load_default=None, validate=Range(1, MAX_ID))
    # A short word for the receiving window; it sees it beside the number.
    note = String(load_default="", validate=Length(max=120))


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

    device = Integer(load_default=None, allow_none=True, validate=Range(1, MAX_ID))


@dataclass(frozen=True)
class WindowAction:
    """A window action as the entrypoints name it: REST path, socket event, body, summary."""

    name: str  # the key of hall.queue.services.ACTIONS and the REST path segment
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
