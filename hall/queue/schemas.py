"""Request schemas shared by REST views and socket handlers (and the OpenAPI document)."""

from dataclasses import dataclass

from apiflask import Schema
from apiflask.fields import AwareDateTime, Boolean, Date, Integer, String
from apiflask.validators import Length, Range

from hall.schemas import ANY, BOOL, INT, MAX_ID, OBJ, STR, IdOrCode, also, arr, obj, opt


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


class BookingIn(Schema):
    """A resident books a slot from the phone: a matter, one of its listed slot times and the
    phone number (11 digits; sealed at rest, shown back masked)."""

    matter = IdOrCode(required=True, metadata={"description": "matter id or code"})
    starts_at = AwareDateTime(
        required=True,
        metadata={"description": "a slot's starts_at", "example": "2026-11-30T09:30:00+08:00"},
    )
    phone = String(
        load_default=None,
        allow_none=True,
        validate=Length(1, 20),
        metadata={"example": "13800138000"},
    )


class SlotsQuery(Schema):
    """Which matter's slots, and optionally one day of them."""

    matter = String(
        required=True, validate=Length(1, 40), metadata={"description": "matter code or id"}
    )
    date = Date(load_default=None, metadata={"description": "one day, YYYY-MM-DD"})


class CheckInIn(Schema):
    """Check in an appointment by its code."""

    code = String(required=True, validate=Length(4, 20))


class NoticeIn(Schema):
    """The hall's scrolling notice (empty to clear it)."""

    notice = String(required=True, validate=Length(0, 500))


class HallRef(Schema):
    """A hall by code."""

    hall = String(required=True, validate=Length(1, 32))


class MaintenanceIn(Schema):
    """The device whose maintenance view a staff member opens: its own token."""

    device_token = String(required=True, validate=Length(1, 200))
    # The hall a device page shows: staff of another hall are refused (403) even when the
    # device has no token (an unpaired display shows staff its connection, not a device).
    hall = String(load_default=None, validate=Length(1, 40))


MAINTENANCE = obj(
    device=obj(
        id=INT,
        kind=STR,
        name=STR,
        hall=STR,
        hall_name=STR,
        printer_url=opt(STR),
        printer_fault=opt(STR),
        printer_fault_since=opt(STR),
        open_jobs=INT,
    ),
    version=STR,
)


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


# -- answers ------------------------------------------------------------------------------------

HALL = obj(
    code=STR,
    name=STR,
    name_en=STR,
    timezone=STR,
    allow_phone_tickets=BOOL,
    priority_classes=arr(STR),
    notice=STR,
)
TICKET = also(
    obj(
        id=INT,
        number=STR,
        status=STR,
        hall=STR,
        queue=STR,
        queue_name=STR,
        queue_name_en=STR,
        matter=opt(STR),
        matter_name=opt(STR),
        matter_name_en=opt(STR),
        priority=opt(STR),
        source=STR,
        ahead=INT,
        estimated_wait_s=INT,
        issued_at=STR,
        called_at=opt(STR),
        calls=INT,
        window=opt(STR),
        window_name=opt(STR),
    ),
    # The issuing kiosk and staff of the hall only; the staff's transfer note for counters.
    status_url=STR,
    transfer_note=STR,
)
PRINT_JOB = also(
    obj(job_id=INT, state=STR, attempts=INT, reason=opt(STR), reprint=BOOL),
    retry_in_s=opt(INT),
)
WINDOW = obj(
    id=INT,
    hall=STR,
    number=STR,
    name=STR,
    status=STR,
    reason=STR,
    queues=arr(STR),
    staff=opt(obj(name=STR, staff_no=STR)),
)
WINDOW_STATE = obj(window=WINDOW, ticket=opt(TICKET))
QUEUE_SUMMARY = obj(
    code=STR,
    name=STR,
    name_en=STR,
    kind=STR,
    waiting=INT,
    estimated_wait_s=INT,
    longest_wait_s=INT,
    open_windows=INT,
)
WINDOW_SUMMARY = obj(
    id=INT,
    number=STR,
    name=STR,
    name_en=STR,
    status=STR,
    reason=STR,
    queues=arr(STR),
    current=opt(STR),
    current_status=opt(STR),
    staff=opt(OBJ),
)
MATTER = also(
    obj(
        id=INT,
        code=STR,
        name=STR,
        name_en=STR,
        category=STR,
        category_en=STR,
        keywords=arr(STR),
        search=arr(STR),
        department=opt(STR),
        queue=STR,
        queue_name=STR,
        queue_name_en=STR,
        waiting=INT,
        estimated_wait_s=INT,
        on_the_spot=BOOL,
        kind=STR,
        time_limit_days=INT,
        statutory_limit_days=INT,
        fee=STR,
        conditions=STR,
        documents=arr(ANY),
        legal_basis=STR,
        version=INT,
        changed_on=opt(STR),
        open=BOOL,
        full=BOOL,
        nearly_full=BOOL,
    ),
    remaining=opt(INT),
    hours=ANY,
)
APPOINTMENT = obj(
    id=INT,
    code=STR,
    hall=STR,
    matter=STR,
    matter_name=STR,
    starts_at=STR,
    status=STR,
    checked_in_at=opt(STR),
)
BOOKING = obj(
    code=STR,
    hall=STR,
    hall_name=STR,
    matter=STR,
    matter_name=STR,
    matter_name_en=STR,
    starts_at=STR,
    ends_at=STR,
    check_in_from=STR,
    check_in_until=STR,
    status={"type": "string", "enum": ["booked", "checked_in", "cancelled"]},
    phone=opt(STR),
    cancelled_at=opt(STR),
    checked_in_at=opt(STR),
    url=STR,
    qr_url=STR,
)
SLOT = obj(starts_at=STR, ends_at=STR, time=STR, capacity=INT, booked=INT, free=INT)
SLOTS = obj(
    hall=STR,
    matter=STR,
    matter_name=STR,
    slot_min=INT,
    capacity=INT,
    days=arr(obj(date=STR, weekday=INT, slots=arr(SLOT))),
)
CALL = also(obj(at=STR, number=STR, window=STR, recall=BOOL), queue=STR, window_name=STR)
SNAPSHOT = also(
    obj(
        hall=STR,
        name=STR,
        name_en=STR,
        notice=STR,
        now=STR,
        seq=INT,
        calls=arr(CALL),
        queues=arr(QUEUE_SUMMARY),
        windows=arr(WINDOW_SUMMARY),
    ),
)
NEW_TICKET = obj(ticket=TICKET, print=opt(PRINT_JOB))
PRINTER = obj(
    device_id=INT,
    device=STR,
    kind=STR,
    printer_url=STR,
    options=OBJ,
    fault=opt(STR),
    fault_since=opt(STR),
    open_jobs=INT,
)
