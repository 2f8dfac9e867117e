"""The hall's configuration as a file: export it, validate a file, plan and apply its changes.

The file (YAML or JSON, see docs/deploy.md) holds ``departments``, ``halls`` (each with its
settings, ``queues``, ``windows``, ``matters`` and ``devices``), ``staff`` and ``calendar``
(the national holiday arrangement as entered, ``hall/admin/holidays.py``). It holds no
secrets (no tokens, no passwords) and no residents' data.

Applying a file is one pass that compares each thing the file names with the database and,
unless it only plans, changes the row; so a dry run lists exactly what the import would do.
What the file no longer names is removed only when pruning, and only within the file's scope
(its halls, the staff of those halls and staff without a hall, the departments): anything that
tickets, cases or the audit trail still refer to is retired (hidden, history kept), the rest
deleted. Staff are never deleted, only disabled. Calendar days are pruned only in the years
the file's ``calendar`` names.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from hall import cache, clock
from hall.admin import holidays
from hall.admin.models import AuthToken, CalendarDay, Department, Device, Hall, Role, Staff
from hall.admin.services import DEVICE_KINDS, token_hash
from hall.cases.models import MatterDepartment, MatterGuide
from hall.db import Base
from hall.errors import HallError
from hall.events import Event, record
from hall.queue.models import Matter, Queue, Window, WindowQueue

QUEUE_KINDS = ("intake", "specialised", "consultation", "pickup")
MATTER_KINDS = ("on_the_spot", "committed")
# A staff account made by a file has no usable password until one is set (werkzeug's
# check_password_hash refuses a hash without a method).
NO_PASSWORD = "!"
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
HOURS_KEYS = ("default", "0", "1", "2", "3", "4", "5", "6")


# -- the shape of the file ----------------------------------------------------------------------
#
# Each entity: (key, type, default, max length or None). Types: "str", "text", "bool", "int",
# "int?" (None allowed), "hours", "strlist", "strlist?", "dict", "str?".

HALL_FIELDS = [
    ("name", "str", None, 120),
    ("name_en", "str", "", 120),
    ("timezone", "str", "Asia/Shanghai", 64),
    ("hours", "hours", None, None),
    ("workdays_only", "bool", False, None),
    ("allow_phone_tickets", "bool", False, None),
    ("priority_classes", "strlist", [], 40),
    ("priority_streak_max", "int", 2, None),
    ("max_calls", "int", 3, None),
    ("no_show_grace_min", "int", 30, None),
    ("default_service_s", "int", 300, None),
    ("wait_target_min", "int", 30, None),
    ("case_warning_days", "int", 1, None),
    ("notice", "text", "", 500),
    ("booking_days", "int", 14, None),
    ("booking_slot_min", "int", 30, None),
    ("booking_capacity", "int", 2, None),
    ("booking_per_phone", "int", 2, None),
]
DEPARTMENT_FIELDS = [("name", "str", None, 120), ("name_en", "str", "", 120)]
QUEUE_FIELDS = [
    ("name", "str", None, 60),
    ("name_en", "str", "", 60),
    ("prefix", "str", None, 4),
    ("kind", "str", "intake", 20),
]
WINDOW_FIELDS = [
    ("name", "str", None, 60),
    ("name_en", "str", "", 60),
    ("roles", "strlist?", None, 20),
]
MATTER_FIELDS = [
    ("name", "str", None, 120),
    ("name_en", "str", "", 120),
    ("category", "str", "", 60),
    ("category_en", "str", "", 60),
    ("keywords", "strlist", [], 40),
    ("basic_code", "str", "", 40),
    ("implementation_code", "str", "", 60),
    ("partial_allowed", "bool", False, None),
    ("result_pickup", "bool", True, None),
    ("daily_cap", "int?", None, None),
    ("cap_warning", "int?", None, None),
    ("hours", "hours", None, None),
    ("booking_slot_min", "int?", None, None),
    ("booking_capacity", "int?", None, None),
]
# The guide's content: a change of any of these publishes a new guide version.
GUIDE_FIELDS = [
    ("time_limit_days", "int", 0, None),
    ("statutory_limit_days", "int", 0, None),
    ("fee", "str", "不收费 / free", 120),
    ("conditions", "text", "", 20000),
    ("legal_basis", "text", "", 20000),
]
CHECKLIST_FIELDS = [
    ("id", "int?", None, None),
    ("name", "str", None, 200),
    ("name_en", "str", "", 200),
    ("required", "bool", True, None),
    ("core", "bool", False, None),
    ("original", "bool", True, None),
    ("copies", "int", 1, None),
]
DEVICE_FIELDS = [
    ("printer", "str?", None, 300),
    ("printer_options", "dict", {}, None),
]
STAFF_FIELDS = [
    ("name", "str", "", 60),
    ("staff_no", "str", "", 20),
    ("role", "str", None, 20),
    ("hall", "str?", None, 32),
    ("department", "str?", None, 32),
    ("active", "bool", True, None),
]

CALENDAR_FIELDS = [("workday", "bool", None, None), ("name", "str", "", 40)]

_KEYS = {
    "top": {"departments", "halls", "staff", "calendar"},
    "calendar": {"date", "workday", "name"},
    "department": {"code"} | {f[0] for f in DEPARTMENT_FIELDS},
    "hall": {"code", "queues", "windows", "matters", "devices"} | {f[0] for f in HALL_FIELDS},
    "queue": {"code"} | {f[0] for f in QUEUE_FIELDS},
    "window": {"number", "queues"} | {f[0] for f in WINDOW_FIELDS},
    "matter": {"code", "queue", "kind", "checklist", "lead_department", "assisting_departments"}
    | {f[0] for f in MATTER_FIELDS}
    | {f[0] for f in GUIDE_FIELDS},
    "checklist": {f[0] for f in CHECKLIST_FIELDS},
    "device": {"kind", "name"} | {f[0] for f in DEVICE_FIELDS},
    "staff": {"username"} | {f[0] for f in STAFF_FIELDS},
}


# -- export -------------------------------------------------------------------------------------


def export_config(session: Session, hall_code: str | None = None) -> dict[str, Any]:
    """The configuration as plain data (every hall, or one hall and the staff without a hall)."""
    from hall.cases.services import checklist

    halls_query = select(Hall).order_by(Hall.id)
    if hall_code is not None:
        halls_query = halls_query.where(Hall.code == hall_code)
    halls = session.scalars(halls_query).all()
    if hall_code is not None and not halls:
        from hall.errors import NotFound

        raise NotFound(f"大厅不存在 / no such hall: {hall_code[:40]}", code="hall_not_found")
    departments = session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.id)
    ).all()
    dept_code = {d.id: d.code for d in session.scalars(select(Department))}
    out_halls = []
    for hall in halls:
        queues = session.scalars(
            select(Queue).where(Queue.hall_id == hall.id, Queue.active.is_(True)).order_by(Queue.id)
        ).all()
        queue_code = {
            q.id: q.code for q in session.scalars(select(Queue).where(Queue.hall_id == hall.id))
        }
        windows = session.scalars(
            select(Window)
            .where(Window.hall_id == hall.id, Window.active.is_(True))
            .order_by(Window.id)
        ).all()
        matters = session.scalars(
            select(Matter)
            .where(Matter.hall_id == hall.id, Matter.active.is_(True))
            .order_by(Matter.id)
        ).all()
        devices = session.scalars(
            select(Device)
            .where(Device.hall_id == hall.id, Device.revoked_at.is_(None))
            .order_by(Device.id)
        ).all()
        entry = {"code": hall.code, **_fields(hall, HALL_FIELDS)}
        entry["queues"] = [{"code": q.code, **_fields(q, QUEUE_FIELDS)} for q in queues]
        entry["windows"] = [
            {
                "number": w.number,
                "name": w.name,
                "name_en": w.name_en,
                "queues": [queue_code[link.queue_id] for link in w.links],
                "roles": list(w.roles) if w.roles is not None else None,
            }
            for w in windows
        ]
        entry["matters"] = []
        for m in matters:
            lead, assisting = _departments(session, m)
            entry["matters"].append(
                {
                    "code": m.code,
                    "queue": queue_code[m.queue_id],
                    **_fields(m, MATTER_FIELDS),
                    "kind": "on_the_spot" if m.on_the_spot else "committed",
                    **_fields(m, GUIDE_FIELDS),
                    "lead_department": dept_code.get(lead) if lead else None,
                    "assisting_departments": sorted(dept_code[d] for d in assisting),
                    "checklist": [_item(i) for i in checklist(session, m)],
                }
            )
        entry["devices"] = [
            {
                "kind": d.kind,
                "name": d.name,
                "printer": d.printer_url,
                "printer_options": dict(d.printer_options or {}),
            }
            for d in devices
        ]
        out_halls.append(entry)
    hall_ids = {h.id for h in halls}
    hall_code_of = {h.id: h.code for h in session.scalars(select(Hall))}
    staff = [
        s
        for s in session.scalars(select(Staff).order_by(Staff.id))
        if hall_code is None or s.hall_id is None or s.hall_id in hall_ids
    ]
    return {
        "departments": [{"code": d.code, **_fields(d, DEPARTMENT_FIELDS)} for d in departments],
        "halls": out_halls,
        "staff": [
            {
                "username": s.username,
                "name": s.name,
                "staff_no": s.staff_no,
                "role": s.role,
                "hall": hall_code_of.get(s.hall_id) if s.hall_id else None,
                "department": dept_code.get(s.department_id) if s.department_id else None,
                "active": s.active,
            }
            for s in staff
        ],
        "calendar": [
            holidays.day_json(day)
            for day in session.scalars(select(CalendarDay).order_by(CalendarDay.day))
        ],
    }


def _fields(row: Any, fields: list[tuple]) -> dict[str, Any]:
    out = {}
    for key, _kind, _default, _limit in fields:
        value = getattr(row, _attr(key))
        out[key] = _plain(value)
    return out


def _attr(key: str) -> str:
    return {"printer": "printer_url"}.get(key, key)


def _plain(value: Any) -> Any:
    """JSON-shaped copies, so that exported data never aliases a row's mutable value."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _item(item: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, _kind, default, _limit in CHECKLIST_FIELDS:
        out[key] = item.get(key, default)
    return out


