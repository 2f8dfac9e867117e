"""Issuing tickets and working windows: the queue's rules, one transaction per action."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import chinese_calendar
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hall import clock
from hall.admin.models import Hall, Role, Staff
from hall.errors import BadRequest, Conflict, Forbidden
from hall.events import Event, record
from hall.queue import lookup
from hall.queue.models import (
    DailyCounter,
    Matter,
    Ticket,
    TicketStatus,
    TicketStep,
    Window,
    WindowQueue,
    WindowStatus,
    WindowStep,
)

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


COUNTER_ROLES = {Role.WINDOW, Role.PICKUP, Role.MANAGER, Role.ADMIN}
ACTIVE = (TicketStatus.CALLED, TicketStatus.SERVING)


def staff_label(staff: Staff | None) -> dict[str, str] | None:
    """How a staff member is shown on the window screen: name and staff number."""
    if staff is None:
        return None
    return {"name": staff.name, "staff_no": staff.staff_no}


def _check_staff(staff: Staff, window: Window) -> None:
    if staff.role not in COUNTER_ROLES:
        raise Forbidden("无窗口操作权限 / this account may not work a window")
    if staff.hall_id is not None and staff.hall_id != window.hall_id:
        raise Forbidden("不是本大厅的窗口 / this window belongs to another hall")


def _held(session: Session, window_id: int, staff: Staff) -> Window:
    window = lookup.window(session, window_id, lock=True)
    _check_staff(staff, window)
    if window.status == WindowStatus.CLOSED:
        raise Conflict("窗口未开启 / the window is not open", code="window_closed")
    if window.staff_id != staff.id:
        raise Forbidden("窗口由其他工作人员登录 / another staff member holds this window")
    return window


def _current(session: Session, window: Window, *states: str) -> Ticket:
    ticket = session.get(Ticket, window.current_ticket_id) if window.current_ticket_id else None
    if ticket is None or ticket.status not in ACTIVE:
        raise Conflict("窗口当前没有票号 / the window has no current ticket", code="no_current")
    if ticket.status not in states:
        raise Conflict(
            f"票号 {ticket.number} 当前状态为 {ticket.status},不能执行此操作 / "
            f"not allowed while ticket {ticket.number} is {ticket.status}",
            code="invalid_transition",
        )
    session.refresh(ticket, with_for_update=True)
    return ticket


def _idle(session: Session, window: Window) -> None:
    ticket = session.get(Ticket, window.current_ticket_id) if window.current_ticket_id else None
    if ticket is not None and ticket.status in ACTIVE:
        raise Conflict(
            f"请先办结当前票号 {ticket.number} / finish ticket {ticket.number} first",
            code="window_busy",
        )


def _window_event(session: Session, window: Window, name: str, at: datetime) -> Event:
    return record(
        session,
        window.hall,
        name,
        {
            "window_id": window.id,
            "window": window.number,
            "window_name": window.name,
            "status": window.status,
            "reason": window.pause_reason,
            "staff": staff_label(window.staff),
            "at": clock.iso_local(at, window.hall.timezone),
        },
    )


def _log_window(session: Session, window: Window, action: str, staff: Staff, at, detail="") -> None:
    session.add(
        WindowStep(window_id=window.id, action=action, at=at, staff_id=staff.id, detail=detail)
    )


def _ticket_event(session: Session, ticket: Ticket, name: str, at: datetime, **extra: Any) -> Event:
    hall = ticket.hall
    window = ticket.window
    return record(
        session,
        hall,
        name,
        {
            "ticket_id": ticket.id,
            "number": ticket.number,
            "queue": ticket.queue.code,
            "window": window.number if window else None,
            "window_name": window.name if window else None,
            "status": ticket.status,
            "calls": ticket.calls,
            "waiting": waiting_count(session, ticket.queue_id),
            "at": clock.iso_local(at, hall.timezone),
            **extra,
        },
    )


def open_window(
    session: Session, window_id: int, staff: Staff, at: datetime | None = None
) -> tuple[Window, list[Event]]:
    """The staff member takes the window; opening one's own open window again changes nothing."""
    at = at or clock.now()
    window = lookup.window(session, window_id, lock=True)
    _check_staff(staff, window)
    if window.status != WindowStatus.CLOSED:
        if window.staff_id == staff.id:
            return window, []
        raise Conflict(
            "窗口已由其他工作人员登录 / another staff member holds this window", code="window_taken"
        )
    other = session.scalar(
        select(Window).where(Window.staff_id == staff.id, Window.status != WindowStatus.CLOSED)
    )
    if other is not None:
        raise Conflict(
            f"您已登录 {other.name},请先关闭 / you already hold {other.name}; close it first",
            code="staff_busy",
        )
    window.status = WindowStatus.OPEN
    window.staff_id = staff.id
    window.staff = staff
    window.pause_reason = ""
    window.priority_streak = 0
    window.status_since = at
    _log_window(session, window, "opened", staff, at)
    session.flush()
    return window, [_window_event(session, window, "window.opened", at)]


