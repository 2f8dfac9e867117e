"""The resident's pages of a case, by its receipt code: the status page and the A4 notice."""

import re

from flask import Blueprint, render_template
from sqlalchemy import select

from hall import clock
from hall.admin.models import Hall
from hall.cases import presenters, services
from hall.cases.models import Case
from hall.db import unit_of_work

bp = Blueprint(
    "cases",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/cases/static",
)

# Receipt codes are secrets.token_urlsafe(16): 22 URL-safe characters; ids never work here.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,60}$")


def _load(session, token: str) -> Case | None:
    if not TOKEN.match(token):
        return None
    return session.scalar(select(Case).where(Case.token == token))


@bp.get("/c/<token>")
def status(token: str):
    """Where the case stands: no name, no ID number, no phone."""
    with unit_of_work(readonly=True) as session:
        case = _load(session, token)
        if case is None:
            return render_template("cases/missing.html"), 404
        return render_template(
            "cases/status.html",
            case=presenters.public_case(session, case),
            token=token,
            notice_url=presenters.notice_url(token),
        )


@bp.get("/c/<token>/notice")
def notice(token: str):
    """The A4 notice of the intake outcome, for the browser's print (受理 / 一次性告知 / 不予受理)."""
    with unit_of_work(readonly=True) as session:
        case = _load(session, token)
        if case is None:
            return render_template("cases/missing.html"), 404
        hall = session.get(Hall, case.hall_id)
        items = {item["id"]: item for item in services.checklist(session, case.matter)}
        return render_template(
            "cases/notice.html",
            case=case,
            hall=hall,
            received=[items[i] for i in case.documents_received if i in items],
            issued_on=clock.service_date(clock.now(), hall.timezone),
            when=lambda at: clock.iso_local(at, hall.timezone)[:16].replace("T", " ") if at else "",
            status_url=presenters.case_url(case.token),
        )
