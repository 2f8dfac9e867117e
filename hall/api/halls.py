"""Halls, their matters, windows, queues and snapshots."""

from typing import Any

from sqlalchemy import select

from hall import clock
from hall.api import bp
from hall.api.identity import require_staff
from hall.db import unit_of_work
from hall.events import publish
from hall.models import Hall, Matter
from hall.schemas import NoticeIn
from hall.services import auth, lookup, notices, snapshots
from hall.services.tickets import availability


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
        "department": matter.department.name if matter.department else None,
        "queue": matter.queue.code,
        "queue_name": matter.queue.name,
        "waiting": queue["waiting"],
        "estimated_wait_s": queue["estimated_wait_s"],
        "on_the_spot": matter.on_the_spot,
        "time_limit_days": matter.time_limit_days,
        "fee": matter.fee,
        "conditions": matter.conditions,
        "documents": matter.documents,
        "legal_basis": matter.legal_basis,
        "version": matter.version,
        "changed_on": matter.changed_on.isoformat() if matter.changed_on else None,
        **state.to_dict(),
    }


@bp.get("/halls")
@bp.doc(summary="List the halls and service points")
def list_halls() -> dict:
    """Every hall of the deployment."""
    with unit_of_work(readonly=True) as session:
        halls = session.scalars(select(Hall).order_by(Hall.id)).all()
        return {"halls": [hall_dict(h) for h in halls]}


@bp.get("/halls/<code>")
@bp.doc(summary="One hall")
def get_hall(code: str) -> dict:
    """One hall."""
    with unit_of_work(readonly=True) as session:
        return {"hall": hall_dict(lookup.hall_by_code(session, code))}


@bp.get("/halls/<code>/matters")
@bp.doc(summary="The hall's matters with guides, people waiting and ticketing state")
def list_matters(code: str) -> dict:
    """The catalogue of matters, as kiosks show it."""
    at = clock.now()
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code)
        queues = {q["code"]: q for q in snapshots.queue_summaries(session, hall)}
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
@bp.doc(summary="The hall's windows: status, queues, current number")
def list_windows(code: str) -> dict:
    """Every window of the hall."""
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code)
        return {"windows": snapshots.window_summaries(session, hall)}


@bp.get("/halls/<code>/queues")
@bp.doc(summary="People waiting, longest wait and estimate per queue")
def list_queues(code: str) -> dict:
    """Every queue of the hall with its numbers."""
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code)
        return {"queues": snapshots.queue_summaries(session, hall)}


@bp.get("/halls/<code>/snapshot")
@bp.doc(summary="The public state of the hall (what a display shows)")
def snapshot(code: str) -> dict:
    """The display snapshot: recent calls, windows, queues, notice and the event sequence."""
    with unit_of_work(readonly=True) as session:
        return snapshots.hall_snapshot(session, lookup.hall_by_code(session, code))


@bp.get("/halls/<code>/waiting")
@bp.doc(summary="Waiting tickets per queue (staff)", security="BearerAuth")
def waiting(code: str) -> dict:
    """The waiting lists, for counters and managers."""
    with unit_of_work(readonly=True) as session:
        staff = require_staff(session)
        hall = lookup.hall_by_code(session, code)
        auth.require_staff_in_hall(staff, hall)
        return {"waiting": snapshots.waiting_lists(session, hall)}


@bp.put("/halls/<code>/notice")
@bp.input(NoticeIn, arg_name="body")
@bp.doc(
    summary="Set the notice that scrolls on the hall's displays (manager)", security="BearerAuth"
)
def set_notice(code: str, body: dict) -> dict:
    """Replace the hall's notice; every display shows it at once."""
    with unit_of_work() as session:
        staff = require_staff(session)
        hall = lookup.hall_by_code(session, code)
        events = notices.set_notice(session, hall, staff, body["notice"])
        answer = {"hall": hall_dict(hall)}
    publish(events)
    return answer
