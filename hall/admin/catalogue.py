"""What a hall is made of, edited from the administration pages: halls, departments, queues,
matters and windows. Types and lengths are checked by the schemas; the rules that need the
database (unique codes, references, hours that parse, a real time zone) here, each with the
field it belongs to. Every change is audited and dropped from the reference cache."""

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import audit, cache
from hall.admin.models import Department, Hall, Role
from hall.admin.services import FieldErrors
from hall.errors import NotFound
from hall.queue.models import Matter, Queue, Window, WindowQueue

HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
QUEUE_KINDS = ("intake", "specialised", "consultation", "pickup")

HALL_FIELDS = (
    "name",
    "name_en",
    "timezone",
    "hours",
    "workdays_only",
    "allow_phone_tickets",
    "notice",
    "wait_target_min",
    "default_service_s",
    "max_calls",
    "no_show_grace_min",
    "case_warning_days",
    "booking_days",
    "booking_slot_min",
    "booking_capacity",
    "booking_per_phone",
)


def hours_errors(hours: Any) -> str | None:
    """Why an opening-hours value does not parse, or None: {"0"…"6" or "default":
    [["08:30","12:00"], …]} (a weekday not named takes "default"; none: closed that day)."""
    if hours is None:
        return None
    if not isinstance(hours, dict):
        return "需要按星期的时段 / expected periods by weekday"
    for day, periods in hours.items():
        if day not in {*(str(d) for d in range(7)), "default"}:
            return f"星期应为 0–6 或 default / weekday must be 0–6 or default: {str(day)[:8]}"
        if not isinstance(periods, list):
            return "时段应为列表 / periods must be a list"
        for period in periods:
            if (
                not isinstance(period, list)
                or len(period) != 2
                or not all(isinstance(p, str) and HHMM.match(p) for p in period)
            ):
                return "时段格式为 08:30-12:00 / a period reads 08:30-12:00"
            if period[0] >= period[1]:
                return (
                    f"开始须早于结束 / a period must start before it ends: {period[0]}-{period[1]}"
                )
    return None


