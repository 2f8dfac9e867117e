"""REST routes of the administration pages (``/api/v1/admin/…``) and device pairing.

Admins change everything; managers read their own hall's set-up; everyone else is refused
(``hall/access.py``: ``VIEW_SETUP`` and ``ADMINISTER``). Each route parses, authorises, calls
one service, commits and publishes, like every other route.
"""

from typing import Any

from flask import current_app, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import access, audit, cache, clock, limits
from hall.access import Permission
from hall.admin import catalogue, holidays, pairing, services
from hall.admin.api import authenticated, caller
from hall.admin.models import AuditEntry, Department, Device, Hall, Role, Staff
from hall.admin.schemas import (
    DepartmentIn,
    DeviceIn,
    HallIn,
    MatterIn,
    NewDepartmentIn,
    NewHallIn,
    NewMatterIn,
    NewQueueIn,
    NewStaffIn,
    NewWindowIn,
    PairIn,
    PasswordIn,
    PollIn,
    QueueIn,
    StaffIn,
    WindowIn,
)
from hall.api import bp
from hall.db import unit_of_work
from hall.errors import BadRequest, Forbidden, Unauthorized
from hall.events import publish
from hall.queue import lookup
from hall.queue.models import Matter, Queue, Window

ADMIN = {"security": "BearerAuth"}


def _viewer(session: Session, hall_id: int | None = None) -> Any:
    """The caller, if they may see the set-up (of the hall, when one is named)."""
    return access.require(caller(session), Permission.VIEW_SETUP, hall=hall_id)


def _admin(session: Session, hall_id: int | None = None) -> Any:
    """The caller, if they may change the set-up (of the hall, when one is named)."""
    return access.require(caller(session), Permission.ADMINISTER, hall=hall_id)


def _visible_halls(session: Session, who: Any) -> list[Hall]:
    halls = session.scalars(select(Hall).order_by(Hall.id)).all()
    return [h for h in halls if access.in_hall(who, h.id)]


def _hall_filter(session: Session, who: Any) -> int | None:
    """The hall a list is limited to: ?hall=<code>, or the caller's own hall if not an admin."""
    code = request.args.get("hall", "")[:32]
    if code:
        hall = lookup.hall_by_code(session, code)
        access.require(who, Permission.VIEW_SETUP, hall=hall.id)
        return hall.id
    if Role(who.role) != Role.ADMIN or who.hall_id is not None:
        if who.hall_id is None:
            raise Forbidden(
                "不是本大厅的工作人员 / you are staff of another hall", code="other_hall"
            )
        return who.hall_id
    return None


# -- who is asking -------------------------------------------------------------------------------


@bp.get("/admin/me")
@authenticated
@bp.doc(summary="The caller on the administration pages: may they edit?", **ADMIN)
def admin_me() -> dict:
    """403 for roles that may not see the administration pages; else what they may do."""
    with unit_of_work(readonly=True) as session:
        who = _viewer(session)
        return {
            "staff": {"id": who.id, "username": who.username, "name": who.name, "role": who.role},
            "can_edit": access.allowed(who, Permission.ADMINISTER),
            "halls": [catalogue.hall_json(h) for h in _visible_halls(session, who)],
            "departments": [
                catalogue.department_json(d)
                for d in session.scalars(select(Department).order_by(Department.id))
            ],
            # The pages warn when the coming weeks reach a year no calendar covers.
            "calendar": holidays.coverage_json(cache.of(session).calendar(), holidays.today()),
        }


# -- halls and departments ---------------------------------------------------------------------


@bp.post("/admin/halls")
@authenticated
@bp.input(NewHallIn, arg_name="body")
@bp.doc(summary="Add a hall (admin)", **ADMIN)
def add_hall(body: dict) -> tuple[dict, int]:
    """A new hall."""
    with unit_of_work() as session:
        hall = catalogue.create_hall(session, body, _admin(session))
        return {"hall": catalogue.hall_json(hall)}, 201