def _departments(session: Session, matter: Matter) -> tuple[int | None, list[int]]:
    rows = session.execute(
        select(MatterDepartment.department_id, MatterDepartment.lead).where(
            MatterDepartment.matter_id == matter.id
        )
    ).all()
    lead = next((d for d, is_lead in rows if is_lead), None) or matter.department_id
    return lead, [d for d, is_lead in rows if not is_lead and d != lead]


# -- validation ---------------------------------------------------------------------------------


class _Errors(list):
    def add(self, path: str, message: str) -> None:
        self.append(f"{path}: {message}")


def validate(session: Session, data: Any) -> list[str]:
    """Every error in the file, each with its path (``halls[0].matters[3].queue: …``)."""
    errors = _Errors()
    if not isinstance(data, dict):
        errors.add("$", "应为映射 / must be a mapping with departments, halls and staff")
        return errors
    _unknown(errors, "$", data, _KEYS["top"])
    departments = _list(errors, "departments", data.get("departments", []))
    dept_codes = _entities(errors, "departments", departments, "department", "code", 32)
    for i, dept in enumerate(departments):
        if isinstance(dept, dict):
            _check_fields(errors, f"departments[{i}]", dept, DEPARTMENT_FIELDS)
    halls = _list(errors, "halls", data.get("halls", []))
    hall_codes = _entities(errors, "halls", halls, "hall", "code", 32)
    for h, hall in enumerate(halls):
        if isinstance(hall, dict):
            _validate_hall(errors, f"halls[{h}]", hall, dept_codes)
    staff = _list(errors, "staff", data.get("staff", []))
    _entities(errors, "staff", staff, "staff", "username", 64)
    roles = {r.value for r in Role}
    for i, person in enumerate(staff):
        if not isinstance(person, dict):
            continue
        path = f"staff[{i}]"
        _check_fields(errors, path, person, STAFF_FIELDS)
        if isinstance(person.get("role"), str) and person["role"] not in roles:
            errors.add(f"{path}.role", f"未知角色 / unknown role {person['role']!r}")
        hall = person.get("hall")
        if isinstance(hall, str) and hall not in hall_codes:
            errors.add(f"{path}.hall", f"未知大厅 / unknown hall {hall!r}")
        dept = person.get("department")
        if isinstance(dept, str) and dept not in dept_codes:
            errors.add(f"{path}.department", f"未知部门 / unknown department {dept!r}")
    _validate_calendar(errors, _list(errors, "calendar", data.get("calendar", [])))
    return list(errors)


