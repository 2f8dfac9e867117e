"""The /backoffice namespace: department staff follow their inbox in a department room."""

from typing import Any

from flask import session
from flask_socketio import Namespace, emit, join_room
from sqlalchemy import select

from hall import access, cache
from hall.access import Permission
from hall.admin import services as auth
from hall.admin.models import Department
from hall.cases import presenters
from hall.db import unit_of_work
from hall.errors import HallError, Unauthorized
from hall.sockets import acked, auth_value, current_staff, refuse


class BackofficeNamespace(Namespace):
    """Joins ``department:<id>`` (every department for managers and admins), inbox first."""

    def on_connect(self, auth_data: Any = None) -> None:
        """Check the staff token, join the department rooms, send the inbox."""
        try:
            with unit_of_work(readonly=True) as db:
                token = auth_value(auth_data, "token")
                staff = cache.of(db).who(auth.token_hash(token)) if token else None
                if not access.is_staff(staff):
                    raise Unauthorized("请先登录 / please log in", code="bad_token")
                access.require(staff, Permission.DECIDE_TASK)
                session["token_hash"] = auth.token_hash(token)
                ids = (
                    [staff.department_id]
                    if staff.department_id is not None
                    else list(db.scalars(select(Department.id)))
                )
                session["department_ids"] = ids
                for department_id in ids:
                    join_room(f"department:{department_id}")
                snapshot = self._inbox(db)
        except HallError as err:
            raise refuse(err) from None
        emit("snapshot", snapshot)

    @staticmethod
    def _inbox(db) -> dict[str, Any]:
        return {
            "departments": [
                {
                    "code": dept.code,
                    "name": dept.name,
                    "tasks": presenters.inbox(db, dept),
                }
                for dept in (db.get(Department, i) for i in session["department_ids"])
            ]
        }

    @acked
    def on_snapshot(self, data: dict) -> dict[str, Any]:
        """The inbox again (after a reconnect or an event)."""
        with unit_of_work(readonly=True) as db:
            current_staff(db)
            return {"snapshot": self._inbox(db)}


NAMESPACES = [BackofficeNamespace("/backoffice")]
