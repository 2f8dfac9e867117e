"""Reprinting tickets and the hall's printers, over REST."""

from hall import access
from hall.access import Permission
from hall.admin.api import authenticated, caller
from hall.api import bp
from hall.db import unit_of_work
from hall.errors import Unauthorized
from hall.printing import reprint, services, wake_worker
from hall.queue import lookup
from hall.queue.schemas import MAINTENANCE, PRINT_JOB, PRINTER, MaintenanceIn, ReprintIn
from hall.schemas import answers, arr, obj
from hall.version import hub_version


@bp.post("/tickets/<int:ticket_id>/reprint")
@bp.input(ReprintIn, arg_name="body")
@answers(obj(print=PRINT_JOB), 201)
@bp.doc(
    summary="Print a waiting ticket again (counter staff; a kiosk its own last ticket)",
    security="BearerAuth",
    responses={201: "the new print job", 409: "not waiting, too late, or no printer"},
)
def reprint_ticket(ticket_id: int, body: dict) -> tuple[dict, int]:
    """Queue a new print job for the ticket; automatic retries never print twice, this does."""
    with unit_of_work() as session:
        who = caller(session)
        job = reprint(session, who, lookup.ticket(session, ticket_id), body["device"])
        answer = {"print": services.job_json(job)}
    wake_worker()
    return answer, 201


@bp.get("/halls/<code>/printers")
@answers(obj(printers=arr(PRINTER)))
@bp.doc(summary="The hall's printers: faults and jobs not yet printed", security="BearerAuth")
def hall_printers(code: str) -> dict:
    """Each device with a printer, its last fault and its open jobs (for the managers' board)."""
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code)
        access.require(caller(session), Permission.REPRINT, hall=hall.id)
        return {"printers": services.printers_in_hall(session, hall)}


@bp.post("/devices/maintenance")
@authenticated
@bp.input(MaintenanceIn, arg_name="body")
@answers(MAINTENANCE)
@bp.doc(
    summary="A device's own state for its maintenance view (staff of its hall, with its token)",
    security="BearerAuth",
)
def device_maintenance(body: dict) -> dict:
    """What staff see after a long press on a device page: the device, its printer, the
    hub's version. Both credentials count: the staff token (bearer) and the device's own."""
    with unit_of_work(readonly=True) as session:
        staff = caller(session)
        if not access.is_staff(staff):
            raise Unauthorized("请工作人员登录 / staff login required", code="bad_token")
        if body.get("hall"):
            hall = lookup.hall_by_code(session, body["hall"])
            access.require(staff, Permission.VIEW_QUEUE, hall=hall.id)
        device = services.device_by_token(session, body["device_token"])
        access.require(staff, Permission.VIEW_QUEUE, hall=device.hall_id)
        return {"device": services.device_state(session, device), "version": hub_version()}