def _validate_calendar(errors: _Errors, days: list) -> None:
    """Each day a mapping with a date (YYYY-MM-DD, 2000–2100) given once, ``workday`` true or
    false and a name of at most 40 characters."""
    seen: set[str] = set()
    for i, item in enumerate(days):
        path = f"calendar[{i}]"
        if not isinstance(item, dict):
            errors.add(path, "应为映射 / must be a mapping")
            continue
        _unknown(errors, path, item, _KEYS["calendar"])
        try:
            day = holidays.parse_day(item.get("date"))
        except HallError as err:
            errors.add(f"{path}.date", err.message)
        else:
            if day.isoformat() in seen:
                errors.add(f"{path}.date", f"重复 / duplicate date {day.isoformat()}")
            seen.add(day.isoformat())
        if not isinstance(item.get("workday"), bool):
            errors.add(f"{path}.workday", "应为 true 或 false / must be true or false")
        try:
            holidays.check_name(item.get("name", ""))
        except HallError as err:
            errors.add(f"{path}.name", err.message)


def _validate_hall(errors: _Errors, path: str, hall: dict, dept_codes: set[str]) -> None:
    _check_fields(errors, path, hall, HALL_FIELDS)
    tz = hall.get("timezone")
    if isinstance(tz, str):
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            errors.add(f"{path}.timezone", f"未知时区 / unknown time zone {tz!r}")
    queues = _list(errors, f"{path}.queues", hall.get("queues", []))
    queue_codes = _entities(errors, f"{path}.queues", queues, "queue", "code", 8)
    prefixes: dict[str, int] = {}
    for q, queue in enumerate(queues):
        if not isinstance(queue, dict):
            continue
        qpath = f"{path}.queues[{q}]"
        _check_fields(errors, qpath, queue, QUEUE_FIELDS)
        if isinstance(queue.get("kind"), str) and queue["kind"] not in QUEUE_KINDS:
            errors.add(f"{qpath}.kind", f"应为 / must be one of {', '.join(QUEUE_KINDS)}")
        prefix = queue.get("prefix")
        if isinstance(prefix, str):
            if prefix in prefixes:
                errors.add(f"{qpath}.prefix", f"前缀重复 / duplicate prefix {prefix!r}")
            prefixes[prefix] = q
    windows = _list(errors, f"{path}.windows", hall.get("windows", []))
    _entities(errors, f"{path}.windows", windows, "window", "number", 8)
    roles = {r.value for r in Role}
    for w, window in enumerate(windows):
        if not isinstance(window, dict):
            continue
        wpath = f"{path}.windows[{w}]"
        _check_fields(errors, wpath, window, WINDOW_FIELDS)
        served = window.get("queues")
        if not isinstance(served, list) or not served:
            errors.add(f"{wpath}.queues", "应为非空的队列代码列表 / must list queue codes")
        else:
            seen = set()
            for k, code in enumerate(served):
                if not isinstance(code, str) or code not in queue_codes:
                    errors.add(f"{wpath}.queues[{k}]", f"未知队列 / unknown queue {code!r}")
                elif code in seen:
                    errors.add(f"{wpath}.queues[{k}]", f"队列重复 / duplicate queue {code!r}")
                else:
                    seen.add(code)
        for k, role in enumerate(window.get("roles") or []):
            if isinstance(role, str) and role not in roles:
                errors.add(f"{wpath}.roles[{k}]", f"未知角色 / unknown role {role!r}")
    matters = _list(errors, f"{path}.matters", hall.get("matters", []))
    _entities(errors, f"{path}.matters", matters, "matter", "code", 32)
    for m, matter in enumerate(matters):
        if isinstance(matter, dict):
            _validate_matter(errors, f"{path}.matters[{m}]", matter, queue_codes, dept_codes)
    devices = _list(errors, f"{path}.devices", hall.get("devices", []))
    for d, device in enumerate(devices):
        dpath = f"{path}.devices[{d}]"
        if not isinstance(device, dict):
            errors.add(dpath, "应为映射 / must be a mapping")
            continue
        _unknown(errors, dpath, device, _KEYS["device"])
        _check_fields(errors, dpath, device, [("kind", "str", None, 20), ("name", "str", None, 60)])
        _check_fields(errors, dpath, device, DEVICE_FIELDS)
        if isinstance(device.get("kind"), str) and device["kind"] not in DEVICE_KINDS:
            errors.add(f"{dpath}.kind", f"应为 / must be one of {', '.join(DEVICE_KINDS)}")


