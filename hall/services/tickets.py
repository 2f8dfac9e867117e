"""Issuing tickets: hours, daily caps, numbering, and where each ticket stands in line."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import chinese_calendar
from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hall import clock
from hall.errors import BadRequest, Conflict
from hall.events import Event, record
from hall.models import (
    DailyCounter,
    Hall,
    Matter,
    Ticket,
    TicketStatus,
    TicketStep,
    Window,
    WindowQueue,
    WindowStatus,
)
from hall.services import lookup

SOURCES = ("kiosk", "phone", "appointment", "pickup", "counter")
RECENT_SERVICES = 20


def bump_counter(session: Session, scope: str, day) -> int:
    """Add one to a daily counter and return its new value (an atomic upsert, never max()+1)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(DailyCounter)
        .values(scope=scope, day=day, value=1)
        .on_conflict_do_update(
            index_elements=["scope", "day"], set_={"value": DailyCounter.value + 1}
        )
        .returning(DailyCounter.value)
    )
    return session.execute(stmt).scalar_one()


def counter_value(session: Session, scope: str, day) -> int:
    """A daily counter's value, zero when nothing was counted yet."""
    value = session.scalar(
        select(DailyCounter.value).where(DailyCounter.scope == scope, DailyCounter.day == day)
    )
    return value or 0


def is_workday(day) -> bool:
    """A Chinese working day (holidays off, make-up workdays on); weekdays beyond the calendar."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def _periods(hall: Hall, matter: Matter | None, at: datetime) -> list[list[str]] | None:
    spec = (matter.hours if matter and matter.hours else None) or hall.hours
    if spec is None:
        return None
    local = clock.local(at, hall.timezone)
    if hall.workdays_only and not is_workday(local.date()):
        return []
    return spec.get(str(local.weekday()), spec.get("default", []))


def hours_text(periods: list[list[str]] | None) -> str:
    """Opening periods as text, e.g. 08:30–12:00, 13:30–17:00."""
    if periods is None:
        return "全天 / all day"
    return ", ".join(f"{start}–{end}" for start, end in periods) or "今日不取号 / closed today"


@dataclass
class Availability:
    """Whether a matter's tickets can be taken now and how many remain today."""

    open: bool
    issued: int
    cap: int | None
    warning: int | None
    hours: str

    @property
    def remaining(self) -> int | None:
        """Tickets left under the daily cap, or None without a cap."""
        return None if self.cap is None else max(0, self.cap - self.issued)

    @property
    def nearly_full(self) -> bool:
        """Past the warning level of the cap."""
        return self.warning is not None and self.issued >= self.warning

    def to_dict(self) -> dict[str, Any]:
        """JSON form for kiosks."""
        return {
            "open": self.open,
            "full": self.remaining == 0,
            "remaining": self.remaining,
            "nearly_full": self.nearly_full,
            "hours": self.hours,
        }


def availability(session: Session, hall: Hall, matter: Matter, at: datetime) -> Availability:
    """The matter's ticketing state at this instant."""
    periods = _periods(hall, matter, at)
    hhmm = clock.local(at, hall.timezone).strftime("%H:%M")
    is_open = periods is None or any(start <= hhmm < end for start, end in periods)
    day = clock.service_date(at, hall.timezone)
    issued = counter_value(session, f"matter:{matter.id}", day) if matter.daily_cap else 0
    return Availability(is_open, issued, matter.daily_cap, matter.cap_warning, hours_text(periods))


def issue(
    session: Session,
    hall: Hall,
    matter_ref: int | str,
    *,
    priority: str | None = None,
    source: str = "kiosk",
    device_id: int | None = None,
    at: datetime | None = None,
    booked: bool = False,
) -> tuple[Ticket, list[Event]]:
    """Issue the next number of the matter's queue, within hours and under the daily cap.

    ``booked`` tickets (an appointment checked in) were given their place when the slot was
    booked, so the walk-in cap does not apply to them.
    """
    at = at or clock.now()
    matter = lookup.matter_in_hall(session, hall, matter_ref)
    if source not in SOURCES:
        raise BadRequest(f"来源无效 / unknown source: {source[:20]}")
    if priority is not None and priority not in hall.priority_classes:
        raise BadRequest(
            f"优先类别无效 / unknown priority class: {priority[:20]}", code="bad_priority"
        )
    state = availability(session, hall, matter, at)
    if not state.open:
        raise Conflict(
            f"当前不在取号时间 ({state.hours}) / ticketing is closed now", code="ticketing_closed"
        )
    day = clock.service_date(at, hall.timezone)
    if matter.daily_cap is not None and not booked:
        # The bump is rolled back with the refusal, so a refused resident uses up nothing.
        if bump_counter(session, f"matter:{matter.id}", day) > matter.daily_cap:
            raise Conflict(
                f"今日号源已满 ({matter.daily_cap}) / today's tickets are all taken",
                code="matter_full",
            )
    queue = matter.queue
    seq = bump_counter(session, f"queue:{queue.id}", day)
    ticket = Ticket(
        hall_id=hall.id,
        queue_id=queue.id,
        queue_prefix_scope=queue.id,
        matter_id=matter.id,
        service_date=day,
        seq=seq,
        number=f"{queue.prefix}{seq:03d}",
        priority=priority,
        source=source,
        status=TicketStatus.WAITING,
        token=secrets.token_urlsafe(32),
        device_id=device_id,
        issued_at=at,
        queued_at=at,
    )
    session.add(ticket)
    session.flush()
    add_step(session, ticket, "issued", at, detail=source)
    waiting = waiting_count(session, queue.id)
    event = record(
        session,
        hall,
        "ticket.issued",
        {
            "ticket_id": ticket.id,
            "number": ticket.number,
            "queue": queue.code,
            "matter": matter.code,
            "priority": priority,
            "waiting": waiting,
            "at": clock.iso_local(at, hall.timezone),
        },
    )
    return ticket, [event]


