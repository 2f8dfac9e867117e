"""The queue over REST: halls, matters, tickets, windows and appointments."""

from datetime import date
from typing import Any

from flask import current_app, request
from sqlalchemy import select

from hall import access, cache, clock, limits
from hall.access import Permission
from hall.admin import services as admin_services
from hall.admin.api import authenticated, bearer, caller, holder, require
from hall.admin.models import Hall
from hall.api import bp
from hall.db import unit_of_work, write_unit
from hall.errors import BadRequest, Forbidden, NotFound, Unauthorized
from hall.events import publish
from hall.queue import appointments, lookup, presenters, search, services
from hall.queue.models import Matter
from hall.queue.presenters import announce_new_ticket, window_state
from hall.queue.schemas import (
    APPOINTMENT,
    BOOKING,
    HALL,
    MATTER,
    NEW_TICKET,
    QUEUE_SUMMARY,
    SLOTS,
    SNAPSHOT,
    TICKET,
    WINDOW_ACTIONS,
    WINDOW_STATE,
    WINDOW_SUMMARY,
    AppointmentIn,
    BookingIn,
    CheckInIn,
    DeferIn,
    NoticeIn,
    SlotsQuery,
    TicketIn,
)
from hall.queue.services import ACTIONS, availability
from hall.schemas import OBJ, answers, arr, as_id, obj
from hall.urls import base_url


def hall_dict(hall: Hall) -> dict[str, Any]:
    """A hall as clients see it."""
    return {
        "code": hall.code,
        "name": hall.name,
        "name_en": hall.name_en,
        "timezone": hall.timezone,
        "allow_phone_tickets": hall.allow_phone_tickets,
        "priority_classes": hall.priority_classes,
        "notice": hall.notice,
    }


def matter_dict(matter: Matter, queue: dict[str, Any], state) -> dict[str, Any]:
    """A matter with its guide and its queue's state."""
    return {
        "id": matter.id,
        "code": matter.code,
        "name": matter.name,
        "name_en": matter.name_en,
        "category": matter.category,
        "category_en": matter.category_en,
        "keywords": list(matter.keywords or []),
        # Lower-case names, keywords and their pinyin (full and initials) the kiosk searches.
        "search": search.terms(matter.name, tuple(matter.keywords or ())),
        "department": matter.department.name if matter.department else None,
        "queue": matter.queue.code,
        "queue_name": matter.queue.name,
        "queue_name_en": matter.queue.name_en,
        "waiting": queue["waiting"],
        "estimated_wait_s": queue["estimated_wait_s"],
        "on_the_spot": matter.on_the_spot,
        "kind": "on_the_spot" if matter.on_the_spot else "committed",
        "time_limit_days": matter.time_limit_days,
        "statutory_limit_days": matter.statutory_limit_days,
        "fee": matter.fee,
        "conditions": matter.conditions,
        "documents": matter.documents,
        "legal_basis": matter.legal_basis,
        "version": matter.version,
        "changed_on": matter.changed_on.isoformat() if matter.changed_on else None,
        **state.to_dict(),
    }


@bp.get("/halls")
@answers(obj(halls=arr(HALL)))
@bp.doc(summary="List the halls and service points")
def list_halls() -> dict:
    """Every hall of the deployment."""
    with unit_of_work(readonly=True) as session:
        halls = session.scalars(select(Hall).order_by(Hall.id)).all()
        return {"halls": [hall_dict(h) for h in halls]}


@bp.get("/halls/<code>")
@answers(obj(hall=HALL))
@bp.doc(summary="One hall")
def get_hall(code: str) -> dict:
    """One hall."""
    with unit_of_work(readonly=True) as session:
        return {"hall": hall_dict(lookup.hall_by_code(session, code))}


@bp.get("/halls/<code>/matters")
@answers(obj(matters=arr(MATTER)))
@bp.doc(summary="The hall's matters with guides, people waiting and ticketing state")
def list_matters(code: str) -> dict:
    """The catalogue of matters, as kiosks show it."""
    at = clock.now()
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code)
        queues = {q["code"]: q for q in presenters.queue_summaries(session, hall)}
        matters = session.scalars(
            select(Matter)
            .where(Matter.hall_id == hall.id, Matter.active.is_(True))
            .order_by(Matter.category, Matter.id)
        ).all()
        return {
            "matters": [
                matter_dict(m, queues[m.queue.code], availability(session, hall, m, at))
                for m in matters
            ]
        }


