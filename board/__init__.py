"""Board: the managers' live view of a hall (queues, waits, windows, alerts)."""

from flask import Blueprint, render_template, request

bp = Blueprint(
    "board", __name__, url_prefix="/board", template_folder="templates", static_folder="static"
)


@bp.get("/")
def index() -> str:
    """The board shell; a manager logs in and the hall's state streams over /board."""
    return render_template("board/index.html", hall=request.args.get("hall", "")[:32])
