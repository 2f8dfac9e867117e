"""Shapes of answers shared by REST views and socket handlers."""

from typing import Any

from sqlalchemy.orm import Session

from hall import printing as print_queue
from hall.events import Event, publish
from hall.models import Device, Ticket, TicketStatus, Window
from hall.services import tickets
from hall.services.calling import staff_label
from hall.urls import status_url


def ticket_json(session: Session, ticket: Ticket | None) -> dict[str, Any] | None:
    """A ticket for a staff or device client."""
    if ticket is None:
        return None
    return tickets.to_dict(session, ticket, status_url=status_url(ticket.token))


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
