"""The resident's status page: a ticket's place in line, live on the phone (no login)."""

import re

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    send_from_directory,
    url_for,
)

from hall import clock
from hall import qr as qr_code
from hall.db import unit_of_work
from hall.errors import NotFound
from hall.queue import appointments, lookup, presenters
from hall.stats import presenters as stats_presenters
from hall.stats.models import LEVEL_NAMES, REASONS
from hall.urls import base_url

bp = Blueprint(
    "status",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/status/static",  # the page lives at /s/<token>: no url_prefix
)

# Status tokens are secrets.token_urlsafe(32): 43 URL-safe characters; ids never work here.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,60}$")
HALL_CODE = re.compile(r"^[a-z0-9_-]{1,32}$")
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
        cancel_url=url_for("api.cancel_ticket", ref=token),
        defer_url=url_for("api.defer_ticket", ref=token),
        defer_places=current_app.config["DEFER_PLACES"],
        defer_max=current_app.config["DEFER_MAX"],
        levels=[(score, *LEVEL_NAMES[score]) for score in (5, 4, 3, 2, 1)],
        reasons=[(code, zh, en) for code, (zh, en) in REASONS.items()],
    )


@bp.get("/s/sw.js")
def service_worker() -> Response:
    """The status pages' service worker, served from /s/ so that its scope covers them."""
    response = send_from_directory(bp.static_folder, "sw.js", mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


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


def _hall_or_none(session, code: str):
    if not HALL_CODE.match(code):
        return None
    try:
        return lookup.hall_by_code(session, code)
    except NotFound:
        return None


@bp.get("/m/<code>")
def phone(code: str) -> tuple[str, int] | str:
    """A queue from the phone: the hall's matters with people waiting; take a ticket, no login."""
    with unit_of_work(readonly=True) as session:
        hall = _hall_or_none(session, code)
        if hall is None:
            return render_template("status/missing.html"), 404
        catalogue = presenters.phone_catalogue(session, hall) if hall.allow_phone_tickets else []
        return render_template(
            "status/phone.html",
            hall=hall,
            catalogue=catalogue,
            take_url=url_for("api.take_ticket", code=hall.code),
            matters_url=url_for("api.list_matters", code=hall.code),
            book_url=url_for("status.book", code=hall.code)
            if appointments.bookable(hall)
            else None,
        )


@bp.get("/m/<code>/poster")
def poster(code: str) -> tuple[str, int] | str:
    """A printable A4 poster for the hall's entrance: its QR code opens the phone queue."""
    with unit_of_work(readonly=True) as session:
        hall = _hall_or_none(session, code)
        if hall is None:
            return render_template("status/missing.html"), 404
        return render_template("status/poster.html", hall=hall, phone_url=_phone_url(hall.code))


@bp.get("/m/<code>/qr.svg")
def phone_qr(code: str) -> Response | tuple[str, int]:
    """The QR code of the hall's phone queue, drawn by the hub as SVG (sharp on paper)."""
    with unit_of_work(readonly=True) as session:
        hall = _hall_or_none(session, code)
        if hall is None:
            return render_template("status/missing.html"), 404
        return _qr_svg(_phone_url(hall.code))


def _qr_svg(text: str) -> Response:
    return Response(qr_code.svg(text), mimetype="image/svg+xml")


@bp.get("/m/<code>/book")
def book(code: str) -> tuple[str, int] | str:
    """Book a later day from the phone: a matter, a working day, a free slot, a number."""
    with unit_of_work(readonly=True) as session:
        hall = _hall_or_none(session, code)
        if hall is None:
            return render_template("status/missing.html"), 404
        catalogue = (
            appointments.bookable_matters(session, hall) if appointments.bookable(hall) else []
        )
        return render_template(
            "status/book.html",
            hall=hall,
            catalogue=catalogue,
            bookable=appointments.bookable(hall),
            slots_url=url_for("api.booking_slots", code=hall.code),
            book_url=url_for("api.book_slot", code=hall.code),
            phone_url=url_for("status.phone", code=hall.code),
            phone_required=current_app.config["BOOKING_PHONE_REQUIRED"],
        )


@bp.get("/b/<token>")
def booking(token: str) -> tuple[str, int] | str:
    """A phone booking by its secret link: the check-in code, its QR, the time; cancel it."""
    if not TOKEN.match(token):
        return render_template("status/missing.html"), 404
    with unit_of_work(readonly=True) as session:
        try:
            appointment = appointments.by_token(session, token)
        except NotFound:
            return render_template("status/missing.html"), 404
        data = appointments.booking_dict(appointment)
        hall = appointment.hall
        tz = hall.timezone
        start = clock.local(appointment.starts_at, tz)
        return render_template(
            "status/booking.html",
            hall=hall,
            booking=data,
            day=start.date(),
            start=start.strftime("%H:%M"),
            end=data["ends_at"][11:16],
            check_from=data["check_in_from"][11:16],
            check_until=data["check_in_until"][11:16],
            qr_url=url_for("status.booking_qr", token=token),
            cancel_url=url_for("api.cancel_booking", token=token),
            phone_url=url_for("status.phone", code=hall.code),
        )


@bp.get("/b/<token>/qr.svg")
def booking_qr(token: str) -> Response | tuple[str, int]:
    """The QR code of a booking's check-in code, for the kiosk's scanner."""
    if not TOKEN.match(token):
        return render_template("status/missing.html"), 404
    with unit_of_work(readonly=True) as session:
        try:
            code = appointments.by_token(session, token).code
        except NotFound:
            return render_template("status/missing.html"), 404
    return _qr_svg(code)


def _phone_url(code: str) -> str:
    return f"{base_url()}{url_for('status.phone', code=code)}"


@bp.after_request
def private(response):
    """The token is the key: keep the page out of shared caches and referrers."""
    if response.mimetype != "text/javascript":
        response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
