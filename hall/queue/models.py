"""Queues, matters, windows, tickets and their steps, appointments and print jobs."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall.admin.models import Department, Device, Hall, Staff
from hall.db import Base
from hall.errors import Conflict


class TicketStatus(enum.StrEnum):
    """Where a ticket stands."""

    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class PrintState(enum.StrEnum):
    """Where a print job stands; printed, failed and expired are final."""

    PENDING = "pending"
    PRINTING = "printing"
    PRINTED = "printed"
    FAILED = "failed"
    EXPIRED = "expired"


class WindowStatus(enum.StrEnum):
    """Whether a window serves."""

    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


def enum_column(kind: type[enum.StrEnum], length: int) -> Enum:
    """A typed status column stored as its value (a short string, as before the Enum)."""
    return Enum(
        kind,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class TicketAction(enum.StrEnum):
    """What can happen to a ticket after it is issued."""

    CALL = "call"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    NO_SHOW = "no_show"
    REQUEUE = "requeue"
    TRANSFER = "transfer"
    CANCEL = "cancel"
    DEFER = "defer"


# The ticket's state machine: (from, action) -> to. Model methods and the guarded UPDATEs
# of the hot path (hall/queue/services.py) both read it; nothing else sets a status.
TICKET_TRANSITIONS: dict[tuple[TicketStatus, TicketAction], TicketStatus] = {
    (TicketStatus.WAITING, TicketAction.CALL): TicketStatus.CALLED,
    (TicketStatus.CALLED, TicketAction.RECALL): TicketStatus.CALLED,
    (TicketStatus.CALLED, TicketAction.START): TicketStatus.SERVING,
    (TicketStatus.SERVING, TicketAction.FINISH): TicketStatus.DONE,
    (TicketStatus.CALLED, TicketAction.NO_SHOW): TicketStatus.NO_SHOW,
    (TicketStatus.NO_SHOW, TicketAction.REQUEUE): TicketStatus.WAITING,
    (TicketStatus.CALLED, TicketAction.TRANSFER): TicketStatus.WAITING,
    (TicketStatus.SERVING, TicketAction.TRANSFER): TicketStatus.WAITING,
    (TicketStatus.WAITING, TicketAction.CANCEL): TicketStatus.CANCELLED,
    (TicketStatus.WAITING, TicketAction.DEFER): TicketStatus.WAITING,
}

# A ticket at a window: called or being served.
ACTIVE = (TicketStatus.CALLED, TicketStatus.SERVING)


def ticket_sources(action: TicketAction) -> tuple[TicketStatus, ...]:
    """The statuses from which the action is allowed."""
    return tuple(src for (src, act) in TICKET_TRANSITIONS if act == action)


def ticket_target(action: TicketAction) -> TicketStatus:
    """The status the action leads to."""
    return next(dst for (_, act), dst in TICKET_TRANSITIONS.items() if act == action)


class WindowAction(enum.StrEnum):
    """What a staff member can do to a window's state."""

    OPEN = "open"
    PAUSE = "pause"
    RESUME = "resume"
    CLOSE = "close"


WINDOW_TRANSITIONS: dict[tuple[WindowStatus, WindowAction], WindowStatus] = {
    (WindowStatus.CLOSED, WindowAction.OPEN): WindowStatus.OPEN,
    (WindowStatus.OPEN, WindowAction.PAUSE): WindowStatus.PAUSED,
    (WindowStatus.PAUSED, WindowAction.RESUME): WindowStatus.OPEN,
    (WindowStatus.OPEN, WindowAction.CLOSE): WindowStatus.CLOSED,
    (WindowStatus.PAUSED, WindowAction.CLOSE): WindowStatus.CLOSED,
}

_WINDOW_REFUSALS = {
    WindowAction.PAUSE: "窗口未在服务中,不能暂停 / the window is not open; it cannot pause",
    WindowAction.RESUME: "窗口未暂停 / the window is not paused",
    WindowAction.OPEN: "窗口已开启 / the window is already open",
    WindowAction.CLOSE: "窗口未开启 / the window is not open",
}


