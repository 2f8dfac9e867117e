"""Board: the managers' live view of a hall (queues, waits, windows, alerts), and their
daily and monthly reports (charts drawn in the browser as SVG, a printable layout)."""

import re

from flask import Blueprint, render_template, request

bp = Blueprint(
    "board", __name__, url_prefix="/board", template_folder="templates", static_folder="static"
)


@bp.get("/")
def index() -> str:
    """The board shell; a manager logs in and the hall's state streams over /board."""
    return render_template("board/index.html", hall=request.args.get("hall", "")[:32])


DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@bp.get("/report")
def report() -> str:
    """The report shell: ?hall=&kind=daily|monthly&day=YYYY-MM-DD; a manager logs in and the
    figures come from GET /api/v1/halls/<hall>/stats."""
    kind = request.args.get("kind", "daily")
    day = request.args.get("day", "")
    return render_template(
        "board/report.html",
        hall=request.args.get("hall", "")[:32],
        kind=kind if kind in ("daily", "monthly") else "daily",
        day=day if DAY.match(day) else "",
    )
