"""Appointments: book a slot for a matter, check in at a kiosk by code, get a ticket."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hall import access, cache, clock
from hall.access import Permission
from hall.admin.models import Hall, Staff
from hall.calendar import Calendar
from hall.cases import privacy
from hall.errors import BadRequest, Conflict, Forbidden, NotFound
from hall.queue import lookup, services
from hall.queue.models import Appointment, Matter

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
    if appointment.status == "cancelled":
        raise Conflict("该预约已取消 / this booking was cancelled", code="booking_cancelled")
    if appointment.status != "booked":
        raise Conflict(
            "该预约已签到 / this appointment was already checked in", code="already_checked_in"
        )
    local = clock.local(appointment.starts_at, hall.timezone).strftime("%H:%M")
    if at < appointment.starts_at - EARLY:
        raise Conflict(
            f"签到过早，请于 {local} 前一小时内签到 / too early: check in within an hour "
            f"before {local}",
            code="too_early",
        )
    if at > appointment.starts_at + LATE:
        raise Conflict(
            f"预约时间 {local} 已过，请重新取号 / the {local} slot has passed; please take a ticket",
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
        "source": appointment.source,
        "phone": appointment.phone_masked or None,  # staff too see the number only masked
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


# -- booking from the phone ---------------------------------------------------------------------
#
# A resident picks a matter, a working day within the hall's booking window and a free slot,
# gives a phone number (sealed at rest, shown back masked, counted by a keyed hash) and gets
# the check-in code, its QR and a secret link (/b/<token>) to see and cancel the booking.

# A hall without opening hours takes tickets around the clock; bookings keep office hours.
OFFICE_HOURS = [["09:00", "12:00"], ["13:30", "17:00"]]
MIN_SLOT_MIN = 5
PHONE = re.compile(r"^1[3-9]\d{9}$")  # a mainland mobile number, once +86, spaces, dashes go
OPEN = "booked"


@dataclass(frozen=True)
class Slot:
    """A bookable slot of a matter on a day, with what is already booked of it."""

    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        """Places left."""
        return max(0, self.capacity - self.booked)


def slot_length(hall: Hall, matter: Matter) -> timedelta:
    """The matter's slot length (its own, else the hall's), at least five minutes."""
    minutes = matter.booking_slot_min if matter.booking_slot_min else hall.booking_slot_min
    return timedelta(minutes=max(MIN_SLOT_MIN, minutes or 30))


def slot_capacity(hall: Hall, matter: Matter) -> int:
    """Bookings one slot of the matter takes (its own, else the hall's); 0: not bookable.

    Pickup lines are never booked: their tickets come with a case's result."""
    if matter.queue.kind == "pickup":
        return 0
    if matter.booking_capacity is not None:
        return max(0, matter.booking_capacity)
    return max(0, hall.booking_capacity)


def bookable(hall: Hall) -> bool:
    """Whether residents may book this hall's matters from the phone."""
    return bool(hall.allow_phone_tickets and hall.booking_days > 0)


def bookable_matters(session: Session, hall: Hall) -> list[dict[str, Any]]:
    """The matters booked in advance, by category (pickup lines left out, as on /m/<hall>)."""
    matters = lookup.active_matters(session, hall)
    categories: dict[str, dict[str, Any]] = {}
    for matter in matters:
        if not slot_capacity(hall, matter):
            continue
        category = categories.setdefault(
            matter.category,
            {"name": matter.category, "name_en": matter.category_en, "matters": []},
        )
        category["matters"].append(
            {"code": matter.code, "name": matter.name, "name_en": matter.name_en}
        )
    return list(categories.values())


def booking_days(hall: Hall, at: datetime, days: Calendar) -> list[date]:
    """The working days a resident may book: from tomorrow to ``booking_days`` days ahead."""
    today = clock.service_date(at, hall.timezone)
    return [
        today + timedelta(days=n)
        for n in range(1, hall.booking_days + 1)
        if days.is_workday(today + timedelta(days=n))
    ]


def _day_periods(hall: Hall, matter: Matter, day: date) -> list[list[str]]:
    spec = (matter.hours or None) or hall.hours
    if spec is None:
        return OFFICE_HOURS
    return spec.get(str(day.weekday()), spec.get("default", []))


def _slot_starts(hall: Hall, matter: Matter, day: date) -> list[datetime]:
    zone = ZoneInfo(hall.timezone)
    length = slot_length(hall, matter)
    starts = []
    for first, last in _day_periods(hall, matter, day):
        start = datetime.combine(day, time.fromisoformat(first), tzinfo=zone)
        end = datetime.combine(day, time.fromisoformat(last), tzinfo=zone)
        while start + length <= end:
            starts.append(start)
            start += length
    return starts


def _booked(session: Session, matter: Matter, start: datetime, end: datetime) -> list[datetime]:
    """Open and checked-in appointments of the matter from ``start`` to ``end``, by start."""
    rows = session.scalars(
        select(Appointment.starts_at).where(
            Appointment.matter_id == matter.id,
            Appointment.status.in_((OPEN, "checked_in")),
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
        )
    )
    return [row.astimezone(UTC) for row in rows]


def slots(session: Session, hall: Hall, matter: Matter, day: date) -> list[Slot]:
    """The matter's slots of a day with what is booked of each (staff bookings count too)."""
    starts = _slot_starts(hall, matter, day)
    if not starts:
        return []
    length = slot_length(hall, matter)
    capacity = slot_capacity(hall, matter)
    taken = _booked(session, matter, starts[0], starts[-1] + length)
    return [
        Slot(
            start,
            start + length,
            capacity,
            sum(1 for t in taken if start <= t < start + length),
        )
        for start in starts
    ]


def normalise_phone(phone: str) -> str:
    """The number as a mainland mobile (11 digits), or a 400 ``bad_phone``."""
    digits = re.sub(r"[\s\-()]", "", phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not PHONE.match(digits):
        raise BadRequest("请填写 11 位手机号码 / give an 11-digit mobile number", code="bad_phone")
    return digits


def phone_digest(phone: str) -> str:
    """A keyed hash of the number: counts its bookings without the number in clear."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"booking-phone:" + phone.encode(), hashlib.sha256).hexdigest()


def token_digest(token: str) -> str:
    """How a booking's secret link is stored: SHA-256, like the device tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


def book_by_phone(
    session: Session,
    hall: Hall,
    matter_ref: int | str,
    starts_at: datetime,
    phone: str | None,
    *,
    phone_required: bool = True,
    at: datetime | None = None,
) -> tuple[Appointment, str]:
    """A resident books a slot: the appointment and the token of its secret link.

    Refused with nothing changed: a time without its offset, in the past, today, beyond the
    hall's window, on a non-working day or off the matter's slots (400); a full slot, a
    matter not booked by phone or a number at its limit of open bookings (409).
    """
    at = at or clock.now()
    if not bookable(hall):
        raise Forbidden(
            "本大厅不支持手机预约 / this hall does not take bookings by phone",
            code="booking_closed",
        )
    if starts_at.tzinfo is None:
        raise BadRequest("预约时间需带时区 / give the time with its offset, e.g. +08:00")
    number = normalise_phone(phone) if phone or phone_required else None
    matter = lookup.matter_in_hall(session, hall, matter_ref)
    if slot_capacity(hall, matter) == 0:
        raise Conflict(
            "该事项不接受预约 / this matter is not booked in advance", code="not_bookable"
        )
    if starts_at <= at:
        raise BadRequest("预约时间已过 / that time has passed", code="slot_in_past")
    beyond = BadRequest(
        f"只能预约 {hall.booking_days} 天内 / bookings open {hall.booking_days} days ahead",
        code="beyond_window",
    )
    if starts_at > at + timedelta(days=hall.booking_days + 1):
        raise beyond  # (before any conversion: year 9999 in the hall's zone overflows)
    day = clock.service_date(starts_at, hall.timezone)
    today = clock.service_date(at, hall.timezone)
    if day <= today:
        raise BadRequest(
            "请预约明天及以后的日期；今天请直接取号 / book from tomorrow on; for today take a ticket",
            code="slot_today",
        )
    if (day - today).days > hall.booking_days:
        raise beyond
    if not cache.of(session).calendar().is_workday(day):
        raise BadRequest("该日不是工作日 / that day is not a working day", code="not_working_day")
    # Serialise bookings of the hall (PostgreSQL: the hall's row lock; SQLite: BEGIN
    # IMMEDIATE) so that two residents never both take a slot's last place, and one number
    # never passes its limit twice at once.
    session.execute(select(Hall.id).where(Hall.id == hall.id).with_for_update())
    wanted = starts_at.astimezone(UTC)
    slot = next((s for s in slots(session, hall, matter, day) if s.starts_at == wanted), None)
    if slot is None:
        raise BadRequest(
            "没有这个预约时段 / no such slot: pick one of the listed times", code="not_a_slot"
        )
    if slot.free == 0:
        raise Conflict("该时段已约满 / that slot is fully booked", code="slot_full")
    digest = phone_digest(number) if number else None
    if digest is not None:
        held = session.scalar(
            select(func.count(Appointment.id)).where(
                Appointment.hall_id == hall.id,
                Appointment.phone_hash == digest,
                Appointment.status == OPEN,
                Appointment.starts_at > at - LATE,
            )
        )
        if held >= hall.booking_per_phone:
            raise Conflict(
                f"该号码已有 {held} 个未到期的预约，请先取消一个 / this number already holds "
                f"{held} open bookings; cancel one first",
                code="booking_limit",
            )
    token = secrets.token_urlsafe(32)
    appointment = Appointment(
        hall_id=hall.id,
        matter_id=matter.id,
        code=new_code(),
        starts_at=slot.starts_at,
        status=OPEN,
        created_at=at,
        source="phone",
        token_hash=token_digest(token),
        phone_hash=digest,
        phone_enc=privacy.seal(number) if number else "",
        phone_masked=privacy.mask_phone(number) if number else "",
    )
    appointment.matter = matter
    appointment.hall = hall
    session.add(appointment)
    session.flush()
    return appointment, token


def by_token(session: Session, token: str, *, lock: bool = False) -> Appointment:
    """A phone booking by the token of its secret link; 404 ``booking_not_found``."""
    query = select(Appointment).where(Appointment.token_hash == token_digest(token[:80]))
    appointment = session.scalar(query.with_for_update() if lock else query)
    if appointment is None:
        raise NotFound("预约不存在 / no such booking", code="booking_not_found")
    return appointment


def cancel(session: Session, token: str, at: datetime | None = None) -> Appointment:
    """The resident cancels a booking that is still open; its place is free at once."""
    at = at or clock.now()
    appointment = by_token(session, token, lock=True)
    if appointment.status != OPEN:
        raise Conflict(
            "该预约已签到或已取消 / this booking was already checked in or cancelled",
            code="not_booked",
        )
    appointment.status = "cancelled"
    appointment.cancelled_at = at
    return appointment


def booking_dict(appointment: Appointment, urls: dict[str, str] | None = None) -> dict[str, Any]:
    """A phone booking as its resident sees it: the phone number only masked."""
    tz = appointment.hall.timezone
    matter = appointment.matter
    hall = appointment.hall
    ends_at = appointment.starts_at + slot_length(hall, matter)
    return {
        "code": appointment.code,
        "hall": hall.code,
        "hall_name": hall.name,
        "matter": matter.code,
        "matter_name": matter.name,
        "matter_name_en": matter.name_en,
        "starts_at": clock.iso_local(appointment.starts_at, tz),
        "ends_at": clock.iso_local(ends_at, tz),
        "check_in_from": clock.iso_local(appointment.starts_at - EARLY, tz),
        "check_in_until": clock.iso_local(appointment.starts_at + LATE, tz),
        "status": appointment.status,
        "phone": appointment.phone_masked or None,
        "cancelled_at": clock.iso_local(appointment.cancelled_at, tz),
        "checked_in_at": clock.iso_local(appointment.checked_in_at, tz),
        **(urls or {}),
    }


def slot_dict(slot: Slot, tz: str) -> dict[str, Any]:
    """A slot for the booking page."""
    return {
        "starts_at": clock.iso_local(slot.starts_at, tz),
        "ends_at": clock.iso_local(slot.ends_at, tz),
        "time": clock.local(slot.starts_at, tz).strftime("%H:%M"),
        "capacity": slot.capacity,
        "booked": slot.booked,
        "free": slot.free,
    }