class Queue(Base):
    """What a ticket waits in: intake, a specialised line, pickup or consultation."""

    __tablename__ = "queues"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    code: Mapped[str] = mapped_column(String(8))
    prefix: Mapped[str] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(60), default="")
    kind: Mapped[str] = mapped_column(String(20), default="intake")
    # Retired (``hall config import --prune``) while tickets still refer to it: not shown.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    hall: Mapped[Hall] = relationship(back_populates="queues", viewonly=True)


class Matter(Base):
    """A service matter (事项) with its guide; on-the-spot or committed with a time limit."""

    __tablename__ = "matters"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    category: Mapped[str] = mapped_column(String(60), default="")
    category_en: Mapped[str] = mapped_column(String(60), default="")
    on_the_spot: Mapped[bool] = mapped_column(Boolean, default=True)
    time_limit_days: Mapped[int] = mapped_column(Integer, default=0)
    fee: Mapped[str] = mapped_column(String(120), default="不收费 / free")
    conditions: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[list[Any]] = mapped_column(JSON, default=list)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    changed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    daily_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cap_warning: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hours: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The catalogue (GB/T 39046-2020): basic and implementation codes, the statutory limit
    # beside the promised one, whether 容缺受理 is allowed, and whether a result is made that
    # the resident collects (else an on-the-spot matter is done at the window).
    basic_code: Mapped[str] = mapped_column(String(40), default="")
    implementation_code: Mapped[str] = mapped_column(String(60), default="")
    statutory_limit_days: Mapped[int] = mapped_column(Integer, default=0)
    partial_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    result_pickup: Mapped[bool] = mapped_column(Boolean, default=True)
    # Words residents search by that are not in the name (营业执照 for a registration).
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Booking: the slot length and the bookings per slot; None: the hall's, 0 places: none.
    booking_slot_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    booking_capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)

    queue: Mapped[Queue] = relationship()
    department: Mapped[Department | None] = relationship()


