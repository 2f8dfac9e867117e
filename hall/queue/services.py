"""Issuing tickets and working windows: the queue's rules, one transaction per action.

The hot path (issue, call next, start, finish) is written in SQLAlchemy Core: a counter
upsert, guarded UPDATEs that carry the state machine's rule in their WHERE clause, and
INSERTs, at most four statements in the write transaction. Every refusal is worked out
again on the slow path by the models' state machines, which raise the precise error.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hall import access, audit, cache, clock
from hall.access import Permission
from hall.cache import HallRef, ReferenceCache, WindowRef
from hall.db import Refused, alone, connection_of
from hall.errors import BadRequest, Conflict, Forbidden
from hall.events import FOREVER, Event, bump, events_scope, make, record
from hall.queue import lookup
from hall.queue import statements as sql
from hall.queue.models import (
    ACTIVE,
    DailyCounter,
    PrintState,
    Ticket,
    TicketAction,
    TicketStatus,
    Window,
    WindowAction,
    WindowStatus,
    WindowStep,
)
from hall.urls import status_url

SOURCES = ("kiosk", "phone", "appointment", "pickup", "counter")
APPOINTMENT_PRIORITY = "appointment"


@dataclass
class TicketRow:
    """A ticket as the hot path's statements returned it (no session needed to read it)."""

    id: int
    hall_id: int
    queue_id: int
    matter_id: int | None
    number: str
    priority: str | None
    source: str
    status: str
    token: str
    issued_at: datetime
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    calls: int = 0
    window_id: int | None = None
    queued_at: datetime | None = None
    transfer_note: str = ""
    estimated_wait_s: int | None = None


@dataclass
class Issued:
    """What issuing made: the ticket, its print job (when its kiosk prints) and the events."""

    ticket: TicketRow
    job: dict[str, Any] | None
    events: list[Event]


def counter_value(session: Session, scope: str, day) -> int:
    """A daily counter's value, zero when nothing was counted yet."""
    value = session.scalar(
        select(DailyCounter.value).where(DailyCounter.scope == scope, DailyCounter.day == day)
    )
    return value or 0


def _periods(refs: ReferenceCache, hall: Any, matter: Any, at: datetime) -> list[list[str]] | None:
    spec = (matter.hours if matter is not None and matter.hours else None) or hall.hours
    if spec is None:
        return None
    local = clock.local(at, hall.timezone)
    if hall.workdays_only and not refs.calendar().is_workday(local.date()):
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


def _open_now(
    refs: ReferenceCache, hall: Any, matter: Any, at: datetime
) -> tuple[bool, list[list[str]] | None]:
    """Whether tickets for the matter can be taken at this instant, and today's periods."""
    periods = _periods(refs, hall, matter, at)
    hhmm = clock.local(at, hall.timezone).strftime("%H:%M")
    return periods is None or any(start <= hhmm < end for start, end in periods), periods


def availability(session: Session, hall: Any, matter: Any, at: datetime) -> Availability:
    """The matter's ticketing state at this instant."""
    is_open, periods = _open_now(cache.of(session), hall, matter, at)
    day = clock.service_date(at, hall.timezone)
    issued = counter_value(session, f"matter:{matter.id}", day) if matter.daily_cap else 0
    return Availability(is_open, issued, matter.daily_cap, matter.cap_warning, hours_text(periods))


def _refs(session: Session, hall: Any) -> HallRef:
    refs = cache.of(session)
    return hall if isinstance(hall, HallRef) else refs.hall_by_id(hall.id)


