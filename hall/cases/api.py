"""Cases over REST: the catalogue, intake, back-office tasks, pickup tickets and hand-over."""

from typing import Any

from flask import request
from sqlalchemy import select

from hall import access, cache, clock
from hall.access import Permission
from hall.admin.api import caller
from hall.api import bp
from hall.cases import notify, presenters, privacy, services
from hall.cases.models import Case
from hall.cases.schemas import (
    CASE,
    CASE_WARNING,
    GUIDE,
    PUBLIC_CASE,
    TASK,
    CaseIn,
    DocumentsIn,
    ExtendIn,
    GuideIn,
    HandOverIn,
    PickupIn,
    ReceiptIn,
    TaskActionIn,
)
from hall.db import unit_of_work
from hall.errors import BadRequest, NotFound, Unauthorized
from hall.events import Event, publish
from hall.printing import services as printing
from hall.printing import wake_worker
from hall.queue import lookup
from hall.queue.models import Matter
from hall.queue.presenters import announce_new_ticket
from hall.queue.schemas import NEW_TICKET
from hall.schemas import STR, also, answers, arr, obj

TASK_ACTIONS = ("claim", "approve", "reject", "return", "suspend", "resume")


def _matter(session, matter_id: int) -> Matter:
    matter = session.get(Matter, matter_id)
    if matter is None or not matter.active:
        raise NotFound(f"事项不存在 / no such matter: {matter_id}", code="matter_not_found")
    return matter


def _ready(case: Case, events: list[Event]) -> list[dict[str, Any]]:
    """The notices to send after the commit for a case that became ready."""
    if not any(ev.name == "case.ready" for ev in events):
        return []
    return [
        {
            "number": case.number,
            "phone": privacy.unseal(case.applicant_phone_enc),
            "status_url": presenters.case_url(case.token),
            "decision": case.decision,
        }
    ]


def _after(events: list[Event], ready: list[dict[str, Any]]) -> None:
    publish(events)
    notify.deliver(ready)


@bp.get("/matters/<int:matter_id>")
@answers(obj(matter=GUIDE))
@bp.doc(
    summary="A matter's catalogue entry and current guide (kind, limits, departments, checklist)"
)
def get_matter(matter_id: int) -> dict:
    """One matter, as kiosk, counter, status page and API all show it."""
    with unit_of_work(readonly=True) as session:
        return {"matter": presenters.matter_json(session, _matter(session, matter_id))}


@bp.put("/matters/<int:matter_id>/guide")
@bp.input(GuideIn, arg_name="body")
@answers(obj(matter=GUIDE))
@bp.doc(
    summary="Publish a new version of the matter's guide (manager, admin)", security="BearerAuth"
)
def revise_guide(matter_id: int, body: dict) -> dict:
    """A new guide version; the old one is kept with its date."""
    with unit_of_work() as session:
        matter = _matter(session, matter_id)
        access.require(caller(session), Permission.EDIT_GUIDE, hall=matter.hall_id)
        services.revise_guide(session, matter, body)
        return {"matter": presenters.matter_json(session, matter)}


@bp.post("/cases")
@bp.input(CaseIn, arg_name="body")
@answers(obj(case=CASE), 201)
@bp.doc(
    summary="Register a case from the ticket you are serving (受理 / 补正 / 容缺 / 不予受理)",
    security="BearerAuth",
    responses={201: "the case", 409: "not serving that ticket, or the outcome is not allowed"},
)
def take_case(body: dict) -> tuple[dict, int]:
    """Front-desk intake."""
    with unit_of_work() as session:
        staff = access.require(caller(session), Permission.TAKE_CASE)
        case, events = services.take_in(session, staff, body)
        job = None
        if body["print_receipt"]:
            job = services.intake_receipt(session, staff, case, presenters.case_url(case.token))
        answer = {
            "case": presenters.case_json(session, case),
            "print": printing.job_json(job) if job is not None else None,
        }
        ready = _ready(case, events)
    _after(events, ready)
    if job is not None:
        wake_worker()
    return answer, 201


