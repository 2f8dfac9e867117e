"""The rules of one-window intake (行政许可法 §32, §42, §45): intake, tasks, clock, pickup.

Each operation takes a session and plain values, checks its rules, changes the rows, logs
who did what in the case's timeline and returns the case (or task) with the events it
caused. Working days come only from ``hall/calendar.py``.
"""

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import access, audit, cache, clock
from hall.access import Permission
from hall.admin.models import Department, Hall, Role
from hall.calendar import Calendar
from hall.cases import privacy
from hall.cases.models import (
    TASK_DONE,
    Case,
    CaseAction,
    CaseStatus,
    CaseStep,
    ClockStop,
    MatterDepartment,
    MatterGuide,
    Task,
    TaskAction,
    TaskStatus,
    Visit,
)
from hall.errors import BadRequest, Conflict, Forbidden, NotFound
from hall.events import Event, bump, notify
from hall.queue import lookup
from hall.queue import services as queue_services
from hall.queue.models import ACTIVE, Matter, Queue, Ticket, Window

# 行政许可法 §42: 20 working days, +10 with approval; joint handling 45, +15.
EXTENSION_MAX_DAYS = 10
JOINT_EXTENSION_MAX_DAYS = 15
# 容缺受理: the missing item is due at least this many working days before the deadline.
DEFERRED_LEAD_DAYS = 2
SUSPENSION_KINDS = ("hearing", "inspection", "expert_review", "other")
OPEN_TASKS = (TaskStatus.PENDING, TaskStatus.CLAIMED, TaskStatus.SUSPENDED, TaskStatus.RETURNED)


# -- the catalogue ----------------------------------------------------------------------------


def checklist(session: Session, matter: Matter) -> list[dict[str, Any]]:
    """The current guide's document checklist (from the plain list where no guide exists)."""
    guide = current_guide(session, matter)
    if guide is not None:
        return list(guide.documents)
    return [
        {"id": n, "name": name, "required": True, "core": True, "original": True, "copies": 1}
        for n, name in enumerate(matter.documents or [], start=1)
    ]


def current_guide(session: Session, matter: Matter) -> MatterGuide | None:
    """The guide version the matter shows now."""
    return session.scalar(
        select(MatterGuide).where(
            MatterGuide.matter_id == matter.id, MatterGuide.version == matter.version
        )
    )


def departments_of(session: Session, matter: Matter) -> list[tuple[Department, bool]]:
    """The deciding departments, lead first: (department, lead)."""
    rows = session.execute(
        select(Department, MatterDepartment.lead)
        .join(MatterDepartment, MatterDepartment.department_id == Department.id)
        .where(MatterDepartment.matter_id == matter.id)
        .order_by(MatterDepartment.lead.desc(), Department.id)
    ).all()
    if rows:
        return [(dept, lead) for dept, lead in rows]
    if matter.department_id is not None:
        return [(session.get(Department, matter.department_id), True)]
    return []


def revise_guide(
    session: Session, matter: Matter, changes: dict[str, Any], at: datetime | None = None
) -> MatterGuide:
    """A new version of the matter's guide; the old one is kept with its date."""
    at = at or clock.now()
    old = current_guide(session, matter)
    base = {
        "on_the_spot": matter.on_the_spot,
        "time_limit_days": matter.time_limit_days,
        "statutory_limit_days": matter.statutory_limit_days,
        "fee": matter.fee,
        "conditions": matter.conditions,
        "legal_basis": matter.legal_basis,
        "documents": checklist(session, matter) if old is None else list(old.documents),
    }
    base.update({k: v for k, v in changes.items() if v is not None})
    if base["statutory_limit_days"] and base["time_limit_days"] > base["statutory_limit_days"]:
        raise BadRequest(
            "承诺时限不能长于法定时限 / the promised limit may not exceed the statutory one",
            code="bad_time_limit",
        )
    used = {item["id"] for item in base["documents"] if item.get("id") is not None}
    next_id = max([*used, *(d["id"] for d in (old.documents if old else []))], default=0) + 1
    for item in base["documents"]:
        if item.get("id") is None:
            item["id"] = next_id
            next_id += 1
    if old is None and matter.version >= 1:
        # Keep the version the matter showed before its first structured guide.
        session.add(_guide_row(matter, matter.version, matter.changed_on or at.date(), at))
    matter.version += 1
    matter.changed_on = clock.service_date(at, "Asia/Shanghai")
    for key, value in base.items():
        if key != "documents":
            setattr(matter, key, value)
    matter.documents = [item["name"] for item in base["documents"]]
    guide = MatterGuide(
        matter_id=matter.id,
        version=matter.version,
        changed_on=matter.changed_on,
        created_at=at,
        **base,
    )
    session.add(guide)
    session.flush()
    cache.changed(session)
    return guide


