"""Counter: the staff client at a window."""

from flask import Blueprint, render_template, request

from counter.tally import window_tally
from hall.admin import services as auth
from hall.admin.api import require_staff
from hall.db import unit_of_work
from hall.queue import lookup

bp = Blueprint(
    "counter", __name__, url_prefix="/counter", template_folder="templates", static_folder="static"
)


@bp.get("/")
def index() -> str:
    """The counter shell: log in, pick a window, work it."""
    return render_template("counter/index.html", hall=request.args.get("hall", "")[:32])


@bp.get("/tally/<int:window_id>")
def tally(window_id: int) -> dict:
    """Today's figures of a window (staff token)."""
    with unit_of_work(readonly=True) as session:
        staff = require_staff(session)
        window = lookup.window(session, window_id)
        auth.require_staff_in_hall(staff, window.hall)
        return {"tally": window_tally(session, window)}