def _rank(window: Window, ticket: Ticket) -> tuple[int, int]:
    order = window.queue_ids
    position = order.index(ticket.queue_id) if ticket.queue_id in order else len(order)
    return (0 if ticket.target_window_id == window.id else 1, position)


def _claim(session: Session, window: Window) -> Ticket | None:
    """The next ticket for the window: its queue order, then the priority rule, then arrival."""
    order = window.queue_ids
    position = (
        case(*[(Ticket.queue_id == qid, pos) for pos, qid in enumerate(order)], else_=len(order))
        if order
        else 0
    )
    base = (
        select(Ticket)
        .where(
            Ticket.hall_id == window.hall_id,
            Ticket.status == TicketStatus.WAITING,
            or_(
                Ticket.target_window_id == window.id,
                and_(Ticket.target_window_id.is_(None), Ticket.queue_id.in_(order)),
            ),
        )
        .order_by(
            case((Ticket.target_window_id == window.id, 0), else_=1),
            position,
            Ticket.queued_at,
            Ticket.id,
        )
        .limit(1)
        # PostgreSQL: two windows skip each other's locked rows; SQLite: BEGIN IMMEDIATE
        # already serialises writers, and SQLAlchemy drops the clause there.
        .with_for_update(skip_locked=True)
    )
    first_priority = session.scalar(base.where(Ticket.priority.is_not(None)))
    first_normal = session.scalar(base.where(Ticket.priority.is_(None)))
    if first_priority is None or first_normal is None:
        return first_priority or first_normal
    rank_p, rank_n = _rank(window, first_priority), _rank(window, first_normal)
    if rank_p != rank_n:
        return first_priority if rank_p < rank_n else first_normal
    # Fairness: at most N priority tickets in a row, so normal tickets never starve.
    if window.priority_streak < window.hall.priority_streak_max:
        return first_priority
    return first_normal


def _call(session: Session, window: Window, ticket: Ticket, staff: Staff, at: datetime) -> Event:
    ticket.status = TicketStatus.CALLED
    ticket.called_at = at
    ticket.first_called_at = ticket.first_called_at or at
    ticket.calls += 1
    ticket.window_id = window.id
    ticket.window = window
    ticket.staff_id = staff.id
    ticket.target_window_id = None
    window.current_ticket_id = ticket.id
    window.priority_streak = window.priority_streak + 1 if ticket.priority else 0
    session.flush()
    add_step(session, ticket, "called", at, staff_id=staff.id, window_id=window.id)
    return _ticket_event(session, ticket, "ticket.called", at, recall=False)


def call_next(
    session: Session, window_id: int, staff: Staff, at: datetime | None = None
) -> tuple[Ticket | None, list[Event]]:
    """Give the open window its next ticket, or None when nobody waits."""
    at = at or clock.now()
    window = _held(session, window_id, staff)
    if window.status != WindowStatus.OPEN:
        raise Conflict(
            "窗口暂停中,请先恢复 / the window is paused; resume first", code="window_paused"
        )
    _idle(session, window)
    ticket = _claim(session, window)
    if ticket is None:
        return None, []
    return ticket, [_call(session, window, ticket, staff, at)]


def call_ticket(
    session: Session,
    window_id: int,
    staff: Staff,
    ticket_ref: int | str,
    at: datetime | None = None,
) -> tuple[Ticket, list[Event]]:
    """Call a chosen waiting ticket out of order."""
    at = at or clock.now()
    window = _held(session, window_id, staff)
    if window.status != WindowStatus.OPEN:
        raise Conflict(
            "窗口暂停中,请先恢复 / the window is paused; resume first", code="window_paused"
        )
    _idle(session, window)
    ticket = lookup.ticket(session, ticket_ref, lock=True)
    if ticket.hall_id != window.hall_id:
        raise Conflict("不是本大厅的票号 / the ticket belongs to another hall", code="other_hall")
    if ticket.status != TicketStatus.WAITING:
        raise Conflict(
            f"票号 {ticket.number} 不在等候中 / ticket {ticket.number} is not waiting",
            code="invalid_transition",
        )
    if ticket.target_window_id not in (None, window.id) or (
        ticket.target_window_id is None and ticket.queue_id not in window.queue_ids
    ):
        raise Conflict(
            f"本窗口不办理票号 {ticket.number} / this window does not serve {ticket.number}",
            code="not_served_here",
        )
    return ticket, [_call(session, window, ticket, staff, at)]


