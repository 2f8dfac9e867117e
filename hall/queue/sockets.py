"""The queue's namespaces: displays, kiosks, counters, the board and the status page."""

from collections.abc import Callable
from typing import Any

from flask import current_app, session
from flask_socketio import emit, join_room

from hall import access, cache, printing
from hall.access import Permission
from hall.admin import services as admin_services
from hall.admin import services as auth
from hall.admin.models import Device, Hall, Staff
from hall.db import unit_of_work, write_unit
from hall.errors import Forbidden, HallError, Unauthorized
from hall.events import current_seq, publish
from hall.printing import services as print_jobs
from hall.queue import appointments, lookup, services
from hall.queue.presenters import announce_new_ticket, ticket_json, window_state
from hall.queue.schemas import (
    WINDOW_ACTIONS,
    CheckInIn,
    NoticeIn,
    ReprintIn,
    TicketIn,
    TicketRef,
    WindowAction,
    WindowRef,
)
from hall.queue.services import ACTIONS, requeue
from hall.schemas import as_id
from hall.sockets import (
    HallNamespace,
    StaffNamespace,
    acked,
    auth_value,
    current_staff,
    forget,
    refuse,
    track,
)

DISPLAY_TOKEN = "设备令牌无效 / invalid display token"


class DisplayNamespace(HallNamespace):
    """Public hall boards and window screens: read-only, no personal data.

    Two ways in, the same snapshot and events: ``auth={"hall": code}`` alone (the contract's
    anonymous display), or a paired display's own token, ``auth={"token", "hall"?}``. A token
    connection is the device's: it must name a live display of that hall, every message checks
    it, and revoking the device cuts the socket (``session_ended``) like a staff logout.
    """

    def identify(self, db, auth_data: Any) -> Hall:
        token = auth_value(auth_data, "token")
        code = auth_value(auth_data, "hall")
        if token is not None:
            device = cache.of(db).who(auth.token_hash(token))
            if not access.is_device(device) or device.kind != "display":
                raise Unauthorized(DISPLAY_TOKEN, code="bad_token")
            hall = db.get(Hall, device.hall_id)
            if code is not None and code != hall.code:
                raise Forbidden(
                    "此显示屏属于另一个大厅 / this display belongs to another hall",
                    code="other_hall",
                )
            session["device_id"] = device.id
            session["token_hash"] = auth.token_hash(token)
            return hall
        if code is None:
            raise Unauthorized("请指定大厅 / give auth={'hall': code}", code="hall_required")
        return lookup.hall_by_code(db, code)

    def rooms(self) -> list[str]:
        """A paired display also hears what is meant for its device alone."""
        return [f"device:{session['device_id']}"] if "device_id" in session else []

    def on_connect(self, auth_data: Any = None) -> None:
        super().on_connect(auth_data)
        if "token_hash" in session:
            track(self.namespace)

    def on_disconnect(self, *args: Any) -> None:
        forget(self.namespace)

    @acked
    def on_snapshot(self, data: dict) -> dict[str, Any]:
        """The hall's state again; a paired display's token must still be alive."""
        if "token_hash" in session and not access.is_device(
            current_app.extensions["hall.cache"].who(session["token_hash"])
        ):
            raise Unauthorized(DISPLAY_TOKEN, code="bad_token")
        return {"snapshot": self.shared_snapshot(session["hall_id"])}


class StatusNamespace(HallNamespace):
    """A resident's phone following one ticket, known by its unguessable token."""

    def identify(self, db, auth_data: Any) -> Hall:
        token = auth_value(auth_data, "ticket")
        if token is None or as_id(token) is not None:
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
                seq = current_seq(db, hall.id)
                # As REST answers a status-token read: no priority class, no status link.
                data = ticket_json(db, lookup.ticket(db, session["ticket_token"]), private=False)
        except HallError as err:
            raise refuse(err) from None
        emit("ticket", {"seq": seq, "ticket": data})

    @acked
    def on_snapshot(self, data: dict) -> dict[str, Any]:
        """The ticket's state now."""
        with unit_of_work(readonly=True) as db:
            seq = current_seq(db, session["hall_id"])
            ticket = lookup.ticket(db, session["ticket_token"])
            return {"seq": seq, "ticket": ticket_json(db, ticket, private=False)}


