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
    code = request.args.get("hall", "")[:32]
    return render_template(
        "board/report.html",
        hall=code,
        kind=kind if kind in ("daily", "monthly") else "daily",
        day=day if DAY.match(day) else "",
        today=hall_today(code),
    )


def hall_today(code: str) -> str:
    """The hall's service date now, in the hall's time zone ("" for an unknown hall): the
    report's default day, never the browser's (or UTC's) date."""
    from sqlalchemy import select

    from hall import clock, db
    from hall.admin.models import Hall

    if not code:
        return ""
    with db.unit_of_work(readonly=True) as session:
        zone = session.scalar(select(Hall.timezone).where(Hall.code == code))
    return clock.service_date(clock.now(), zone).isoformat() if zone else ""
