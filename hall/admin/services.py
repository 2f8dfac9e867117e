"""Staff and devices, their credentials, and the hall's notice."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from hall import access, audit, cache, clock
from hall.access import Permission
from hall.admin.models import AuthToken, Department, Device, Hall, Role, Staff
from hall.errors import BadRequest, Conflict, NotFound, Unauthorized
from hall.events import Event, record

DEVICE_KINDS = ("kiosk", "display", "printer", "evaluator")
SEEN_EVERY = timedelta(minutes=1)


class FieldErrors(BadRequest):
    """Input that breaks a rule, with a message for each field (shown next to it)."""

    code = "validation_error"

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(
            "参数无效 / invalid input: " + "; ".join(f"{k}: {v}" for k, v in fields.items())
        )
        self.fields = fields

    def to_dict(self) -> dict:
        """The error body with ``fields``: {name: message}."""
        body = super().to_dict()
        body["error"]["fields"] = self.fields
        return body


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, so a leaked table gives no working token."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_staff(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    name: str = "",
    staff_no: str = "",
    hall: Hall | None = None,
    department: Department | None = None,
    password_hash: str | None = None,
) -> Staff:
    """Create a staff account (``password_hash`` reuses a hash already made for ``password``)."""
    if role not in {r.value for r in Role}:
        raise BadRequest(f"角色无效 / unknown role: {role}")
    if len(password) < 6:
        raise BadRequest("密码至少 6 位 / password must have at least 6 characters")
    if session.scalar(select(Staff).where(Staff.username == username)):
        raise Conflict(f"用户名已存在 / username taken: {username}", code="username_taken")
    staff = Staff(
        username=username,
        password_hash=password_hash or generate_password_hash(password),
        role=role,
        name=name or username,
        staff_no=staff_no,
        hall_id=hall.id if hall else None,
        department_id=department.id if department else None,
    )
    session.add(staff)
    session.flush()
    return staff


BAD_LOGIN = "用户名或密码错误 / wrong username or password"


def password_hash_of(session: Session, username: str) -> str | None:
    """The stored password hash of an active account; None for no such active account."""
    staff = session.scalar(select(Staff).where(Staff.username == username))
    return staff.password_hash if staff is not None and staff.active else None


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches the stored hash, worked out off the event loop.

    werkzeug's scrypt takes ~0.1 s of CPU. Under gevent it ran on the loop's one thread, so
    every screen and request of the hub stood still for each login (and on SQLite the
    login's write unit held the writers' lock meanwhile). OpenSSL's scrypt releases the GIL,
    so in gevent's thread pool it runs beside the loop; elsewhere it runs in the caller's
    thread, as before. Call it outside any unit of work.
    """
    if password_hash is None:
        return False
    from hall.config import async_mode

    if async_mode() == "gevent":
        from gevent import get_hub

        return bool(get_hub().threadpool.apply(check_password_hash, (password_hash, password)))
    return check_password_hash(password_hash, password)


def login(
    session: Session,
    username: str,
    password_hash: str,
    ttl_hours: int,
    at: datetime | None = None,
) -> tuple[str, Staff]:
    """Hand out a new bearer token to the account whose password was checked against
    ``password_hash`` (:func:`password_matches`, before this unit): an account changed or
    deactivated since is refused."""
    at = at or clock.now()
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None or not staff.active or staff.password_hash != password_hash:
        raise Unauthorized(BAD_LOGIN, code="bad_login")
    session.execute(delete(AuthToken).where(AuthToken.expires_at < at))
    token = secrets.token_urlsafe(32)
    session.add(
        AuthToken(
            token_hash=token_hash(token),
            staff_id=staff.id,
            created_at=at,
            expires_at=at + timedelta(hours=ttl_hours),
            last_used_at=at,
        )
    )
    audit.record(session, staff, "login", f"staff:{staff.id}", hall_id=staff.hall_id, at=at)
    return token, staff


def logout(session: Session, token: str) -> None:
    """Revoke a staff token: every hub process forgets it after the commit and cuts the
    sockets opened with it."""
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == token_hash(token)))
    if row is None:
        raise Unauthorized("令牌无效或已过期 / invalid or expired token", code="bad_token")
    staff = session.get(Staff, row.staff_id)
    session.delete(row)
    audit.record(session, staff, "logout", f"staff:{row.staff_id}", hall_id=staff.hall_id)
    cache.revoked(session)


def disable_staff(session: Session, username: str, by: object = None) -> Staff:
    """Disable an account: its tokens are deleted and its open sockets cut at the commit."""
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        raise NotFound(f"用户不存在 / no such user: {username[:64]}", code="user_not_found")
    before = {"active": staff.active}
    staff.active = False
    session.execute(delete(AuthToken).where(AuthToken.staff_id == staff.id))
    audit.record(
        session,
        by,
        "user.disable",
        f"staff:{staff.id} {staff.username}",
        hall_id=staff.hall_id,
        before=before,
        after={"active": False},
    )
    cache.revoked(session)
    return staff


