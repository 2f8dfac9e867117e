"""Appointments: staff book slots; kiosks check them in by code."""

from datetime import date

from flask import request

from hall import clock
from hall.api import bp
from hall.api.identity import caller, require_staff
from hall.db import unit_of_work
from hall.errors import BadRequest, Forbidden
from hall.models import Device
from hall.presenters import announce_new_ticket, new_ticket
from hall.schemas import AppointmentIn, CheckInIn
from hall.services import appointments, lookup


@bp.post("/halls/<code>/appointments")
@bp.input(AppointmentIn, arg_name="body")
@bp.doc(summary="Book an appointment (staff); the answer holds the code", security="BearerAuth")
def book(code: str, body: dict) -> tuple[dict, int]:
    """Book a slot for a matter."""
    with unit_of_work() as session:
        staff = require_staff(session)
        hall = lookup.hall_by_code(session, code)
        appointment = appointments.book(session, hall, body["matter"], body["starts_at"], staff)
        return {"appointment": appointments.to_dict(appointment)}, 201


@bp.get("/halls/<code>/appointments")
@bp.doc(summary="The hall's appointments of a day (staff; ?date=YYYY-MM-DD)", security="BearerAuth")
def day(code: str) -> dict:
    """Appointments of one local day, in time order."""
    try:
        wanted = date.fromisoformat(request.args["date"]) if "date" in request.args else None
    except ValueError:
        raise BadRequest("日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD") from None
    with unit_of_work(readonly=True) as session:
        staff = require_staff(session)
        hall = lookup.hall_by_code(session, code)
        if staff.hall_id not in (None, hall.id):
            raise Forbidden("不是本大厅的工作人员 / staff of another hall")
        wanted = wanted or clock.service_date(clock.now(), hall.timezone)
        return {
            "appointments": [
                appointments.to_dict(a) for a in appointments.of_day(session, hall, wanted)
            ]
        }


@bp.post("/halls/<code>/appointments/check-in")
@bp.input(CheckInIn, arg_name="body")
@bp.doc(summary="Check in an appointment by code at a kiosk: a ticket", security="BearerAuth")
def check_in(code: str, body: dict) -> tuple[dict, int]:
    """Turn an appointment into a ticket (kiosk token of the hall)."""
    with unit_of_work() as session:
        hall = lookup.hall_by_code(session, code)
        device = caller(session)
        if not isinstance(device, Device) or device.kind != "kiosk" or device.hall_id != hall.id:
            raise Forbidden("请在本大厅取号机签到 / check in at a kiosk of this hall")
        ticket, events = appointments.check_in(session, hall, body["code"], device_id=device.id)
        answer = new_ticket(session, ticket, device)
    announce_new_ticket(answer, events)
    return answer, 201
