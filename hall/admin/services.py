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


def login(
    session: Session, username: str, password: str, ttl_hours: int, at: datetime | None = None
) -> tuple[str, Staff]:
    """Check a password and hand out a new bearer token."""
    at = at or clock.now()
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None or not staff.active or not check_password_hash(staff.password_hash, password):
        raise Unauthorized("用户名或密码错误 / wrong username or password", code="bad_login")
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