def _guide_row(matter: Matter, version: int, changed_on: date, at: datetime) -> MatterGuide:
    return MatterGuide(
        matter_id=matter.id,
        version=version,
        changed_on=changed_on,
        created_at=at,
        on_the_spot=matter.on_the_spot,
        time_limit_days=matter.time_limit_days,
        statutory_limit_days=matter.statutory_limit_days,
        fee=matter.fee,
        conditions=matter.conditions,
        legal_basis=matter.legal_basis,
        documents=[
            {"id": n, "name": name, "required": True, "core": True, "original": True, "copies": 1}
            for n, name in enumerate(matter.documents or [], start=1)
        ],
    )


# -- helpers ----------------------------------------------------------------------------------


def get_case(session: Session, ref: int | str, *, lock: bool = False) -> Case:
    """A case by id, number or receipt code (404 ``case_not_found``)."""
    query = select(Case)
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit() and len(ref) < 10):
        query = query.where(Case.id == int(ref))
    else:
        text = str(ref)[:60]
        query = query.where((Case.number == text) | (Case.token == text))
    if lock:
        query = query.with_for_update()
    case = session.scalar(query)
    if case is None:
        raise NotFound(f"办件不存在 / no such case: {str(ref)[:40]}", code="case_not_found")
    return case


def get_task(session: Session, task_id: int) -> Task:
    """A task by id (404 ``task_not_found``), locked for the change."""
    task = session.scalar(select(Task).where(Task.id == task_id).with_for_update())
    if task is None:
        raise NotFound(f"任务不存在 / no such task: {task_id}", code="task_not_found")
    return task


def department_by_code(session: Session, code: str) -> Department:
    """A department by code (404 ``department_not_found``)."""
    dept = session.scalar(select(Department).where(Department.code == code[:32]))
    if dept is None:
        raise NotFound(f"部门不存在 / no such department: {code[:32]}", code="department_not_found")
    return dept


def may_see(session: Session, staff: Any, case: Case) -> None:
    """Staff of the case's hall see it; department staff see cases their department decides."""
    access.require(staff, Permission.VIEW_CASES)
    if staff.department_id is not None and staff.hall_id is None:
        departments = {t.department_id for t in case.tasks}
        access.require(
            staff,
            Permission.VIEW_CASES,
            department=staff.department_id if staff.department_id in departments else -1,
        )
        return
    access.require(staff, Permission.VIEW_CASES, hall=case.hall_id)


def serving(session: Session, staff: Any, ticket_ref: int | str) -> tuple[Ticket, Window]:
    """The ticket, if the staff member is serving it at a window they hold now."""
    ticket = lookup.ticket(session, ticket_ref)
    window = session.scalar(select(Window).where(Window.current_ticket_id == ticket.id))
    if window is None or window.staff_id != staff.id or ticket.status not in ACTIVE:
        raise Conflict(
            f"您当前没有在办理票号 {ticket.number} / you are not serving ticket {ticket.number}",
            code="not_serving_ticket",
        )
    return ticket, window


def log(
    session: Session,
    case: Case,
    action: str,
    at: datetime,
    *,
    staff: Any = None,
    window_id: int | None = None,
    task: Task | None = None,
    detail: str = "",
    before: str | None = None,
) -> None:
    """One line of the case's timeline; a staff member's step also goes to the audit trail."""
    if staff is not None:
        after: dict[str, Any] = {"status": str(case.status)}
        if task is not None:
            after.update(task=task.id, task_status=str(task.status))
        if detail:
            after["detail"] = detail[:200]
        audit.record(
            session,
            staff,
            f"case.{action}",
            f"case:{case.id} {case.number}",
            hall_id=case.hall_id,
            window_id=window_id,
            before={"status": before} if before else None,
            after=after,
            at=at,
        )
    session.add(
        CaseStep(
            case_id=case.id,
            action=action,
            at=at,
            staff_id=staff.id if staff is not None else None,
            hall_id=case.hall_id,
            window_id=window_id,
            department_id=task.department_id if task is not None else None,
            task_id=task.id if task is not None else None,
            detail=detail[:500],
        )
    )


def visit(
    session: Session, case: Case, purpose: str, at: datetime, ticket: Ticket | None, window, staff
) -> None:
    """Record one time the applicant came for the case."""
    session.add(
        Visit(
            case_id=case.id,
            hall_id=ticket.hall_id if ticket is not None else case.hall_id,
            ticket_id=ticket.id if ticket is not None else None,
            window_id=window.id if window is not None else None,
            staff_id=staff.id if staff is not None else None,
            purpose=purpose,
            at=at,
        )
    )
    if purpose != "pickup":
        case.visits_count += 1