def issue(
    session: Session,
    hall: Any,
    matter_ref: int | str,
    *,
    priority: str | None = None,
    source: str = "kiosk",
    device: Any = None,
    at: datetime | None = None,
    booked: bool = False,
) -> Issued:
    """Issue the next number of the matter's queue, within hours and under the daily cap.

    ``device`` is the issuing kiosk: its ticket is printed on its printer. ``booked`` tickets
    (an appointment checked in) were given their place when the slot was booked, so the
    walk-in cap does not apply to them.
    """
    at = at or clock.now()
    hall = _refs(session, hall)
    matter = cache.of(session).matter(hall.id, matter_ref)
    if source not in SOURCES:
        raise BadRequest(f"来源无效 / unknown source: {source[:20]}")
    if priority is not None and priority not in hall.priority_classes:
        raise BadRequest(
            f"优先类别无效 / unknown priority class: {priority[:20]}", code="bad_priority"
        )
    if priority == APPOINTMENT_PRIORITY and source != "appointment":
        # Only an appointment checked in earns it; a walk-in cannot pick it at the kiosk.
        raise BadRequest(
            "预约优先仅限预约签到 / appointment priority comes only with an appointment check-in",
            code="bad_priority",
        )
    is_open, periods = _open_now(cache.of(session), hall, matter, at)
    if not is_open:
        raise Conflict(
            f"当前不在取号时间 ({hours_text(periods)}) / ticketing is closed now",
            code="ticketing_closed",
        )
    day = clock.service_date(at, hall.timezone)
    queue = cache.of(session).queue(hall.id, matter.queue_id)
    capped = matter.daily_cap is not None and not booked
    scopes = [(f"queue:{queue.id}", day), (events_scope(hall.id), FOREVER)]
    if capped:
        scopes.insert(1, (f"matter:{matter.id}", day))
    ticket = TicketRow(
        id=0,
        hall_id=hall.id,
        queue_id=queue.id,
        matter_id=matter.id,
        number="",
        priority=priority,
        source=source,
        status=TicketStatus.WAITING,
        token=secrets.token_urlsafe(32),
        issued_at=at,
        queued_at=at,
    )
    ahead = _ahead_at_issue(session, hall, ticket)
    ticket.estimated_wait_s = session.info["hall.figures"].estimate_s(
        hall.id, ticket.queue_id, ahead, hall.default_service_s
    )
    # The ticket's number, the cap (rolled back with a refusal, so a refused resident uses up
    # nothing), the hall's event number, the ticket, its step and its print job.
    write = _write_at_once if connection_of(session).dialect.name == "postgresql" else _write
    counts, job = write(session, ticket, queue, matter, day, scopes, capped, device, ahead)
    event = make(
        session,
        hall,
        "ticket.issued",
        counts[events_scope(hall.id)],
        {
            "ticket_id": ticket.id,
            "number": ticket.number,
            "queue": queue.code,
            "matter": matter.code,
            "matter_name": matter.name,
            "priority": priority,
            "queued_at": clock.iso_local(at, hall.timezone),
            "waiting": None,
            "at": clock.iso_local(at, hall.timezone),
        },
        {"waiting": {queue.id: +1}, "report": {"waiting": queue.id}},
    )
    return Issued(ticket, job, [event])


def _refuse_over_cap(matter: Any, counts: dict[str, int], capped: bool) -> None:
    if capped and counts[f"matter:{matter.id}"] > matter.daily_cap:
        raise _matter_full(matter)


def _matter_full(matter: Any) -> Conflict:
    return Conflict(
        f"今日号源已满 ({matter.daily_cap}) / today's tickets are all taken", code="matter_full"
    )


def _prints(device: Any) -> bool:
    return device is not None and bool(getattr(device, "printer_url", None))


def _write(
    session: Session,
    ticket: TicketRow,
    queue,
    matter,
    day,
    scopes,
    capped: bool,
    device: Any,
    ahead: int,
) -> tuple[dict[str, int], dict[str, Any] | None]:
    """The issue's writes as four statements (SQLite: no round trips to save)."""
    counts = bump(session, scopes)
    _refuse_over_cap(matter, counts, capped)
    seq = counts[f"queue:{queue.id}"]
    ticket.number = f"{queue.prefix}{seq:03d}"
    ticket.id = sql.INSERT_TICKET.run(
        connection_of(session),
        {
            "hall_id": ticket.hall_id,
            "queue_id": queue.id,
            "queue_prefix_scope": queue.id,
            "matter_id": matter.id,
            "service_date": day,
            "seq": seq,
            "number": ticket.number,
            "priority": ticket.priority,
            "source": ticket.source,
            "status": TicketStatus.WAITING,
            "token": ticket.token,
            "device_id": device.id if device is not None else None,
            "issued_at": ticket.issued_at,
            "queued_at": ticket.queued_at,
            "calls": 0,
            "estimated_wait_s": ticket.estimated_wait_s,
        },
    ).scalar_one()
    add_step(session, ticket, "issued", ticket.issued_at, detail=ticket.source)
    job = _queue_print(session, ticket, device, ahead) if _prints(device) else None
    return counts, job


