"""Socket handlers: validate, call one service, commit, publish, ack; a few lines each."""

import functools
from collections.abc import Callable
from typing import Any

from flask import session
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room
from marshmallow import ValidationError

from hall import printing
from hall.db import unit_of_work
from hall.errors import Forbidden, HallError, Unauthorized
from hall.events import publish
from hall.models import Device, Hall, Role, Staff
from hall.presenters import announce_new_ticket, new_ticket, ticket_json, window_state
from hall.printing import services as print_jobs
from hall.schemas import (
    WINDOW_ACTIONS,
    CheckInIn,
    NoticeIn,
    ReprintIn,
    TicketIn,
    TicketRef,
    WindowAction,
    WindowRef,
    describe,
)
from hall.services import appointments, auth, lookup, notices, snapshots, tickets
from hall.services.calling import ACTIONS, requeue


def acked(handler: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Turn a handler's result into an ack: {"ok": true, …} or {"error": {"code", "message"}}."""

    @functools.wraps(handler)
    def wrapper(self, data: Any = None) -> dict[str, Any]:
        try:
            if data is not None and not isinstance(data, dict):
                raise ValidationError("需要 JSON 对象 / expected an object")
            return {"ok": True, **handler(self, data or {})}
        except ValidationError as err:
            return {"error": {"code": "validation_error", "message": describe(err.messages)}}
        except HallError as err:
            return err.to_dict()

    return wrapper


def refuse(err: HallError) -> ConnectionRefusedError:
    """A connection refusal that carries the error body to the client.

    It must be python-socketio's ConnectionRefusedError: the builtin of the same name reaches
    the client only as "Connection refused by server". The client gets the message and, as
    its data, the error body {"code", "message"}.
    """
    return ConnectionRefusedError(err.message, err.to_dict()["error"])


def _auth_value(auth_data: Any, key: str) -> str | None:
    value = auth_data.get(key) if isinstance(auth_data, dict) else None
    return value[:200] if isinstance(value, str) and value else None


class HallNamespace(Namespace):
    """Joins the hall's room on connect and sends a snapshot first."""

    staff_view = False

    def identify(self, db, auth_data: Any) -> Hall:
        """Check the credentials and return the hall this connection follows."""
        raise NotImplementedError

    def on_connect(self, auth_data: Any = None) -> None:
        """Authorise, join the hall room, then send the snapshot."""
        try:
            with unit_of_work(readonly=True) as db:
                hall = self.identify(db, auth_data)
                session["hall_id"] = hall.id
                # Join before reading the snapshot: an event racing the read arrives twice at
                # worst, and clients drop events whose seq the snapshot already covers.
                join_room(f"hall:{hall.id}")
                snap = snapshots.hall_snapshot(db, hall, staff_view=self.staff_view)
        except HallError as err:
            raise refuse(err) from None
        emit("snapshot", snap)

    @acked
    def on_snapshot(self, data: dict) -> dict[str, Any]:
        """A client that noticed a gap in seq asks for the state again."""
        with unit_of_work(readonly=True) as db:
            hall = db.get(Hall, session["hall_id"])
            return {"snapshot": snapshots.hall_snapshot(db, hall, staff_view=self.staff_view)}


class DisplayNamespace(HallNamespace):
    """Public hall boards and window screens: read-only, no credentials, no personal data."""

    def identify(self, db, auth_data: Any) -> Hall:
        code = _auth_value(auth_data, "hall")
        if code is None:
            raise Unauthorized("请指定大厅 / give auth={'hall': code}", code="hall_required")
        return lookup.hall_by_code(db, code)


class StatusNamespace(HallNamespace):
    """A resident's phone following one ticket, known by its unguessable token."""

    def identify(self, db, auth_data: Any) -> Hall:
        token = _auth_value(auth_data, "ticket")
        if token is None or token.isdigit():
            raise Unauthorized("需要票号令牌 / give auth={'ticket': token}", code="ticket_required")
        ticket = lookup.ticket(db, token)
        session["ticket_token"] = token
        return ticket.hall

    def on_connect(self, auth_data: Any = None) -> None:
        """Join the hall room and send the ticket's state."""
        try:
            with unit_of_work(readonly=True) as db:
                hall = self.identify(db, auth_data)
                session["hall_id"] = hall.id
                join_room(f"hall:{hall.id}")
                data = ticket_json(db, lookup.ticket(db, session["ticket_token"]))
        except HallError as err:
            raise refuse(err) from None
        emit("ticket", {"seq": hall.event_seq, "ticket": data})

    @acked
    def on_snapshot(self, data: dict) -> dict[str, Any]:
        """The ticket's state now."""
        with unit_of_work(readonly=True) as db:
            ticket = lookup.ticket(db, session["ticket_token"])
            return {"seq": ticket.hall.event_seq, "ticket": ticket_json(db, ticket)}


class KioskNamespace(HallNamespace):
    """Kiosks: take tickets with the device's token."""

    def identify(self, db, auth_data: Any) -> Hall:
        token = _auth_value(auth_data, "token")
        device = auth.device_for_token(db, token) if token else None
        if device is None or device.kind != "kiosk":
            raise Unauthorized("设备令牌无效 / invalid kiosk token", code="bad_token")
        session["device_id"] = device.id
        return device.hall

    @acked
    def on_check_in(self, data: dict) -> dict[str, Any]:
        """Check in an appointment by its code: a ticket."""
        body = CheckInIn().load(data)
        with unit_of_work() as db:
            device = db.get(Device, session["device_id"])
            ticket, events = appointments.check_in(
                db, device.hall, body["code"], device_id=device.id
            )
            answer = new_ticket(db, ticket, device)
        announce_new_ticket(answer, events)
        return answer

    @acked
    def on_take_ticket(self, data: dict) -> dict[str, Any]:
        """Issue a ticket for a matter."""
        body = TicketIn().load(data)
        with unit_of_work() as db:
            device = db.get(Device, session["device_id"])
            ticket, events = tickets.issue(
                db,
                device.hall,
                body["matter"],
                priority=body["priority"],
                source="kiosk",
                device_id=device.id,
            )
            answer = new_ticket(db, ticket, device)
        announce_new_ticket(answer, events)
        return answer

    @acked
    def on_reprint_last(self, data: dict) -> dict[str, Any]:
        """Print the kiosk's last ticket again (within a few minutes of issuing it)."""
        with unit_of_work() as db:
            device = db.get(Device, session["device_id"])
            job = printing.reprint(db, device, print_jobs.last_ticket(db, device))
            answer = {"print": print_jobs.job_json(job)}
        printing.wake_worker()
        return answer


class StaffNamespace(HallNamespace):
    """Staff clients: a staff token, a role, and the staff view of the hall."""

    staff_view = True
    roles: tuple[str, ...] = ()

    def identify(self, db, auth_data: Any) -> Hall:
        token = _auth_value(auth_data, "token")
        staff = auth.staff_for_token(db, token) if token else None
        if staff is None:
            raise Unauthorized("请先登录 / please log in", code="bad_token")
        if staff.role not in self.roles:
            raise Forbidden("无权使用此客户端 / your role may not use this client")
        session["staff_id"] = staff.id
        code = _auth_value(auth_data, "hall")
        if code is not None:
            hall = lookup.hall_by_code(db, code)
            auth.require_staff_in_hall(staff, hall)
            return hall
        if staff.hall_id is None:
            raise Unauthorized("请指定大厅 / give auth={'hall': code}", code="hall_required")
        return db.get(Hall, staff.hall_id)


class CounterNamespace(StaffNamespace):
    """Counter staff: every window action, each acked with the window's state."""

    roles = (Role.WINDOW, Role.PICKUP, Role.MANAGER, Role.ADMIN)

    def _act(self, action: str, data: dict, schema=None) -> dict[str, Any]:
        window_id = WindowRef().load({"window": data.get("window")})["window"]
        rest = {k: v for k, v in data.items() if k != "window"}
        body = schema().load(rest) if schema else {}
        with unit_of_work() as db:
            staff = db.get(Staff, session["staff_id"])
            if staff is None or not staff.active:
                raise Unauthorized("账号已停用 / account disabled")
            result, events = ACTIONS[action](db, window_id, staff, body)
            answer = window_state(db, lookup.window(db, window_id), result)
        publish(events)
        return answer

    @acked
    def on_requeue(self, data: dict) -> dict[str, Any]:
        """Put a no-show back in line."""
        ref = TicketRef().load(data)["ticket"]
        with unit_of_work() as db:
            staff = db.get(Staff, session["staff_id"])
            hall = db.get(Hall, session["hall_id"])
            ticket, events = requeue(db, hall, ref, staff)
            answer = {"ticket": ticket_json(db, ticket)}
        publish(events)
        return answer

    @acked
    def on_reprint(self, data: dict) -> dict[str, Any]:
        """Print a waiting ticket again, on its kiosk's printer or a named device's."""
        body = ReprintIn().load({"device": data.get("device")})
        ref = TicketRef().load({"ticket": data.get("ticket")})["ticket"]
        with unit_of_work() as db:
            staff = db.get(Staff, session["staff_id"])
            job = printing.reprint(db, staff, lookup.ticket(db, ref), body["device"])
            answer = {"print": print_jobs.job_json(job)}
        printing.wake_worker()
        return answer


def _window_handler(action: WindowAction) -> Callable[..., dict[str, Any]]:
    def handler(self: CounterNamespace, data: dict) -> dict[str, Any]:
        return self._act(action.name, data, action.schema)

    handler.__name__ = f"on_{action.event}"
    handler.__doc__ = action.summary
    return acked(handler)


# One handler per window action, from the same table as the REST routes.
for _action in WINDOW_ACTIONS:
    setattr(CounterNamespace, f"on_{_action.event}", _window_handler(_action))


class BoardNamespace(StaffNamespace):
    """Managers' live board: watches the hall and sets its notice; window actions are /counter's."""

    roles = (Role.MANAGER, Role.ADMIN)

    @acked
    def on_set_notice(self, data: dict) -> dict[str, Any]:
        """Replace the notice that scrolls on the hall's displays."""
        body = NoticeIn().load(data)
        with unit_of_work() as db:
            staff = db.get(Staff, session["staff_id"])
            hall = db.get(Hall, session["hall_id"])
            events = notices.set_notice(db, hall, staff, body["notice"])
            answer = {"notice": hall.notice}
        publish(events)
        return answer