class KioskNamespace(HallNamespace):
    """Kiosks: take tickets with the device's token."""

    def identify(self, db, auth_data: Any) -> Hall:
        token = auth_value(auth_data, "token")
        device = cache.of(db).who(auth.token_hash(token)) if token else None
        if not access.is_device(device) or device.kind != "kiosk":
            raise Unauthorized("设备令牌无效 / invalid kiosk token", code="bad_token")
        session["device_id"] = device.id
        session["token_hash"] = auth.token_hash(token)
        return db.get(Hall, device.hall_id)

    def rooms(self) -> list[str]:
        """A kiosk hears of its own print jobs."""
        return [f"device:{session['device_id']}"]

    def on_connect(self, auth_data: Any = None) -> None:
        super().on_connect(auth_data)
        track(self.namespace)

    def on_disconnect(self, *args: Any) -> None:
        forget(self.namespace)

    def _device(self, db) -> Any:
        device = cache.of(db).who(session.get("token_hash", ""))
        if not access.is_device(device):
            raise Unauthorized("设备令牌无效 / invalid kiosk token", code="bad_token")
        return device

    @acked
    def on_check_in(self, data: dict) -> dict[str, Any]:
        """Check in an appointment by its code: a ticket."""
        body = CheckInIn().load(data)
        with unit_of_work() as db:
            device = self._device(db)
            hall = cache.of(db).hall_by_id(device.hall_id)
            issued = appointments.check_in(db, hall, body["code"], device=device)
        return announce_new_ticket(db, issued)

    @acked
    def on_take_ticket(self, data: dict) -> dict[str, Any]:
        """Issue a ticket for a matter."""
        body = TicketIn().load(data)
        with write_unit(alone=True) as db:
            device = self._device(db)
            hall = cache.of(db).hall_by_id(device.hall_id)
            issued = services.issue(
                db, hall, body["matter"], priority=body["priority"], source="kiosk", device=device
            )
        # Presenting runs after the commit, outside the writer lock.
        return announce_new_ticket(db, issued)

    @acked
    def on_reprint_last(self, data: dict) -> dict[str, Any]:
        """Print the kiosk's last ticket again (within a few minutes of issuing it)."""
        with unit_of_work() as db:
            self._device(db)
            device = db.get(Device, session["device_id"])
            job = printing.reprint(db, device, print_jobs.last_ticket(db, device))
            answer = {"print": print_jobs.job_json(job)}
        printing.wake_worker()
        return answer


class CounterNamespace(StaffNamespace):
    """Counter staff: every window action, each acked with the window's state."""

    permission = Permission.WORK_WINDOW

    def _act(self, action: str, data: dict, schema=None) -> dict[str, Any]:
        window_id = WindowRef().load({"window": data.get("window")})["window"]
        rest = {k: v for k, v in data.items() if k != "window"}
        body = schema().load(rest) if schema else {}
        with write_unit(alone=True) as db:
            staff = current_staff(db)
            result, events = ACTIONS[action](db, window_id, staff, body)
            window = cache.of(db).window(window_id)
            hot = isinstance(result, services.TicketRow)
            answer = None if hot else window_state(db, window, result)
        publish(events)
        # The hot path's answer is built after the commit, from what its statements returned.
        return window_state(db, window, result, staff) if hot else answer

    @acked
    def on_requeue(self, data: dict) -> dict[str, Any]:
        """Put a no-show back in line."""
        ref = TicketRef().load(data)["ticket"]
        with unit_of_work() as db:
            staff = current_staff(db)
            hall = cache.of(db).hall_by_id(session["hall_id"])
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
            current_staff(db)
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

    permission = Permission.WATCH_BOARD

    def snapshot(self, db, hall: Hall) -> dict[str, Any]:
        """The staff view plus the 差评 whose follow-up is not done and the hall's wait target."""
        from hall.stats.alerts import stranded
        from hall.stats.presenters import open_bad_ratings

        return {
            **super().snapshot(db, hall),
            "bad_ratings": open_bad_ratings(db, hall),
            "stranded": stranded(db, hall),
            "wait_target_s": hall.wait_target_min * 60,
        }

    @acked
    def on_set_notice(self, data: dict) -> dict[str, Any]:
        """Replace the notice that scrolls on the hall's displays."""
        body = NoticeIn().load(data)
        with unit_of_work() as db:
            staff = current_staff(db)
            hall = db.get(Hall, session["hall_id"])
            events = admin_services.set_notice(db, hall, staff, body["notice"])
            answer = {"notice": hall.notice}
        publish(events)
        return answer


NAMESPACES = (
    DisplayNamespace("/display"),
    KioskNamespace("/kiosk"),
    CounterNamespace("/counter"),
    BoardNamespace("/board"),
    StatusNamespace("/status"),
)