def _write_at_once(
    session: Session,
    ticket: TicketRow,
    queue,
    matter,
    day,
    scopes,
    capped: bool,
    device: Any,
    ahead: int,
) -> tuple[dict[str, int], dict[str, Any] | None]:
    """PostgreSQL: the same writes in one statement (``statements.issue_at_once``)."""
    printed = _prints(device)
    params: dict[str, Any] = {}
    for i, (scope, period) in enumerate(scopes):
        params[f"scope{i}"] = scope
        params[f"day{i}"] = period
    params.update(
        queue_scope=f"queue:{queue.id}",
        hall_id=ticket.hall_id,
        queue_id=queue.id,
        matter_id=matter.id,
        service_date=day,
        prefix=queue.prefix,
        priority=ticket.priority,
        source=ticket.source,
        token=ticket.token,
        device_id=device.id if device is not None else None,
        at=ticket.issued_at,
        estimated_wait_s=ticket.estimated_wait_s,
    )
    if capped:
        params.update(cap_scope=f"matter:{matter.id}", cap=matter.daily_cap)
    if printed:
        params.update(
            printer_url=device.printer_url, status_url=status_url(ticket.token), ahead=ahead
        )
    try:
        rows = alone(session, sql.issue_at_once(len(scopes), capped, printed), params)
    except Refused:  # over the cap: the statement wrote nothing, not even the counters
        raise _matter_full(matter) from None
    counts = {scope: value for scope, value, *_ in rows.all()}
    _, _, ticket.id, ticket.number, job_id = rows.first()
    return counts, _new_job(job_id) if printed else None


def _ahead_at_issue(session: Session, hall: Any, ticket: TicketRow) -> int:
    """The people the calling rules put before a new ticket: the queue's waiting count from
    the process's figures; for a priority ticket, read now (``presenters.ahead_of``). Its
    estimated wait (kept on it, so the estimate's error can be measured) and its print job
    (the paper says what the kiosk's screen said) are made from it."""
    if ticket.priority is not None:
        from hall.queue.presenters import ahead_of

        return ahead_of(session, ticket)
    return session.info["hall.figures"].waiting(hall.id, ticket.queue_id)


def _queue_print(session: Session, ticket: TicketRow, device: Any, ahead: int) -> dict[str, Any]:
    """Store the new ticket's print job in the issuing transaction: a committed ticket always
    has its job, and the issue costs one write instead of two."""
    job_id = sql.INSERT_JOB.run(
        session.connection(),
        {
            "ticket_id": ticket.id,
            "hall_id": ticket.hall_id,
            "device_id": device.id,
            "printer_url": device.printer_url,
            "status_url": status_url(ticket.token),
            "reprint": False,
            "state": PrintState.PENDING,
            "attempts": 0,
            "next_attempt_at": ticket.issued_at,
            "last_error": "",
            "created_at": ticket.issued_at,
            "requested_by": None,
            "ahead": ahead,
            "claimed_at": None,
            "finished_at": None,
        },
    ).scalar_one()
    return _new_job(job_id)


def _new_job(job_id: int) -> dict[str, Any]:
    """A print job just queued, as the answer to an issue shows it."""
    return {
        "job_id": job_id,
        "state": PrintState.PENDING,
        "attempts": 0,
        "reprint": False,
        "reason": None,
    }


def add_step(
    session: Session,
    ticket: Any,
    action: str,
    at: datetime,
    *,
    staff_id: int | None = None,
    window_id: int | None = None,
    detail: str = "",
) -> None:
    """Log one step of the ticket's life."""
    sql.INSERT_STEP.run(
        connection_of(session),
        {
            "ticket_id": ticket.id,
            "hall_id": ticket.hall_id,
            "action": action,
            "at": at,
            "staff_id": staff_id,
            "window_id": window_id,
            "queue_id": ticket.queue_id,
            "detail": detail[:200],
        },
    )


def staff_label(staff: Any) -> dict[str, str] | None:
    """How a staff member is shown on the window screen: name and staff number."""
    if staff is None:
        return None
    return {"name": staff.name, "staff_no": staff.staff_no}


# -- windows: the slow path (ORM, the models' state machines) ---------------------------------