@bp.patch("/admin/halls/<code>")
@authenticated
@bp.input(HallIn, arg_name="body")
@bp.doc(summary="Change a hall: name, hours, time zone, notice, targets (admin)", **ADMIN)
def edit_hall(code: str, body: dict) -> dict:
    """Change a hall's settings; a new notice reaches the displays at once."""
    events = []
    with unit_of_work() as session:
        hall = lookup.hall_by_code(session, code)
        who = _admin(session, hall.id)
        notice = body.pop("notice", None)
        if notice is not None and notice != hall.notice:
            events = services.set_notice(session, hall, who, notice)
        catalogue.update_hall(session, hall, body, who)
        answer = {"hall": catalogue.hall_json(hall)}
    publish(events)
    return answer


@bp.post("/admin/departments")
@authenticated
@bp.input(NewDepartmentIn, arg_name="body")
@bp.doc(summary="Add a department (admin)", **ADMIN)
def add_department(body: dict) -> tuple[dict, int]:
    """A new department."""
    with unit_of_work() as session:
        department = catalogue.save_department(session, None, body, _admin(session))
        return {"department": catalogue.department_json(department)}, 201


@bp.patch("/admin/departments/<int:department_id>")
@authenticated
@bp.input(DepartmentIn, arg_name="body")
@bp.doc(summary="Change a department (admin)", **ADMIN)
def edit_department(department_id: int, body: dict) -> dict:
    """Change a department's code or names."""
    with unit_of_work() as session:
        who = _admin(session)
        department = catalogue.get_department(session, department_id)
        catalogue.save_department(session, department, body, who)
        return {"department": catalogue.department_json(department)}


# -- queues, matters, windows of a hall --------------------------------------------------------


@bp.get("/admin/halls/<code>/setup")
@authenticated
@bp.doc(summary="A hall's queues, matters and windows (admin; managers of the hall)", **ADMIN)
def hall_setup(code: str) -> dict:
    """Everything the queue, matter and window pages list."""
    with unit_of_work(readonly=True) as session:
        hall = lookup.hall_by_code(session, code)
        _viewer(session, hall.id)
        queues = session.scalars(select(Queue).where(Queue.hall_id == hall.id).order_by(Queue.code))
        matters = session.scalars(
            select(Matter).where(Matter.hall_id == hall.id).order_by(Matter.id)
        )
        windows = session.scalars(
            select(Window).where(Window.hall_id == hall.id).order_by(Window.id)
        )
        return {
            "hall": catalogue.hall_json(hall),
            "queues": [catalogue.queue_json(q) for q in queues],
            "matters": [catalogue.matter_json(m) for m in matters],
            "windows": [catalogue.window_json(w) for w in windows],
        }


@bp.post("/admin/halls/<code>/queues")
@authenticated
@bp.input(NewQueueIn, arg_name="body")
@bp.doc(summary="Add a queue to a hall (admin)", **ADMIN)
def add_queue(code: str, body: dict) -> tuple[dict, int]:
    """A new queue."""
    with unit_of_work() as session:
        hall = lookup.hall_by_code(session, code)
        queue = catalogue.save_queue(session, hall, None, body, _admin(session, hall.id))
        return {"queue": catalogue.queue_json(queue)}, 201


@bp.patch("/admin/queues/<int:queue_id>")
@authenticated
@bp.input(QueueIn, arg_name="body")
@bp.doc(summary="Change a queue (admin)", **ADMIN)
def edit_queue(queue_id: int, body: dict) -> dict:
    """Change a queue's code, prefix, names or kind."""
    with unit_of_work() as session:
        queue = catalogue.get_queue(session, queue_id)
        who = _admin(session, queue.hall_id)
        catalogue.save_queue(session, session.get(Hall, queue.hall_id), queue, body, who)
        return {"queue": catalogue.queue_json(queue)}


@bp.post("/admin/halls/<code>/matters")
@authenticated
@bp.input(NewMatterIn, arg_name="body")
@bp.doc(summary="Add a matter to a hall (admin)", **ADMIN)
def add_matter(code: str, body: dict) -> tuple[dict, int]:
    """A new matter; its guide is published with PUT /matters/<id>/guide."""
    with unit_of_work() as session:
        hall = lookup.hall_by_code(session, code)
        matter = catalogue.save_matter(session, hall, None, body, _admin(session, hall.id))
        return {"matter": catalogue.matter_json(matter)}, 201