class Window(Base):
    """A counter window; serves its queues in a priority order."""

    __tablename__ = "windows"
    __table_args__ = (UniqueConstraint("hall_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    number: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[WindowStatus] = mapped_column(
        enum_column(WindowStatus, 10), default=WindowStatus.CLOSED
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    current_ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", use_alter=True, name="fk_windows_current_ticket")
    )
    pause_reason: Mapped[str] = mapped_column(String(200), default="")
    priority_streak: Mapped[int] = mapped_column(Integer, default=0)
    status_since: Mapped[datetime | None] = mapped_column(nullable=True)
    # The staff roles that may work this window (None: every role that works windows).
    roles: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    # Retired (``hall config import --prune``) while tickets still refer to it: not shown.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    hall: Mapped[Hall] = relationship(back_populates="windows", viewonly=True)
    staff: Mapped[Staff | None] = relationship(foreign_keys=[staff_id])
    current_ticket: Mapped[Ticket | None] = relationship(foreign_keys=[current_ticket_id])
    links: Mapped[list[WindowQueue]] = relationship(
        order_by="WindowQueue.position", cascade="all, delete-orphan"
    )

    @property
    def queue_ids(self) -> list[int]:
        """The queues this window serves, first choice first."""
        return [link.queue_id for link in self.links]

    def move(self, action: WindowAction, at: datetime) -> None:
        """Change the window's status by its state machine; refuse an illegal step (409)."""
        target = WINDOW_TRANSITIONS.get((WindowStatus(self.status), action))
        if target is None:
            code = "window_closed" if self.status == WindowStatus.CLOSED else "invalid_transition"
            raise Conflict(_WINDOW_REFUSALS[action], code=code)
        self.status = target
        self.status_since = at


class WindowQueue(Base):
    """A queue a window serves, at a position in its order."""

    __tablename__ = "window_queues"
    window_id: Mapped[int] = mapped_column(ForeignKey("windows.id"), primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    queue: Mapped[Queue] = relationship()


class DailyCounter(Base):
    """A counter per scope and service day: ticket numbers and daily caps come from here."""

    __tablename__ = "daily_counters"
    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    """A numbered ticket; the number is the queue prefix plus the day's sequence."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("queue_prefix_scope", "service_date", "seq", name="uq_ticket_number"),
        Index("ix_tickets_waiting", "hall_id", "status", "queue_id"),
        # People ahead (a range count) and the next ticket of a queue, in line order.
        Index("ix_tickets_line", "queue_id", "status", "queued_at", "id"),
        # The next ticket of a queue by class (priority or not) without a sort, and the
        # tickets transferred to a window (hall/queue/statements.py: claim).
        Index("ix_tickets_next", "queue_id", "status", "priority", "queued_at", "id"),
        # A queue's priority tickets in line order (call-next's priority probe), holding only
        # priority tickets: PostgreSQL took ix_tickets_line for that probe before its first
        # ANALYZE and read every waiting ticket (3.3 ms a call with 11,000 waiting).
        Index(
            "ix_tickets_priority_line",
            "queue_id",
            "status",
            "queued_at",
            "id",
            postgresql_where=text("priority IS NOT NULL"),
            sqlite_where=text("priority IS NOT NULL"),
        ),
        Index("ix_tickets_target", "target_window_id", "status"),
        # Recent service times of a queue, newest first.
        Index("ix_tickets_served", "queue_id", "status", "finished_at"),
        # Figures over a date range (hall/stats/figures.py).
        Index("ix_tickets_hall_day", "hall_id", "service_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"))
    # The queue the number was drawn from; a transfer moves queue_id but never the number.
    queue_prefix_scope: Mapped[int] = mapped_column(ForeignKey("queues.id"))
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id"))
    service_date: Mapped[date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(12))
    priority: Mapped[str | None] = mapped_column(String(20), nullable=True)
    source: Mapped[str] = mapped_column(String(20), default="kiosk")
    status: Mapped[TicketStatus] = mapped_column(
        enum_column(TicketStatus, 12), default=TicketStatus.WAITING
    )
    token: Mapped[str] = mapped_column(String(43), unique=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    issued_at: Mapped[datetime]
    # Order in the line: the issue time, kept through transfers and re-queues.
    queued_at: Mapped[datetime]
    called_at: Mapped[datetime | None] = mapped_column(nullable=True)
    first_called_at: Mapped[datetime | None] = mapped_column(nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    no_show_at: Mapped[datetime | None] = mapped_column(nullable=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"))
    target_window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"))
    # What the transferring clerk tells the next window (no personal data: a public-free note).
    transfer_note: Mapped[str] = mapped_column(String(120), default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # The wait the resident was told at issue (seconds), to measure the estimate's error.
    estimated_wait_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The resident's own moves from the status page: places given up (让后) and "I'll be late".
    defers: Mapped[int] = mapped_column(Integer, default=0)
    late_at: Mapped[datetime | None] = mapped_column(nullable=True)

    queue: Mapped[Queue] = relationship(foreign_keys=[queue_id])
    matter: Mapped[Matter | None] = relationship()
    window: Mapped[Window | None] = relationship(foreign_keys=[window_id])
    hall: Mapped[Hall] = relationship()

    def can(self, action: TicketAction) -> bool:
        """Whether the state machine allows the action now."""
        return (TicketStatus(self.status), action) in TICKET_TRANSITIONS

    def _step(self, action: TicketAction) -> None:
        target = TICKET_TRANSITIONS.get((TicketStatus(self.status), action))
        if target is None:
            raise Conflict(
                f"票号 {self.number} 当前状态为 {self.status},不能执行此操作 / "
                f"not allowed while ticket {self.number} is {self.status}",
                code="invalid_transition",
            )
        self.status = target

    def call(self, window_id: int, staff_id: int, at: datetime) -> None:
        """The ticket is called to a window."""
        self._step(TicketAction.CALL)
        self.called_at = at
        self.first_called_at = self.first_called_at or at
        self.calls += 1
        self.window_id = window_id
        self.staff_id = staff_id
        self.target_window_id = None

    def recall(self, at: datetime) -> None:
        """The ticket is called again to the same window."""
        self._step(TicketAction.RECALL)
        self.calls += 1
        self.called_at = at

    def start(self, at: datetime) -> None:
        """The resident arrived: service starts."""
        self._step(TicketAction.START)
        self.started_at = at

    def finish(self, at: datetime) -> None:
        """Service is done."""
        self._step(TicketAction.FINISH)
        self.finished_at = at

    def miss(self, at: datetime) -> None:
        """The called resident did not come (a no-show)."""
        self._step(TicketAction.NO_SHOW)
        self.no_show_at = at

    def requeue(self) -> None:
        """A no-show back in line at the old place."""
        self._step(TicketAction.REQUEUE)
        self.window_id = None

    def cancel(self) -> None:
        """The resident gives the place up."""
        self._step(TicketAction.CANCEL)

    def defer(self, queued_at: datetime, *, late_at: datetime | None = None) -> None:
        """The resident lets others go first: a later place in the same line."""
        self._step(TicketAction.DEFER)
        self.queued_at = queued_at
        self.defers += 1
        if late_at is not None:
            self.late_at = late_at

    def transfer(
        self, *, queue_id: int | None = None, window_id: int | None = None, note: str = ""
    ) -> None:
        """Send the ticket to another queue or window; it keeps its place by issue time."""
        self._step(TicketAction.TRANSFER)
        self.transfer_note = note
        if queue_id is not None:
            self.queue_id = queue_id
        if window_id is not None:
            self.target_window_id = window_id
        self.window_id = None


class TicketStep(Base):
    """One step in a ticket's life: who did what, where and when (for statistics)."""

    __tablename__ = "ticket_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    action: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    detail: Mapped[str] = mapped_column(String(200), default="")


class WindowStep(Base):
    """One change of a window's state: opened, paused (with reason), resumed, closed."""

    __tablename__ = "window_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("windows.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    detail: Mapped[str] = mapped_column(String(200), default="")


class PrintKind(enum.StrEnum):
    """What a print job prints."""

    TICKET = "ticket"  # a queue ticket (ticket_id)
    RECEIPT = "receipt"  # a case's notice receipt at the window (case_id)


class PrintJob(Base):
    """One ticket or case receipt to print on one printer; sent by the print worker, never twice."""

    __tablename__ = "print_jobs"
    __table_args__ = (Index("ix_print_jobs_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PrintKind] = mapped_column(enum_column(PrintKind, 10), default=PrintKind.TICKET)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    printer_url: Mapped[str] = mapped_column(String(300))
    # Built in the request: the worker has no request to learn the hub's public address from.
    status_url: Mapped[str] = mapped_column(String(300))
    reprint: Mapped[bool] = mapped_column(Boolean, default=False)
    # A new ticket's people ahead as its answer told them (the queue figures at the issue):
    # its first attempt prints them instead of counting the line. None: count when printing.
    ahead: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    state: Mapped[PrintState] = mapped_column(
        enum_column(PrintState, 10), default=PrintState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)

    ticket: Mapped[Ticket | None] = relationship()
    device: Mapped[Device | None] = relationship()


class Appointment(Base):
    """A booked slot for a matter; checked in at a kiosk by its code, it becomes a ticket.

    Booked by staff, or by the resident on the phone (``source`` "phone"): a phone booking
    has a secret link (``token_hash``, SHA-256 of the token in the link) to view and cancel it,
    and the phone number it was booked with: sealed (``phone_enc``, hall/cases/privacy.py),
    masked for the resident's own pages (``phone_masked``), and as a keyed hash
    (``phone_hash``) that counts the number's open bookings. Nothing public shows any of it.
    """

    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_matter_starts", "matter_id", "starts_at"),
        UniqueConstraint("token_hash", name="uq_appointments_token_hash"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"), index=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"))
    code: Mapped[str] = mapped_column(String(12), unique=True)
    starts_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="booked")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    booked_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime]
    checked_in_at: Mapped[datetime | None] = mapped_column(nullable=True)
    source: Mapped[str] = mapped_column(String(12), default="staff", server_default="staff")
    token_hash: Mapped[str | None] = mapped_column(String(64))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_enc: Mapped[str] = mapped_column(Text, default="", server_default="")
    phone_masked: Mapped[str] = mapped_column(String(20), default="", server_default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)

    matter: Mapped[Matter] = relationship()
    hall: Mapped[Hall] = relationship()
