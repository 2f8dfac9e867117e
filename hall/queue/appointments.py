"""Appointments: book a slot for a matter, check in at a kiosk by code, get a ticket."""

import secrets
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import access, clock
from hall.access import Permission
from hall.admin.models import Hall, Staff
from hall.errors import BadRequest, Conflict, NotFound
from hall.queue import lookup, services
from hall.queue.models import Appointment

# Codes are read off a phone and typed on a touch screen: no 0/O, 1/I/L look-alikes.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
EARLY = timedelta(minutes=60)  # check in up to an hour before the slot …
LATE = timedelta(minutes=30)  # … and up to half an hour after it


def new_code() -> str:
    """A random appointment code (31^8 ≈ 8.5e11 codes: not guessable at a kiosk's pace)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(code: str) -> str:
    """The code as stored: upper case, spaces and dashes dropped."""
    return code.upper().replace(" ", "").replace("-", "")


def book(
    session: Session,
    hall: Hall,
    matter_ref: int | str,
    starts_at: datetime,
    staff: Staff | None,
    at: datetime | None = None,
) -> Appointment:
    """Book a slot for a matter of the hall; the code is what the resident brings."""
    at = at or clock.now()
    if staff is not None:
        access.require(staff, Permission.BOOK_APPOINTMENT, hall=hall.id)
    if starts_at.tzinfo is None:
        raise BadRequest("预约时间需带时区 / give the time with its offset, e.g. +08:00")
    if starts_at < at - LATE:
        raise BadRequest("预约时间已过 / that time has passed", code="slot_in_past")
    matter = lookup.matter_in_hall(session, hall, matter_ref)
    appointment = Appointment(
        hall_id=hall.id,
        matter_id=matter.id,
        code=new_code(),
        starts_at=starts_at,
        status="booked",
        booked_by=staff.id if staff else None,
        created_at=at,
    )
    appointment.matter = matter
    appointment.hall = hall
    session.add(appointment)
    session.flush()
    return appointment


def check_in(
    session: Session,
    hall: Hall,
    code: str,
    *,
    device: Any = None,
    at: datetime | None = None,
) -> services.Issued:
    """Turn a booked appointment into a ticket, within its check-in window, once."""
    at = at or clock.now()
    appointment = session.scalar(
        select(Appointment)
        .where(Appointment.hall_id == hall.id, Appointment.code == normalise(code))
        .with_for_update()
    )
    if appointment is None:
        raise NotFound("预约码无效 / unknown appointment code", code="appointment_not_found")
    if appointment.status != "booked":
        raise Conflict(
            "该预约已签到 / this appointment was already checked in", code="already_checked_in"
        )
    local = clock.local(appointment.starts_at, hall.timezone).strftime("%H:%M")
    if at < appointment.starts_at - EARLY:
        raise Conflict(
            f"签到过早,请于 {local} 前一小时内签到 / too early: check in within an hour "
            f"before {local}",
            code="too_early",
        )
    if at > appointment.starts_at + LATE:
        raise Conflict(
            f"预约时间 {local} 已过,请重新取号 / the {local} slot has passed; please take a ticket",
            code="too_late",
        )
    priority = "appointment" if "appointment" in hall.priority_classes else None
    issued = services.issue(
        session,
        hall,
        appointment.matter_id,
        priority=priority,
        source="appointment",
        device=device,
        at=at,
        booked=True,
    )
    appointment.status = "checked_in"
    appointment.checked_in_at = at
    appointment.ticket_id = issued.ticket.id
    return issued


def to_dict(appointment: Appointment) -> dict[str, Any]:
    """An appointment as staff see it."""
    tz = appointment.hall.timezone
    return {
        "id": appointment.id,
        "code": appointment.code,
        "hall": appointment.hall.code,
        "matter": appointment.matter.code,
        "matter_name": appointment.matter.name,
        "starts_at": clock.iso_local(appointment.starts_at, tz),
        "status": appointment.status,
        "checked_in_at": clock.iso_local(appointment.checked_in_at, tz),
    }


def of_day(session: Session, hall: Hall, day) -> list[Appointment]:
    """The hall's appointments of a local day, in time order."""
    start = datetime.combine(day, time.min, tzinfo=ZoneInfo(hall.timezone))
    return list(
        session.scalars(
            select(Appointment)
            .where(
                Appointment.hall_id == hall.id,
                Appointment.starts_at >= start,
                Appointment.starts_at < start + timedelta(days=1),
            )
            .order_by(Appointment.starts_at)
        )
    )