def warning_level(case: Case, today: date, warn_days: int, days: Calendar) -> str:
    """ "" (fine or not running), "yellow" (warn_days working days left or fewer), "red".

    A case waiting for the resident's documents or whose clock is stopped is never overdue.
    """
    if case.status != CaseStatus.IN_REVIEW or case.deadline is None or case.clock_stopped_at:
        return ""
    if today > case.deadline:
        return "red"
    if days.workdays_between(today, case.deadline) <= warn_days:
        return "yellow"
    return ""


def case_event(session: Session, case: Case, name: str, at: datetime, **extra: Any) -> Event:
    """A case notification: the hall's counters and boards, and its departments' rooms.

    Numbers, matters and states only: never the applicant.
    """
    hall = session.get(Hall, case.hall_id)
    departments = sorted({t.department_id for t in case.tasks})
    payload = {
        "case_id": case.id,
        "number": case.number,
        "status": str(case.status),
        "matter": case.matter.code,
        "matter_name": case.matter.name,
        "deadline": case.deadline.isoformat() if case.deadline else None,
        "warning": case.warning,
        "at": clock.iso_local(at, hall.timezone),
        **extra,
    }
    rooms = tuple(("/backoffice", f"department:{d}") for d in departments)
    return notify(hall, name, payload, rooms=rooms)


def status_event(session: Session, case: Case) -> Event:
    """A nudge to the resident's status page of this case (``/case``, room ``case:<id>``):
    the number and state only; the page reads the rest again."""
    hall = session.get(Hall, case.hall_id)
    return notify(
        hall,
        "case.changed",
        {"number": case.number, "status": str(case.status)},
        rooms=(("/case", f"case:{case.id}"),),
        hall_rooms=False,
    )


def _today(session: Session, case: Case, at: datetime) -> date:
    return clock.service_date(at, session.get(Hall, case.hall_id).timezone)


def _stop_clock(
    session: Session,
    case: Case,
    kind: str,
    reason: str,
    at: datetime,
    *,
    staff: Any = None,
    task: Task | None = None,
) -> ClockStop:
    """Open a stop of the case's clock (中止); several may be open at once."""
    if task is not None and _open_stops(session, case, task=task):
        raise Conflict(
            "此任务的计时已中止,请先恢复 / this task has already stopped the clock",
            code="clock_stopped",
        )
    stop = ClockStop(
        case_id=case.id,
        task_id=task.id if task is not None else None,
        kind=kind,
        reason=reason[:500],
        started_at=at,
        started_by=staff.id if staff is not None else None,
        days=0,
    )
    session.add(stop)
    if case.clock_stopped_at is None:
        case.clock_stopped_at = at
    case.clock_stop = "correction" if kind == "correction" else case.clock_stop or "suspension"
    session.flush()
    return stop


def _open_stops(
    session: Session, case: Case, *, kind: str | None = None, task: Task | None = None
) -> list[ClockStop]:
    query = select(ClockStop).where(ClockStop.case_id == case.id, ClockStop.ended_at.is_(None))
    if kind == "correction":
        query = query.where(ClockStop.kind == "correction")
    elif kind is not None:
        query = query.where(ClockStop.kind != "correction")
    if task is not None:
        query = query.where(ClockStop.task_id == task.id)
    return list(session.scalars(query.order_by(ClockStop.id)))


def _restart_clock(
    session: Session,
    case: Case,
    at: datetime,
    *,
    kind: str,
    staff: Any = None,
    task: Task | None = None,
) -> int:
    """End the open stops of a kind ("correction", or any 特别程序 of the task); when none is
    left open the clock runs again and the deadline moves by the working days it stood still
    (the days on which any stop was open, overlaps counted once). The days it moved by."""
    if case.clock_stopped_at is None:
        return 0
    tz = session.get(Hall, case.hall_id).timezone
    today = clock.service_date(at, tz)
    cal = cache.of(session).calendar()
    for stop in _open_stops(session, case, kind=kind, task=task):
        stop.ended_at, stop.ended_by = at, staff.id if staff is not None else None
        stop.days = max(0, cal.workdays_between(clock.service_date(stop.started_at, tz), today))
        if stop.kind == "correction":
            case.paused_days += stop.days
        else:
            case.suspended_days += stop.days
    session.flush()
    still = _open_stops(session, case)
    if still:
        case.clock_stop = (
            "correction" if any(s.kind == "correction" for s in still) else "suspension"
        )
        return 0
    days = max(0, cal.workdays_between(clock.service_date(case.clock_stopped_at, tz), today))
    if days and case.deadline is not None:
        case.deadline = cal.add_workdays(case.deadline, days)
        if case.statutory_deadline is not None:
            case.statutory_deadline = cal.add_workdays(case.statutory_deadline, days)
    case.stopped_days += days
    case.clock_stopped_at = None
    case.clock_stop = ""
    return days