@bp.get("/halls/<code>/windows")
@answers(obj(windows=arr(WINDOW_SUMMARY)))
@bp.doc(summary="The hall's windows: status, queues, current number")
def list_windows(code: str) -> dict:
    """Every window of the hall."""
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code)
        return {"windows": presenters.window_summaries(session, hall)}


@bp.get("/halls/<code>/queues")
@answers(obj(queues=arr(QUEUE_SUMMARY)))
@bp.doc(summary="People waiting, longest wait and estimate per queue")
def list_queues(code: str) -> dict:
    """Every queue of the hall with its numbers."""
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code)
        return {"queues": presenters.queue_summaries(session, hall)}


@bp.get("/halls/<code>/snapshot")
@answers(SNAPSHOT)
@bp.doc(summary="The public state of the hall (what a display shows)")
def snapshot(code: str) -> dict:
    """The display snapshot: recent calls, windows, queues, notice and the event sequence."""
    with unit_of_work(readonly=True) as session:
        return presenters.hall_snapshot(session, lookup.hall_by_code(session, code))


@bp.get("/halls/<code>/waiting")
@authenticated
@answers(obj(waiting={"type": "object", "additionalProperties": arr(OBJ)}))
@bp.doc(summary="Waiting tickets per queue (staff)", security="BearerAuth")
def waiting(code: str) -> dict:
    """The waiting lists, for counters and managers."""
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code)
        require(session, Permission.VIEW_QUEUE, hall=hall.id)
        return {"waiting": presenters.waiting_lists(session, hall)}


@bp.put("/halls/<code>/notice")
@authenticated
@bp.input(NoticeIn, arg_name="body")
@answers(obj(hall=HALL))
@bp.doc(
    summary="Set the notice that scrolls on the hall's displays (manager)", security="BearerAuth"
)
def set_notice(code: str, body: dict) -> dict:
    """Replace the hall's notice; every display shows it at once."""
    with unit_of_work() as session:
        staff = access.require(caller(session), Permission.SET_NOTICE)
        hall = lookup.hall_by_code(session, code)
        events = admin_services.set_notice(session, hall, staff, body["notice"])
        answer = {"hall": hall_dict(hall)}
    publish(events)
    return answer


@bp.post("/halls/<code>/tickets")
@authenticated(optional=True)
@bp.input(TicketIn, arg_name="body")
@answers(NEW_TICKET, 201)
@bp.doc(
    summary="Take a ticket (kiosk token, staff token, or no token where the hall allows phones)",
    security="BearerAuth",
    responses={201: "the ticket", 409: "ticketing closed or the day's cap reached"},
)
def take_ticket(code: str, body: dict) -> tuple[dict, int]:
    """Issue a ticket for a matter of the hall."""
    return issue_ticket(code, body, bearer()), 201


def issue_ticket(code: str, body: dict, token: str | None) -> dict:
    """The route's work, shared with its hot route (hall/hot.py), which has the token from
    the WSGI environ and no request context, so never None (a phone's limit reads the
    request)."""
    with write_unit(alone=True) as session:
        hall = cache.of(session).hall(code)
        who = holder(session, token)
        device = None
        if access.is_device(who):
            device = access.require_device(who, "kiosk", hall=hall.id)
            source = "kiosk"
        elif access.is_staff(who):
            access.require(who, Permission.ISSUE_TICKET, hall=hall.id)
            source = "counter"
        elif hall.allow_phone_tickets:
            limits.check("phone-ticket", "PHONE_TICKET_LIMIT")
            source = "phone"
        else:
            raise Unauthorized("本大厅不支持手机取号 / this hall issues tickets at kiosks only")
        issued = services.issue(
            session, hall, body["matter"], priority=body["priority"], source=source, device=device
        )
    # Presenting runs after the commit, outside the writer lock.
    return announce_new_ticket(session, issued)