def _validate_matter(
    errors: _Errors, path: str, matter: dict, queue_codes: set[str], dept_codes: set[str]
) -> None:
    _check_fields(errors, path, matter, MATTER_FIELDS + GUIDE_FIELDS)
    queue = matter.get("queue")
    if queue is None:
        errors.add(f"{path}.queue", "必填 / required")
    elif not isinstance(queue, str) or queue not in queue_codes:
        errors.add(f"{path}.queue", f"未知队列 / unknown queue {queue!r}")
    kind = matter.get("kind", "on_the_spot")
    if not isinstance(kind, str) or kind not in MATTER_KINDS:
        errors.add(f"{path}.kind", f"应为 / must be one of {', '.join(MATTER_KINDS)}")
    limit, statutory = matter.get("time_limit_days", 0), matter.get("statutory_limit_days", 0)
    if _is_int(limit) and _is_int(statutory) and statutory and limit > statutory:
        errors.add(
            f"{path}.time_limit_days",
            "承诺时限不能长于法定时限 / the promised limit may not exceed the statutory one",
        )
    cap, warning = matter.get("daily_cap"), matter.get("cap_warning")
    if _is_int(cap) and _is_int(warning) and warning > cap:
        errors.add(f"{path}.cap_warning", "不能大于每日上限 / may not exceed daily_cap")
    lead = matter.get("lead_department")
    if lead is not None and (not isinstance(lead, str) or lead not in dept_codes):
        errors.add(f"{path}.lead_department", f"未知部门 / unknown department {lead!r}")
    assisting = matter.get("assisting_departments", [])
    if not isinstance(assisting, list):
        errors.add(f"{path}.assisting_departments", "应为部门代码列表 / must list department codes")
    else:
        for k, code in enumerate(assisting):
            if not isinstance(code, str) or code not in dept_codes:
                errors.add(
                    f"{path}.assisting_departments[{k}]", f"未知部门 / unknown department {code!r}"
                )
            elif code == lead:
                errors.add(f"{path}.assisting_departments[{k}]", "主办部门不能协办 / is the lead")
    items = _list(errors, f"{path}.checklist", matter.get("checklist", []))
    ids = set()
    for k, item in enumerate(items):
        ipath = f"{path}.checklist[{k}]"
        if isinstance(item, str):
            continue
        if not isinstance(item, dict):
            errors.add(ipath, "应为映射或文字 / must be a mapping or a text")
            continue
        _unknown(errors, ipath, item, _KEYS["checklist"])
        _check_fields(errors, ipath, item, CHECKLIST_FIELDS)
        if _is_int(item.get("id")):
            if item["id"] in ids:
                errors.add(f"{ipath}.id", f"编号重复 / duplicate id {item['id']}")
            ids.add(item["id"])


def _list(errors: _Errors, path: str, value: Any) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add(path, "应为列表 / must be a list")
        return []
    return value


def _entities(errors: _Errors, path: str, items: list, kind: str, key: str, limit: int) -> set[str]:
    """Check each item is a mapping with a unique key; the keys seen."""
    seen: set[str] = set()
    for i, item in enumerate(items):
        ipath = f"{path}[{i}]"
        if not isinstance(item, dict):
            errors.add(ipath, "应为映射 / must be a mapping")
            continue
        _unknown(errors, ipath, item, _KEYS[kind])
        code = item.get(key)
        if not isinstance(code, str) or not code.strip():
            errors.add(f"{ipath}.{key}", "必填文字 / required text")
            continue
        if len(code) > limit:
            errors.add(f"{ipath}.{key}", f"不超过 {limit} 字 / at most {limit} characters")
        if code in seen:
            errors.add(f"{ipath}.{key}", f"重复 / duplicate {key} {code!r}")
        seen.add(code)
    return seen


def _unknown(errors: _Errors, path: str, item: dict, known: set[str]) -> None:
    for key in item:
        if key not in known:
            errors.add(f"{path}.{key}", "未知字段 / unknown key")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_fields(errors: _Errors, path: str, item: dict, fields: list[tuple]) -> None:
    for key, kind, default, limit in fields:
        where = f"{path}.{key}"
        if key not in item:
            if default is None and kind in ("str", "text"):
                errors.add(where, "必填 / required")
            continue
        value = item[key]
        if kind in ("str", "text", "str?"):
            if value is None and kind == "str?":
                continue
            if not isinstance(value, str) or (default is None and not value.strip()):
                errors.add(where, "应为文字 / must be a text")
            elif limit and len(value) > limit:
                errors.add(where, f"不超过 {limit} 字 / at most {limit} characters")
        elif kind == "bool":
            if not isinstance(value, bool):
                errors.add(where, "应为 true 或 false / must be true or false")
        elif kind in ("int", "int?"):
            if value is None and kind == "int?":
                continue
            if not _is_int(value) or not 0 <= value < 2**31:
                errors.add(where, "应为非负整数 / must be a whole number, 0 or more")
        elif kind in ("strlist", "strlist?"):
            if value is None and kind == "strlist?":
                continue
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v.strip() for v in value
            ):
                errors.add(where, "应为文字列表 / must be a list of texts")
            elif limit and any(len(v) > limit for v in value):
                errors.add(where, f"每项不超过 {limit} 字 / at most {limit} characters each")
        elif kind == "dict":
            # Printer options are flat settings ({paper: 58, raster: true}).
            flat = isinstance(value, dict) and all(
                isinstance(k, str) and (v is None or isinstance(v, str | int | float | bool))
                for k, v in value.items()
            )
            if not flat:
                errors.add(where, "应为简单的键值映射 / must map names to plain values")
        elif kind == "hours":
            _check_hours(errors, where, value)