# -- front desk -------------------------------------------------------------------------------


def _number(session: Session, hall: Any, at: datetime) -> str:
    day = clock.service_date(at, hall.timezone)
    scope = f"cases:{hall.id}"
    seq = bump(session, [(scope, day)])[scope]
    return f"{day:%Y%m%d}{hall.id:02d}{seq:04d}"


def take_in(
    session: Session,
    staff: Any,
    body: dict[str, Any],
    at: datetime | None = None,
) -> tuple[Case, list[Event]]:
    """Register a case from the ticket the clerk is serving, with the outcome of intake.

    Missing required documents give 补正 (all of them listed at once, 一次性告知); a matter that
    allows 容缺受理 may take the case with non-core items missing; ``refuse`` gives 不予受理.
    """
    at = at or clock.now()
    ticket, window = serving(session, staff, body["ticket"])
    access.require(staff, Permission.TAKE_CASE, hall=ticket.hall_id)
    hall = session.get(Hall, ticket.hall_id)
    matter = lookup.matter_in_hall(session, hall, body["matter"])
    guide = current_guide(session, matter)
    items = checklist(session, matter)
    known = {item["id"] for item in items}
    received = list(dict.fromkeys(body.get("documents") or []))
    unknown = [d for d in received if d not in known]
    if unknown:
        raise BadRequest(
            f"材料不在本事项清单中 / not on the matter's checklist: {unknown[:5]}",
            code="unknown_document",
        )
    applicant = body["applicant"]
    address = (body.get("address") or "").strip() if body.get("delivery") == "post" else ""
    if body.get("delivery") == "post" and not address:
        raise BadRequest(
            "邮寄须填写收件地址 / a postal delivery needs an address", code="address_required"
        )
    case = Case(
        number=_number(session, hall, at),
        token=secrets.token_urlsafe(16),
        hall_id=hall.id,
        matter_id=matter.id,
        guide_id=guide.id if guide else None,
        guide_version=matter.version,
        ticket_id=ticket.id,
        window_id=window.id,
        staff_id=staff.id,
        status=CaseStatus.AWAITING_DOCUMENTS,
        applicant_kind=applicant["kind"],
        applicant_name_enc=privacy.seal(applicant["name"]),
        applicant_id_enc=privacy.seal(applicant["id_number"]),
        applicant_phone_enc=privacy.seal(applicant.get("phone") or ""),
        applicant_name_masked=privacy.mask_name(applicant["name"]),
        applicant_id_masked=privacy.mask_id(applicant["id_number"]),
        applicant_phone_masked=privacy.mask_phone(applicant.get("phone") or ""),
        documents_received=received,
        missing=[],
        deferred=[],
        delivery=body.get("delivery") or "in_person",
        address_enc=privacy.seal(address),
        address_masked=privacy.mask_address(address),
        on_the_spot=matter.on_the_spot,
        result_pickup=matter.result_pickup,
        received_at=at,
        visits_count=0,
    )
    case.matter = matter
    session.add(case)
    session.flush()
    visit(session, case, "intake", at, ticket, window, staff)
    log(session, case, "received", at, staff=staff, window_id=window.id, detail=ticket.number)
    outcome = body.get("outcome") or "accept"
    if outcome == "refuse":
        reason = (body.get("reason") or "").strip()
        if not reason:
            raise BadRequest(
                "不予受理须说明理由 / a refusal needs a reason", code="reason_required"
            )
        case.status = CaseStatus.REFUSED
        case.reason = reason
        case.refused_at = at
        log(session, case, "refused", at, staff=staff, window_id=window.id, detail=reason)
        return case, [case_event(session, case, "case.refused", at)]
    reasons = body.get("missing_reasons") or {}
    missing = [
        {
            "id": item["id"],
            "name": item["name"],
            "core": bool(item.get("core")),
            "reason": str(reasons.get(str(item["id"]), "") or "未提交 / not submitted")[:200],
        }
        for item in items
        if item.get("required", True) and item["id"] not in received
    ]
    if missing and outcome == "partial":
        if not matter.partial_allowed:
            raise Conflict(
                "本事项不适用容缺受理 / this matter allows no 容缺受理", code="partial_not_allowed"
            )
        core = [m["name"] for m in missing if m["core"]]
        if core:
            raise Conflict(
                f"缺少主审要件,不能容缺受理 / core documents missing: {', '.join(core)[:200]}",
                code="core_document_missing",
            )
    if missing and outcome != "partial":
        case.missing = missing
        log(
            session,
            case,
            "correction_notice",
            at,
            staff=staff,
            window_id=window.id,
            detail="; ".join(m["name"] for m in missing),
        )
        return case, [case_event(session, case, "case.awaiting_documents", at)]
    events = _accept(session, case, matter, at, staff, window.id)
    if missing:
        due = max(
            clock.service_date(at, hall.timezone),
            cache.of(session).calendar().sub_workdays(case.deadline, DEFERRED_LEAD_DAYS),
        )
        case.deferred = [{**m, "due": due.isoformat()} for m in missing]
        log(
            session,
            case,
            "deferred_documents",
            at,
            staff=staff,
            window_id=window.id,
            detail=f"{due.isoformat()}: " + "; ".join(m["name"] for m in missing),
        )
    return case, events


