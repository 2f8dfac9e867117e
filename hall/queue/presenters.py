"""What clients see of the queue: tickets, windows and hall snapshots; presenters only read.

The answers of the hot path are built after the commit, outside the writer lock, from what
its statements returned, the reference cache and the queue figures, without a query.
"""

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from hall import cache, clock
from hall.admin.models import Device, Hall
from hall.db import UTCDateTime
from hall.events import current_seq, publish
from hall.queue import lookup
from hall.queue.models import (
    ACTIVE,
    Queue,
    Ticket,
    TicketStatus,
    TicketStep,
    Window,
    WindowQueue,
)
from hall.queue.services import Issued, TicketRow, availability, staff_label
from hall.urls import status_url


def halls(session: Session) -> list[Hall]:
    """Every hall of the deployment, in the order they were set up."""
    return list(session.scalars(select(Hall).order_by(Hall.id)))


def figures_of(session: Session):
    """The process's queue figures."""
    return session.info["hall.figures"]


def ticket_dict(
    ticket: Any,
    *,
    hall: Any,
    queue: Any,
    matter: Any,
    window: Any,
    ahead: int,
    estimated_wait_s: int,
    private: bool = True,
    note: bool = False,
) -> dict[str, Any]:
    """A ticket as clients see it: no personal data, ever (``note``: the staff's transfer note)."""
    data: dict[str, Any] = {
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status,
        "hall": hall.code,
        "queue": queue.code,
        "queue_name": queue.name,
        "queue_name_en": queue.name_en,
        "matter": matter.code if matter else None,
        "matter_name": matter.name if matter else None,
        "matter_name_en": matter.name_en if matter else None,
        "priority": ticket.priority if private else None,
        "source": ticket.source,
        "ahead": ahead,
        "estimated_wait_s": estimated_wait_s,
        "issued_at": clock.iso_local(ticket.issued_at, hall.timezone),
        "called_at": clock.iso_local(ticket.called_at, hall.timezone),
        "calls": ticket.calls,
        "window": window.number if window else None,
        "window_name": window.name if window else None,
        # The resident's own moves (status page), and a no-show's way back: until when the
        # counter can put it in line again, and whether it was (the grace, 过号保留).
        "defers": getattr(ticket, "defers", 0) or 0,
        "late": getattr(ticket, "late_at", None) is not None,
        **_grace(ticket, hall),
    }
    if private:
        data["status_url"] = status_url(ticket.token)
    if note:
        data["transfer_note"] = ticket.transfer_note or ""
    return data


def _grace(ticket: Any, hall: Any) -> dict[str, Any]:
    no_show_at = getattr(ticket, "no_show_at", None)
    if no_show_at is None:
        return {"requeued": False, "grace_until": None}
    until = no_show_at + timedelta(minutes=hall.no_show_grace_min)
    return {
        "requeued": ticket.status != TicketStatus.NO_SHOW,
        "grace_until": clock.iso_local(until, hall.timezone),
    }


def ahead_of(session: Session, ticket: Ticket) -> int:
    """The waiting tickets the hall's calling rules will call before this one.

    Calling (``hall/queue/statements.py: claim``) takes tickets transferred to a window first,
    then priority tickets before normal ones (at most ``priority_streak_max`` in a row), then
    by arrival. So a ticket sent to a window counts only those sent there before it; a
    priority ticket counts the priority tickets before it; a normal ticket counts the normal
    tickets before it and the priority tickets that fairness lets in before its turn.
    """
    if ticket.status != TicketStatus.WAITING:
        return 0
    earlier = or_(
        Ticket.queued_at < ticket.queued_at,
        and_(Ticket.queued_at == ticket.queued_at, Ticket.id < ticket.id),
    )
    waiting = (Ticket.hall_id == ticket.hall_id, Ticket.status == TicketStatus.WAITING)
    target = getattr(ticket, "target_window_id", None)  # a new ticket's row has none
    if target is not None:
        return session.scalar(
            select(func.count(Ticket.id)).where(
                *waiting, Ticket.target_window_id == target, earlier
            )
        )
    in_queue = (*waiting, Ticket.queue_id == ticket.queue_id, Ticket.target_window_id.is_(None))
    if ticket.priority is not None:
        return session.scalar(
            select(func.count(Ticket.id)).where(*in_queue, Ticket.priority.is_not(None), earlier)
        )
    normal, priority = session.execute(
        select(
            func.count(Ticket.id).filter(Ticket.priority.is_(None), earlier),
            func.count(Ticket.id).filter(Ticket.priority.is_not(None)),
        ).where(*in_queue)
    ).one()
    streak = cache.of(session).hall_by_id(ticket.hall_id).priority_streak_max
    return normal + min(priority, (normal + 1) * max(streak, 0))