def recall(
    session: Session, window_id: int, staff: Staff, at: datetime | None = None
) -> tuple[Ticket, list[Event]]:
    """Call the current ticket again, up to the hall's maximum number of calls."""
    at = at or clock.now()
    window = _held(session, window_id, staff)
    ticket = _current(session, window, TicketStatus.CALLED)
    if ticket.calls >= window.hall.max_calls:
        raise Conflict(
            f"已呼叫 {ticket.calls} 次,请标记过号 / called {ticket.calls} times already; "
            "mark it as a no-show",
            code="call_limit",
        )
    ticket.calls += 1
    ticket.called_at = at
    add_step(session, ticket, "recalled", at, staff_id=staff.id, window_id=window.id)
    return ticket, [_ticket_event(session, ticket, "ticket.called", at, recall=True)]


def no_show(
    session: Session, window_id: int, staff: Staff, at: datetime | None = None
) -> tuple[Ticket, list[Event]]:
    """The called resident did not come: the ticket leaves the window (it may be re-queued)."""
    at = at or clock.now()
    window = _held(session, window_id, staff)
    ticket = _current(session, window, TicketStatus.CALLED)
    ticket.status = TicketStatus.NO_SHOW
    ticket.no_show_at = at
    window.current_ticket_id = None
    add_step(session, ticket, "no_show", at, staff_id=staff.id, window_id=window.id)
    return ticket, [_ticket_event(session, ticket, "ticket.no_show", at)]


def requeue(
    session: Session, hall: Hall, ticket_ref: int | str, staff: Staff, at: datetime | None = None
) -> tuple[Ticket, list[Event]]:
    """A no-show resident who turns up within the grace goes back in line at the old place."""
    at = at or clock.now()
    ticket = lookup.ticket(session, ticket_ref, lock=True)
    if ticket.hall_id != hall.id:
        raise Conflict("不是本大厅的票号 / the ticket belongs to another hall", code="other_hall")
    if staff.role not in COUNTER_ROLES or staff.hall_id not in (None, hall.id):
        raise Forbidden("无权操作 / this account may not re-queue tickets")
    if ticket.status != TicketStatus.NO_SHOW:
        raise Conflict(
            f"票号 {ticket.number} 未过号 / ticket {ticket.number} is not a no-show",
            code="invalid_transition",
        )
    if at - ticket.no_show_at > timedelta(minutes=hall.no_show_grace_min):
        raise Conflict(
            f"已超过 {hall.no_show_grace_min} 分钟,请重新取号 / more than "
            f"{hall.no_show_grace_min} minutes passed; please take a new ticket",
            code="grace_expired",
        )
    ticket.status = TicketStatus.WAITING
    ticket.window_id = None
    ticket.window = None
    add_step(session, ticket, "requeued", at, staff_id=staff.id)
    return ticket, [_ticket_event(session, ticket, "ticket.requeued", at)]


def transfer(
    session: Session,
    window_id: int,
    staff: Staff,
    *,
    queue: int | str | None = None,
    to_window: int | None = None,
    at: datetime | None = None,
) -> tuple[Ticket, list[Event]]:
    """Send the current ticket to another queue or window; it keeps its place by issue time."""
    at = at or clock.now()
    if (queue is None) == (to_window is None):
        raise BadRequest("请指定目标队列或目标窗口之一 / give either a queue or a window")
    window = _held(session, window_id, staff)
    ticket = _current(session, window, *ACTIVE)
    from_queue = ticket.queue
    target = None
    if queue is not None:
        target_queue = lookup.queue_in_hall(session, window.hall_id, queue)
        ticket.queue_id = target_queue.id
        ticket.queue = target_queue
        detail = f"queue {target_queue.code}"
    else:
        target = lookup.window(session, to_window)
        if target.hall_id != window.hall_id or target.id == window.id:
            raise Conflict("不能转到该窗口 / cannot transfer to that window", code="bad_target")
        ticket.target_window_id = target.id
        detail = f"window {target.number}"
    ticket.status = TicketStatus.WAITING
    ticket.window_id = None
    ticket.window = None
    window.current_ticket_id = None
    session.flush()
    add_step(
        session, ticket, "transferred", at, staff_id=staff.id, window_id=window.id, detail=detail
    )
    return ticket, [
        _ticket_event(
            session,
            ticket,
            "ticket.transferred",
            at,
            from_queue=from_queue.code,
            from_waiting=waiting_count(session, from_queue.id),
            from_window=window.number,
            to_window=target.number if target else None,
        )
    ]