@bp.get("/tickets/<ref>")
@answers(obj(ticket=TICKET))
@bp.doc(
    summary="A ticket by its status token (anyone) or by id (staff of its hall, its hall's "
    "kiosks; the status link only to staff and the kiosk that issued it)",
)
def get_ticket(ref: str) -> dict:
    """The ticket's state, people ahead and estimated wait."""
    ref = ref[:60]
    with unit_of_work(readonly=True) as session:
        if as_id(ref) is None:  # the status token: the resident's own link
            ticket = lookup.ticket(session, ref)
            return {"ticket": presenters.ticket_json(session, ticket, private=False)}
        who = caller(session)
        if who is None:  # anonymous reads by number: nothing, not even whether it exists
            raise NotFound(f"票号不存在 / no such ticket: {ref}", code="ticket_not_found")
        ticket = lookup.ticket(session, ref)
        if access.is_device(who):
            if who.hall_id != ticket.hall_id:
                raise NotFound(f"票号不存在 / no such ticket: {ref}", code="ticket_not_found")
            private = who.kind == "kiosk" and ticket.device_id == who.id
        else:
            access.require(who, Permission.VIEW_QUEUE, hall=ticket.hall_id)
            private = True
        return {"ticket": presenters.ticket_json(session, ticket, private=private)}


def _status_token(ref: str) -> str:
    """The resident's actions go by the status token only: an id (guessable) is never one."""
    if as_id(ref) is not None or len(ref) > 60:
        raise NotFound(f"票号不存在 / no such ticket: {ref[:40]}", code="ticket_not_found")
    return ref


@bp.post("/tickets/<ref>/cancel")
@bp.doc(
    summary="The resident cancels a waiting ticket (status token in the path); its place is freed",
    responses={404: "no such ticket", 409: "the ticket is no longer waiting (not_waiting)"},
)
def cancel_ticket(ref: str) -> dict:
    """Give the place up."""
    with unit_of_work() as session:
        ticket, events = services.cancel(session, _status_token(ref))
        answer = {"ticket": presenters.ticket_json(session, ticket, private=False)}
    publish(events)
    return answer


@bp.post("/tickets/<ref>/defer")
@bp.input(DeferIn, arg_name="body")
@bp.doc(
    summary="The resident moves a waiting ticket back HALL_DEFER_PLACES places (status token in "
    'the path), at most HALL_DEFER_MAX times; late: true says "I\'ll be late" (once)',
    responses={
        404: "no such ticket",
        409: "not_waiting, defer_limit, already_late or nobody_behind",
    },
)
def defer_ticket(ref: str, body: dict) -> dict:
    """Let others of the same line go first."""
    config = current_app.config
    with unit_of_work() as session:
        ticket, events = services.defer(
            session,
            _status_token(ref),
            places=config["DEFER_PLACES"],
            most=config["DEFER_MAX"],
            late=body["late"],
        )
        answer = {"ticket": presenters.ticket_json(session, ticket, private=False)}
    publish(events)
    return answer


@bp.post("/tickets/<int:ticket_id>/requeue")
@authenticated
@answers(obj(ticket=TICKET))
@bp.doc(summary="Put a no-show back in line (within the hall's grace)", security="BearerAuth")
def requeue(ticket_id: int) -> dict:
    """A late resident returns: the ticket waits again at its old place."""
    with unit_of_work() as session:
        staff = access.require(caller(session), Permission.REQUEUE)
        ticket = lookup.ticket(session, ticket_id)
        hall = cache.of(session).hall_by_id(ticket.hall_id)
        ticket, events = services.requeue(session, hall, ticket_id, staff)
        answer = {"ticket": presenters.ticket_json(session, ticket)}
    publish(events)
    return answer


