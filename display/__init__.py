"""Display: the hall board, the window screens and the spoken calls."""

import re
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, send_from_directory

from display import voice
from hall import limits
from hall.db import unit_of_work
from hall.queue import lookup, presenters

bp = Blueprint(
    "display", __name__, url_prefix="/display", template_folder="templates", static_folder="static"
)

HALL_CODE = re.compile(r"^[a-z0-9_-]{1,32}$")


@bp.get("/")
def board() -> str:
    """The hall board (landscape, or portrait on a tall screen or with ?layout=portrait)."""
    code = request.args.get("hall", "")
    with unit_of_work(readonly=True) as session:
        if not HALL_CODE.match(code):
            return render_template("display/choose.html", halls=presenters.halls(session))
        hall = lookup.hall_by_code(session, code)
        portrait = request.args.get("layout") == "portrait"
        return render_template("display/board.html", hall=hall, portrait=portrait)


@bp.get("/window/<int:window_id>")
def window_screen(window_id: int) -> str:
    """The screen above one window: its name, current number and who serves there."""
    with unit_of_work(readonly=True) as session:
        window = lookup.window(session, window_id)
        return render_template("display/window.html", window=window, hall=window.hall)


@bp.get("/sw.js")
def service_worker() -> Response:
    """The display's service worker, served from /display/ so that its scope covers the pages."""
    response = send_from_directory(bp.static_folder, "sw.js", mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline() -> str:
    """The page a display shows, from its service worker's cache, while the hub is away."""
    return render_template("display/offline.html")


@bp.get("/voice")
def voice_clip() -> Response:
    """A call's announcement as WAV: ?number=A023&window=5 (&recall=1 says 再次呼叫 first)."""
    number = request.args.get("number", "")
    window = request.args.get("window", "")
    recall = request.args.get("recall") == "1"
    voice.check(number, window)
    cache = current_app.extensions.get("display.voice")
    if cache is None:
        cache = voice.ClipCache(int(current_app.config["VOICE_CACHE_BYTES"]))
        current_app.extensions["display.voice"] = cache
    key = f"{number}|{window}|{int(recall)}"
    data = cache.get(key)
    if data is None:
        # Joining clips is cheap but not free: an address making new ones is limited.
        limits.check("voice", "VOICE_LIMIT")
        clips = Path(current_app.instance_path) / "voice" / "clips"
        data = voice.announcement(number, window, clips, recall=recall)
        cache.put(key, data)
    response = Response(data, mimetype="audio/wav")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
