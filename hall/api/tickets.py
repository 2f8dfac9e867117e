"""Taking tickets and reading their state."""

from flask import current_app

from hall.api import bp
from hall.api.identity import bearer, caller, require_staff
from hall.db import unit_of_work
from hall.errors import Forbidden, Unauthorized
from hall.events import publish
from hall.extensions import limiter
from hall.models import Device, Staff
from hall.presenters import announce_new_ticket, new_ticket
from hall.schemas import TicketIn
from hall.services import lookup, tickets
from hall.services.calling import requeue as requeue_ticket
from hall.urls import status_url


@bp.post("/halls/<code>/tickets")
@limiter.limit(
    lambda: current_app.config["PHONE_TICKET_LIMIT"], exempt_when=lambda: bearer() is not None
)
@bp.input(TicketIn, arg_name="body")
@bp.doc(
    summary="Take a ticket (kiosk token, staff token, or no token where the hall allows phones)",
    security="BearerAuth",
    responses={201: "the ticket", 409: "ticketing closed or the day's cap reached"},
)
def take_ticket(code: str, body: dict) -> tuple[dict, int]:
    """Issue a ticket for a matter of the hall."""
    with unit_of_work() as session:
        hall = lookup.hall_by_code(session, code)
        who = caller(session)
        if isinstance(who, Device):
            if who.kind != "kiosk" or who.hall_id != hall.id:
                raise Forbidden("此设备不能在本大厅取号 / this device may not issue tickets here")
            source, device_id = "kiosk", who.id
        elif isinstance(who, Staff):
            if who.hall_id not in (None, hall.id):
                raise Forbidden("不是本大厅的工作人员 / staff of another hall")
            source, device_id = "counter", None
        elif hall.allow_phone_tickets:
            source, device_id = "phone", None
        else:
            raise Unauthorized("本大厅不支持手机取号 / this hall issues tickets at kiosks only")
        ticket, events = tickets.issue(
            session,
            hall,
            body["matter"],
            priority=body["priority"],
            source=source,
            device_id=device_id,
        )
        answer = new_ticket(session, ticket, who if device_id else None)
    announce_new_ticket(answer, events)
    return answer, 201


@bp.get("/tickets/<ref>")
@bp.doc(summary="A ticket by id (staff, device) or by its status token (anyone)")
def get_ticket(ref: str) -> dict:
    """The ticket's state, people ahead and estimated wait."""
    with unit_of_work(readonly=True) as session:
        ticket = lookup.ticket(session, ref[:60])
        private = not ref.isdigit() or caller(session) is not None
        return {
            "ticket": tickets.to_dict(
                session, ticket, status_url=status_url(ticket.token), private=private
            )
        }


@bp.post("/tickets/<int:ticket_id>/requeue")
@bp.doc(summary="Put a no-show back in line (within the hall's grace)", security="BearerAuth")
def requeue(ticket_id: int) -> dict:
    """A late resident returns: the ticket waits again at its old place."""
    with unit_of_work() as session:
        staff = require_staff(session)
        ticket = lookup.ticket(session, ticket_id)
        ticket, events = requeue_ticket(session, ticket.hall, ticket_id, staff)
        data = tickets.to_dict(session, ticket, status_url=status_url(ticket.token))
    publish(events)
    return {"ticket": data}