def revoke_device(session: Session, device_id: int, by: object = None) -> Device:
    """Revoke a device's token: it stops working at once, open sockets included."""
    device = session.get(Device, device_id) if 0 < device_id < 2**31 else None
    if device is None:
        raise NotFound(f"设备不存在 / no such device: {device_id}", code="device_not_found")
    if device.revoked_at is not None:
        return device
    device.revoked_at = clock.now()
    audit.record(
        session,
        by,
        "device.revoke",
        f"device:{device.id} {device.kind} {device.name}",
        hall_id=device.hall_id,
        before={"revoked": False},
        after={"revoked": True},
    )
    cache.revoked(session)
    return device


def add_device(
    session: Session,
    kind: str,
    hall: Hall,
    *,
    name: str = "",
    printer_url: str | None = None,
    token: str | None = None,
) -> tuple[Device, str]:
    """Register a device and return it with its token (shown once, stored hashed)."""
    if kind not in DEVICE_KINDS:
        raise BadRequest(
            f"设备类型无效 / unknown device kind: {kind}; use {', '.join(DEVICE_KINDS)}"
        )
    token = token or secrets.token_urlsafe(32)
    device = Device(
        hall_id=hall.id,
        kind=kind,
        name=name or f"{kind}",
        token_hash=token_hash(token),
        printer_url=printer_url,
        created_at=clock.now(),
    )
    session.add(device)
    session.flush()
    return device, token


def set_password(session: Session, username: str, password: str, by: object = None) -> Staff:
    """Set a staff account's password; its open sessions end (tokens deleted)."""
    if len(password) < 6:
        raise BadRequest("密码至少 6 位 / password must have at least 6 characters")
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        raise NotFound(f"用户不存在 / no such user: {username[:64]}", code="user_not_found")
    staff.password_hash = generate_password_hash(password)
    session.execute(delete(AuthToken).where(AuthToken.staff_id == staff.id))
    audit.record(
        session, by, "user.passwd", f"staff:{staff.id} {staff.username}", hall_id=staff.hall_id
    )
    cache.revoked(session)
    return staff


def reissue_token(session: Session, device_id: int, by: object = None) -> tuple[Device, str]:
    """A new token for a device (shown once, stored hashed); the old one stops working."""
    device = session.get(Device, device_id) if 0 < device_id < 2**31 else None
    if device is None:
        raise NotFound(f"设备不存在 / no such device: {device_id}", code="device_not_found")
    token = secrets.token_urlsafe(32)
    device.token_hash = token_hash(token)
    device.revoked_at = None
    audit.record(
        session,
        by,
        "device.token",
        f"device:{device.id} {device.kind} {device.name}",
        hall_id=device.hall_id,
    )
    cache.revoked(session)
    return device, token


MAX_LENGTH = 500


def set_notice(
    session: Session, hall: Hall, staff: Staff, text: str, at: datetime | None = None
) -> list[Event]:
    """Replace the hall's notice (managers of the hall and admins); displays update at once."""
    at = at or clock.now()
    access.require(staff, Permission.SET_NOTICE, hall=hall.id)
    text = " ".join(text.split())
    if len(text) > MAX_LENGTH:
        raise BadRequest(f"公告不超过 {MAX_LENGTH} 字 / at most {MAX_LENGTH} characters")
    audit.record(
        session,
        staff,
        "hall.notice",
        f"hall:{hall.code}",
        hall_id=hall.id,
        before={"notice": hall.notice},
        after={"notice": text},
        at=at,
    )
    hall.notice = text
    cache.changed(session)
    return [
        record(
            session, hall, "hall.notice", {"notice": text, "at": clock.iso_local(at, hall.timezone)}
        )
    ]


# -- staff and devices from the administration pages ----------------------------------------------


def staff_json(staff: Staff) -> dict:
    """A staff account as the administration pages show it (never its password)."""
    return {
        "id": staff.id,
        "username": staff.username,
        "name": staff.name,
        "staff_no": staff.staff_no,
        "role": staff.role,
        "hall_id": staff.hall_id,
        "department_id": staff.department_id,
        "active": staff.active,
    }


def get_staff(session: Session, staff_id: int) -> Staff:
    """A staff account by id (404 ``user_not_found``)."""
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(f"用户不存在 / no such user: {staff_id}", code="user_not_found")
    return staff


def _scope(session: Session, fields: dict) -> tuple[Hall | None, Department | None]:
    hall = department = None
    errors = {}
    if fields.get("hall_id") is not None:
        hall = session.get(Hall, fields["hall_id"])
        if hall is None:
            errors["hall_id"] = "大厅不存在 / no such hall"
    if fields.get("department_id") is not None:
        department = session.get(Department, fields["department_id"])
        if department is None:
            errors["department_id"] = "部门不存在 / no such department"
    if errors:
        raise FieldErrors(errors)
    return hall, department