def _held(session: Session, window_id: int, staff: Any) -> Window:
    window = lookup.window(session, window_id, lock=True)
    access.require(staff, Permission.WORK_WINDOW, hall=window.hall_id)
    if window.status == WindowStatus.CLOSED:
        raise Conflict("窗口未开启 / the window is not open", code="window_closed")
    if window.staff_id != staff.id:
        raise Forbidden("窗口由其他工作人员登录 / another staff member holds this window")
    return window


def _current(session: Session, window: Window, action: TicketAction) -> Ticket:
    ticket = session.get(Ticket, window.current_ticket_id) if window.current_ticket_id else None
    if ticket is None or ticket.status not in ACTIVE:
        raise Conflict("窗口当前没有票号 / the window has no current ticket", code="no_current")
    session.refresh(ticket, with_for_update=True)
    if not ticket.can(action):
        ticket._step(action)  # raises invalid_transition with the ticket's number and status
    return ticket


def _idle(session: Session, window: Window) -> None:
    ticket = session.get(Ticket, window.current_ticket_id) if window.current_ticket_id else None
    if ticket is not None and ticket.status in ACTIVE:
        raise Conflict(
            f"请先办结当前票号 {ticket.number} / finish ticket {ticket.number} first",
            code="window_busy",
        )


def _open_for_calls(session: Session, window_id: int, staff: Any) -> Window:
    window = _held(session, window_id, staff)
    if window.status != WindowStatus.OPEN:
        raise Conflict(
            "窗口暂停中,请先恢复 / the window is paused; resume first", code="window_paused"
        )
    _idle(session, window)
    return window


def _window_event(session: Session, window: Window, name: str, at: datetime) -> Event:
    hall = cache.of(session).hall_by_id(window.hall_id)
    return record(
        session,
        hall,
        name,
        {
            "window_id": window.id,
            "window": window.number,
            "window_name": window.name,
            "status": window.status,
            "reason": window.pause_reason,
            "staff": staff_label(window.staff),
            "at": clock.iso_local(at, hall.timezone),
        },
        {"windows": True},
    )


def _log_window(session: Session, window: Window, action: str, staff: Any, at, detail="") -> None:
    session.add(
        WindowStep(window_id=window.id, action=action, at=at, staff_id=staff.id, detail=detail)
    )
    audit.record(
        session,
        staff,
        f"window.{action}",
        f"window:{window.id} {window.number}",
        hall_id=window.hall_id,
        window_id=window.id,
        after={"status": str(window.status), "detail": detail} if detail else None,
        at=at,
    )


def _ticket_event(
    session: Session,
    ticket: Any,
    name: str,
    at: datetime,
    window: Any = None,
    effects: dict[str, Any] | None = None,
    seq: int | None = None,
    **extra: Any,
) -> Event:
    """A ticket event; its ``waiting`` count is filled in from the queue figures at commit.
    ``seq``: its number in the hall's sequence, when the caller's statement took it."""
    refs = cache.of(session)
    hall = refs.hall_by_id(ticket.hall_id)
    matter = refs.matter_by_id(hall.id, ticket.matter_id)
    effects = dict(effects or {})
    effects.setdefault("report", {})["waiting"] = ticket.queue_id
    payload = {
        "ticket_id": ticket.id,
        "number": ticket.number,
        "queue": refs.queue(hall.id, ticket.queue_id).code,
        "window": window.number if window else None,
        "window_name": window.name if window else None,
        "status": ticket.status,
        "calls": ticket.calls,
        "priority": ticket.priority,
        "matter_name": matter.name if matter else None,
        "queued_at": clock.iso_local(ticket.queued_at, hall.timezone),
        "waiting": None,
        "at": clock.iso_local(at, hall.timezone),
        **extra,
    }
    if seq is None:
        return record(session, hall, name, payload, effects)
    return make(session, hall, name, seq, payload, effects)


def open_window(
    session: Session, window_id: int, staff: Any, at: datetime | None = None
) -> tuple[Window, list[Event]]:
    """The staff member takes the window; opening one's own open window again changes nothing."""
    at = at or clock.now()
    window = lookup.window(session, window_id, lock=True)
    access.require(staff, Permission.WORK_WINDOW, hall=window.hall_id)
    access.require_window_role(staff, window.roles)
    if not window.active:
        raise Conflict("此窗口已停用 / this window was retired", code="window_retired")
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
    window.move(WindowAction.OPEN, at)
    window.staff_id = staff.id
    window.pause_reason = ""
    window.priority_streak = 0
    session.flush()
    session.expire(window, ["staff"])
    _log_window(session, window, "opened", staff, at)
    return window, [_window_event(session, window, "window.opened", at)]


