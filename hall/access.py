"""Who may do what: one table of permissions to roles, with hall and department scope.

Every entrypoint asks ``require(who, Permission.X, hall=…)``; the answer is the same
everywhere: 401 without a caller, 403 ``forbidden`` for a role without the permission,
403 ``other_hall`` (or ``other_department``) for staff outside the scope.
"""

import enum
from typing import Any

from hall.admin.models import Role
from hall.errors import Forbidden, Unauthorized


class Permission(enum.StrEnum):
    """Something a staff member may be allowed to do."""

    ISSUE_TICKET = "issue_ticket"  # take a ticket for a resident at a window
    WORK_WINDOW = "work_window"  # open a window and run its actions
    REQUEUE = "requeue"  # put a no-show back in line
    REPRINT = "reprint"  # print a waiting ticket again
    BOOK_APPOINTMENT = "book_appointment"
    VIEW_QUEUE = "view_queue"  # waiting lists, appointments, printers of the hall
    WATCH_BOARD = "watch_board"  # the managers' live board
    SET_NOTICE = "set_notice"  # the notice that scrolls on the displays
    TAKE_CASE = "take_case"  # register a case from the ticket being served (front desk)
    VIEW_CASES = "view_cases"  # read cases, their tasks and timeline
    DECIDE_TASK = "decide_task"  # claim, approve, reject, return, suspend a department's task
    HAND_OVER = "hand_over"  # hand a result over at the pickup window
    EXTEND_CASE = "extend_case"  # approve an extension of a case's time limit
    EDIT_GUIDE = "edit_guide"  # publish a new version of a matter's guide
    VIEW_STATS = "view_stats"  # figures, reports and their exports
    FOLLOW_UP_RATING = "follow_up_rating"  # call back a 差评, record its outcome, decide appeals
    APPEAL_RATING = "appeal_rating"  # a staff member appeals a rating of their own service
    EXPORT_CONFIG = "export_config"  # read the configuration file (managers: their own hall)
    IMPORT_CONFIG = "import_config"  # change halls, queues, matters, windows, staff by a file
    VIEW_SETUP = "view_setup"  # read the hall's set-up on the administration pages
    ADMINISTER = "administer"  # change halls, queues, matters, windows, staff and devices


_COUNTER = {
    Permission.ISSUE_TICKET,
    Permission.WORK_WINDOW,
    Permission.REQUEUE,
    Permission.REPRINT,
    Permission.VIEW_QUEUE,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.WINDOW: frozenset(
        _COUNTER
        | {
            Permission.BOOK_APPOINTMENT,
            Permission.TAKE_CASE,
            Permission.VIEW_CASES,
            Permission.APPEAL_RATING,
        }
    ),
    Role.PICKUP: frozenset(
        _COUNTER | {Permission.VIEW_CASES, Permission.HAND_OVER, Permission.APPEAL_RATING}
    ),
    Role.BACKOFFICE: frozenset(
        {Permission.VIEW_QUEUE, Permission.VIEW_CASES, Permission.DECIDE_TASK}
    ),
    # Managers see their own hall's set-up on the administration pages (and export its file)
    # but change none of it.
    Role.MANAGER: frozenset(Permission) - {Permission.ADMINISTER, Permission.IMPORT_CONFIG},
    Role.ADMIN: frozenset(Permission),
}


def is_staff(who: Any) -> bool:
    """Whether the caller is a staff member (a row or its cached record)."""
    return who is not None and hasattr(who, "role")


def is_device(who: Any) -> bool:
    """Whether the caller is a device (a row or its cached record)."""
    return who is not None and hasattr(who, "kind")


def allowed(staff: Any, permission: Permission) -> bool:
    """Whether the staff member's role carries the permission."""
    return permission in ROLE_PERMISSIONS.get(Role(staff.role), frozenset())


def roles_with(permission: Permission) -> tuple[Role, ...]:
    """The roles that carry a permission (for clients that admit by role)."""
    return tuple(role for role, granted in ROLE_PERMISSIONS.items() if permission in granted)


def in_hall(staff: Any, hall_id: int) -> bool:
    """Whether the staff member acts in the hall: staff of that hall, and admins. Staff
    without a hall (back-office departments) act in no hall unless they are admins."""
    if staff.hall_id is None:
        return Role(staff.role) == Role.ADMIN
    return staff.hall_id == hall_id


def may_work(staff: Any, roles: list[str] | None) -> bool:
    """Whether the staff member's role may work a window that names its roles (None: any)."""
    return not roles or staff.role in roles or Role(staff.role) in (Role.ADMIN, Role.MANAGER)


def require_window_role(staff: Any, roles: list[str] | None) -> None:
    """403 ``window_role`` when the window is kept for other roles (e.g. pickup windows)."""
    if not may_work(staff, roles):
        raise Forbidden(
            "此窗口仅限指定岗位 / this window is kept for other roles: " + ", ".join(roles or ()),
            code="window_role",
        )


def require(
    who: Any,
    permission: Permission,
    *,
    hall: int | None = None,
    department: int | None = None,
) -> Any:
    """The staff member, if their role allows the permission within the hall and department."""
    if not is_staff(who):
        raise Unauthorized("需要工作人员登录 / staff login required")
    if not allowed(who, permission):
        raise Forbidden("无权执行此操作 / your role may not do this")
    if hall is not None and not in_hall(who, hall):
        raise Forbidden("不是本大厅的工作人员 / you are staff of another hall", code="other_hall")
    if department is not None and who.department_id not in (None, department):
        raise Forbidden(
            "不是本部门的工作人员 / you are staff of another department", code="other_department"
        )
    return who


def require_device(who: Any, kind: str, *, hall: int) -> Any:
    """The device, if it is of the kind and belongs to the hall."""
    if not is_device(who):
        raise Unauthorized("设备令牌无效 / invalid device token", code="bad_token")
    if who.kind != kind or who.hall_id != hall:
        raise Forbidden("此设备不能在本大厅执行此操作 / this device may not do this here")
    return who
