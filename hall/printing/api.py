"""Reprinting tickets and the hall's printers, over REST."""

from hall.api import bp
from hall.api.identity import caller, require_staff
from hall.db import unit_of_work
from hall.errors import NotFound
from hall.models import Role
from hall.printing import reprint, services, wake_worker
from hall.schemas import ReprintIn
from hall.services import lookup


@bp.post("/tickets/<int:ticket_id>/reprint")
@bp.input(ReprintIn, arg_name="body")
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
@bp.doc(summary="The hall's printers: faults and jobs not yet printed", security="BearerAuth")
def hall_printers(code: str) -> dict:
    """Each device with a printer, its last fault and its open jobs (for the managers' board)."""
    with unit_of_work(readonly=True) as session:
        staff = require_staff(session, Role.MANAGER, Role.ADMIN, Role.WINDOW, Role.PICKUP)
        hall = lookup.hall_by_code(session, code)
        if staff.hall_id not in (None, hall.id):
            raise NotFound(f"大厅不存在 / no such hall: {code[:40]}", code="hall_not_found")
        return {"printers": services.printers_in_hall(session, hall)}