# -- windows: the hot path (Core; four statements at most) ------------------------------------


def call_next(
    session: Session, window_id: int, staff: Any, at: datetime | None = None
) -> tuple[TicketRow | None, list[Event]]:
    """Give the open window its next ticket, or None when nobody waits."""
    at = at or clock.now()
    refs = cache.of(session)
    window = refs.window(window_id)
    hall = refs.hall_by_id(window.hall_id)
    access.require(staff, Permission.WORK_WINDOW, hall=hall.id)
    connection = connection_of(session)
    dialect = connection.dialect.name
    params = {"p_hall": hall.id, "p_at": at, "p_staff": staff.id}
    if dialect == "postgresql":
        return _call_at_once(session, window, hall, staff, params)
    claim = sql.claim(window.id, window.queue_ids, hall.priority_streak_max, dialect)
    row = claim.run(connection, params).first()
    if row is None:
        _open_for_calls(session, window_id, staff)  # raises when the window cannot call
        return None, []
    ticket = TicketRow(*row)
    taken = sql.take_window(ticket.priority is not None).run(
        connection, {"p_window": window.id, "p_staff": staff.id, "p_ticket": ticket.id}
    )
    if taken.rowcount != 1:
        # Rolled back with the claim: say exactly why the window cannot call.
        _open_for_calls(session, window_id, staff)
        raise Conflict("窗口状态已变化,请重试 / the window changed; try again", code="window_busy")
    add_step(session, ticket, "called", at, staff_id=staff.id, window_id=window.id)
    return ticket, [
        _ticket_event(
            session,
            ticket,
            "ticket.called",
            at,
            window,
            {"waiting": {ticket.queue_id: -1}},
            recall=False,
        )
    ]


def _call_at_once(
    session: Session, window: WindowRef, hall: HallRef, staff: Any, params: dict[str, Any]
) -> tuple[TicketRow | None, list[Event]]:
    """PostgreSQL: call-next in one statement (``statements.call_at_once``)."""
    params = {**params, "p_scope": events_scope(hall.id), "p_forever": FOREVER}
    shape = (window.id, window.queue_ids, hall.priority_streak_max)
    try:
        row = alone(session, sql.call_at_once(*shape, False), params).first()
        if row is None:
            # Every head the probes offered may be locked by windows calling at this moment.
            row = alone(session, sql.call_at_once(*shape, True), params).first()
    except Refused:
        # The window could not take the ticket it claimed, and the statement wrote nothing:
        # say exactly why the window cannot call.
        _open_for_calls(session, window.id, staff)
        raise Conflict(
            "窗口状态已变化,请重试 / the window changed; try again", code="window_busy"
        ) from None
    if row is None:
        _open_for_calls(session, window.id, staff)  # raises when the window cannot call
        return None, []
    *columns, seq, _taken = row
    ticket = TicketRow(*columns)
    effects = {"waiting": {ticket.queue_id: -1}}
    event = _ticket_event(
        session, ticket, "ticket.called", params["p_at"], window, effects, seq=seq, recall=False
    )
    return ticket, [event]


def _advance(
    session: Session,
    window_id: int,
    staff: Any,
    action: TicketAction,
    at: datetime,
) -> tuple[TicketRow, WindowRef, int | None]:
    """Move the window's current ticket by the state machine in one guarded UPDATE, log the
    step and, after a finish, free the window. On PostgreSQL all of it and the event's number
    are one statement (``statements.advance_at_once``): the number comes back, else None."""
    refs = cache.of(session)
    window = refs.window(window_id)
    hall = refs.hall_by_id(window.hall_id)
    access.require(staff, Permission.WORK_WINDOW, hall=hall.id)
    stamp, step = ADVANCES[action]
    frees = action == TicketAction.FINISH
    connection = connection_of(session)
    params = {"p_window": window.id, "p_staff": staff.id, "p_at": at}
    seq = None
    if connection.dialect.name == "postgresql":
        params.update(p_scope=events_scope(hall.id), p_forever=FOREVER)
        row = alone(session, sql.advance_at_once(action, stamp, step, frees), params).first()
        if row is not None:
            *row, seq = row
    else:
        row = sql.advance(action, stamp).run(connection, params).first()
    if row is None:
        window_row = _held(session, window_id, staff)
        _current(session, window_row, action)  # raises the precise refusal
        raise Conflict("窗口状态已变化,请重试 / the window changed; try again", code="window_busy")
    ticket = TicketRow(*row)
    if seq is None:
        if frees:
            sql.FREE_WINDOW.run(connection, {"p_window": window.id})
        add_step(session, ticket, step, at, staff_id=staff.id, window_id=window.id)
    return ticket, window, seq