def estimate_wait_s(session: Session, hall: Any, queue_id: int, ahead: int) -> int:
    """Seconds until a resident with this many ahead is called, from recent service times."""
    return figures_of(session).estimate_s(hall.id, queue_id, ahead, hall.default_service_s)


def ticket_json(
    session: Session, ticket: Ticket | None, *, private: bool = True, note: bool = False
) -> dict[str, Any] | None:
    """A stored ticket for a client, with the people ahead counted now."""
    if ticket is None:
        return None
    refs = cache.of(session)
    hall = refs.hall_by_id(ticket.hall_id)
    ahead = ahead_of(session, ticket)
    waiting = ticket.status == TicketStatus.WAITING
    return ticket_dict(
        ticket,
        hall=hall,
        queue=refs.queue(hall.id, ticket.queue_id),
        matter=refs.matter_by_id(hall.id, ticket.matter_id),
        window=ticket.window,
        ahead=ahead,
        estimated_wait_s=estimate_wait_s(session, hall, ticket.queue_id, ahead) if waiting else 0,
        private=private,
        note=note,
    )


def new_ticket(session: Session, issued: Issued) -> dict[str, Any]:
    """The answer to a new ticket, after the commit: people ahead from the queue figures."""
    ticket = issued.ticket
    refs = cache.of(session)
    hall = refs.hall_by_id(ticket.hall_id)
    # The ticket.issued event carries the queue's waiting count right after this ticket; a
    # priority ticket jumps the normal ones, so its count is read by the calling rules.
    ahead = max(0, issued.events[0].payload["waiting"] - 1)
    if ticket.priority is not None:
        from hall.db import unit_of_work

        with unit_of_work(readonly=True) as reader:
            ahead = ahead_of(reader, ticket)
    return {
        "ticket": ticket_dict(
            ticket,
            hall=hall,
            queue=refs.queue(hall.id, ticket.queue_id),
            matter=refs.matter_by_id(hall.id, ticket.matter_id),
            window=None,
            ahead=ahead,
            estimated_wait_s=ticket.estimated_wait_s
            if ticket.estimated_wait_s is not None
            else estimate_wait_s(session, hall, ticket.queue_id, ahead),
        ),
        "print": issued.job,
    }


def announce_new_ticket(session: Session, issued: Issued) -> dict[str, Any]:
    """After the commit: the answer, the events published, and the printer worker woken."""
    from hall import printing as print_queue

    answer = new_ticket(session, issued)
    publish(issued.events)
    if issued.job is not None:
        print_queue.wake_worker()
    return answer


def _window_dict(window: Any, hall: Any, refs: Any, status: str, reason: str, staff: Any):
    return {
        "id": window.id,
        "hall": hall.code,
        "number": window.number,
        "name": window.name,
        "status": status,
        "reason": reason,
        "queues": [refs.queue(hall.id, qid).code for qid in window.queue_ids],
        "staff": staff_label(staff),
    }