@bp.patch("/admin/matters/<int:matter_id>")
@authenticated
@bp.input(MatterIn, arg_name="body")
@bp.doc(summary="Change a matter's catalogue entry (admin)", **ADMIN)
def edit_matter(matter_id: int, body: dict) -> dict:
    """Change a matter's code, names, queue, department, caps, hours or whether it is offered."""
    with unit_of_work() as session:
        matter = catalogue.get_matter(session, matter_id)
        who = _admin(session, matter.hall_id)
        catalogue.save_matter(session, session.get(Hall, matter.hall_id), matter, body, who)
        return {"matter": catalogue.matter_json(matter)}


@bp.get("/admin/matters/<int:matter_id>/guides")
@authenticated
@bp.doc(summary="The versions of a matter's guide, newest first", **ADMIN)
def matter_guides(matter_id: int) -> dict:
    """The guide's version history."""
    with unit_of_work(readonly=True) as session:
        matter = catalogue.get_matter(session, matter_id)
        _viewer(session, matter.hall_id)
        return {
            "matter": catalogue.matter_json(matter),
            "guides": catalogue.guide_history(session, matter),
        }


@bp.post("/admin/halls/<code>/windows")
@authenticated
@bp.input(NewWindowIn, arg_name="body")
@bp.doc(summary="Add a window to a hall (admin)", **ADMIN)
def add_window(code: str, body: dict) -> tuple[dict, int]:
    """A new window, with the queues it serves in order."""
    with unit_of_work() as session:
        hall = lookup.hall_by_code(session, code)
        window = catalogue.save_window(session, hall, None, body, _admin(session, hall.id))
        return {"window": catalogue.window_json(window)}, 201


@bp.patch("/admin/windows/<int:window_id>")
@authenticated
@bp.input(WindowIn, arg_name="body")
@bp.doc(summary="Change a window: number, names, queues in order, roles (admin)", **ADMIN)
def edit_window(window_id: int, body: dict) -> dict:
    """Change a window."""
    with unit_of_work() as session:
        window = catalogue.get_window(session, window_id)
        who = _admin(session, window.hall_id)
        catalogue.save_window(session, session.get(Hall, window.hall_id), window, body, who)
        return {"window": catalogue.window_json(window)}


# -- staff ---------------------------------------------------------------------------------------


@bp.get("/admin/staff")
@authenticated
@bp.doc(summary="Staff accounts (admin: all or ?hall=; managers: their hall)", **ADMIN)
def list_staff() -> dict:
    """The staff accounts the caller may see."""
    with unit_of_work(readonly=True) as session:
        hall_id = _hall_filter(session, _viewer(session))
        query = select(Staff).order_by(Staff.id)
        if hall_id is not None:
            query = query.where(Staff.hall_id == hall_id)
        return {"staff": [services.staff_json(s) for s in session.scalars(query)]}


@bp.post("/admin/staff")
@authenticated
@bp.input(NewStaffIn, arg_name="body")
@bp.doc(summary="Add a staff account (admin)", **ADMIN)
def add_staff(body: dict) -> tuple[dict, int]:
    """A new staff account."""
    with unit_of_work() as session:
        staff = services.create_staff(session, body, _admin(session, body.get("hall_id")))
        return {"staff": services.staff_json(staff)}, 201


def _staff_member(session: Session, staff_id: int) -> tuple[Staff, Any]:
    staff = services.get_staff(session, staff_id)
    return staff, _admin(session, staff.hall_id)


@bp.patch("/admin/staff/<int:staff_id>")
@authenticated
@bp.input(StaffIn, arg_name="body")
@bp.doc(summary="Change a staff account's name, role, hall or department (admin)", **ADMIN)
def edit_staff(staff_id: int, body: dict) -> dict:
    """Change a staff account."""
    with unit_of_work() as session:
        staff, who = _staff_member(session, staff_id)
        if "hall_id" in body and body["hall_id"] is not None:
            access.require(who, Permission.ADMINISTER, hall=body["hall_id"])
        services.update_staff(session, staff, body, who)
        return {"staff": services.staff_json(staff)}


@bp.post("/admin/staff/<int:staff_id>/disable")
@authenticated
@bp.doc(summary="Disable a staff account: its tokens and open sockets end at once", **ADMIN)
def disable_staff(staff_id: int) -> dict:
    """Disable an account."""
    with unit_of_work() as session:
        staff, who = _staff_member(session, staff_id)
        if staff.id == who.id:
            raise BadRequest(
                "不能停用自己的账号 / you may not disable yourself", code="own_account"
            )
        services.disable_staff(session, staff.username, by=who)
        return {"staff": services.staff_json(staff)}


