"""Kiosk: the touch screen where residents pick a matter and take a ticket."""

import re

from flask import Blueprint, Response, render_template

from hall import qr as qr_code
from hall.errors import NotFound
from hall.urls import status_url

bp = Blueprint(
    "kiosk", __name__, url_prefix="/kiosk", template_folder="templates", static_folder="static"
)

# Status tokens are secrets.token_urlsafe(32): 43 URL-safe characters.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,60}$")


@bp.get("/")
def index() -> str:
    """The kiosk shell; the device token in the browser's storage binds it to a hall."""
    return render_template("kiosk/index.html")


@bp.get("/qr/<token>.svg")
def qr(token: str) -> Response:
    """The QR code of a ticket's status page, drawn by the hub (the kiosk may be offline)."""
    if not TOKEN.match(token):
        raise NotFound("未找到 / not found")
    response = Response(qr_code.svg(status_url(token), border=2), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
