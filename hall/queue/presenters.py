"""What clients see of the queue: tickets, windows and hall snapshots; presenters only read."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from hall import clock
from hall import printing as print_queue
from hall.admin.models import Device, Hall
from hall.db import UTCDateTime
from hall.events import Event, publish
from hall.queue import services
from hall.queue.models import Queue, Ticket, TicketStatus, TicketStep, Window, WindowQueue
from hall.queue.services import average_service_s, serving_windows, staff_label
from hall.urls import status_url


def ticket_json(session: Session, ticket: Ticket | None) -> dict[str, Any] | None:
    """A ticket for a staff or device client."""
    if ticket is None:
        return None
    return services.to_dict(session, ticket, status_url=status_url(ticket.token))


def window_state(session: Session, window: Window, result: Any) -> dict[str, Any]:
    """A window and the ticket an action touched (else its current one; None when idle)."""
    if isinstance(result, Ticket):
        ticket = result
    else:
        current = (
            session.get(Ticket, window.current_ticket_id) if window.current_ticket_id else None
        )
        active = (TicketStatus.CALLED, TicketStatus.SERVING)
        ticket = current if current is not None and current.status in active else None
    return {
        "window": {
            "id": window.id,
            "hall": window.hall.code,
            "number": window.number,
            "name": window.name,
            "status": window.status,
            "reason": window.pause_reason,
            "queues": [link.queue.code for link in window.links],
            "staff": staff_label(window.staff),
        },
        "ticket": ticket_json(session, ticket),
    }


def new_ticket(session: Session, ticket: Ticket, device: Device | None) -> dict[str, Any]:
    """The answer to a new ticket, with its print job stored in the same transaction."""
    job = print_queue.queue_for(session, ticket, device)
    return {"ticket": ticket_json(session, ticket), "print": job}


def announce_new_ticket(answer: dict[str, Any], events: list[Event]) -> None:
    """After the commit: publish the events and wake the printer worker if there is a job."""
    publish(events)
    if answer["print"] is not None:
        print_queue.wake_worker()


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
        windows = serving_windows(session, queue.id)
        result.append(
            {
                "code": queue.code,
                "name": queue.name,
                "name_en": queue.name_en,
                "kind": queue.kind,
                "waiting": count,
                "open_windows": windows,
                "longest_wait_s": _seconds_since(oldest, now),
                "estimated_wait_s": round(
                    count * average_service_s(session, hall, queue.id) / max(1, windows)
                ),
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
        .where(Window.hall_id == hall.id)
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
    data: dict[str, Any] = {
        "hall": hall.code,
        "name": hall.name,
        "name_en": hall.name_en,
        "seq": hall.event_seq,
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
