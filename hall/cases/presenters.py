"""What clients are answered about matters, cases and tasks; read only."""

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import cache, clock
from hall.admin.models import Department, Hall, Staff
from hall.cases import services
from hall.cases.models import (
    Case,
    CaseStatus,
    CaseStep,
    ClockStop,
    MatterGuide,
    Task,
    Visit,
    case_status_label,
)
from hall.queue.models import Matter, Queue, Ticket, Window, WindowQueue
from hall.urls import base_url


def case_url(token: str) -> str:
    """The resident's status page of a case (the receipt's QR code)."""
    return f"{base_url()}/c/{token}"


def notice_url(token: str) -> str:
    """The printable A4 notice of the case's intake outcome."""
    return f"{base_url()}/c/{token}/notice"


def matter_json(session: Session, matter: Matter) -> dict[str, Any]:
    """A matter with its catalogue fields and the current guide (线上线下同源)."""
    guides = session.execute(
        select(MatterGuide.version, MatterGuide.changed_on)
        .where(MatterGuide.matter_id == matter.id)
        .order_by(MatterGuide.version)
    ).all()
    return {
        "id": matter.id,
        "code": matter.code,
        "name": matter.name,
        "name_en": matter.name_en,
        "basic_code": matter.basic_code,
        "implementation_code": matter.implementation_code,
        "kind": "on_the_spot" if matter.on_the_spot else "committed",
        "time_limit_days": matter.time_limit_days,
        "statutory_limit_days": matter.statutory_limit_days,
        "partial_allowed": matter.partial_allowed,
        "result_pickup": matter.result_pickup,
        "departments": [
            {"code": d.code, "name": d.name, "name_en": d.name_en, "lead": lead}
            for d, lead in services.departments_of(session, matter)
        ],
        "documents": services.checklist(session, matter),
        "fee": matter.fee,
        "conditions": matter.conditions,
        "legal_basis": matter.legal_basis,
        "version": matter.version,
        "updated_at": matter.changed_on.isoformat() if matter.changed_on else None,
        "versions": [{"version": v, "changed_on": d.isoformat()} for v, d in guides],
    }


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def task_json(session: Session, task: Task, tz: str) -> dict[str, Any]:
    """A department's task."""
    claimed = session.get(Staff, task.claimed_by) if task.claimed_by else None
    return {
        "id": task.id,
        "case_id": task.case_id,
        "department": task.department.code,
        "department_name": task.department.name,
        "lead": task.lead,
        "status": str(task.status),
        "reason": task.reason,
        "claimed_by": claimed.name if claimed else None,
        "created_at": clock.iso_local(task.created_at, tz),
        "claimed_at": clock.iso_local(task.claimed_at, tz),
        "decided_at": clock.iso_local(task.decided_at, tz),
    }


def case_json(session: Session, case: Case, *, full: bool = False, at=None) -> dict[str, Any]:
    """A case as staff see it: the applicant masked, every step time, tasks and timeline."""
    hall = session.get(Hall, case.hall_id)
    tz = hall.timezone
    today = clock.service_date(at or clock.now(), tz)
    pickup = session.get(Ticket, case.pickup_ticket_id) if case.pickup_ticket_id else None
    visits = session.scalars(select(Visit).where(Visit.case_id == case.id).order_by(Visit.id)).all()
    answer: dict[str, Any] = {
        "id": case.id,
        "number": case.number,
        "status": str(case.status),
        "status_label": case_status_label(case.status),
        "hall": hall.code,
        "matter": {"id": case.matter.id, "code": case.matter.code, "name": case.matter.name},
        "kind": "on_the_spot" if case.on_the_spot else "committed",
        "guide_version": case.guide_version,
        "applicant": {
            "kind": case.applicant_kind,
            "name": case.applicant_name_masked,
            "id_number": case.applicant_id_masked,
            "phone": case.applicant_phone_masked,
        },
        "documents_received": case.documents_received,
        "missing_documents": case.missing,
        "deferred_documents": case.deferred,
        "delivery": case.delivery,
        "address": case.address_masked,
        "tracking_number": case.tracking_number,
        "deadline": _day(case.deadline),
        "statutory_deadline": _day(case.statutory_deadline),
        "warning": services.warning_level(
            case, today, hall.case_warning_days, cache.of(session).calendar()
        ),
        "clock": {
            "stopped": case.clock_stopped_at is not None,
            "reason": case.clock_stop,
            "since": clock.iso_local(case.clock_stopped_at, tz),
            "paused_days": case.paused_days,
            "suspended_days": case.suspended_days,
            "stopped_days": case.stopped_days,
            "extended_days": case.extended_days,
            "stops": clock_stops(session, case, tz),
        },
        "decision": case.decision,
        "reason": case.reason,
        "received_at": clock.iso_local(case.received_at, tz),
        "accepted_at": clock.iso_local(case.accepted_at, tz),
        "refused_at": clock.iso_local(case.refused_at, tz),
        "decided_at": clock.iso_local(case.decided_at, tz),
        "ready_at": clock.iso_local(case.ready_at, tz),
        "handed_over_at": clock.iso_local(case.handed_over_at, tz),
        "handed_to": case.handed_to_masked,
        "closed_at": clock.iso_local(case.closed_at, tz),
        "visits": case.visits_count,
        "one_trip": case.visits_count == 1,
        "pickup_ticket": pickup.number if pickup else None,
        "receipt_code": case.token,
        "status_url": case_url(case.token),
        "notice_url": notice_url(case.token),
    }
    if full:
        answer["tasks"] = [task_json(session, t, tz) for t in case.tasks]
        answer["visit_log"] = [
            {
                "purpose": v.purpose,
                "at": clock.iso_local(v.at, tz),
                "hall": session.get(Hall, v.hall_id).code,
                "ticket": session.get(Ticket, v.ticket_id).number if v.ticket_id else None,
            }
            for v in visits
        ]
        answer["timeline"] = timeline(session, case, tz)
    return answer