def _check_hours(errors: _Errors, path: str, hours: Any) -> None:
    if hours is None:
        return
    if not isinstance(hours, dict):
        errors.add(path, "应为按星期的时段 / must map default or 0-6 to periods, or be null")
        return
    for day, periods in hours.items():
        if str(day) not in HOURS_KEYS:
            errors.add(f"{path}.{day}", "应为 default 或 0-6 / must be default or 0 (Monday)-6")
            continue
        if not isinstance(periods, list):
            errors.add(f"{path}.{day}", "应为时段列表 / must list [start, end] periods")
            continue
        for k, period in enumerate(periods):
            ok = (
                isinstance(period, list)
                and len(period) == 2
                and all(isinstance(t, str) and HHMM.match(t) for t in period)
                and period[0] < period[1]
            )
            if not ok:
                errors.add(
                    f"{path}.{day}[{k}]",
                    f'时段无效 / not a period ["HH:MM", "HH:MM"] (quoted in YAML), start before end: '
                    f"{period!r}",
                )


# -- plan and apply -----------------------------------------------------------------------------


class InvalidConfig(Exception):
    """The file has errors; nothing was changed."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


def _errors(session: Session, data: Any, prune: bool) -> list[str]:
    errors = validate(session, data)
    if not errors and prune:
        admins = [
            s for s in data.get("staff") or [] if s["role"] == "admin" and s.get("active", True)
        ]
        if not admins:
            errors.append(
                "staff: 删除未列出的项目会停用所有系统管理员,请在文件中保留至少一名 / "
                "--prune would disable every admin: keep at least one active admin in the file"
            )
    return errors


def plan(session: Session, data: Any, prune: bool = False) -> list[str]:
    """The changes the file would make, one line each; changes nothing."""
    errors = _errors(session, data, prune)
    if errors:
        raise InvalidConfig(errors)
    return _Sync(session, write=False, prune=prune).run(data)


def apply(
    session: Session, data: Any, prune: bool = False, by: Any = None
) -> tuple[list[str], list[Event]]:
    """Make the file's changes in the session's transaction; the change lines and the events
    to publish after the commit (``config.changed`` for each hall that changed)."""
    errors = _errors(session, data, prune)
    if errors:
        raise InvalidConfig(errors)
    sync = _Sync(session, write=True, prune=prune)
    changes = sync.run(data)
    events: list[Event] = []
    if changes:
        from hall import audit

        audit.record(
            session,
            by,
            "config.import",
            "config" + (" --prune" if prune else ""),
            after={"changes": changes[:500], "count": len(changes)},
        )
        cache.changed(session)
        if sync.revoked:
            cache.revoked(session)
        at = clock.now()
        for hall in sync.touched_halls:
            events.append(
                record(
                    session,
                    hall,
                    "config.changed",
                    {"at": clock.iso_local(at, hall.timezone)},
                )
            )
    return changes, events


def _in_use(session: Session, table: str, row_id: int, ignore: tuple[str, ...] = ()) -> bool:
    """Whether any row of another table refers to this one (tickets, cases, steps, …)."""
    for other in Base.metadata.sorted_tables:
        if other.name in ignore:
            continue
        for fk in other.foreign_keys:
            if fk.column.table.name != table:
                continue
            if session.scalar(select(exists().where(fk.parent == row_id))):
                return True
    return False


class _Sync:
    """One pass over the file: compare, report, and (when writing) change."""

    def __init__(self, session: Session, *, write: bool, prune: bool):
        self.session = session
        self.write = write
        self.prune = prune
        self.changes: list[str] = []
        self.touched_halls: list[Hall] = []
        self.revoked = False
        self._current_hall: Hall | None = None

    def note(self, line: str) -> None:
        self.changes.append(line)
        hall = self._current_hall
        if hall is not None and hall.id is not None and hall not in self.touched_halls:
            self.touched_halls.append(hall)

    def run(self, data: dict) -> list[str]:
        s = self.session
        depts = {d.code: d for d in s.scalars(select(Department))}
        for item in data.get("departments") or []:
            dept = depts.get(item["code"])
            label = f"department {item['code']}"
            if dept is None:
                self.note(f"+ {label}")
                if self.write:
                    dept = Department(code=item["code"])
                    self._set(dept, item, DEPARTMENT_FIELDS)
                    s.add(dept)
                    depts[dept.code] = dept
            else:
                self._update(dept, item, DEPARTMENT_FIELDS, label)
                self._reactivate(dept, label)
        if self.write:
            s.flush()
        named = {item["code"] for item in data.get("departments") or []}
        halls = {h.code: h for h in s.scalars(select(Hall))}
        for item in data.get("halls") or []:
            self._hall(item, halls.get(item["code"]), depts)
        self._current_hall = None
        self._staff(data.get("staff") or [], data, halls, depts)
        self._calendar(data.get("calendar") or [])
        if self.prune:
            for code, dept in depts.items():
                if code not in named and dept.active:
                    self._remove(dept, "departments", f"department {code}")
        return self.changes

    # -- the holiday arrangement -----------------------------------------------------------

    def _calendar(self, items: list[dict]) -> None:
        """Enter the file's days; pruning, remove the other entered days of its years only."""
        s = self.session
        wanted = {
            holidays.parse_day(i["date"]): (i["workday"], holidays.check_name(i.get("name", "")))
            for i in items
        }
        current = {r.day: r for r in s.scalars(select(CalendarDay))}
        for day, (workday, name) in sorted(wanted.items()):
            label = f"calendar {day.isoformat()}"
            row = current.get(day)
            if row is None:
                kind = "workday" if workday else "holiday"
                self.note(f"+ {label} {kind} {name}".rstrip())
                if self.write:
                    s.add(CalendarDay(day=day, workday=workday, name=name))
            else:
                self._update(row, {"workday": workday, "name": name}, CALENDAR_FIELDS, label)
        if self.prune:
            years = {day.year for day in wanted}
            for day, row in sorted(current.items()):
                if day.year in years and day not in wanted:
                    self.note(f"- calendar {day.isoformat()} (deleted)")
                    if self.write:
                        s.delete(row)
        if self.write:
            s.flush()

    # -- halls -----------------------------------------------------------------------------

    def _hall(self, item: dict, hall: Hall | None, depts: dict[str, Department]) -> None:
        s = self.session
        label = f"hall {item['code']}"
        self._current_hall = hall
        if hall is None:
            self.note(f"+ {label}")
            if not self.write:
                self._hall_parts(item, None, depts)
                return
            hall = Hall(code=item["code"])
            self._set(hall, item, HALL_FIELDS)
            s.add(hall)
            s.flush()
            self._current_hall = hall
            self.touched_halls.append(hall)
        else:
            self._current_hall = hall
            self._update(hall, item, HALL_FIELDS, label)
        self._hall_parts(item, hall, depts)

    def _hall_parts(self, item: dict, hall: Hall | None, depts: dict[str, Department]) -> None:
        s = self.session
        code = item["code"]
        # Queues.
        queues = (
            {q.code: q for q in s.scalars(select(Queue).where(Queue.hall_id == hall.id))}
            if hall is not None
            else {}
        )
        for q in item.get("queues") or []:
            label = f"queue {code}/{q['code']}"
            queue = queues.get(q["code"])
            if queue is None:
                self.note(f"+ {label}")
                if self.write:
                    queue = Queue(hall_id=hall.id, code=q["code"])
                    self._set(queue, q, QUEUE_FIELDS)
                    s.add(queue)
                    queues[queue.code] = queue
            else:
                self._update(queue, q, QUEUE_FIELDS, label)
                self._reactivate(queue, label)
        if self.write:
            s.flush()
        # Matters.
        matters = (
            {m.code: m for m in s.scalars(select(Matter).where(Matter.hall_id == hall.id))}
            if hall is not None
            else {}
        )
        for m in item.get("matters") or []:
            self._matter(hall, code, m, matters.get(m["code"]), queues, depts)
        # Windows.
        windows = (
            {w.number: w for w in s.scalars(select(Window).where(Window.hall_id == hall.id))}
            if hall is not None
            else {}
        )
        for w in item.get("windows") or []:
            label = f"window {code}/{w['number']}"
            window = windows.get(w["number"])
            if window is None:
                self.note(f"+ {label}")
                if self.write:
                    window = Window(hall_id=hall.id, number=w["number"])
                    self._set(window, w, WINDOW_FIELDS)
                    window.links = _links(w["queues"], queues)
                    s.add(window)
                continue
            self._update(window, w, WINDOW_FIELDS, label)
            self._reactivate(window, label)
            current = [link.queue.code for link in window.links]
            if current != list(w["queues"]):
                self.note(f"~ {label}: queues {current} -> {list(w['queues'])}")
                if self.write:
                    window.links = []
                    s.flush()
                    window.links = _links(w["queues"], queues)
        # Devices.
        devices = (
            s.scalars(
                select(Device)
                .where(Device.hall_id == hall.id, Device.revoked_at.is_(None))
                .order_by(Device.id)
            ).all()
            if hall is not None
            else []
        )
        # Devices are matched by kind and name; devices of the same kind and name (two
        # kiosks both called "kiosk") are matched in the order of their ids.
        by_key: dict[tuple[str, str], list[Device]] = {}
        for device in devices:
            by_key.setdefault((device.kind, device.name), []).append(device)
        for d in item.get("devices") or []:
            key = (d["kind"], d["name"])
            label = f"device {code}/{d['kind']} {d['name']}"
            same = by_key.get(key)
            device = same.pop(0) if same else None
            if device is None:
                if not self.write:
                    self.note(f"+ {label} (no token yet: `hall device token ID`)")
                    continue
                device = Device(
                    hall_id=hall.id,
                    kind=d["kind"],
                    name=d["name"],
                    token_hash=token_hash(secrets.token_urlsafe(32)),
                    created_at=clock.now(),
                )
                self._set(device, d, DEVICE_FIELDS)
                s.add(device)
                s.flush()
                self.note(f"+ {label} (no token yet: `hall device token {device.id}`)")
            else:
                self._update(device, d, DEVICE_FIELDS, label)
        if self.write:
            s.flush()
        if not self.prune or hall is None:
            return
        named = {m["code"] for m in item.get("matters") or []}
        for mcode, matter in matters.items():
            if mcode not in named and matter.active:
                self._remove(
                    matter,
                    "matters",
                    f"matter {code}/{mcode}",
                    owned=("matter_guides", "matter_departments"),
                )
        named = {w["number"] for w in item.get("windows") or []}
        for number, window in windows.items():
            if number not in named and window.active:
                self._remove(window, "windows", f"window {code}/{number}", owned=("window_queues",))
        named = {q["code"] for q in item.get("queues") or []}
        for qcode, queue in queues.items():
            if qcode not in named and queue.active:
                self._remove(queue, "queues", f"queue {code}/{qcode}", owned=("window_queues",))
        for key, left in by_key.items():
            for device in left:
                self._remove(device, "devices", f"device {code}/{key[0]} {key[1]}")

    def _matter(
        self,
        hall: Hall | None,
        hall_code: str,
        item: dict,
        matter: Matter | None,
        queues: dict[str, Queue],
        depts: dict[str, Department],
    ) -> None:
        from hall.cases.services import checklist, revise_guide

        s = self.session
        label = f"matter {hall_code}/{item['code']}"
        guide = _guide_of(item)
        lead = item.get("lead_department")
        assisting = sorted(item.get("assisting_departments") or [])
        if matter is None:
            self.note(f"+ {label}")
            if not self.write:
                return
            at = clock.now()
            matter = Matter(
                hall_id=hall.id,
                code=item["code"],
                queue_id=queues[item["queue"]].id,
                department_id=depts[lead].id if lead else None,
                version=1,
                changed_on=clock.service_date(at, hall.timezone),
                documents=[i["name"] for i in guide["documents"]],
            )
            self._set(matter, item, MATTER_FIELDS)
            for key in ("on_the_spot", *(f[0] for f in GUIDE_FIELDS)):
                setattr(matter, key, guide[key])
            s.add(matter)
            s.flush()
            documents = _numbered(guide["documents"])
            s.add(
                MatterGuide(
                    matter_id=matter.id,
                    version=1,
                    changed_on=matter.changed_on,
                    created_at=at,
                    **{**guide, "documents": documents},
                )
            )
            self._set_departments(matter, lead, assisting, depts)
            return
        self._update(matter, item, MATTER_FIELDS, label)
        self._reactivate(matter, label)
        queue_code = next((c for c, q in queues.items() if q.id == matter.queue_id), None)
        if queue_code != item["queue"]:
            self.note(f"~ {label}: queue {queue_code} -> {item['queue']}")
            if self.write:
                matter.queue_id = queues[item["queue"]].id
        current = {
            "on_the_spot": matter.on_the_spot,
            **{f[0]: getattr(matter, f[0]) for f in GUIDE_FIELDS},
            "documents": [_item(i) for i in checklist(s, matter)],
        }
        differs = [
            key
            for key in current
            if (
                _same_items(current[key], guide[key])
                if key == "documents"
                else current[key] == guide[key]
            )
            is False
        ]
        if differs:
            self.note(
                f"~ {label}: guide v{matter.version} -> v{matter.version + 1} "
                f"({', '.join('checklist' if k == 'documents' else k for k in differs)})"
            )
            if self.write:
                revise_guide(s, matter, {**guide, "documents": _numbered(guide["documents"])})
        old_lead_id, old_assisting_ids = _departments(s, matter)
        code_of = {d.id: c for c, d in depts.items()}
        old_lead = code_of.get(old_lead_id) if old_lead_id else None
        old_assisting = sorted(code_of[d] for d in old_assisting_ids if d in code_of)
        if (old_lead, old_assisting) != (lead, assisting):
            self.note(
                f"~ {label}: departments {old_lead} + {old_assisting} -> {lead} + {assisting}"
            )
            if self.write:
                s.execute(delete(MatterDepartment).where(MatterDepartment.matter_id == matter.id))
                matter.department_id = depts[lead].id if lead else None
                self._set_departments(matter, lead, assisting, depts)

    def _set_departments(
        self, matter: Matter, lead: str | None, assisting: list[str], depts: dict
    ) -> None:
        if lead:
            self.session.add(
                MatterDepartment(matter_id=matter.id, department_id=depts[lead].id, lead=True)
            )
        for code in assisting:
            self.session.add(
                MatterDepartment(matter_id=matter.id, department_id=depts[code].id, lead=False)
            )
        self.session.flush()

    # -- staff -----------------------------------------------------------------------------

    def _staff(self, items: list, data: dict, halls: dict[str, Hall], depts: dict) -> None:
        s = self.session
        if self.write:
            halls = {h.code: h for h in s.scalars(select(Hall))}
        existing = {p.username: p for p in s.scalars(select(Staff))}
        code_of_hall = {h.id: c for c, h in halls.items()}
        code_of_dept = {d.id: c for c, d in depts.items()}
        for item in items:
            label = f"staff {item['username']}"
            person = existing.get(item["username"])
            values = {
                "name": item.get("name") or item["username"],
                "staff_no": item.get("staff_no", ""),
                "role": item["role"],
                "active": item.get("active", True),
            }
            hall, dept = item.get("hall"), item.get("department")
            if person is None:
                self.note(f"+ {label} ({values['role']}; no password yet: `hall user passwd`)")
                if self.write:
                    person = Staff(
                        username=item["username"],
                        password_hash=NO_PASSWORD,
                        hall_id=halls[hall].id if hall else None,
                        department_id=depts[dept].id if dept else None,
                        **values,
                    )
                    s.add(person)
                continue
            diffs = [k for k, v in values.items() if getattr(person, k) != v]
            old_hall = code_of_hall.get(person.hall_id) if person.hall_id else None
            old_dept = code_of_dept.get(person.department_id) if person.department_id else None
            if old_hall != hall:
                diffs.append("hall")
            if old_dept != dept:
                diffs.append("department")
            if not diffs:
                continue
            self.note(f"~ {label}: {', '.join(diffs)}")
            if self.write:
                for key, value in values.items():
                    setattr(person, key, value)
                person.hall_id = halls[hall].id if hall else None
                person.department_id = depts[dept].id if dept else None
                # A new role or scope, or a disabled account: its tokens end now.
                s.execute(delete(AuthToken).where(AuthToken.staff_id == person.id))
                self.revoked = True
        if not self.prune:
            return
        named = {item["username"] for item in items}
        in_file = {h["code"] for h in data.get("halls") or []}
        scope = {halls[c].id for c in in_file if c in halls}
        for username, person in existing.items():
            if username in named or not person.active:
                continue
            if person.hall_id is not None and person.hall_id not in scope:
                continue
            self.note(f"- staff {username} (disabled)")
            if self.write:
                person.active = False
                s.execute(delete(AuthToken).where(AuthToken.staff_id == person.id))
                self.revoked = True

    # -- helpers ---------------------------------------------------------------------------

    def _set(self, row: Any, item: dict, fields: list[tuple]) -> None:
        for key, _kind, default, _limit in fields:
            value = item.get(key, default)
            setattr(row, _attr(key), _plain(value))

    def _update(self, row: Any, item: dict, fields: list[tuple], label: str) -> None:
        diffs = []
        for key, _kind, default, _limit in fields:
            value = _plain(item.get(key, default))
            old = getattr(row, _attr(key))
            if _normal(old) != _normal(value):
                diffs.append((key, old, value))
        if not diffs:
            return
        self.note(
            f"~ {label}: " + "; ".join(f"{k} {_short(o)} -> {_short(v)}" for k, o, v in diffs)
        )
        if self.write:
            for key, _old, value in diffs:
                setattr(row, _attr(key), value)

    def _reactivate(self, row: Any, label: str) -> None:
        if not row.active:
            self.note(f"~ {label}: reactivated")
            if self.write:
                row.active = True

    def _remove(self, row: Any, table: str, label: str, owned: tuple[str, ...] = ()) -> None:
        s = self.session
        if table == "devices":
            if _in_use(s, table, row.id):
                self.note(f"- {label} (revoked: in use)")
                if self.write:
                    row.revoked_at = clock.now()
                    self.revoked = True
                return
        elif _in_use(s, table, row.id, ignore=owned):
            self.note(f"- {label} (retired: in use)")
            if self.write:
                row.active = False
            return
        self.note(f"- {label} (deleted)")
        if not self.write:
            return
        if table == "devices":
            self.revoked = True
        if "window_queues" in owned:
            column = WindowQueue.window_id if table == "windows" else WindowQueue.queue_id
            s.execute(delete(WindowQueue).where(column == row.id))
            if table == "windows":
                s.expire(row, ["links"])
        if table == "matters":
            s.execute(delete(MatterGuide).where(MatterGuide.matter_id == row.id))
            s.execute(delete(MatterDepartment).where(MatterDepartment.matter_id == row.id))
        s.delete(row)
        s.flush()


