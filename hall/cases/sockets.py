"""The /backoffice namespace: department staff follow their inbox in a department room."""

from typing import Any

from flask import session
from flask_socketio import Namespace, emit, join_room
from sqlalchemy import select
from sqlalchemy import select as sql_select

from hall import access, cache
from hall.access import Permission
from hall.admin import services as auth
from hall.admin.models import Department
from hall.cases import presenters
from hall.cases.models import Case
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


class CaseStatusNamespace(Namespace):
    """A resident's phone following one case by its receipt code (``/c/<code>``): joins
    ``case:<id>``, gets the public view first, and again on each ``case.changed`` nudge.
    No name, ID number or phone ever goes out here."""

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Every message gets an answer: an unknown event is acked ``unknown_event``."""
        if event in ("connect", "disconnect") or hasattr(self, f"on_{event}"):
            return super().trigger_event(event, *args)
        return {
            "error": {
                "code": "unknown_event",
                "message": f"未知消息 / unknown event: {str(event)[:40]}",
            }
        }

    def on_connect(self, auth_data: Any = None) -> None:
        """Check the receipt code, join the case's room, send the case."""
        from hall.cases.pages import TOKEN

        try:
            with unit_of_work(readonly=True) as db:
                code = auth_value(auth_data, "case")
                case = (
                    db.scalar(sql_select(Case).where(Case.token == code))
                    if isinstance(code, str) and TOKEN.match(code)
                    else None
                )
                if case is None:
                    raise Unauthorized("办件不存在 / no such case", code="case_not_found")
                session["case_id"] = case.id
                join_room(f"case:{case.id}")
                snapshot = {"seq": 0, "case": presenters.public_case(db, case)}
        except HallError as err:
            raise refuse(err) from None
        emit("snapshot", snapshot)

    @acked
    def on_snapshot(self, data: dict) -> dict[str, Any]:
        """The case as it stands now."""
        with unit_of_work(readonly=True) as db:
            case = db.get(Case, session["case_id"])
            return {"snapshot": {"seq": 0, "case": presenters.public_case(db, case)}}


NAMESPACES = [BackofficeNamespace("/backoffice"), CaseStatusNamespace("/case")]
