"""Socket.IO: the base of every namespace (auth, snapshot first, acks); rooms are scopes."""

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, session
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room
from marshmallow import ValidationError

from hall import access, cache
from hall.access import Permission
from hall.admin import services as auth
from hall.admin.models import Hall
from hall.db import unit_of_work
from hall.errors import HallError, Unauthorized
from hall.extensions import socketio
from hall.queue import lookup, presenters
from hall.schemas import describe


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


def auth_value(auth_data: Any, key: str) -> str | None:
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
                for room in self.rooms():
                    join_room(room)
                snap = self.snapshot(db, hall)
        except HallError as err:
            raise refuse(err) from None
        emit("snapshot", snap)

    def rooms(self) -> list[str]:
        """Rooms besides the hall's that this connection joins (e.g. its device's)."""
        return []

    @acked
    def on_snapshot(self, data: dict) -> dict[str, Any]:
        """A client that noticed a gap in seq asks for the state again."""
        with unit_of_work(readonly=True) as db:
            hall = db.get(Hall, session["hall_id"])
            return {"snapshot": self.snapshot(db, hall)}

    def snapshot(self, db, hall: Hall) -> dict[str, Any]:
        """What this kind of client gets first and after a gap."""
        return presenters.hall_snapshot(db, hall, staff_view=self.staff_view)


class StaffNamespace(HallNamespace):
    """Staff clients: a staff token, a permission of the access policy, the staff view."""

    staff_view = True
    permission: Permission

    def identify(self, db, auth_data: Any) -> Hall:
        token = auth_value(auth_data, "token")
        staff = cache.of(db).who(auth.token_hash(token)) if token else None
        if not access.is_staff(staff):
            raise Unauthorized("请先登录 / please log in", code="bad_token")
        access.require(staff, self.permission)
        session["staff_id"] = staff.id
        session["token_hash"] = auth.token_hash(token)
        code = auth_value(auth_data, "hall")
        if code is not None:
            hall = lookup.hall_by_code(db, code)
        elif staff.hall_id is None:
            raise Unauthorized("请指定大厅 / give auth={'hall': code}", code="hall_required")
        else:
            hall = db.get(Hall, staff.hall_id)
        access.require(staff, self.permission, hall=hall.id)
        return hall


def current_staff(db) -> Any:
    """The staff member of this connection, while their token is valid: checked on every
    message, so a logout, an expiry or a disabled account stops an open socket at once."""
    staff = cache.of(db).who(session.get("token_hash", ""))
    if not access.is_staff(staff):
        raise Unauthorized(
            "登录已失效,请重新登录 / your login has ended; log in again", code="bad_token"
        )
    return staff


def init_app(app: Flask) -> None:
    """Register every domain's namespaces."""
    from hall.queue.sockets import NAMESPACES

    for namespace in NAMESPACES:
        socketio.on_namespace(namespace)