def _accept(
    session: Session, case: Case, matter: Matter, at: datetime, staff: Any, window_id: int | None
) -> list[Event]:
    """受理: the acceptance date is now; the deadline counts 承诺时限 working days from it."""
    hall = session.get(Hall, case.hall_id)
    case.step(CaseAction.COMPLETE)
    case.missing = []
    case.accepted_at = at
    day = clock.service_date(at, hall.timezone)
    cal = cache.of(session).calendar()
    case.deadline = cal.add_workdays(day, matter.time_limit_days)
    case.statutory_deadline = cal.add_workdays(
        day, max(matter.statutory_limit_days, matter.time_limit_days)
    )
    log(
        session,
        case,
        "accepted",
        at,
        staff=staff,
        window_id=window_id,
        before=str(CaseStatus.AWAITING_DOCUMENTS),
    )
    if matter.on_the_spot:
        # 即办件: decided at the window.
        case.decision = "approved"
        case.decided_at = at
        case.step(CaseAction.DECIDE)
        case.ready_at = at
        log(session, case, "decided_at_window", at, staff=staff, window_id=window_id)
        if not case.result_pickup:
            case.step(CaseAction.HAND_OVER)
            case.handed_over_at = case.closed_at = at
            case.handed_over_by = staff.id
            case.handed_to_masked = case.applicant_name_masked
            log(session, case, "handed_over", at, staff=staff, window_id=window_id)
            return [case_event(session, case, "case.closed", at)]
        return [case_event(session, case, "case.ready", at)]
    departments = departments_of(session, matter)
    if not departments:
        raise Conflict(
            "本事项未配置审批部门 / the matter has no deciding department", code="no_department"
        )
    for dept, lead in departments:
        task = Task(case_id=case.id, department_id=dept.id, lead=lead, created_at=at)
        case.tasks.append(task)
    session.flush()
    for task in case.tasks:
        log(session, case, "routed", at, task=task, detail="主办 / lead" if task.lead else "协办")
    return [case_event(session, case, "case.accepted", at)]


def supply_documents(
    session: Session,
    staff: Any,
    case_ref: int | str,
    ticket_ref: int | str,
    documents: list[int],
    at: datetime | None = None,
) -> tuple[Case, list[Event]]:
    """The resident brings documents on a new visit (the ticket being served).

    补正 at intake: once nothing required is missing the case is accepted, dated now. A return
    from the back office: the paused clock runs again and the task goes back to its staff.
    容缺: the deferred items arrive, and the case may be decided.
    """
    at = at or clock.now()
    ticket, window = serving(session, staff, ticket_ref)
    case = get_case(session, case_ref, lock=True)
    access.require(staff, Permission.TAKE_CASE, hall=ticket.hall_id)
    documents = list(dict.fromkeys(documents or []))
    known = {item["id"] for item in checklist(session, case.matter)}
    if any(d not in known for d in documents):
        raise BadRequest(
            "材料不在本事项清单中 / not on the matter's checklist", code="unknown_document"
        )
    events: list[Event] = []
    if case.status == CaseStatus.AWAITING_DOCUMENTS:
        visit(session, case, "documents", at, ticket, window, staff)
        case.documents_received = list(dict.fromkeys([*case.documents_received, *documents]))
        still = [m for m in case.missing if m["id"] not in case.documents_received]
        log(session, case, "documents_received", at, staff=staff, window_id=window.id)
        if still:
            case.missing = still
            return case, [
                case_event(session, case, "case.awaiting_documents", at),
                status_event(session, case),
            ]
        events = _accept(session, case, case.matter, at, staff, window.id)
    elif case.status == CaseStatus.RETURNED:
        visit(session, case, "documents", at, ticket, window, staff)
        case.documents_received = list(dict.fromkeys([*case.documents_received, *documents]))
        before = str(case.status)
        case.step(CaseAction.COMPLETE)
        case.missing = []
        days = _restart_clock(session, case, at, kind="correction", staff=staff)
        for task in case.tasks:
            if task.status == TaskStatus.RETURNED:
                task.step(TaskAction.RESUBMIT)
        log(
            session,
            case,
            "documents_received",
            at,
            staff=staff,
            window_id=window.id,
            detail=f"+{days} 工作日 / working days",
            before=before,
        )
        events = [case_event(session, case, "case.resubmitted", at)]
    elif case.status == CaseStatus.IN_REVIEW and case.deferred:
        visit(session, case, "documents", at, ticket, window, staff)
        case.documents_received = list(dict.fromkeys([*case.documents_received, *documents]))
        case.deferred = [d for d in case.deferred if d["id"] not in case.documents_received]
        log(session, case, "deferred_received", at, staff=staff, window_id=window.id)
        events = [case_event(session, case, "case.updated", at)]
    else:
        raise Conflict(
            f"办件 {case.number} 不需要补交材料 / case {case.number} is waiting for no documents",
            code="invalid_transition",
        )
    return case, [*events, status_event(session, case)]