def _links(codes: list[str], queues: dict[str, Queue]) -> list[WindowQueue]:
    return [WindowQueue(queue_id=queues[c].id, position=i) for i, c in enumerate(codes)]


def _guide_of(item: dict) -> dict[str, Any]:
    """The guide's content as the file gives it (defaults filled in)."""
    guide: dict[str, Any] = {"on_the_spot": item.get("kind", "on_the_spot") == "on_the_spot"}
    for key, _kind, default, _limit in GUIDE_FIELDS:
        guide[key] = item.get(key, default)
    documents = []
    for entry in item.get("checklist") or []:
        entry = {"name": entry} if isinstance(entry, str) else entry
        documents.append(
            {key: entry.get(key, default) for key, _k, default, _l in CHECKLIST_FIELDS}
        )
    guide["documents"] = documents
    return guide


def _numbered(items: list[dict]) -> list[dict]:
    """Checklist items with ids: kept where given, the next free ones where not."""
    out = [dict(i) for i in items]
    next_id = max((i["id"] for i in out if i.get("id") is not None), default=0) + 1
    for item in out:
        if item.get("id") is None:
            item["id"] = next_id
            next_id += 1
    return out


def _same_items(current: list[dict], wanted: list[dict]) -> bool:
    """The same checklist; an item without an id in the file matches any id."""
    if len(current) != len(wanted):
        return False
    for old, new in zip(current, wanted, strict=True):
        for key in old:
            if key == "id" and new.get("id") is None:
                continue
            if old.get(key) != new.get(key):
                return False
    return True


def _normal(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# -- files --------------------------------------------------------------------------------------


def dumps(data: dict[str, Any], fmt: str = "yaml") -> str:
    """The configuration as YAML (Chinese kept readable, keys in the file's order) or JSON."""
    if fmt == "json":
        import json

        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    import yaml

    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def loads(text: str, fmt: str = "yaml") -> Any:
    """Parse a file's text (a syntax error is a ValueError with where it is)."""
    if fmt == "json":
        import json

        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"JSON: {err}") from None
        except RecursionError:
            raise ValueError("JSON: 嵌套过深 / nested too deeply") from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ValueError(f"YAML: {err}") from None
    except RecursionError:
        raise ValueError("YAML: 嵌套过深 / nested too deeply") from None


def format_of(filename: str) -> str:
    """yaml or json, by the file's name (.yaml, .yml, .json)."""
    lower = filename.lower()
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    raise ValueError("文件应为 .yaml、.yml 或 .json / the file must be .yaml, .yml or .json")
