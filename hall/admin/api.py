"""Bearer tokens: who is calling (a staff member or a device), checked inside the request's session."""

from flask import current_app, request
from sqlalchemy.orm import Session

from hall.admin import services as auth
from hall.admin.models import Device, Staff
from hall.admin.schemas import TokenIn
from hall.api import bp
from hall.db import unit_of_work
from hall.errors import Forbidden, Unauthorized
from hall.extensions import limiter


def bearer() -> str | None:
    """The bearer token of the request, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()[:200]


def caller(session: Session) -> Staff | Device | None:
    """The staff member or device behind the bearer token, or None when there is none."""
    token = bearer()
    if token is None:
        return None
    who = auth.staff_for_token(session, token) or auth.device_for_token(session, token)
    if who is None:
        raise Unauthorized("令牌无效或已过期 / invalid or expired token", code="bad_token")
    return who


def require_staff(session: Session, *roles: str) -> Staff:
    """The calling staff member, with one of the roles when roles are given."""
    who = caller(session)
    if not isinstance(who, Staff):
        raise Unauthorized("需要工作人员登录 / staff login required")
    if roles and who.role not in roles:
        raise Forbidden("无权执行此操作 / your role may not do this")
    return who


@bp.post("/auth/token")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT"])
@bp.input(TokenIn, arg_name="body")
@bp.doc(summary="Log in: a bearer token for a staff member")
def login(body: dict) -> dict:
    """Exchange a username and password for a bearer token."""
    with unit_of_work() as session:
        token, staff = auth.login(
            session, body["username"], body["password"], current_app.config["TOKEN_TTL_HOURS"]
        )
        return {
            "token": token,
            "staff": {
                "id": staff.id,
                "name": staff.name,
                "role": staff.role,
                "hall_id": staff.hall_id,
            },
        }


@bp.post("/auth/logout")
@bp.doc(summary="Revoke the current token", security="BearerAuth")
def logout() -> dict:
    """Revoke the bearer token."""
    token = bearer()
    if token is None:
        raise Unauthorized("需要登录 / login required")
    with unit_of_work() as session:
        auth.logout(session, token)
    return {"ok": True}
