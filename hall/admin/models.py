"""Sites, departments, staff and devices: who and where."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall.db import Base

if TYPE_CHECKING:
    from hall.queue.models import Queue, Window


class Role(enum.StrEnum):
    """What a staff account may do."""

    WINDOW = "window"
    BACKOFFICE = "backoffice"
    PICKUP = "pickup"
    MANAGER = "manager"
    ADMIN = "admin"


class Hall(Base):
    """A site: a district hall or a street service point."""

    __tablename__ = "halls"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    allow_phone_tickets: Mapped[bool] = mapped_column(Boolean, default=False)
    # None: tickets around the clock; else {"0": [["08:30", "12:00"], …], …} by ISO weekday-1.
    hours: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    workdays_only: Mapped[bool] = mapped_column(Boolean, default=False)
    priority_classes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    priority_streak_max: Mapped[int] = mapped_column(Integer, default=2)
    max_calls: Mapped[int] = mapped_column(Integer, default=3)
    no_show_grace_min: Mapped[int] = mapped_column(Integer, default=30)
    default_service_s: Mapped[int] = mapped_column(Integer, default=300)
    # The service level's target: a ticket called within this many minutes was served in time.
    wait_target_min: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    notice: Mapped[str] = mapped_column(Text, default="")
    # Cases turn yellow with this many working days left (red when overdue).
    case_warning_days: Mapped[int] = mapped_column(Integer, default=1)
    # Booking from the phone (/m/<hall>/book): how many days ahead (0: no booking), the slot
    # length and the bookings a slot takes per matter (a matter may set its own), and how many
    # open bookings one phone number may hold.
    booking_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    booking_slot_min: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    booking_capacity: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    booking_per_phone: Mapped[int] = mapped_column(Integer, default=2, server_default="2")

    # The queues and windows in service: retired ones keep their history but are not shown.
    queues: Mapped[list[Queue]] = relationship(
        back_populates="hall",
        order_by="Queue.code",
        primaryjoin="and_(Hall.id == Queue.hall_id, Queue.active)",
        viewonly=True,
    )
    windows: Mapped[list[Window]] = relationship(
        back_populates="hall",
        order_by="Window.id",
        primaryjoin="and_(Hall.id == Window.hall_id, Window.active)",
        viewonly=True,
    )


class Department(Base):
    """A back-office department; may serve cases from any hall."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    # Retired (``hall config import --prune``) while cases or staff still refer to it.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Staff(Base):
    """A staff account."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    name: Mapped[str] = mapped_column(String(60), default="")
    staff_no: Mapped[str] = mapped_column(String(20), default="")
    role: Mapped[str] = mapped_column(String(20))
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Device(Base):
    """A kiosk, display, printer or evaluator, known by a token."""

    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(60), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    printer_url: Mapped[str | None] = mapped_column(String(300), nullable=True)
    printer_options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    # The printer's last known fault (None: fine), so the board hears of a change only once.
    printer_fault: Mapped[str | None] = mapped_column(String(200), nullable=True)
    printer_fault_since: Mapped[datetime | None] = mapped_column(nullable=True)
    # A revoked device's token no longer works (``hall device revoke ID``).
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # When the device last told the hub it is alive (its page's heartbeat, at most once a minute).
    last_seen_at: Mapped[datetime | None] = mapped_column(nullable=True)

    hall: Mapped[Hall] = relationship()


class DevicePairing(Base):
    """A pairing code a device without a token shows, until an admin claims it (single use).

    Only digests are kept: of the 6-digit code (an HMAC with the hub's secret key, so the
    table alone does not give the codes back) and of the secret the device polls with, which
    becomes the device's token once claimed."""

    __tablename__ = "device_pairings"
    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    address: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), nullable=True)
    # What the admin chose besides the device row (e.g. an evaluator's window number).
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuthToken(Base):
    """A staff session token (stored hashed, revocable, with an expiry)."""

    __tablename__ = "auth_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    # The last use this hub wrote down (at most once a minute): the idle timeout's clock.
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)

    staff: Mapped[Staff] = relationship()


class AuditEntry(Base):
    """One staff or admin action, append-only and hash-chained (留痕): who, what, when, where,
    before and after. ``hash`` covers the entry's fields and the previous entry's hash."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))  # "staff:3 wang", "device:2", "cli"
    staff_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    device_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hall_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    window_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class CalendarDay(Base):
    """A day of the national arrangement as the administrators entered it: a public holiday
    (off) or a make-up working day (调休, on). It wins over the ``chinesecalendar`` package
    (``hall/calendar.py``); one table for every hall."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(40), default="")