def clock_stops(session: Session, case: Case, tz: str) -> list[dict[str, Any]]:
    """Every stop of the case's clock: kind, reason, start, end and its working days."""
    stops = session.scalars(
        select(ClockStop).where(ClockStop.case_id == case.id).order_by(ClockStop.id)
    ).all()
    return [
        {
            "kind": stop.kind,
            "reason": stop.reason,
            "task_id": stop.task_id,
            "started_at": clock.iso_local(stop.started_at, tz),
            "ended_at": clock.iso_local(stop.ended_at, tz),
            "days": stop.days,
            "open": stop.ended_at is None,
        }
        for stop in stops
    ]


def pickup_windows(session: Session, hall_id: int) -> list[str]:
    """The numbers of the hall's windows that serve its pickup queue (统一出件窗口)."""
    return list(
        session.scalars(
            select(Window.number)
            .join(WindowQueue, WindowQueue.window_id == Window.id)
            .join(Queue, Queue.id == WindowQueue.queue_id)
            .where(Queue.hall_id == hall_id, Queue.kind == "pickup")
            .distinct()
            .order_by(Window.number)
        )
    )


def timeline(session: Session, case: Case, tz: str) -> list[dict[str, Any]]:
    """Who did what, when, and at which window or department."""
    steps = session.scalars(
        select(CaseStep).where(CaseStep.case_id == case.id).order_by(CaseStep.id)
    ).all()
    out = []
    for step in steps:
        staff = session.get(Staff, step.staff_id) if step.staff_id else None
        window = session.get(Window, step.window_id) if step.window_id else None
        dept = session.get(Department, step.department_id) if step.department_id else None
        out.append(
            {
                "action": step.action,
                "at": clock.iso_local(step.at, tz),
                "staff": staff.name if staff else None,
                "window": window.number if window else None,
                "department": dept.code if dept else None,
                "detail": step.detail,
            }
        )
    return out


def public_case(session: Session, case: Case) -> dict[str, Any]:
    """What the resident's status page shows: no name (not even masked), no ID, no phone;
    the postal address masked."""
    hall = session.get(Hall, case.hall_id)
    pickup = session.get(Ticket, case.pickup_ticket_id) if case.pickup_ticket_id else None
    return {
        "number": case.number,
        "status": str(case.status),
        "status_label": case_status_label(case.status),
        "hall": hall.code,
        "hall_name": hall.name,
        "hall_name_en": hall.name_en,
        "matter_name": case.matter.name,
        "matter_name_en": case.matter.name_en,
        "received_at": clock.iso_local(case.received_at, hall.timezone),
        "deadline": _day(case.deadline),
        "clock_stopped": case.clock_stopped_at is not None,
        "missing_documents": [{"name": m["name"], "reason": m["reason"]} for m in case.missing],
        "deferred_documents": [{"name": d["name"], "due": d["due"]} for d in case.deferred],
        "reason": case.reason if case.status == CaseStatus.REFUSED else "",
        "decision": case.decision,
        "ready": case.status == CaseStatus.READY,
        "delivery": case.delivery,
        "address": case.address_masked,
        "tracking_number": case.tracking_number,
        "pickup_windows": pickup_windows(session, hall.id) if case.delivery != "post" else [],
        "pickup_ticket": pickup.number if pickup else None,
        "handed_over_at": clock.iso_local(case.handed_over_at, hall.timezone),
    }


def inbox(
    session: Session, department: Department, *, include_done: bool = False, at=None
) -> list[dict[str, Any]]:
    """A department's tasks, soonest deadline first, with each case's warning."""
    query = (
        select(Task, Case)
        .join(Case, Case.id == Task.case_id)
        .where(Task.department_id == department.id)
    )
    if not include_done:
        query = query.where(Task.status.in_(services.OPEN_TASKS))
    rows = session.execute(query.order_by(Case.deadline, Task.id).limit(500)).all()
    out = []
    for task, case in rows:
        hall = session.get(Hall, case.hall_id)
        today = clock.service_date(at or clock.now(), hall.timezone)
        out.append(
            {
                **task_json(session, task, hall.timezone),
                "case": {
                    "id": case.id,
                    "number": case.number,
                    "status": str(case.status),
                    "hall": hall.code,
                    "hall_name": hall.name,
                    "matter": case.matter.code,
                    "matter_name": case.matter.name,
                    "applicant": case.applicant_name_masked,
                    "deadline": _day(case.deadline),
                    "warning": services.warning_level(
                        case, today, hall.case_warning_days, cache.of(session).calendar()
                    ),
                    "deferred_documents": case.deferred,
                    "clock_stopped": case.clock_stopped_at is not None,
                },
            }
        )
    return out


def warnings(session: Session, hall: Hall, at=None) -> list[dict[str, Any]]:
    """The hall's running cases with a yellow or red warning, most urgent first."""
    today = clock.service_date(at or clock.now(), hall.timezone)
    rows = session.scalars(
        select(Case)
        .where(Case.hall_id == hall.id, Case.status == CaseStatus.IN_REVIEW)
        .order_by(Case.deadline)
        .limit(1000)
    ).all()
    out = []
    for case in rows:
        level = services.warning_level(
            case, today, hall.case_warning_days, cache.of(session).calendar()
        )
        if level:
            out.append(
                {
                    "id": case.id,
                    "number": case.number,
                    "matter_name": case.matter.name,
                    "deadline": _day(case.deadline),
                    "warning": level,
                    "departments": [t.department.code for t in case.tasks],
                }
            )
    return out