def add_step(
    session: Session,
    ticket: Ticket,
    action: str,
    at: datetime,
    *,
    staff_id: int | None = None,
    window_id: int | None = None,
    detail: str = "",
) -> None:
    """Log one step of the ticket's life."""
    session.add(
        TicketStep(
            ticket_id=ticket.id,
            hall_id=ticket.hall_id,
            action=action,
            at=at,
            staff_id=staff_id,
            window_id=window_id,
            queue_id=ticket.queue_id,
            detail=detail[:200],
        )
    )


def waiting_count(session: Session, queue_id: int) -> int:
    """Tickets waiting in a queue."""
    return session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.queue_id == queue_id, Ticket.status == TicketStatus.WAITING
        )
    )


def ahead_of(session: Session, ticket: Ticket) -> int:
    """Waiting tickets of the same queue that came before this one."""
    if ticket.status != TicketStatus.WAITING:
        return 0
    return session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.queue_id == ticket.queue_id,
            Ticket.status == TicketStatus.WAITING,
            or_(
                Ticket.queued_at < ticket.queued_at,
                and_(Ticket.queued_at == ticket.queued_at, Ticket.id < ticket.id),
            ),
        )
    )


def average_service_s(session: Session, hall: Hall, queue_id: int) -> float:
    """Mean service time of the queue's recent finished tickets, or the hall's default."""
    rows = session.execute(
        select(Ticket.started_at, Ticket.finished_at)
        .where(
            Ticket.queue_id == queue_id,
            Ticket.status == TicketStatus.DONE,
            Ticket.started_at.is_not(None),
        )
        .order_by(Ticket.finished_at.desc())
        .limit(RECENT_SERVICES)
    ).all()
    spans = [(done - start).total_seconds() for start, done in rows if done and start]
    return sum(spans) / len(spans) if spans else float(hall.default_service_s)


def serving_windows(session: Session, queue_id: int) -> int:
    """Open windows that serve the queue."""
    return session.scalar(
        select(func.count(Window.id))
        .join(WindowQueue, WindowQueue.window_id == Window.id)
        .where(WindowQueue.queue_id == queue_id, Window.status == WindowStatus.OPEN)
    )


def estimate_wait_s(session: Session, hall: Hall, queue_id: int, ahead: int) -> int:
    """Seconds until a resident with this many ahead is called, from recent service times."""
    windows = max(1, serving_windows(session, queue_id))
    return round(ahead * average_service_s(session, hall, queue_id) / windows)


def to_dict(
    session: Session,
    ticket: Ticket,
    *,
    status_url: str | None = None,
    private: bool = True,
    ahead: int | None = None,
) -> dict[str, Any]:
    """A ticket as clients see it: no personal data, ever (``ahead`` when already known)."""
    hall = ticket.hall
    if ahead is None:
        ahead = ahead_of(session, ticket)
    data: dict[str, Any] = {
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status,
        "hall": hall.code,
        "queue": ticket.queue.code,
        "queue_name": ticket.queue.name,
        "queue_name_en": ticket.queue.name_en,
        "matter": ticket.matter.code if ticket.matter else None,
        "matter_name": ticket.matter.name if ticket.matter else None,
        "matter_name_en": ticket.matter.name_en if ticket.matter else None,
        "priority": ticket.priority,
        "source": ticket.source,
        "ahead": ahead,
        "estimated_wait_s": (
            estimate_wait_s(session, hall, ticket.queue_id, ahead)
            if ticket.status == TicketStatus.WAITING
            else 0
        ),
        "issued_at": clock.iso_local(ticket.issued_at, hall.timezone),
        "called_at": clock.iso_local(ticket.called_at, hall.timezone),
        "calls": ticket.calls,
        "window": ticket.window.number if ticket.window else None,
        "window_name": ticket.window.name if ticket.window else None,
    }
    if private:
        data["status_url"] = status_url
    return data