# -- back office ------------------------------------------------------------------------------


def task_action(
    session: Session,
    staff: Any,
    task_id: int,
    action: str,
    body: dict[str, Any],
    at: datetime | None = None,
) -> tuple[Task, list[Event]]:
    """Claim, approve, reject, return, suspend or resume a department's task."""
    at = at or clock.now()
    task = get_task(session, task_id)
    access.require(staff, Permission.DECIDE_TASK, department=task.department_id)
    case = get_case(session, task.case_id, lock=True)
    reason = (body.get("reason") or "").strip()
    act = TaskAction(action)
    before = str(case.status)
    if act != TaskAction.CLAIM and task.status != TaskStatus.PENDING:
        if task.claimed_by not in (None, staff.id) and staff.role == Role.BACKOFFICE:
            raise Forbidden(
                "此任务由他人认领 / another staff member holds this task", code="claimed_by_other"
            )
    if act in (TaskAction.REJECT, TaskAction.RETURN, TaskAction.SUSPEND) and not reason:
        raise BadRequest("请说明理由 / a reason is required", code="reason_required")
    if act in (TaskAction.APPROVE, TaskAction.REJECT) and task.can(act) and case.deferred:
        raise Conflict(
            "容缺材料尚未补齐,不能作出决定 / deferred documents have not arrived",
            code="documents_outstanding",
        )
    task.step(act)
    events: list[Event] = []
    detail = reason
    if act == TaskAction.CLAIM:
        task.claimed_at = at
        task.claimed_by = staff.id
    elif act == TaskAction.APPROVE:
        task.decided_at, task.decided_by = at, staff.id
        task.reason = reason
    elif act == TaskAction.REJECT:
        task.decided_at, task.decided_by = at, staff.id
        task.reason = reason
        for other in case.tasks:
            if other is not task and other.status in OPEN_TASKS:
                other.step(TaskAction.CANCEL)
                other.decided_at = at
        # The decision ends every stop still open (another department's correction or
        # procedure); the case is decided now.
        if case.status == CaseStatus.RETURNED:
            case.step(CaseAction.COMPLETE)
            case.missing = []
        _restart_clock(session, case, at, kind=None, staff=staff)
    elif act == TaskAction.RETURN:
        task.reason = reason
        wanted = [str(d)[:200] for d in (body.get("documents") or [])]
        asked = [{"id": None, "name": d, "reason": reason} for d in wanted] or [
            {"id": None, "name": reason, "reason": reason}
        ]
        if case.status == CaseStatus.RETURNED:
            # Another department already asked for documents: the resident is told of both.
            case.missing = [*case.missing, *asked]
        else:
            case.step(CaseAction.RETURN)
            case.missing = asked
        _stop_clock(session, case, "correction", reason, at, staff=staff, task=task)
    elif act == TaskAction.SUSPEND:
        kind = body.get("procedure") or "other"
        if kind not in SUSPENSION_KINDS:
            raise BadRequest(f"特别程序类型无效 / unknown procedure: {str(kind)[:20]}")
        _stop_clock(session, case, kind, reason, at, staff=staff, task=task)
        task.reason = reason
        detail = f"{kind}: {reason}"
    elif act == TaskAction.RESUME:
        days = _restart_clock(session, case, at, kind="suspension", staff=staff, task=task)
        detail = f"+{days} 工作日 / working days"
    log(
        session, case, f"task_{act.value}", at, staff=staff, task=task, detail=detail, before=before
    )
    events.append(
        case_event(
            session,
            case,
            _TASK_EVENTS[act],
            at,
            task_id=task.id,
            department=task.department.code,
            task_status=str(task.status),
        )
    )
    if all(t.status in TASK_DONE for t in case.tasks) and case.status == CaseStatus.IN_REVIEW:
        events.append(_decide(session, case, at, staff))
    events.append(status_event(session, case))
    return task, events