def start(
    session: Session, window_id: int, staff: Staff, at: datetime | None = None
) -> tuple[Ticket, list[Event]]:
    """The resident arrived at the window: service starts."""
    at = at or clock.now()
    window = _held(session, window_id, staff)
    ticket = _current(session, window, TicketStatus.CALLED)
    ticket.status = TicketStatus.SERVING
    ticket.started_at = at
    add_step(session, ticket, "started", at, staff_id=staff.id, window_id=window.id)
    return ticket, [_ticket_event(session, ticket, "ticket.started", at)]


def finish(
    session: Session, window_id: int, staff: Staff, at: datetime | None = None
) -> tuple[Ticket, list[Event]]:
    """Service is done; the window is free to call again."""
    at = at or clock.now()
    window = _held(session, window_id, staff)
    ticket = _current(session, window, TicketStatus.SERVING)
    ticket.status = TicketStatus.DONE
    ticket.finished_at = at
    window.current_ticket_id = None
    add_step(session, ticket, "finished", at, staff_id=staff.id, window_id=window.id)
    return ticket, [_ticket_event(session, ticket, "ticket.finished", at)]


def pause(
    session: Session, window_id: int, staff: Staff, reason: str, at: datetime | None = None
) -> tuple[Window, list[Event]]:
    """Pause an idle open window, with a reason residents may see."""
    at = at or clock.now()
    reason = (reason or "").strip()
    if not reason:
        raise BadRequest("请填写暂停原因 / give a reason for the pause", code="reason_required")
    window = _held(session, window_id, staff)
    if window.status != WindowStatus.OPEN:
        raise Conflict("窗口已暂停 / the window is already paused", code="invalid_transition")
    _idle(session, window)
    window.status = WindowStatus.PAUSED
    window.pause_reason = reason[:200]
    window.status_since = at
    _log_window(session, window, "paused", staff, at, reason[:200])
    return window, [_window_event(session, window, "window.paused", at)]


def resume(
    session: Session, window_id: int, staff: Staff, at: datetime | None = None
) -> tuple[Window, list[Event]]:
    """Reopen a paused window."""
    at = at or clock.now()
    window = _held(session, window_id, staff)
    if window.status != WindowStatus.PAUSED:
        raise Conflict("窗口未暂停 / the window is not paused", code="invalid_transition")
    window.status = WindowStatus.OPEN
    window.pause_reason = ""
    window.status_since = at
    _log_window(session, window, "resumed", staff, at)
    return window, [_window_event(session, window, "window.resumed", at)]


def close(
    session: Session, window_id: int, staff: Staff, at: datetime | None = None
) -> tuple[Window, list[Event]]:
    """Close an idle window; the staff member leaves it."""
    at = at or clock.now()
    window = _held(session, window_id, staff)
    _idle(session, window)
    window.status = WindowStatus.CLOSED
    window.pause_reason = ""
    window.status_since = at
    _log_window(session, window, "closed", staff, at)
    event = _window_event(session, window, "window.closed", at)
    window.staff_id = None
    window.staff = None
    event.payload["staff"] = None
    return window, [event]


# One table of window actions, shared by the REST views and the /counter socket handlers.
ACTIONS = {
    "open": lambda s, w, staff, body: open_window(s, w, staff),
    "call-next": lambda s, w, staff, body: call_next(s, w, staff),
    "call": lambda s, w, staff, body: call_ticket(s, w, staff, body["ticket"]),
    "recall": lambda s, w, staff, body: recall(s, w, staff),
    "no-show": lambda s, w, staff, body: no_show(s, w, staff),
    "transfer": lambda s, w, staff, body: transfer(
        s, w, staff, queue=body.get("queue"), to_window=body.get("to_window") or body.get("window")
    ),
    "start": lambda s, w, staff, body: start(s, w, staff),
    "finish": lambda s, w, staff, body: finish(s, w, staff),
    "pause": lambda s, w, staff, body: pause(s, w, staff, body["reason"]),
    "resume": lambda s, w, staff, body: resume(s, w, staff),
    "close": lambda s, w, staff, body: close(s, w, staff),
}
