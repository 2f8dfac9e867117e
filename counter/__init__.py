"""Counter: the staff client at a window."""

from flask import Blueprint, render_template, request

from hall import access, cache
from hall.access import Permission
from hall.admin.api import caller
from hall.db import unit_of_work
from hall.queue import lookup
from hall.stats import presenters

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
        window = cache.of(session).window(window_id)
        access.require(caller(session), Permission.VIEW_QUEUE, hall=window.hall_id)
        return {"tally": presenters.window_tally(session, lookup.window(session, window_id))}
