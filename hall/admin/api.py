"""Bearer tokens: who is calling (a staff member or a device), checked inside the request's session."""

import functools

from flask import current_app, request
from sqlalchemy.orm import Session

from hall import access, cache, limits
from hall.access import Permission
from hall.admin import services as auth
from hall.admin.schemas import OK, TOKEN, TokenIn
from hall.api import bp
from hall.cache import DeviceRef, StaffRef
from hall.db import unit_of_work
from hall.errors import Unauthorized
from hall.schemas import answers


def bearer() -> str | None:
    """The bearer token of the request, if any."""
    return bearer_of(request.headers.get("Authorization", ""))


def bearer_of(header: str) -> str | None:
    """The token of an Authorization header's value, if it is a bearer one."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()[:200]


def caller(session: Session) -> StaffRef | DeviceRef | None:
    """The staff member or device behind the bearer token, or None when there is none."""
    return holder(session, bearer())


def holder(session: Session, token: str | None) -> StaffRef | DeviceRef | None:
    """The staff member or device a bearer token belongs to (None for no token)."""
    if token is None:
        return None
    who = cache.of(session).who(auth.token_hash(token))
    if who is None:
        raise Unauthorized("令牌无效或已过期 / invalid or expired token", code="bad_token")
    return who


def authenticated(view=None, *, optional: bool = False):
    """Check the bearer token before the body is validated: a missing token is 401 (not a
    400 about the body), a dead one 401 ``bad_token``. Read from the reference cache only.
    ``optional``: no token is allowed (phones), but a given one must be valid."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            token = bearer()
            if token is None:
                if not optional:
                    raise Unauthorized("需要登录 / login required")
            elif current_app.extensions["hall.cache"].who(auth.token_hash(token)) is None:
                raise Unauthorized("令牌无效或已过期 / invalid or expired token", code="bad_token")
            return func(*args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def require(session: Session, permission: Permission, **scope: int | None) -> StaffRef:
    """The calling staff member, if the access policy allows the permission in the scope."""
    return access.require(caller(session), permission, **scope)


@bp.post("/auth/token")
@bp.input(TokenIn, arg_name="body")
@answers(TOKEN)
@bp.doc(summary="Log in: a bearer token for a staff member")
def login(body: dict) -> dict:
    """Exchange a username and password for a bearer token."""
    limits.check("login", "LOGIN_LIMIT")
    # The password is checked between two units, holding no writer's lock (see the service).
    with unit_of_work(readonly=True) as session:
        password_hash = auth.password_hash_of(session, body["username"])
    if not auth.password_matches(password_hash, body["password"]):
        raise Unauthorized(auth.BAD_LOGIN, code="bad_login")
    with unit_of_work() as session:
        token, staff = auth.login(
            session, body["username"], password_hash, current_app.config["TOKEN_TTL_HOURS"]
        )
        return {
            "token": token,
            "staff": {
                "id": staff.id,
                "username": staff.username,
                "name": staff.name,
                "role": staff.role,
                "hall_id": staff.hall_id,
            },
        }


@bp.post("/auth/logout")
@authenticated
@answers(OK)
@bp.doc(summary="Revoke the current token", security="BearerAuth")
def logout() -> dict:
    """Revoke the bearer token."""
    token = bearer()
    if token is None:
        raise Unauthorized("需要登录 / login required")
    with unit_of_work() as session:
        auth.logout(session, token)
    return {"ok": True}