_TASK_EVENTS = {
    TaskAction.CLAIM: "task.claimed",
    TaskAction.APPROVE: "task.approved",
    TaskAction.REJECT: "task.rejected",
    TaskAction.RETURN: "task.returned",
    TaskAction.SUSPEND: "task.suspended",
    TaskAction.RESUME: "task.resumed",
}


def _decide(session: Session, case: Case, at: datetime, staff: Any) -> Event:
    rejected = [t for t in case.tasks if t.status == TaskStatus.REJECTED]
    case.decision = "rejected" if rejected else "approved"
    if rejected:
        case.reason = rejected[0].reason
    case.decided_at = at
    case.step(CaseAction.DECIDE)
    case.ready_at = at
    case.warning = ""
    log(session, case, "decided", at, staff=staff, detail=case.decision)
    return case_event(session, case, "case.ready", at, decision=case.decision)


def extend(
    session: Session, staff: Any, case_ref: int | str, days: int, reason: str, at=None
) -> tuple[Case, list[Event]]:
    """A manager approves an extension (延期); the statutory bound is 10 (joint: 15) days."""
    at = at or clock.now()
    case = get_case(session, case_ref, lock=True)
    access.require(staff, Permission.EXTEND_CASE, hall=case.hall_id)
    if case.status not in (CaseStatus.IN_REVIEW, CaseStatus.RETURNED) or case.deadline is None:
        raise Conflict(
            "只有审批中的办件可以延期 / only a case in review can be extended",
            code="invalid_transition",
        )
    bound = JOINT_EXTENSION_MAX_DAYS if len(case.tasks) > 1 else EXTENSION_MAX_DAYS
    if case.extended_days + days > bound:
        raise Conflict(
            f"延期累计不能超过 {bound} 个工作日 / extensions may total at most {bound} working days",
            code="extension_limit",
        )
    before = str(case.status)
    case.deadline = cache.of(session).calendar().add_workdays(case.deadline, days)
    case.extended_days += days
    log(session, case, "extended", at, staff=staff, detail=f"+{days}: {reason}", before=before)
    return case, [
        case_event(session, case, "case.extended", at, days=days),
        status_event(session, case),
    ]


def sweep_warnings(session: Session, at: datetime | None = None) -> list[Event]:
    """Recompute every running case's warning; an event for each that changed."""
    at = at or clock.now()
    events = []
    cases = session.scalars(
        select(Case).where(Case.status.in_([CaseStatus.IN_REVIEW, CaseStatus.RETURNED]))
    ).all()
    cal = cache.of(session).calendar()
    for case in cases:
        hall = session.get(Hall, case.hall_id)
        today = clock.service_date(at, hall.timezone)
        level = warning_level(case, today, hall.case_warning_days, cal)
        if level != case.warning:
            case.warning = level
            events.append(case_event(session, case, "case.warning", at))
    return events


# -- pickup -----------------------------------------------------------------------------------


def pickup_ticket(
    session: Session, hall: Any, device: Any, ref: str, at: datetime | None = None
) -> tuple[Case, queue_services.Issued]:
    """A ticket in the hall's pickup queue for a decided case (by number or receipt code)."""
    at = at or clock.now()
    case = get_case(session, ref.strip(), lock=True)
    if case.hall_id != hall.id:
        # The result waits where the case was taken in.
        home = session.get(Hall, case.hall_id)
        raise Conflict(
            f"请到{home.name}领取 / collect this result at {home.name_en or home.code}",
            code="collect_elsewhere",
        )
    if case.status != CaseStatus.READY:
        raise Conflict(
            f"办件 {case.number} 尚未办结,暂不能领取 / case {case.number} is not ready",
            code="case_not_ready",
        )
    if case.delivery == "post":
        raise Conflict(
            f"办件 {case.number} 的结果将邮寄送达,无需取号 / the result of case {case.number} "
            "goes by post; no pickup ticket is needed",
            code="delivery_by_post",
        )
    if case.pickup_ticket_id is not None:
        held = session.get(Ticket, case.pickup_ticket_id)
        if held is not None and held.status in ("waiting", *ACTIVE):
            raise Conflict(
                f"已有领取号 {held.number} / a pickup ticket is already out: {held.number}",
                code="pickup_ticket_exists",
            )
    matter = session.scalar(
        select(Matter)
        .join(Queue, Queue.id == Matter.queue_id)
        .where(Matter.hall_id == hall.id, Queue.kind == "pickup", Matter.active.is_(True))
        .order_by(Matter.id)
    )
    if matter is None:
        raise Conflict("本大厅没有出件队列 / this hall has no pickup queue", code="no_pickup_queue")
    issued = queue_services.issue(session, hall, matter.id, source="pickup", device=device, at=at)
    case.pickup_ticket_id = issued.ticket.id
    log(session, case, "pickup_ticket", at, detail=issued.ticket.number)
    return case, issued


