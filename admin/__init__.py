"""Administration pages (/admin/): halls, departments, queues, matters, windows, staff, devices,
printers, the holiday arrangement and the audit trail. Each page is a shell: an admin (or a manager, read-only, for
their own hall) logs in, and admin.js lists and edits through /api/v1/admin/…, showing the
API's own errors next to each field."""

from typing import Any

from flask import Blueprint, abort, render_template

bp = Blueprint(
    "admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static"
)


def _field(name: str, msgid: str, kind: str = "text", **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": msgid, "type": kind, **extra}


# Each page: what it lists, which columns, which fields its forms edit, and its row actions.
# Labels are msgids, given to the page in both languages by ``spec``.
PAGES: dict[str, dict[str, Any]] = {
    "halls": {
        "title": "Halls",
        "source": "halls",
        "add": "/admin/halls",
        "edit": "/admin/halls/{code}",
        "columns": ["code", "name", "timezone", "wait_target_min", "notice"],
        "fields": [
            _field("code", "Code", create_only=True),
            _field("name", "Name"),
            _field("name_en", "English name"),
            _field("timezone", "Time zone"),
            _field("hours", "Opening hours", "hours"),
            _field("workdays_only", "Working days only", "bool"),
            _field("allow_phone_tickets", "Tickets by phone", "bool"),
            _field("notice", "Notice", "textarea"),
            _field("wait_target_min", "Waiting target (min)", "number"),
            _field("default_service_s", "Service time before data (s)", "number"),
            _field("max_calls", "Calls before a no-show", "number"),
            _field("no_show_grace_min", "No-show grace (min)", "number"),
            _field("case_warning_days", "Case warning (working days)", "number"),
            _field("booking_days", "Phone booking: days ahead (0: off)", "number"),
            _field("booking_slot_min", "Booking slot (min)", "number"),
            _field("booking_capacity", "Bookings per slot", "number"),
            _field("booking_per_phone", "Open bookings per phone number", "number"),
        ],
    },
    "departments": {
        "title": "Departments",
        "source": "departments",
        "add": "/admin/departments",
        "edit": "/admin/departments/{id}",
        "columns": ["code", "name", "name_en"],
        "fields": [
            _field("code", "Code"),
            _field("name", "Name"),
            _field("name_en", "English name"),
        ],
    },
    "queues": {
        "title": "Queues",
        "source": "setup:queues",
        "add": "/admin/halls/{hall}/queues",
        "edit": "/admin/queues/{id}",
        "columns": ["code", "prefix", "name", "name_en", "kind"],
        "fields": [
            _field("code", "Code"),
            _field("prefix", "Ticket prefix"),
            _field("name", "Name"),
            _field("name_en", "English name"),
            _field("kind", "Kind", "select", options="queue_kinds"),
        ],
    },
    "matters": {
        "title": "Matters",
        "source": "setup:matters",
        "add": "/admin/halls/{hall}/matters",
        "edit": "/admin/matters/{id}",
        "columns": ["code", "name", "queue_id", "version", "changed_on", "active"],
        "fields": [
            _field("code", "Code"),
            _field("name", "Name"),
            _field("name_en", "English name"),
            _field("category", "Category"),
            _field("queue_id", "Queue", "select", options="queues"),
            _field("department_id", "Department", "select", options="departments", blank=True),
            _field("daily_cap", "Daily cap", "number", blank=True),
            _field("cap_warning", "Cap warning", "number", blank=True),
            _field("hours", "Opening hours", "hours"),
            _field("active", "Offered", "bool"),
            _field("booking_slot_min", "Booking slot (min)", "number", blank=True),
            _field("booking_capacity", "Bookings per slot", "number", blank=True),
        ],
        "actions": [{"name": "guide", "label": "Guide and versions"}],
    },
    "windows": {
        "title": "Windows",
        "source": "setup:windows",
        "add": "/admin/halls/{hall}/windows",
        "edit": "/admin/windows/{id}",
        "columns": ["number", "name", "queues", "roles", "status"],
        "fields": [
            _field("number", "Number"),
            _field("name", "Name"),
            _field("name_en", "English name"),
            _field("queues", "Queues served, in order", "queue_list"),
            _field("roles", "Roles that may work it (blank: any)", "role_list"),
        ],
    },
    "staff": {
        "title": "Staff",
        "source": "staff",
        "add": "/admin/staff",
        "edit": "/admin/staff/{id}",
        "columns": ["username", "name", "staff_no", "role", "hall_id", "department_id", "active"],
        "fields": [
            _field("username", "Username", create_only=True),
            _field("password", "Password", "password", create_only=True),
            _field("name", "Name"),
            _field("staff_no", "Staff number"),
            _field("role", "Role", "select", options="roles"),
            _field("hall_id", "Hall", "select", options="halls", blank=True),
            _field("department_id", "Department", "select", options="departments", blank=True),
        ],
        "actions": [
            {"name": "disable", "label": "Disable", "danger": True, "when": "active"},
            {"name": "enable", "label": "Enable", "when": "!active"},
            {"name": "password", "label": "Reset password"},
        ],
    },
    "devices": {
        "title": "Devices",
        "source": "devices",
        "edit": "/admin/devices/{id}",
        "columns": ["id", "kind", "name", "hall", "printer_url", "last_seen_at", "revoked"],
        "fields": [
            _field("name", "Name"),
            _field("hall_id", "Hall", "select", options="halls"),
            _field("printer_url", "Printer", blank=True),
        ],
        "actions": [
            {"name": "revoke", "label": "Revoke", "danger": True, "when": "!revoked"},
            {"name": "test-print", "label": "Test print", "when": "printer_url"},
        ],
    },
    "printers": {
        "title": "Printers",
        "source": "printers",
        "columns": ["hall", "device", "kind", "printer_url", "fault", "fault_since", "open_jobs"],
        "fields": [],
        "actions": [{"name": "test-print", "label": "Test print", "id": "device_id"}],
    },
    # The national holiday arrangement, one table for every hall: a year's entered days.
    "calendar": {
        "title": "Holidays",
        "source": "calendar",
        "add": "/admin/calendar/{date}",
        "edit": "/admin/calendar/{date}",
        "method": "PUT",
        "columns": ["date", "workday", "name"],
        # A holiday's name (名称), not a person's (姓名): a key of ``strings``.
        "column_labels": {"name": "col.holiday_name"},
        "fields": [
            _field("date", "Date", "date", create_only=True, in_path=True),
            _field("workday", "Make-up working day", "bool"),
            _field("name", "Name", context="holiday"),
        ],
        "actions": [{"name": "remove", "label": "Remove", "danger": True}],
    },
    "audit": {
        "title": "Audit log",
        "source": "audit",
        "columns": ["at", "actor", "action", "target", "before", "after"],
        "fields": [],
    },
}

# Column headings and every other label the script shows.
COLUMNS = {
    "id": "No.",
    "code": "Code",
    "name": "Name",
    "name_en": "English name",
    "timezone": "Time zone",
    "wait_target_min": "Waiting target (min)",
    "notice": "Notice",
    "prefix": "Ticket prefix",
    "kind": "Kind",
    "queue_id": "Queue",
    "version": "Guide version",
    "changed_on": "Changed on",
    "active": "Active",
    "number": "Number",
    "queues": "Queues served, in order",
    "roles": "Roles",
    "status": "Status",
    "username": "Username",
    "staff_no": "Staff number",
    "role": "Role",
    "hall_id": "Hall",
    "department_id": "Department",
    "hall": "Hall",
    "printer_url": "Printer",
    "last_seen_at": "Last seen",
    "revoked": "Revoked",
    "device": "Device",
    "fault": "Fault",
    "fault_since": "Since",
    "open_jobs": "Jobs waiting",
    "at": "When",
    "actor": "Who",
    "action": "Action",
    "target": "What",
    "before": "Before",
    "after": "After",
    "date": "Date",
    "workday": "Holiday or working day",
}
STRINGS = (
    "Add",
    "Edit",
    "Save",
    "Cancel",
    "Saved",
    "Yes",
    "No",
    "Never",
    "Read-only: managers see their own hall",
    "Only administrators may open the administration pages (managers: read-only).",
    "Log out",
    "Revoke this device? Its screen stops working at once.",
    "Disable this account? Its logins end at once.",
    "New password (at least 6 characters)",
    "Test page sent",
    "Test page not printed: %(r)s",
    "Guide and versions",
    "Version %(v)s of %(d)s",
    "Publish a new version",
    "Fee",
    "Conditions",
    "Legal basis",
    "Promised limit (working days)",
    "Statutory limit (working days)",
    "Documents",
    "Pair a device",
    "Pairing code",
    "Paired: %(n)s",
    "Evaluator's window",
    "One line per weekday: 0 08:30-12:00 13:30-17:00 (0 = Monday; default = other days)",
    "Nothing here yet",
    "intake",
    "specialised",
    "consultation",
    "pickup",
    "window",
    "backoffice",
    "manager",
    "admin",
    "kiosk",
    "display",
    "evaluator",
    "printer",
    "Holiday",
    "Make-up working day",
    "Year",
    "Coverage",
    "Remove this day? The package or Monday to Friday decides it again.",
    "entered by the administrators",
    "the chinesecalendar package",
    "not covered: Monday to Friday",
    "Not covered from %(d)s",
    "Enter the holiday arrangement",
    "Save the year",
    "Replace the %(n)s days entered for %(y)s with these %(m)s?",
    "Saved: %(a)s added, %(c)s changed, %(r)s removed",
    "Line %(n)s: expected first day, [last day,] off or work, [name]",
    "Line %(n)s: not a date",
    "Line %(n)s: the days must lie in %(y)s, the first before the last",
    "Line %(n)s: write off or work, not %(w)s",
    "Line %(n)s: the name is over %(m)s characters",
    "Line %(n)s: %(d)s is also on line %(o)s",
)


def spec(page: str) -> dict[str, Any]:
    """The page's spec with every label in both languages."""
    from hall.pages import pair  # hall.pages imports this package

    found = PAGES[page]
    return {
        **found,
        "name": page,
        "title": pair(found["title"]),
        "fields": [{**f, "label": pair(f["label"], f.get("context"))} for f in found["fields"]],
        "actions": [{**a, "label": pair(a["label"])} for a in found.get("actions", [])],
    }


def strings() -> dict[str, list[str]]:
    """Labels the script shows, by key."""
    from hall.pages import pair

    out = {f"col.{key}": pair(msgid) for key, msgid in COLUMNS.items()}
    out["col.holiday_name"] = pair("Name", "holiday")
    out.update({msgid: pair(msgid) for msgid in STRINGS})
    return out


NAV = (
    "halls",
    "departments",
    "queues",
    "matters",
    "windows",
    "staff",
    "devices",
    "printers",
    "calendar",
    "audit",
)


@bp.get("/", defaults={"page": "halls"})
@bp.get("/<page>")
def index(page: str) -> str:
    """An administration page's shell."""
    if page not in PAGES:
        abort(404)
    return render_template(
        "admin/page.html",
        page=page,
        spec=spec(page),
        nav=[(name, PAGES[name]["title"]) for name in NAV],
        strings=strings(),
    )