def create_staff(session: Session, fields: dict, by: object) -> Staff:
    """Add a staff account from the administration pages (audited; no password kept in it)."""
    hall, department = _scope(session, fields)
    if session.scalar(select(Staff).where(Staff.username == fields["username"])):
        raise FieldErrors({"username": "用户名已存在 / username taken"})
    staff = add_staff(
        session,
        fields["username"],
        fields["password"],
        fields["role"],
        name=fields.get("name") or "",
        staff_no=fields.get("staff_no") or "",
        hall=hall,
        department=department,
    )
    audit.record(
        session,
        by,
        "user.add",
        f"staff:{staff.id} {staff.username}",
        hall_id=staff.hall_id,
        after=staff_json(staff),
    )
    return staff


def update_staff(session: Session, staff: Staff, fields: dict, by: object) -> Staff:
    """Change a staff account's name, number, role or hall and department scope."""
    _scope(session, fields)
    before = staff_json(staff)
    for key in ("name", "staff_no", "role", "hall_id", "department_id"):
        if key in fields:
            setattr(staff, key, fields[key])
    after = staff_json(staff)
    changed = {k: v for k, v in after.items() if before[k] != v}
    if changed:
        audit.record(
            session,
            by,
            "user.update",
            f"staff:{staff.id} {staff.username}",
            hall_id=staff.hall_id,
            before={k: before[k] for k in changed},
            after=changed,
        )
        # The role and scope are read from the token cache: forget it everywhere.
        cache.revoked(session)
    return staff


def enable_staff(session: Session, staff: Staff, by: object) -> Staff:
    """Let a disabled account log in again (its old tokens stay dead)."""
    if not staff.active:
        staff.active = True
        audit.record(
            session,
            by,
            "user.enable",
            f"staff:{staff.id} {staff.username}",
            hall_id=staff.hall_id,
            before={"active": False},
            after={"active": True},
        )
    return staff


def reset_password(session: Session, staff: Staff, password: str, by: object) -> Staff:
    """Set a new password; the account's tokens end at once (sockets included)."""
    if len(password) < 6:
        raise FieldErrors({"password": "密码至少 6 位 / at least 6 characters"})
    staff.password_hash = generate_password_hash(password)
    session.execute(delete(AuthToken).where(AuthToken.staff_id == staff.id))
    audit.record(
        session,
        by,
        "user.password",
        f"staff:{staff.id} {staff.username}",
        hall_id=staff.hall_id,
        after={"password": "reset"},
    )
    cache.revoked(session)
    return staff


def device_json(device: Device, tz: str = "Asia/Shanghai") -> dict:
    """A device as the administration pages show it (never its token)."""
    return {
        "id": device.id,
        "kind": device.kind,
        "name": device.name,
        "hall_id": device.hall_id,
        "hall": device.hall.code,
        "printer_url": device.printer_url,
        "created_at": clock.iso_local(device.created_at, tz),
        "last_seen_at": clock.iso_local(device.last_seen_at, tz),
        "revoked": device.revoked_at is not None,
        "printer_fault": device.printer_fault,
    }


def get_device(session: Session, device_id: int) -> Device:
    """A device by id (404 ``device_not_found``)."""
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"设备不存在 / no such device: {device_id}", code="device_not_found")
    return device


def update_device(session: Session, device: Device, fields: dict, by: object) -> Device:
    """Rename a device, move it to another hall or change its printer (audited)."""
    if "hall_id" in fields and session.get(Hall, fields["hall_id"]) is None:
        raise FieldErrors({"hall_id": "大厅不存在 / no such hall"})
    if fields.get("printer_url"):
        import printers

        try:
            printers.parse_printer_url(fields["printer_url"])
        except printers.PrinterError as err:
            raise FieldErrors({"printer_url": str(err)}) from None
    before = {"name": device.name, "hall_id": device.hall_id, "printer_url": device.printer_url}
    for key in before:
        if key in fields:
            setattr(device, key, fields[key] or (None if key == "printer_url" else fields[key]))
    after = {"name": device.name, "hall_id": device.hall_id, "printer_url": device.printer_url}
    changed = {k: v for k, v in after.items() if before[k] != v}
    if changed:
        audit.record(
            session,
            by,
            "device.update",
            f"device:{device.id} {device.kind} {device.name}",
            hall_id=device.hall_id,
            before={k: before[k] for k in changed},
            after=changed,
        )
        # A device's hall and name are read from the token cache; a moved kiosk reconnects.
        cache.revoked(session)
    return device


def seen(session: Session, device_id: int, at: datetime | None = None) -> Device:
    """Note that a device is alive (written at most once a minute)."""
    at = at or clock.now()
    device = get_device(session, device_id)
    if device.last_seen_at is None or at - device.last_seen_at >= SEEN_EVERY:
        device.last_seen_at = at
    return device