@bp.post("/admin/staff/<int:staff_id>/enable")
@authenticated
@bp.doc(summary="Let a disabled staff account log in again", **ADMIN)
def enable_staff(staff_id: int) -> dict:
    """Enable an account."""
    with unit_of_work() as session:
        staff, who = _staff_member(session, staff_id)
        services.enable_staff(session, staff, who)
        return {"staff": services.staff_json(staff)}


@bp.post("/admin/staff/<int:staff_id>/password")
@authenticated
@bp.input(PasswordIn, arg_name="body")
@bp.doc(summary="Reset a staff account's password; its tokens end at once", **ADMIN)
def reset_password(staff_id: int, body: dict) -> dict:
    """Set a new password."""
    with unit_of_work() as session:
        staff, who = _staff_member(session, staff_id)
        services.reset_password(session, staff, body["password"], who)
        return {"staff": services.staff_json(staff)}


# -- devices and printers ------------------------------------------------------------------------


def _device(session: Session, device_id: int) -> tuple[Device, Any]:
    device = services.get_device(session, device_id)
    return device, _admin(session, device.hall_id)


@bp.get("/admin/devices")
@authenticated
@bp.doc(summary="Devices with when each was last seen (admin: all or ?hall=; managers)", **ADMIN)
def list_devices() -> dict:
    """The devices the caller may see."""
    with unit_of_work(readonly=True) as session:
        hall_id = _hall_filter(session, _viewer(session))
        query = select(Device).order_by(Device.id)
        if hall_id is not None:
            query = query.where(Device.hall_id == hall_id)
        return {
            "devices": [services.device_json(d, d.hall.timezone) for d in session.scalars(query)]
        }


@bp.patch("/admin/devices/<int:device_id>")
@authenticated
@bp.input(DeviceIn, arg_name="body")
@bp.doc(summary="Rename a device, move it to another hall or set its printer (admin)", **ADMIN)
def edit_device(device_id: int, body: dict) -> dict:
    """Change a device."""
    with unit_of_work() as session:
        device, who = _device(session, device_id)
        if "hall_id" in body:
            access.require(who, Permission.ADMINISTER, hall=body["hall_id"])
        services.update_device(session, device, body, who)
        session.flush()
        session.refresh(device)
        return {"device": services.device_json(device, device.hall.timezone)}


@bp.post("/admin/devices/<int:device_id>/revoke")
@authenticated
@bp.doc(summary="Revoke a device: its token and open sockets end at once (admin)", **ADMIN)
def revoke_device(device_id: int) -> dict:
    """Revoke a device."""
    with unit_of_work() as session:
        device, who = _device(session, device_id)
        services.revoke_device(session, device.id, by=who)
        return {"device": services.device_json(device, device.hall.timezone)}


@bp.get("/admin/printers")
@authenticated
@bp.doc(summary="Printers of the halls: faults and jobs not yet printed", **ADMIN)
def list_printers() -> dict:
    """Each device with a printer, its last fault and its open jobs."""
    from hall.printing import services as printing

    with unit_of_work(readonly=True) as session:
        who = _viewer(session)
        hall_id = _hall_filter(session, who)
        halls = [h for h in _visible_halls(session, who) if hall_id in (None, h.id)]
        return {
            "printers": [
                {"hall": hall.code, **row}
                for hall in halls
                for row in printing.printers_in_hall(session, hall)
            ]
        }


@bp.post("/admin/devices/<int:device_id>/test-print")
@authenticated
@bp.doc(summary="Print a test page on a device's printer and read its status (admin)", **ADMIN)
def test_print(device_id: int) -> dict:
    """A test page, sent outside any transaction with a short timeout."""
    import printers  # escpos is heavy: imported where a printer is driven

    with unit_of_work(readonly=True) as session:
        device, _who = _device(session, device_id)
        url, options = device.printer_url, dict(device.printer_options or {})
    if not url:
        raise BadRequest("此设备没有打印机 / this device has no printer", code="no_printer")
    try:
        status = printers.print_test_page(
            url,
            paper_mm=int(options.get("paper", 80)),
            raster_text=bool(options.get("raster", False)),
            timeout=2.0,
        )
        result = {
            "printed": True,
            "ready": status.ready,
            "paper": status.paper,
            "error": status.error,
        }
    except printers.PrinterError as err:
        result = {"printed": False, "ready": False, "paper": None, "error": str(err)[:200]}
    with unit_of_work() as session:
        device = session.get(Device, device_id)
        audit.record(
            session,
            caller(session),
            "printer.test",
            f"device:{device.id} {device.kind} {device.name}",
            hall_id=device.hall_id,
            after={"printed": result["printed"], "error": result["error"]},
        )
    return {"test": result}