@bp.get("/cases")
@answers(obj(cases=arr(CASE)))
@bp.doc(
    summary="Cases of a ticket (?ticket=<id>): taken in from it or to be collected with it",
    security="BearerAuth",
)
def cases_of_ticket() -> dict:
    """What the counter shows for the ticket it serves (intake or pickup)."""
    ref = request.args.get("ticket", "")
    if not ref.isdigit() or len(ref) > 10:
        raise BadRequest("需要票号编号 / give ?ticket=<id>")
    with unit_of_work(readonly=True) as session:
        staff = access.require(caller(session), Permission.VIEW_CASES)
        ticket = lookup.ticket(session, int(ref))
        access.require(staff, Permission.VIEW_CASES, hall=ticket.hall_id)
        found = session.scalars(
            select(Case)
            .where((Case.ticket_id == ticket.id) | (Case.pickup_ticket_id == ticket.id))
            .order_by(Case.id)
        ).all()
        return {"cases": [presenters.case_json(session, c) for c in found]}


@bp.get("/cases/<ref>")
@answers(obj(case=CASE))
@bp.doc(
    summary="A case by id or number, with its tasks and timeline (staff)", security="BearerAuth"
)
def get_case(ref: str) -> dict:
    """One case, the applicant masked."""
    with unit_of_work(readonly=True) as session:
        staff = access.require(caller(session), Permission.VIEW_CASES)
        case = services.get_case(session, ref)
        services.may_see(session, staff, case)
        return {"case": presenters.case_json(session, case, full=True)}


@bp.post("/cases/<ref>/documents")
@bp.input(DocumentsIn, arg_name="body")
@answers(obj(case=CASE))
@bp.doc(
    summary="Documents brought on a later visit (补正), from the ticket you serve",
    security="BearerAuth",
)
def bring_documents(ref: str, body: dict) -> dict:
    """The resident brings what was missing."""
    with unit_of_work() as session:
        staff = access.require(caller(session), Permission.TAKE_CASE)
        case, events = services.supply_documents(
            session, staff, ref, body["ticket"], body["documents"]
        )
        answer = {"case": presenters.case_json(session, case)}
        ready = _ready(case, events)
    _after(events, ready)
    return answer


@bp.post("/cases/<ref>/extend")
@bp.input(ExtendIn, arg_name="body")
@answers(obj(case=CASE))
@bp.doc(summary="Approve an extension of the case's time limit (manager)", security="BearerAuth")
def extend_case(ref: str, body: dict) -> dict:
    """延期, recorded with its reason."""
    with unit_of_work() as session:
        staff = access.require(caller(session), Permission.EXTEND_CASE)
        case, events = services.extend(session, staff, ref, body["days"], body["reason"])
        answer = {"case": presenters.case_json(session, case)}
    publish(events)
    return answer


@bp.post("/cases/<ref>/receipt")
@bp.input(ReceiptIn, arg_name="body")
@bp.doc(
    summary="Print the case's receipt (its notice as it stands now) at the window's printer",
    security="BearerAuth",
    responses={201: "the print job", 409: "no printer at your window: name a device"},
)
def print_receipt(ref: str, body: dict) -> tuple[dict, int]:
    """(Re)print 受理通知书 / 一次性告知书 / 不予受理 / 领取通知 / 出件回执 on an ESC/POS printer."""
    with unit_of_work() as session:
        staff = access.require(caller(session), Permission.REPRINT)
        case = services.get_case(session, ref)
        _case, job = services.print_receipt(
            session, staff, case.id, presenters.case_url(case.token), device_id=body["device"]
        )
        answer = {"print": printing.job_json(job), "case": {"id": case.id, "number": case.number}}
    wake_worker()
    return answer, 201


@bp.post("/cases/<ref>/hand-over")
@bp.input(HandOverIn, arg_name="body")
@answers(obj(case=CASE))
@bp.doc(
    summary="Hand the result over while serving the case's pickup ticket", security="BearerAuth"
)
def hand_over(ref: str, body: dict) -> dict:
    """出件: who, when, to whom; the case closes."""
    with unit_of_work() as session:
        staff = access.require(caller(session), Permission.HAND_OVER)
        case, events = services.hand_over(session, staff, ref, body)
        answer = {"case": presenters.case_json(session, case)}
    publish(events)
    return answer


@bp.get("/departments/<code>/tasks")
@answers(obj(department=obj(code=STR, name=STR), tasks=arr(TASK)))
@bp.doc(
    summary="A department's inbox, soonest deadline first (?all=1 with done)", security="BearerAuth"
)
def department_tasks(code: str) -> dict:
    """The department's open tasks with their cases' deadlines and warnings."""
    with unit_of_work(readonly=True) as session:
        department = services.department_by_code(session, code)
        access.require(caller(session), Permission.VIEW_CASES, department=department.id)
        everything = request.args.get("all") in ("1", "true")
        return {
            "department": {"code": department.code, "name": department.name},
            "tasks": presenters.inbox(session, department, include_done=everything),
        }