def _snapshot(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def _apply(
    session: Session,
    row: Any,
    fields: dict[str, Any],
    names: tuple[str, ...],
    by: Any,
    action: str,
    target: str,
    hall_id: int | None,
) -> dict[str, Any]:
    before = _snapshot(row, names)
    for name in names:
        if name in fields:
            setattr(row, name, fields[name])
    session.flush()
    after = _snapshot(row, names)
    changed = {k: v for k, v in after.items() if before[k] != v}
    if changed:
        audit.record(
            session,
            by,
            action,
            target,
            hall_id=hall_id,
            before={k: before[k] for k in changed},
            after=changed,
        )
        cache.changed(session)
    return changed


# -- halls -------------------------------------------------------------------------------------


def hall_json(hall: Hall) -> dict[str, Any]:
    """A hall's settings as the administration pages edit them."""
    return {"id": hall.id, "code": hall.code, **_snapshot(hall, HALL_FIELDS)}


def _check_hall(fields: dict[str, Any]) -> None:
    errors = {}
    if "timezone" in fields:
        try:
            ZoneInfo(fields["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = f"时区无效 / unknown time zone: {fields['timezone'][:40]}"
    if "hours" in fields and (problem := hours_errors(fields["hours"])):
        errors["hours"] = problem
    if errors:
        raise FieldErrors(errors)


def create_hall(session: Session, fields: dict[str, Any], by: Any) -> Hall:
    """A new hall (a site) with its code, name and time zone."""
    _check_hall(fields)
    if session.scalar(select(Hall).where(Hall.code == fields["code"])):
        raise FieldErrors({"code": "代码已存在 / code taken"})
    hall = Hall(code=fields["code"], name=fields["name"], priority_classes=[])
    session.add(hall)
    session.flush()
    _apply(session, hall, fields, HALL_FIELDS, None, "", "", None)
    audit.record(
        session, by, "hall.add", f"hall:{hall.code}", hall_id=hall.id, after=hall_json(hall)
    )
    cache.changed(session)
    return hall


def update_hall(session: Session, hall: Hall, fields: dict[str, Any], by: Any) -> dict[str, Any]:
    """Change a hall's name, hours, time zone, notice or targets."""
    _check_hall(fields)
    return _apply(
        session, hall, fields, HALL_FIELDS, by, "hall.update", f"hall:{hall.code}", hall.id
    )


# -- departments -------------------------------------------------------------------------------

DEPARTMENT_FIELDS = ("code", "name", "name_en")


def department_json(department: Department) -> dict[str, Any]:
    """A department as the administration pages show it."""
    return {"id": department.id, **_snapshot(department, DEPARTMENT_FIELDS)}


def get_department(session: Session, department_id: int) -> Department:
    """A department by id (404)."""
    department = session.get(Department, department_id)
    if department is None:
        raise NotFound(
            f"部门不存在 / no such department: {department_id}", code="department_not_found"
        )
    return department


def save_department(
    session: Session, department: Department | None, fields: dict[str, Any], by: Any
) -> Department:
    """Add a department (``department`` None) or change one; codes are unique."""
    code = fields.get("code")
    if code is not None:
        other = session.scalar(select(Department).where(Department.code == code))
        if other is not None and other is not department:
            raise FieldErrors({"code": "代码已存在 / code taken"})
    if department is None:
        department = Department(code=code, name=fields["name"], name_en="")
        session.add(department)
        session.flush()
        audit.record(session, by, "department.add", f"department:{code}", after=fields)
        cache.changed(session)
    _apply(
        session,
        department,
        fields,
        DEPARTMENT_FIELDS,
        by,
        "department.update",
        f"department:{department.code}",
        None,
    )
    return department


# -- queues ------------------------------------------------------------------------------------

QUEUE_FIELDS = ("code", "prefix", "name", "name_en", "kind")


def queue_json(queue: Queue) -> dict[str, Any]:
    """A queue as the administration pages show it."""
    return {"id": queue.id, "hall_id": queue.hall_id, **_snapshot(queue, QUEUE_FIELDS)}


def get_queue(session: Session, queue_id: int) -> Queue:
    """A queue by id (404)."""
    queue = session.get(Queue, queue_id)
    if queue is None:
        raise NotFound(f"队列不存在 / no such queue: {queue_id}", code="queue_not_found")
    return queue


def save_queue(
    session: Session, hall: Hall, queue: Queue | None, fields: dict[str, Any], by: Any
) -> Queue:
    """Add a queue to the hall or change one; codes and prefixes are unique in the hall."""
    errors = {}
    for name in ("code", "prefix"):
        value = fields.get(name)
        if value is None:
            continue
        other = session.scalar(
            select(Queue).where(Queue.hall_id == hall.id, getattr(Queue, name) == value)
        )
        if other is not None and other is not queue:
            errors[name] = "本大厅已有此值 / already used in this hall"
    if fields.get("kind") is not None and fields["kind"] not in QUEUE_KINDS:
        errors["kind"] = "队列类型无效 / unknown kind; use " + ", ".join(QUEUE_KINDS)
    if errors:
        raise FieldErrors(errors)
    if queue is None:
        queue = Queue(
            hall_id=hall.id, code=fields["code"], prefix=fields["prefix"], name=fields["name"]
        )
        session.add(queue)
        session.flush()
        audit.record(
            session,
            by,
            "queue.add",
            f"queue:{hall.code}/{queue.code}",
            hall_id=hall.id,
            after=fields,
        )
        cache.changed(session)
    _apply(
        session,
        queue,
        fields,
        QUEUE_FIELDS,
        by,
        "queue.update",
        f"queue:{hall.code}/{queue.code}",
        hall.id,
    )
    return queue


# -- matters -----------------------------------------------------------------------------------

MATTER_FIELDS = (
    "code",
    "name",
    "name_en",
    "category",
    "queue_id",
    "department_id",
    "daily_cap",
    "cap_warning",
    "hours",
    "active",
    "booking_slot_min",
    "booking_capacity",
)


def matter_json(matter: Matter) -> dict[str, Any]:
    """A matter as the administration pages show it (its guide is edited on its own)."""
    return {
        "id": matter.id,
        "hall_id": matter.hall_id,
        "version": matter.version,
        "changed_on": matter.changed_on.isoformat() if matter.changed_on else None,
        **_snapshot(matter, MATTER_FIELDS),
    }


def get_matter(session: Session, matter_id: int) -> Matter:
    """A matter by id (404)."""
    matter = session.get(Matter, matter_id)
    if matter is None:
        raise NotFound(f"事项不存在 / no such matter: {matter_id}", code="matter_not_found")
    return matter


def save_matter(
    session: Session, hall: Hall, matter: Matter | None, fields: dict[str, Any], by: Any
) -> Matter:
    """Add a matter to the hall or change one: its queue is the hall's, its department real."""
    errors = {}
    if fields.get("code") is not None:
        other = session.scalar(
            select(Matter).where(Matter.hall_id == hall.id, Matter.code == fields["code"])
        )
        if other is not None and other is not matter:
            errors["code"] = "本大厅已有此代码 / code already used in this hall"
    if "queue_id" in fields:
        queue = session.get(Queue, fields["queue_id"])
        if queue is None or queue.hall_id != hall.id:
            errors["queue_id"] = "不是本大厅的队列 / not a queue of this hall"
    if (
        fields.get("department_id") is not None
        and session.get(Department, fields["department_id"]) is None
    ):
        errors["department_id"] = "部门不存在 / no such department"
    if "hours" in fields and (problem := hours_errors(fields["hours"])):
        errors["hours"] = problem
    cap, warning = fields.get("daily_cap"), fields.get("cap_warning")
    if cap is not None and warning is not None and warning > cap:
        errors["cap_warning"] = "预警值不能大于日限额 / the warning may not exceed the cap"
    if errors:
        raise FieldErrors(errors)
    if matter is None:
        matter = Matter(
            hall_id=hall.id,
            code=fields["code"],
            name=fields["name"],
            queue_id=fields["queue_id"],
            documents=[],
            keywords=[],
        )
        session.add(matter)
        session.flush()
        audit.record(
            session,
            by,
            "matter.add",
            f"matter:{hall.code}/{matter.code}",
            hall_id=hall.id,
            after=fields,
        )
        cache.changed(session)
    _apply(
        session,
        matter,
        fields,
        MATTER_FIELDS,
        by,
        "matter.update",
        f"matter:{hall.code}/{matter.code}",
        hall.id,
    )
    return matter


def guide_history(session: Session, matter: Matter) -> list[dict[str, Any]]:
    """The versions of a matter's guide, newest first."""
    from hall.cases.models import MatterGuide

    rows = session.scalars(
        select(MatterGuide)
        .where(MatterGuide.matter_id == matter.id)
        .order_by(MatterGuide.version.desc())
    ).all()
    return [
        {
            "version": row.version,
            "changed_on": row.changed_on.isoformat(),
            "on_the_spot": row.on_the_spot,
            "time_limit_days": row.time_limit_days,
            "statutory_limit_days": row.statutory_limit_days,
            "fee": row.fee,
            "conditions": row.conditions,
            "legal_basis": row.legal_basis,
            "documents": row.documents,
        }
        for row in rows
    ]


# -- windows -----------------------------------------------------------------------------------

WINDOW_FIELDS = ("number", "name", "name_en", "roles")


def window_json(window: Window) -> dict[str, Any]:
    """A window with the queues it serves, in order."""
    return {
        "id": window.id,
        "hall_id": window.hall_id,
        "status": str(window.status),
        "queues": window.queue_ids,
        **_snapshot(window, WINDOW_FIELDS),
    }


def get_window(session: Session, window_id: int) -> Window:
    """A window by id (404)."""
    window = session.get(Window, window_id)
    if window is None:
        raise NotFound(f"窗口不存在 / no such window: {window_id}", code="window_not_found")
    return window


def save_window(
    session: Session, hall: Hall, window: Window | None, fields: dict[str, Any], by: Any
) -> Window:
    """Add a window to the hall or change one: its number, name, queues in order and roles."""
    errors = {}
    if fields.get("number") is not None:
        other = session.scalar(
            select(Window).where(Window.hall_id == hall.id, Window.number == fields["number"])
        )
        if other is not None and other is not window:
            errors["number"] = "本大厅已有此窗口号 / number already used in this hall"
    queue_ids = fields.get("queues")
    if queue_ids is not None:
        own = set(session.scalars(select(Queue.id).where(Queue.hall_id == hall.id)))
        if not queue_ids:
            errors["queues"] = "至少一个队列 / at least one queue"
        elif len(set(queue_ids)) != len(queue_ids) or not set(queue_ids) <= own:
            errors["queues"] = "须为本大厅的队列,不重复 / queues of this hall, each once"
    roles = fields.get("roles")
    if roles:
        unknown = [r for r in roles if r not in {r.value for r in Role}]
        if unknown:
            errors["roles"] = "角色无效 / unknown role: " + ", ".join(unknown)[:60]
    if errors:
        raise FieldErrors(errors)
    if window is None:
        window = Window(hall_id=hall.id, number=fields["number"], name=fields["name"])
        session.add(window)
        session.flush()
        audit.record(
            session,
            by,
            "window.add",
            f"window:{hall.code}/{window.number}",
            hall_id=hall.id,
            after=fields,
        )
        cache.changed(session)
    if "roles" in fields:
        fields = {**fields, "roles": roles or None}
    _apply(
        session,
        window,
        fields,
        WINDOW_FIELDS,
        by,
        "window.update",
        f"window:{hall.code}/{window.number}",
        hall.id,
    )
    if queue_ids is not None and queue_ids != window.queue_ids:
        before = window.queue_ids
        # Old links go first: the new ones may reuse their (window, queue) keys.
        window.links.clear()
        session.flush()
        window.links.extend(WindowQueue(queue_id=q, position=i) for i, q in enumerate(queue_ids))
        session.flush()
        audit.record(
            session,
            by,
            "window.queues",
            f"window:{hall.code}/{window.number}",
            hall_id=hall.id,
            window_id=window.id,
            before={"queues": before},
            after={"queues": queue_ids},
        )
        cache.changed(session)
    return window