# What start and finish stamp on the ticket, and the step they log.
ADVANCES = {
    TicketAction.START: ("started_at", "started"),
    TicketAction.FINISH: ("finished_at", "finished"),
}


def start(
    session: Session, window_id: int, staff: Any, at: datetime | None = None
) -> tuple[TicketRow, list[Event]]:
    """The resident arrived at the window: service starts."""
    at = at or clock.now()
    ticket, window, seq = _advance(session, window_id, staff, TicketAction.START, at)
    return ticket, [_ticket_event(session, ticket, "ticket.started", at, window, seq=seq)]


def finish(
    session: Session, window_id: int, staff: Any, at: datetime | None = None
) -> tuple[TicketRow, list[Event]]:
    """Service is done; the window is free to call again."""
    at = at or clock.now()
    ticket, window, seq = _advance(session, window_id, staff, TicketAction.FINISH, at)
    served = (at - ticket.started_at).total_seconds() if ticket.started_at else None
    effects = {"service": (ticket.queue_id, served)} if served is not None else {}
    event = _ticket_event(session, ticket, "ticket.finished", at, window, effects, seq=seq)
    return ticket, [event]


# -- the other window actions: the slow path ---------------------------------------------------


def call_ticket(
    session: Session,
    window_id: int,
    staff: Any,
    ticket_ref: int | str,
    at: datetime | None = None,
) -> tuple[Ticket, list[Event]]:
    """Call a chosen waiting ticket out of order."""
    at = at or clock.now()
    window = _open_for_calls(session, window_id, staff)
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
    ticket.call(window.id, staff.id, at)
    window.current_ticket_id = ticket.id
    window.priority_streak = window.priority_streak + 1 if ticket.priority else 0
    session.flush()
    add_step(session, ticket, "called", at, staff_id=staff.id, window_id=window.id)
    event = _ticket_event(
        session,
        ticket,
        "ticket.called",
        at,
        window,
        {"waiting": {ticket.queue_id: -1}},
        recall=False,
    )
    return ticket, [event]


def recall(
    session: Session, window_id: int, staff: Any, at: datetime | None = None
) -> tuple[Ticket, list[Event]]:
    """Call the current ticket again, up to the hall's maximum number of calls."""
    at = at or clock.now()
    window = _held(session, window_id, staff)
    ticket = _current(session, window, TicketAction.RECALL)
    hall = cache.of(session).hall_by_id(window.hall_id)
    if ticket.calls >= hall.max_calls:
        raise Conflict(
            f"已呼叫 {ticket.calls} 次,请标记过号 / called {ticket.calls} times already; "
            "mark it as a no-show",
            code="call_limit",
        )
    ticket.recall(at)
    add_step(session, ticket, "recalled", at, staff_id=staff.id, window_id=window.id)
    return ticket, [_ticket_event(session, ticket, "ticket.called", at, window, recall=True)]


def no_show(
    session: Session, window_id: int, staff: Any, at: datetime | None = None
) -> tuple[Ticket, list[Event]]:
    """The called resident did not come: the ticket leaves the window (it may be re-queued)."""
    at = at or clock.now()
    window = _held(session, window_id, staff)
    ticket = _current(session, window, TicketAction.NO_SHOW)
    ticket.miss(at)
    window.current_ticket_id = None
    add_step(session, ticket, "no_show", at, staff_id=staff.id, window_id=window.id)
    return ticket, [_ticket_event(session, ticket, "ticket.no_show", at, window)]


def requeue(
    session: Session, hall: Any, ticket_ref: int | str, staff: Any, at: datetime | None = None
) -> tuple[Ticket, list[Event]]:
    """A no-show resident who turns up within the grace goes back in line at the old place."""
    at = at or clock.now()
    ticket = lookup.ticket(session, ticket_ref, lock=True)
    if ticket.hall_id != hall.id:
        raise Conflict("不是本大厅的票号 / the ticket belongs to another hall", code="other_hall")
    access.require(staff, Permission.REQUEUE, hall=hall.id)
    if not ticket.can(TicketAction.REQUEUE):
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
    ticket.requeue()
    add_step(session, ticket, "requeued", at, staff_id=staff.id)
    event = _ticket_event(
        session, ticket, "ticket.requeued", at, None, {"waiting": {ticket.queue_id: +1}}
    )
    return ticket, [event]