def window_state(session: Session, window: Any, result: Any, staff: Any = None) -> dict[str, Any]:
    """A window and the ticket an action touched (else its current one; None when idle).

    After the hot path (``result`` a TicketRow) nothing is read: the window is open and held
    by ``staff``. Otherwise the window row is read as it is now.
    """
    refs = cache.of(session)
    if isinstance(result, TicketRow):
        hall = refs.hall_by_id(window.hall_id)
        waiting = result.status == TicketStatus.WAITING
        ticket = ticket_dict(
            result,
            hall=hall,
            queue=refs.queue(hall.id, result.queue_id),
            matter=refs.matter_by_id(hall.id, result.matter_id),
            window=window if result.window_id == window.id else None,
            ahead=0,
            estimated_wait_s=0
            if not waiting
            else estimate_wait_s(session, hall, result.queue_id, 0),
            note=True,
        )
        return {"window": _window_dict(window, hall, refs, "open", "", staff), "ticket": ticket}
    row = session.get(Window, window.id) if not isinstance(window, Window) else window
    hall = refs.hall_by_id(row.hall_id)
    if isinstance(result, Ticket):
        ticket = result
    else:
        current = session.get(Ticket, row.current_ticket_id) if row.current_ticket_id else None
        ticket = current if current is not None and current.status in ACTIVE else None
    return {
        "window": _window_dict(
            refs.window(row.id), hall, refs, row.status, row.pause_reason, row.staff
        ),
        "ticket": ticket_json(session, ticket, note=True),
    }


RECENT_CALLS = 10
WAITING_LIST_LIMIT = 300


def recent_calls(session: Session, hall: Hall, limit: int = RECENT_CALLS) -> list[dict[str, Any]]:
    """The latest calls and recalls of the hall, newest first."""
    rows = session.execute(
        select(TicketStep, Ticket.number, Window.number, Window.name, Queue.code)
        .join(Ticket, Ticket.id == TicketStep.ticket_id)
        .join(Window, Window.id == TicketStep.window_id)
        .join(Queue, Queue.id == TicketStep.queue_id)
        .where(TicketStep.hall_id == hall.id, TicketStep.action.in_(("called", "recalled")))
        .order_by(TicketStep.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "number": number,
            "window": window_number,
            "window_name": window_name,
            "queue": queue_code,
            "recall": step.action == "recalled",
            "at": clock.iso_local(step.at, hall.timezone),
        }
        for step, number, window_number, window_name, queue_code in rows
    ]


def queue_summaries(session: Session, hall: Hall) -> list[dict[str, Any]]:
    """People waiting, the longest wait and the estimate for a newcomer, per queue."""
    now = clock.now()
    stats = dict(
        (qid, (count, oldest))
        for qid, count, oldest in session.execute(
            select(Ticket.queue_id, func.count(Ticket.id), func.min(Ticket.queued_at))
            .where(Ticket.hall_id == hall.id, Ticket.status == TicketStatus.WAITING)
            .group_by(Ticket.queue_id)
        ).all()
    )
    result = []
    for queue in hall.queues:
        count, oldest = stats.get(queue.id, (0, None))
        windows = figures_of(session).open_windows(hall.id, queue.id)
        result.append(
            {
                "code": queue.code,
                "name": queue.name,
                "name_en": queue.name_en,
                "kind": queue.kind,
                "waiting": count,
                "open_windows": windows,
                "longest_wait_s": _seconds_since(oldest, now),
                "estimated_wait_s": estimate_wait_s(session, hall, queue.id, count),
            }
        )
    return result


def _seconds_since(then, now) -> int:
    if then is None:
        return 0
    # Aggregates bypass the column type on SQLite: normalise like any stored time.
    then = UTCDateTime().process_result_value(then, None)
    return max(0, int((now - then).total_seconds()))


def window_summaries(session: Session, hall: Hall) -> list[dict[str, Any]]:
    """Each window: status, queues, its current ticket and who works it."""
    # One query for the windows with their queues, staff and current tickets, not one each.
    windows = session.scalars(
        select(Window)
        .where(Window.hall_id == hall.id, Window.active.is_(True))
        .order_by(Window.id)
        .options(
            selectinload(Window.links).joinedload(WindowQueue.queue),
            joinedload(Window.staff),
            joinedload(Window.current_ticket),
        )
    ).unique()
    result = []
    for window in windows:
        current = window.current_ticket
        active = current is not None and current.status in (
            TicketStatus.CALLED,
            TicketStatus.SERVING,
        )
        result.append(
            {
                "id": window.id,
                "number": window.number,
                "name": window.name,
                "name_en": window.name_en,
                "status": window.status,
                "reason": window.pause_reason,
                "queues": [link.queue.code for link in window.links],
                "current": current.number if active else None,
                "current_status": current.status if active else None,
                "staff": staff_label(window.staff),
            }
        )
    return result