def hand_over(
    session: Session, staff: Any, case_ref: int | str, body: dict[str, Any], at=None
) -> tuple[Case, list[Event]]:
    """The pickup clerk hands the result over (who, when, to whom); the case closes."""
    at = at or clock.now()
    case = get_case(session, case_ref, lock=True)
    access.require(staff, Permission.HAND_OVER, hall=case.hall_id)
    if not case.can(CaseAction.HAND_OVER):
        case.step(CaseAction.HAND_OVER)  # raises invalid_transition with the case's status
    ticket = window = None
    before = str(case.status)
    if case.delivery == "post":
        tracking = (body.get("tracking") or "").strip()[:60]
        if not tracking:
            raise BadRequest(
                "邮寄须填写运单号 / a postal hand-over needs the tracking number",
                code="tracking_required",
            )
        case.tracking_number = tracking
        detail = f"邮寄 / by post {tracking}"
    else:
        if case.pickup_ticket_id is None:
            raise Conflict("请先取领取号 / take a pickup ticket first", code="not_serving_ticket")
        ticket, window = serving(session, staff, case.pickup_ticket_id)
        detail = ticket.number
    to = (body.get("to") or "").strip()
    case.step(CaseAction.HAND_OVER)
    case.handed_over_at = case.closed_at = at
    case.handed_over_by = staff.id
    case.handed_to_masked = privacy.mask_name(to) if to else case.applicant_name_masked
    if ticket is not None:
        visit(session, case, "pickup", at, ticket, window, staff)
    log(
        session,
        case,
        "handed_over",
        at,
        staff=staff,
        window_id=window.id if window else None,
        detail=f"{detail} → {case.handed_to_masked}",
        before=before,
    )
    return case, [case_event(session, case, "case.closed", at), status_event(session, case)]


def to_post(session: Session, staff: Any, hall: Any) -> list[Case]:
    """The hall's decided cases that go by post (邮寄), oldest first: the pickup clerk's list."""
    access.require(staff, Permission.HAND_OVER, hall=hall.id)
    return list(
        session.scalars(
            select(Case)
            .where(
                Case.hall_id == hall.id,
                Case.status == CaseStatus.READY,
                Case.delivery == "post",
            )
            .order_by(Case.ready_at, Case.id)
            .limit(500)
        )
    )


def postal_address(session: Session, staff: Any, case_ref: int | str, at=None) -> Case:
    """The full postal address, for the clerk who mails the result; the reading is audited."""
    at = at or clock.now()
    case = get_case(session, case_ref)
    access.require(staff, Permission.HAND_OVER, hall=case.hall_id)
    if case.delivery != "post":
        raise Conflict(
            f"办件 {case.number} 不邮寄 / case {case.number} is not sent by post",
            code="not_by_post",
        )
    audit.record(
        session,
        staff,
        "case.address_read",
        f"case:{case.id} {case.number}",
        hall_id=case.hall_id,
        at=at,
    )
    return case


# -- printed receipts -------------------------------------------------------------------------


def print_receipt(
    session: Session,
    staff: Any,
    case_ref: int | str,
    status_url: str,
    *,
    device_id: int | None = None,
    reprint: bool = True,
    at: datetime | None = None,
) -> tuple[Case, Any]:
    """Queue the case's receipt (its notice as it stands now) on the named printer device or
    on the printer of the window the clerk holds (409 ``no_printer``)."""
    from hall.printing import services as printing

    at = at or clock.now()
    case = get_case(session, case_ref)
    access.require(staff, Permission.REPRINT, hall=case.hall_id)
    window = session.scalar(
        select(Window).where(Window.staff_id == staff.id, Window.hall_id == case.hall_id)
    )
    device = printing.receipt_printer(session, case.hall_id, window, device_id)
    job = printing.enqueue_receipt(
        session, case, device, status_url, reprint=reprint, staff_id=staff.id, at=at
    )
    log(
        session,
        case,
        "receipt_printed" if not reprint else "receipt_reprinted",
        at,
        staff=staff,
        window_id=window.id if window else None,
        detail=device.name,
    )
    return case, job


def intake_receipt(
    session: Session, staff: Any, case: Case, status_url: str, at: datetime | None = None
) -> Any:
    """At intake: the receipt on the printer of the window that took the case, where it has
    one (None otherwise); the answer tells the clerk either way."""
    from hall.printing import services as printing

    window = session.get(Window, case.window_id) if case.window_id else None
    device = printing.window_printer(session, case.hall_id, window)
    if device is None:
        return None
    return printing.enqueue_receipt(session, case, device, status_url, staff_id=staff.id, at=at)
