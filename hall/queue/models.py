"""Queues, matters, windows, tickets and their steps, appointments and print jobs."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall.admin.models import Department, Device, Hall, Staff
from hall.db import Base


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

    hall: Mapped[Hall] = relationship(back_populates="queues")


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
    status: Mapped[str] = mapped_column(String(10), default=WindowStatus.CLOSED)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    current_ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", use_alter=True, name="fk_windows_current_ticket")
    )
    pause_reason: Mapped[str] = mapped_column(String(200), default="")
    priority_streak: Mapped[int] = mapped_column(Integer, default=0)
    status_since: Mapped[datetime | None] = mapped_column(nullable=True)

    hall: Mapped[Hall] = relationship(back_populates="windows")
    staff: Mapped[Staff | None] = relationship(foreign_keys=[staff_id])
    current_ticket: Mapped[Ticket | None] = relationship(foreign_keys=[current_ticket_id])
    links: Mapped[list[WindowQueue]] = relationship(
        order_by="WindowQueue.position", cascade="all, delete-orphan"
    )

    @property
    def queue_ids(self) -> list[int]:
        """The queues this window serves, first choice first."""
        return [link.queue_id for link in self.links]


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
        # Recent service times of a queue, newest first.
        Index("ix_tickets_served", "queue_id", "status", "finished_at"),
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
    status: Mapped[str] = mapped_column(String(12), default=TicketStatus.WAITING)
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
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    queue: Mapped[Queue] = relationship(foreign_keys=[queue_id])
    matter: Mapped[Matter | None] = relationship()
    window: Mapped[Window | None] = relationship(foreign_keys=[window_id])
    hall: Mapped[Hall] = relationship()


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


class PrintJob(Base):
    """One ticket to print on one printer; sent by the print worker, never twice."""

    __tablename__ = "print_jobs"
    __table_args__ = (Index("ix_print_jobs_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    printer_url: Mapped[str] = mapped_column(String(300))
    # Built in the request: the worker has no request to learn the hub's public address from.
    status_url: Mapped[str] = mapped_column(String(300))
    reprint: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    state: Mapped[str] = mapped_column(String(10), default=PrintState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)

    ticket: Mapped[Ticket] = relationship()
    device: Mapped[Device | None] = relationship()


class Appointment(Base):
    """A booked slot for a matter; checked in at a kiosk by its code, it becomes a ticket.

    No personal data: the resident is known by the code they were given, nothing else.
    """

    __tablename__ = "appointments"
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

    matter: Mapped[Matter] = relationship()
    hall: Mapped[Hall] = relationship()