# -- the audit trail -----------------------------------------------------------------------------


@bp.get("/admin/audit")
@authenticated
@bp.doc(summary="The latest audit entries: who, when, what changed (?hall=)", **ADMIN)
def audit_log() -> dict:
    """The last 200 entries the caller may see, newest first."""
    with unit_of_work(readonly=True) as session:
        hall_id = _hall_filter(session, _viewer(session))
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)
        if hall_id is not None:
            query = query.where(AuditEntry.hall_id == hall_id)
        return {
            "entries": [
                {
                    "id": e.id,
                    "at": clock.iso_local(e.at, "Asia/Shanghai"),
                    "actor": e.actor,
                    "action": e.action,
                    "target": e.target,
                    "before": e.before,
                    "after": e.after,
                }
                for e in session.scalars(query)
            ]
        }


# -- device pairing ------------------------------------------------------------------------------


@bp.post("/devices/pairing")
@bp.doc(
    summary="A device without a token asks for a 6-digit pairing code (no token; rate-limited)",
    responses={201: "the code, the secret to poll with, when it expires"},
)
def start_pairing() -> tuple[dict, int]:
    """A new pairing code for a device screen to show."""
    limits.check("pairing", "PAIRING_LIMIT")
    with unit_of_work() as session:
        started = pairing.start(
            session, current_app.config["SECRET_KEY"], request.remote_addr or ""
        )
        return {
            "code": started.code,
            "secret": started.secret,
            "expires_in_s": int(pairing.TTL.total_seconds()),
        }, 201


@bp.post("/devices/pairing/poll")
@bp.input(PollIn, arg_name="body")
@bp.doc(summary="A waiting device asks whether an admin paired it (its secret becomes its token)")
def poll_pairing(body: dict) -> dict:
    """waiting, expired, or paired with the device's hall."""
    limits.check("pairing-poll", "PAIRING_POLL_LIMIT")
    with unit_of_work(readonly=True) as session:
        return pairing.poll(session, body["secret"])


@bp.post("/admin/devices/pair")
@authenticated
@bp.input(PairIn, arg_name="body")
@bp.doc(
    summary="Claim a pairing code: the device becomes a kiosk, display or evaluator (admin)",
    responses={201: "the device", 404: "wrong code", 409: "expired or used code"},
    **ADMIN,
)
def pair_device(body: dict) -> tuple[dict, int]:
    """An admin enters the code the device shows."""
    with unit_of_work() as session:
        hall = session.get(Hall, body["hall_id"])
        if hall is None:
            raise services.FieldErrors({"hall_id": "大厅不存在 / no such hall"})
        who = _admin(session, hall.id)
        if body.get("printer_url"):
            import printers

            try:
                printers.parse_printer_url(body["printer_url"])
            except printers.PrinterError as err:
                raise services.FieldErrors({"printer_url": str(err)}) from None
        options = {"window": body["window"]} if body.get("window") else {}
        device = pairing.claim(
            session,
            current_app.config["SECRET_KEY"],
            body["code"],
            kind=body["kind"],
            hall=hall,
            name=body["name"],
            printer_url=body.get("printer_url"),
            options=options,
            by=who,
        )
        return {"device": services.device_json(device, hall.timezone)}, 201


@bp.post("/devices/heartbeat")
@authenticated
@bp.doc(summary="A device page says it is alive; answers with its kind, hall and name", **ADMIN)
def heartbeat() -> dict:
    """Notes the device's last-seen time (at most once a minute) and tells it who it is."""
    with unit_of_work() as session:
        who = caller(session)
        if not access.is_device(who):
            raise Unauthorized("设备令牌无效 / invalid device token", code="bad_token")
        device = services.seen(session, who.id)
        return {
            "device": {
                "id": device.id,
                "kind": device.kind,
                "name": device.name,
                "hall": device.hall.code,
            }
        }