def _own_waiting(session: Session, token: str, action: TicketAction) -> Ticket:
    """The resident's ticket, locked, if the state machine allows the action now (409 else)."""
    ticket = lookup.ticket(session, token, lock=True)
    if not ticket.can(action):
        raise Conflict(
            f"票号 {ticket.number} 已不在等候中 / ticket {ticket.number} is no longer waiting",
            code="not_waiting",
        )
    return ticket


def cancel(session: Session, token: str, at: datetime | None = None) -> tuple[Ticket, list[Event]]:
    """The resident gives up a waiting ticket from the status page; the place is freed."""
    at = at or clock.now()
    ticket = _own_waiting(session, token, TicketAction.CANCEL)
    ticket.cancel()
    add_step(session, ticket, "cancelled", at, detail="resident")
    event = _ticket_event(
        session, ticket, "ticket.cancelled", at, None, {"waiting": {ticket.queue_id: -1}}
    )
    return ticket, [event]


def defer(
    session: Session,
    token: str,
    *,
    places: int,
    most: int,
    late: bool = False,
    at: datetime | None = None,
) -> tuple[Ticket, list[Event]]:
    """The resident lets ``places`` people of the same line go first (让后), at most ``most``
    times a ticket; ``late`` ("I'll be late", once) also tells the counters.

    The line is the one the calling rules serve the ticket in: its queue (or the window it was
    sent to), priority tickets apart from normal ones. The new place lies between the
    ``places``-th ticket behind and the next one; with fewer behind, after the last.
    """
    at = at or clock.now()
    ticket = _own_waiting(session, token, TicketAction.DEFER)
    if ticket.defers >= most:
        raise Conflict(
            f"每张票最多让后 {most} 次 / a ticket can be moved back at most {most} times",
            code="defer_limit",
        )
    if late and ticket.late_at is not None:
        raise Conflict("已告知会晚到 / you already said you will be late", code="already_late")
    same_line = [
        Ticket.hall_id == ticket.hall_id,
        Ticket.status == TicketStatus.WAITING,
        Ticket.id != ticket.id,
        (Ticket.priority.is_(None) if ticket.priority is None else Ticket.priority.is_not(None)),
    ]
    if ticket.target_window_id is not None:
        same_line.append(Ticket.target_window_id == ticket.target_window_id)
    else:
        same_line += [Ticket.queue_id == ticket.queue_id, Ticket.target_window_id.is_(None)]
    behind = session.scalars(
        select(Ticket.queued_at)
        .where(
            *same_line,
            (Ticket.queued_at > ticket.queued_at)
            | ((Ticket.queued_at == ticket.queued_at) & (Ticket.id > ticket.id)),
        )
        .order_by(Ticket.queued_at, Ticket.id)
        .limit(places + 1)
    ).all()
    if not behind:
        raise Conflict(
            "您后面暂时没有人，无需让后 / nobody is behind you yet; there is no place to give",
            code="nobody_behind",
        )
    moved = min(places, len(behind))
    after = behind[moved - 1]
    # Between the last one passed and the next: a millisecond on, or half the gap when the
    # next one came sooner (clients sort by milliseconds; the database by microseconds).
    step = timedelta(milliseconds=1)
    if len(behind) > moved:
        step = max(min(step, (behind[moved] - after) / 2), timedelta(microseconds=1))
    ticket.defer(after + step, late_at=at if late else None)
    add_step(session, ticket, "late" if late else "deferred", at, detail=f"places {moved}")
    event = _ticket_event(
        session,
        ticket,
        "ticket.deferred",
        at,
        None,
        None,
        places=moved,
        late=late,
        defers_left=max(0, most - ticket.defers),
    )
    return ticket, [event]


