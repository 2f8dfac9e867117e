"""Evaluator: the small screen at a window where residents rate each service (一次一评)."""

import re

from flask import Blueprint, render_template, request

from hall.stats.models import LEVEL_NAMES, REASONS

bp = Blueprint(
    "evaluator",
    __name__,
    url_prefix="/evaluator",
    template_folder="templates",
    static_folder="static",
)

HALL_CODE = re.compile(r"^[a-z0-9_-]{1,32}$")
WINDOW_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,8}$")


@bp.get("/")
def index() -> str:
    """The evaluator shell for ?hall=<code>&window=<number>; its device token comes in #token=."""
    hall = request.args.get("hall", "")
    window = request.args.get("window", "")
    return render_template(
        "evaluator/index.html",
        hall=hall if HALL_CODE.match(hall) else "",
        window=window if WINDOW_NUMBER.match(window) else "",
        levels=[(score, *LEVEL_NAMES[score]) for score in (5, 4, 3, 2, 1)],
        reasons=[(code, zh, en) for code, (zh, en) in REASONS.items()],
    )