def act(window_id: int, action: str, body: dict[str, Any], token: str | None) -> dict[str, Any]:
    """A window action by the holder of ``token``; shared with the hot routes (hall/hot.py)."""
    with write_unit(alone=True) as session:
        staff = access.require(holder(session, token), Permission.WORK_WINDOW)
        result, events = ACTIONS[action](session, window_id, staff, body)
        window = cache.of(session).window(window_id)
        hot = isinstance(result, services.TicketRow)
        answer = None if hot else window_state(session, window, result)
    publish(events)
    # The hot path's answer is built after the commit, outside the writer lock, from what
    # its statements returned: no query.
    return window_state(session, window, result, staff) if hot else answer


@bp.get("/windows/<int:window_id>")
@answers(WINDOW_STATE)
@bp.doc(summary="A window's state and current ticket")
def get_window(window_id: int) -> dict:
    """One window."""
    with unit_of_work(readonly=True) as session:
        return window_state(session, cache.of(session).window(window_id), None)


def _register(action: str, schema, summary: str) -> None:
    def view(window_id: int, body: dict[str, Any] | None = None) -> dict:
        return act(window_id, action, body or {}, bearer())

    view.__name__ = f"window_{action.replace('-', '_')}"
    view.__doc__ = summary
    decorated = answers(WINDOW_STATE)(bp.doc(summary=summary, security="BearerAuth")(view))
    if schema is not None:
        decorated = bp.input(schema, arg_name="body")(decorated)
    decorated = authenticated(decorated)
    bp.post(f"/windows/<int:window_id>/{action}")(decorated)


for _action in WINDOW_ACTIONS:
    _register(_action.name, _action.schema, _action.summary)


@bp.post("/halls/<code>/appointments")
@authenticated
@bp.input(AppointmentIn, arg_name="body")
@answers(obj(appointment=APPOINTMENT), 201)
@bp.doc(summary="Book an appointment (staff); the answer holds the code", security="BearerAuth")
def book(code: str, body: dict) -> tuple[dict, int]:
    """Book a slot for a matter."""
    with unit_of_work() as session:
        staff = access.require(caller(session), Permission.BOOK_APPOINTMENT)
        hall = lookup.hall_by_code(session, code)
        appointment = appointments.book(session, hall, body["matter"], body["starts_at"], staff)
        return {"appointment": appointments.to_dict(appointment)}, 201


@bp.get("/halls/<code>/appointments")
@authenticated
@answers(obj(appointments=arr(APPOINTMENT)))
@bp.doc(summary="The hall's appointments of a day (staff; ?date=YYYY-MM-DD)", security="BearerAuth")
def day(code: str) -> dict:
    """Appointments of one local day, in time order."""
    try:
        wanted = date.fromisoformat(request.args["date"]) if "date" in request.args else None
    except ValueError:
        raise BadRequest("日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD") from None
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code)
        require(session, Permission.VIEW_QUEUE, hall=hall.id)
        wanted = wanted or clock.service_date(clock.now(), hall.timezone)
        return {
            "appointments": [
                appointments.to_dict(a) for a in appointments.of_day(session, hall, wanted)
            ]
        }


@bp.post("/halls/<code>/appointments/check-in")
@authenticated
@bp.input(CheckInIn, arg_name="body")
@answers(NEW_TICKET, 201)
@bp.doc(summary="Check in an appointment by code at a kiosk: a ticket", security="BearerAuth")
def check_in(code: str, body: dict) -> tuple[dict, int]:
    """Turn an appointment into a ticket (kiosk token of the hall)."""
    with unit_of_work() as session:
        hall = lookup.hall_by_code(session, code)
        who = caller(session)
        if not access.is_device(who):
            raise Forbidden("请在本大厅取号机签到 / check in at a kiosk of this hall")
        device = access.require_device(who, "kiosk", hall=hall.id)
        issued = appointments.check_in(session, hall, body["code"], device=device)
    return announce_new_ticket(session, issued), 201


# -- booking from the phone (no login; the resident keeps the secret link) ---------------------


def _booking_answer(appointment, token: str) -> dict[str, Any]:
    base = base_url()
    return appointments.booking_dict(
        appointment,
        {"url": f"{base}/b/{token}", "qr_url": f"{base}/b/{token}/qr.svg"},
    )


