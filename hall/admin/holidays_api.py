"""The national holiday arrangement over REST (``/api/v1/admin/calendar…``): managers and
admins read it, admins enter it (``hall/access.py``: ``VIEW_SETUP``, ``ADMINISTER``)."""

from sqlalchemy.orm import Session

from hall import access, cache
from hall.access import Permission
from hall.admin import holidays
from hall.admin.api import authenticated, caller
from hall.admin.schemas import CalendarDayIn, CalendarQuery, CalendarYearIn
from hall.api import bp
from hall.db import unit_of_work

ADMIN = {"security": "BearerAuth"}


def _answer(session: Session, year: int) -> dict:
    """The year's entered days and what covers which year, as every calendar route answers."""
    days = cache.of(session).calendar()
    return {
        "year": year,
        "days": [holidays.day_json(d) for d in holidays.entered(session, year)],
        "coverage": holidays.coverage_json(days, holidays.today(), year),
    }


@bp.get("/admin/calendar")
@authenticated
@bp.input(CalendarQuery, location="query", arg_name="query")
@bp.doc(
    summary="The holiday arrangement entered for a year (?year=, this year by default) and "
    "what covers each year (managers, admins)",
    **ADMIN,
)
def list_calendar(query: dict) -> dict:
    """The year's entered days, the coverage of the years around it and the warning."""
    with unit_of_work(readonly=True) as session:
        access.require(caller(session), Permission.VIEW_SETUP)
        return _answer(session, query["year"] or holidays.today().year)


@bp.put("/admin/calendar/<day>")
@authenticated
@bp.input(CalendarDayIn, arg_name="body")
@bp.doc(summary="Enter a day: a holiday or a make-up working day (admin)", **ADMIN)
def put_calendar_day(day: str, body: dict) -> dict:
    """Enter or change one day; it applies at once in every process."""
    with unit_of_work() as session:
        who = access.require(caller(session), Permission.ADMINISTER)
        when = holidays.parse_day(day)
        row = holidays.set_day(session, when, body["workday"], body["name"], who)
        return {"day": holidays.day_json(row)}


@bp.delete("/admin/calendar/<day>")
@authenticated
@bp.doc(summary="Remove an entered day: the package decides it again (admin)", **ADMIN)
def delete_calendar_day(day: str) -> dict:
    """Forget one entered day (404 when it was not entered)."""
    with unit_of_work() as session:
        who = access.require(caller(session), Permission.ADMINISTER)
        when = holidays.parse_day(day)
        holidays.remove_day(session, when, who)
    return {"ok": True, "date": when.isoformat()}


@bp.put("/admin/calendar/years/<int:year>")
@authenticated
@bp.input(CalendarYearIn, arg_name="body")
@bp.doc(
    summary="Enter a year's whole arrangement: days or from–to ranges replace the year's "
    "entries (admin)",
    **ADMIN,
)
def put_calendar_year(year: int, body: dict) -> dict:
    """Replace the year's entered days with these; the counts of what changed."""
    entries = [
        {("from" if key == "from_" else key): value for key, value in entry.items()}
        for entry in body["days"]
    ]
    with unit_of_work() as session:
        who = access.require(caller(session), Permission.ADMINISTER)
        days = holidays.expand(year, entries)
        counts = holidays.replace_year(session, year, days, who)
    with unit_of_work(readonly=True) as session:
        return {**_answer(session, year), "changes": counts}