def _register(action: str) -> None:
    def view(task_id: int, body: dict) -> dict:
        with unit_of_work() as session:
            staff = access.require(caller(session), Permission.DECIDE_TASK)
            task, events = services.task_action(session, staff, task_id, action, body)
            case = task.case
            answer = {
                "task": presenters.task_json(session, task, case.hall.timezone),
                "case": presenters.case_json(session, case),
            }
            ready = _ready(case, events)
        _after(events, ready)
        return answer

    view.__name__ = f"task_{action}"
    view.__doc__ = f"Task: {action}."
    decorated = bp.doc(summary=f"Task: {action}", security="BearerAuth")(view)
    decorated = answers(obj(task=TASK, case=CASE))(decorated)
    decorated = bp.input(TaskActionIn, arg_name="body")(decorated)
    bp.post(f"/tasks/<int:task_id>/{action}")(decorated)


for _action in TASK_ACTIONS:
    _register(_action)


@bp.post("/halls/<code>/pickup-tickets")
@bp.input(PickupIn, arg_name="body")
@answers(also(NEW_TICKET, case=obj(number=STR)), 201)
@bp.doc(
    summary="A pickup ticket for a decided case, by number or receipt code (kiosk)",
    security="BearerAuth",
    responses={201: "the ticket", 404: "unknown case", 409: "not ready"},
)
def pickup_ticket(code: str, body: dict) -> tuple[dict, int]:
    """The resident scans the receipt's QR code or types the case number at a kiosk."""
    with unit_of_work() as session:
        hall = cache.of(session).hall(code)
        who = caller(session)
        if access.is_device(who):
            device = access.require_device(who, "kiosk", hall=hall.id)
        elif access.is_staff(who):
            access.require(who, Permission.ISSUE_TICKET, hall=hall.id)
            device = None
        else:
            raise Unauthorized("请在取号机上取领取号 / take a pickup ticket at a kiosk")
        case, issued = services.pickup_ticket(session, hall, device, body["case"])
        number = case.number
    answer = announce_new_ticket(session, issued)
    answer["case"] = {"number": number}
    return answer, 201


@bp.get("/halls/<code>/post-cases")
@bp.doc(
    summary="The hall's decided cases to send by post (pickup staff), the address masked",
    security="BearerAuth",
)
def post_cases(code: str) -> dict:
    """邮寄: what the pickup window mails; hand each over with its tracking number."""
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code)
        found = services.to_post(session, caller(session), hall)
        return {"cases": [presenters.case_json(session, c) for c in found]}


@bp.get("/cases/<ref>/address")
@bp.doc(
    summary="The full postal address of a case sent by post (pickup staff; audited)",
    security="BearerAuth",
)
def case_address(ref: str) -> dict:
    """For the envelope: read in full only here, and every reading is in the audit trail."""
    with unit_of_work() as session:
        staff = access.require(caller(session), Permission.HAND_OVER)
        case = services.postal_address(session, staff, ref)
        return {
            "case": {"id": case.id, "number": case.number},
            "address": privacy.unseal(case.address_enc),
        }


@bp.get("/halls/<code>/case-warnings")
@answers(obj(cases=arr(CASE_WARNING)))
@bp.doc(
    summary="The hall's running cases that are due soon or overdue (staff)", security="BearerAuth"
)
def case_warnings(code: str) -> dict:
    """Yellow and red cases, most urgent first, for the managers' board."""
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code)
        access.require(caller(session), Permission.VIEW_CASES, hall=hall.id)
        return {"cases": presenters.warnings(session, hall)}


@bp.get("/case-status/<token>")
@answers(obj(case=PUBLIC_CASE, at=STR))
@bp.doc(summary="A case's public status by its receipt code (no personal data)")
def case_status(token: str) -> dict:
    """What the resident's status page shows."""
    with unit_of_work(readonly=True) as session:
        case = session.scalar(select(Case).where(Case.token == token[:60]))
        if case is None:
            raise NotFound("办件不存在 / no such case", code="case_not_found")
        return {"case": presenters.public_case(session, case), "at": clock.now().isoformat()}
