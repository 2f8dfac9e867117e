"""The hot path's statements, built once per shape and run on the session's connection.

Building a Core statement costs more than running it on SQLite (measured with cProfile on
an issue: ~0.3 ms to build an INSERT with ``.values()`` against ~0.1 ms to run it), and the
ORM's execute path adds its own work on top. So the hot path keeps one statement per shape,
with bound parameters, cached by what shapes it (a window's queue order, the priority rule's
limit), and runs it with ``session.connection().execute(statement, params)``.
"""

from functools import lru_cache

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, update

from hall.db import UTCDateTime
from hall.queue.models import (
    PrintJob,
    Ticket,
    TicketAction,
    TicketStatus,
    TicketStep,
    Window,
    WindowStatus,
    ticket_sources,
    ticket_target,
)

TICKETS = Ticket.__table__
STEPS = TicketStep.__table__
WINDOWS = Window.__table__
JOBS = PrintJob.__table__

# What the hot path's statements hand back of a ticket, enough to answer without reading it.
TICKET_COLUMNS = (
    TICKETS.c.id,
    TICKETS.c.hall_id,
    TICKETS.c.queue_id,
    TICKETS.c.matter_id,
    TICKETS.c.number,
    TICKETS.c.priority,
    TICKETS.c.source,
    TICKETS.c.status,
    TICKETS.c.token,
    TICKETS.c.issued_at,
    TICKETS.c.called_at,
    TICKETS.c.started_at,
    TICKETS.c.finished_at,
    TICKETS.c.calls,
    TICKETS.c.window_id,
    TICKETS.c.queued_at,
    TICKETS.c.transfer_note,
)

INSERT_TICKET = insert(TICKETS).returning(TICKETS.c.id)
INSERT_STEP = insert(STEPS)
INSERT_JOB = insert(JOBS).returning(JOBS.c.id)
FREE_WINDOW = (
    update(WINDOWS).where(WINDOWS.c.id == bindparam("p_window")).values(current_ticket_id=None)
)


@lru_cache(maxsize=4096)
def claim(window_id: int, queue_ids: tuple[int, ...], streak_max: int):
    """Call the next ticket for a window in one guarded UPDATE … RETURNING.

    The order: tickets transferred to this window, then the window's queues in its order;
    within that, the priority rule (priority first, but at most ``streak_max`` in a row, then
    a normal ticket); then arrival. PostgreSQL: windows calling at once skip each other's
    locked rows; SQLite: BEGIN IMMEDIATE already serialises writers.
    """
    c = TICKETS.c
    order = list(queue_ids)
    position = (
        case(*[(c.queue_id == qid, pos) for pos, qid in enumerate(order)], else_=len(order))
        if order
        else 0
    )
    streak = select(WINDOWS.c.priority_streak).where(WINDOWS.c.id == window_id).scalar_subquery()
    priority_first = case((c.priority.is_not(None), 0), else_=1)
    normal_first = case((c.priority.is_(None), 0), else_=1)
    fairness = case((streak < streak_max, priority_first), else_=normal_first)
    candidate = (
        select(c.id)
        .where(
            c.hall_id == bindparam("p_hall"),
            c.status == TicketStatus.WAITING,
            or_(
                c.target_window_id == window_id,
                and_(c.target_window_id.is_(None), c.queue_id.in_(order)),
            ),
        )
        .order_by(
            case((c.target_window_id == window_id, 0), else_=1),
            position,
            fairness,
            c.queued_at,
            c.id,
        )
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    at = bindparam("p_at", type_=UTCDateTime())
    return (
        update(TICKETS)
        .where(c.id == candidate, c.status.in_(ticket_sources(TicketAction.CALL)))
        .values(
            status=ticket_target(TicketAction.CALL),
            called_at=at,
            first_called_at=func.coalesce(c.first_called_at, at),
            calls=c.calls + 1,
            window_id=window_id,
            staff_id=bindparam("p_staff"),
            target_window_id=None,
        )
        .returning(*TICKET_COLUMNS)
    )


@lru_cache(maxsize=2)
def take_window(priority: bool):
    """The window takes its called ticket, if it is still open, held by the caller and idle."""
    w = WINDOWS.c
    return (
        update(WINDOWS)
        .where(
            w.id == bindparam("p_window"),
            w.status == WindowStatus.OPEN,
            w.staff_id == bindparam("p_staff"),
            w.current_ticket_id.is_(None),
        )
        .values(
            current_ticket_id=bindparam("p_ticket"),
            priority_streak=w.priority_streak + 1 if priority else 0,
        )
    )


@lru_cache(maxsize=8)
def advance(action: TicketAction, stamp: str):
    """Move a window's current ticket by the state machine, stamping ``stamp`` with the time."""
    w = WINDOWS.c
    current = (
        select(w.current_ticket_id)
        .where(
            w.id == bindparam("p_window"),
            w.staff_id == bindparam("p_staff"),
            w.status == WindowStatus.OPEN,
        )
        .scalar_subquery()
    )
    c = TICKETS.c
    return (
        update(TICKETS)
        .where(c.id == current, c.status.in_(ticket_sources(action)))
        .values({"status": ticket_target(action), stamp: bindparam("p_at", type_=UTCDateTime())})
        .returning(*TICKET_COLUMNS)
    )