def transfer(
    session: Session,
    window_id: int,
    staff: Any,
    *,
    queue: int | str | None = None,
    to_window: int | None = None,
    note: str = "",
    at: datetime | None = None,
) -> tuple[Ticket, list[Event]]:
    """Send the current ticket to another queue or window; it keeps its place by issue time.

    ``note`` is a short word for the receiving window ("材料已初审"), shown beside the number.
    """
    at = at or clock.now()
    if (queue is None) == (to_window is None):
        raise BadRequest("请指定目标队列或目标窗口之一 / give either a queue or a window")
    window = _held(session, window_id, staff)
    ticket = _current(session, window, TicketAction.TRANSFER)
    refs = cache.of(session)
    from_queue = refs.queue(window.hall_id, ticket.queue_id)
    target = None
    if queue is not None:
        target_queue = lookup.queue_in_hall(session, window.hall_id, queue)
        ticket.transfer(queue_id=target_queue.id, note=note)
        detail = f"queue {target_queue.code}"
    else:
        target = lookup.window(session, to_window)
        if target.hall_id != window.hall_id or target.id == window.id:
            raise Conflict("不能转到该窗口 / cannot transfer to that window", code="bad_target")
        if target.status == WindowStatus.CLOSED:
            raise Conflict(
                f"{target.name}未开启,不能转入 / {target.name} is closed; it takes no transfers",
                code="window_closed",
            )
        ticket.transfer(window_id=target.id, note=note)
        detail = f"window {target.number}"
    window.current_ticket_id = None
    session.flush()
    add_step(
        session, ticket, "transferred", at, staff_id=staff.id, window_id=window.id, detail=detail
    )
    event = _ticket_event(
        session,
        ticket,
        "ticket.transferred",
        at,
        None,
        {"waiting": {ticket.queue_id: +1}, "report": {"from_waiting": from_queue.id}},
        from_queue=from_queue.code,
        from_waiting=None,
        from_window=window.number,
        to_window=target.number if target else None,
        note=note,
    )
    return ticket, [event]


def pause(
    session: Session, window_id: int, staff: Any, reason: str, at: datetime | None = None
) -> tuple[Window, list[Event]]:
    """Pause an idle open window, with a reason residents may see."""
    at = at or clock.now()
    reason = (reason or "").strip()
    if not reason:
        raise BadRequest("请填写暂停原因 / give a reason for the pause", code="reason_required")
    window = _held(session, window_id, staff)
    if window.status == WindowStatus.PAUSED:
        raise Conflict("窗口已暂停 / the window is already paused", code="invalid_transition")
    _idle(session, window)
    window.move(WindowAction.PAUSE, at)
    window.pause_reason = reason[:200]
    _log_window(session, window, "paused", staff, at, reason[:200])
    return window, [_window_event(session, window, "window.paused", at)]


def resume(
    session: Session, window_id: int, staff: Any, at: datetime | None = None
) -> tuple[Window, list[Event]]:
    """Reopen a paused window."""
    at = at or clock.now()
    window = _held(session, window_id, staff)
    window.move(WindowAction.RESUME, at)
    window.pause_reason = ""
    _log_window(session, window, "resumed", staff, at)
    return window, [_window_event(session, window, "window.resumed", at)]


def close(
    session: Session, window_id: int, staff: Any, at: datetime | None = None
) -> tuple[Window, list[Event]]:
    """Close an idle window; the staff member leaves it."""
    at = at or clock.now()
    window = _held(session, window_id, staff)
    _idle(session, window)
    window.move(WindowAction.CLOSE, at)
    window.pause_reason = ""
    # Tickets transferred to this window and still waiting go back to their queue, keeping
    # their place (by issue time); the board hears it with the window's event.
    returned = session.execute(
        update(Ticket)
        .where(Ticket.target_window_id == window.id, Ticket.status == TicketStatus.WAITING)
        .values(target_window_id=None)
    ).rowcount
    _log_window(session, window, "closed", staff, at)
    event = _window_event(session, window, "window.closed", at)
    event.payload["returned"] = returned
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
        s,
        w,
        staff,
        queue=body.get("queue"),
        to_window=body.get("to_window") or body.get("window"),
        note=body.get("note") or "",
    ),
    "start": lambda s, w, staff, body: start(s, w, staff),
    "finish": lambda s, w, staff, body: finish(s, w, staff),
    "pause": lambda s, w, staff, body: pause(s, w, staff, body["reason"]),
    "resume": lambda s, w, staff, body: resume(s, w, staff),
    "close": lambda s, w, staff, body: close(s, w, staff),
}