def _booking_token(token: str) -> str:
    # Secret links are secrets.token_urlsafe(32): 43 characters; nothing else names one.
    if not 16 <= len(token) <= 60 or not token.replace("-", "").replace("_", "").isalnum():
        raise NotFound("预约不存在 / no such booking", code="booking_not_found")
    return token


@bp.get("/halls/<code>/booking/slots")
@bp.input(SlotsQuery, location="query", arg_name="query")
@answers(SLOTS)
@bp.doc(
    summary="A matter's bookable slots on the coming working days, with the places left (anyone)",
    responses={403: "the hall takes no bookings by phone", 404: "no such hall or matter"},
)
def booking_slots(code: str, query: dict) -> dict:
    """Slots from tomorrow to the hall's booking window, working days only."""
    at = clock.now()
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code[:32])
        if not appointments.bookable(hall):
            raise Forbidden(
                "本大厅不支持手机预约 / this hall does not take bookings by phone",
                code="booking_closed",
            )
        matter = lookup.matter_in_hall(session, hall, query["matter"])
        days = appointments.booking_days(hall, at, cache.of(session).calendar())
        if query["date"] is not None:
            if query["date"] not in days:
                raise BadRequest(
                    "该日不可预约：须为明天起 "
                    f"{hall.booking_days} 天内的工作日 / that day cannot be booked: pick a "
                    f"working day from tomorrow to {hall.booking_days} days ahead",
                    code="not_bookable_day",
                )
            days = [query["date"]]
        capacity = appointments.slot_capacity(hall, matter)
        return {
            "hall": hall.code,
            "matter": matter.code,
            "matter_name": matter.name,
            "slot_min": int(appointments.slot_length(hall, matter).total_seconds() // 60),
            "capacity": capacity,
            "days": [
                {
                    "date": day.isoformat(),
                    "weekday": day.weekday(),
                    "slots": [
                        appointments.slot_dict(slot, hall.timezone)
                        for slot in appointments.slots(session, hall, matter, day)
                    ]
                    if capacity
                    else [],
                }
                for day in days
            ],
        }


@bp.post("/halls/<code>/bookings")
@bp.input(BookingIn, arg_name="body")
@answers(obj(booking=BOOKING), 201)
@bp.doc(
    summary="A resident books a slot from the phone (no login): the check-in code, its QR and "
    "the secret link to see or cancel the booking",
    responses={
        400: "bad input, a past time, today, beyond the window, a non-working day, no such slot",
        403: "the hall takes no bookings by phone",
        409: "slot_full, booking_limit (open bookings of the number) or not_bookable",
        429: "too many bookings from this address",
    },
)
def book_slot(code: str, body: dict) -> tuple[dict, int]:
    """Book one place of a slot."""
    config = current_app.config
    with unit_of_work() as session:
        hall = lookup.hall_by_code(session, code[:32])
        if appointments.bookable(hall):
            limits.check("phone-booking", "BOOKING_LIMIT")
        appointment, token = appointments.book_by_phone(
            session,
            hall,
            body["matter"],
            body["starts_at"],
            body["phone"],
            phone_required=config["BOOKING_PHONE_REQUIRED"],
        )
        answer = {"booking": _booking_answer(appointment, token)}
    return answer, 201


@bp.get("/bookings/<token>")
@answers(obj(booking=BOOKING))
@bp.doc(summary="A phone booking by the token of its secret link (the phone number masked)")
def get_booking(token: str) -> dict:
    """The booking's matter, time, code and state."""
    with unit_of_work(readonly=True) as session:
        appointment = appointments.by_token(session, _booking_token(token))
        return {"booking": _booking_answer(appointment, token)}


@bp.post("/bookings/<token>/cancel")
@answers(obj(booking=BOOKING))
@bp.doc(
    summary="The resident cancels a phone booking (secret link's token); its place is free again",
    responses={404: "no such booking", 409: "already checked in or cancelled (not_booked)"},
)
def cancel_booking(token: str) -> dict:
    """Give the slot up."""
    with unit_of_work() as session:
        appointment = appointments.cancel(session, _booking_token(token))
        answer = {"booking": _booking_answer(appointment, token)}
    return answer