def waiting_lists(session: Session, hall: Hall) -> dict[str, list[dict[str, Any]]]:
    """Waiting tickets per queue in line order (for counters and managers, not public screens)."""
    rows = session.scalars(
        select(Ticket)
        .where(
            Ticket.hall_id == hall.id,
            Ticket.status.in_((TicketStatus.WAITING, TicketStatus.NO_SHOW)),
        )
        .order_by(Ticket.queued_at, Ticket.id)
        .limit(WAITING_LIST_LIMIT * 4)
        # The queue and matter of every row in the same round trip, not one query per row.
        .options(joinedload(Ticket.queue), joinedload(Ticket.matter))
    ).all()
    today = clock.service_date(clock.now(), hall.timezone)
    lists: dict[str, list[dict[str, Any]]] = {q.code: [] for q in hall.queues}
    for ticket in rows:
        if ticket.status == TicketStatus.NO_SHOW and ticket.service_date != today:
            continue
        entries = lists.setdefault(ticket.queue.code, [])
        if len(entries) < WAITING_LIST_LIMIT:
            entries.append(
                {
                    "id": ticket.id,
                    "number": ticket.number,
                    "status": ticket.status,
                    "priority": ticket.priority,
                    "matter": ticket.matter.name if ticket.matter else None,
                    "target_window": ticket.target_window_id,
                    "note": ticket.transfer_note or "",
                    "late": ticket.late_at is not None,
                    "queued_at": clock.iso_local(ticket.queued_at, hall.timezone),
                }
            )
    return lists


def printer_faults(session: Session, hall: Hall) -> list[dict[str, Any]]:
    """Devices of the hall whose printer reported a fault it has not recovered from."""
    devices = session.scalars(
        select(Device)
        .where(Device.hall_id == hall.id, Device.printer_fault.is_not(None))
        .order_by(Device.id)
    )
    return [
        {
            "device_id": device.id,
            "device": device.name,
            "fault": device.printer_fault,
            "since": clock.iso_local(device.printer_fault_since, hall.timezone),
        }
        for device in devices
    ]


def hall_snapshot(session: Session, hall: Hall, *, staff_view: bool = False) -> dict[str, Any]:
    """The hall's state for a screen; staff views add the waiting lists."""
    # The sequence first: an event committed while the rest is read is seen twice at worst
    # (clients drop what the snapshot's seq covers), never missed.
    seq = current_seq(session, hall.id)
    data: dict[str, Any] = {
        "hall": hall.code,
        "name": hall.name,
        "name_en": hall.name_en,
        "seq": seq,
        "now": clock.iso_local(clock.now(), hall.timezone),
        "notice": hall.notice,
        "calls": recent_calls(session, hall),
        "windows": window_summaries(session, hall),
        "queues": queue_summaries(session, hall),
    }
    if staff_view:
        data["waiting"] = waiting_lists(session, hall)
        data["printer_faults"] = printer_faults(session, hall)
    return data


def phone_catalogue(session: Session, hall: Hall) -> list[dict[str, Any]]:
    """The matters a phone may take a ticket for, by category: waiting count, estimate, state.

    Pickup lines are left out: their tickets come with a case's result, not from a phone.
    """
    at = clock.now()
    queues = {q["code"]: q for q in queue_summaries(session, hall)}
    matters = lookup.active_matters(session, hall)
    categories: dict[str, dict[str, Any]] = {}
    for matter in matters:
        if matter.queue.kind == "pickup":
            continue
        queue = queues[matter.queue.code]
        category = categories.setdefault(
            matter.category,
            {"name": matter.category, "name_en": matter.category_en, "matters": []},
        )
        category["matters"].append(
            {
                "code": matter.code,
                "name": matter.name,
                "name_en": matter.name_en,
                "queue": matter.queue.code,
                "waiting": queue["waiting"],
                "estimated_wait_s": queue["estimated_wait_s"],
                **availability(session, hall, matter, at).to_dict(),
            }
        )
    return list(categories.values())
