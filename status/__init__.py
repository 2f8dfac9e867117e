"""The resident's status page: a ticket's place in line, live on the phone (no login)."""

import re

from flask import Blueprint, render_template, url_for

from hall.db import unit_of_work
from hall.errors import NotFound
from hall.queue import lookup, presenters
from hall.stats import presenters as stats_presenters
from hall.stats.models import LEVEL_NAMES, REASONS

bp = Blueprint(
    "status",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/status/static",  # the page lives at /s/<token>: no url_prefix
)

# Status tokens are secrets.token_urlsafe(32): 43 URL-safe characters; ids never work here.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,60}$")
NEAR = 3  # "almost your turn" from this many people ahead


@bp.get("/s/<token>")
def page(token: str) -> tuple[str, int] | str:
    """The ticket's number, queue, people ahead and wait; the page follows it live."""
    try:
        if not TOKEN.match(token):
            raise NotFound("未找到 / not found")
        with unit_of_work(readonly=True) as session:
            ticket = lookup.ticket(session, token)
            data = presenters.ticket_json(session, ticket, private=False)
            hall = {"name": ticket.hall.name, "name_en": ticket.hall.name_en}
    except NotFound:
        return render_template("status/missing.html"), 404
    return render_template(
        "status/page.html",
        ticket=data,
        hall=hall,
        token=token,
        near=NEAR,
        api=url_for("api.get_ticket", ref=token),
        rate_url=url_for("api.rate_ticket", ref=token),
        levels=[(score, *LEVEL_NAMES[score]) for score in (5, 4, 3, 2, 1)],
        reasons=[(code, zh, en) for code, (zh, en) in REASONS.items()],
    )


@bp.get("/open/<code>")
def open_page(code: str) -> tuple[str, int] | str:
    """政务公开: the hall's own figures for anyone, no login and no personal data."""
    with unit_of_work(readonly=True) as session:
        try:
            hall = lookup.hall_by_code(session, code[:32])
        except NotFound:
            return render_template("status/missing.html"), 404
        figures = stats_presenters.open_figures(session, hall)
    return render_template(
        "status/open.html", open=figures, api=url_for("api.open_figures", code=code)
    )


@bp.after_request
def private(response):
    """The token is the key: keep the page out of shared caches and referrers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
