"""The national holiday arrangement as the administrators enter it (``calendar_days``).

One table for every hall. A day entered here wins over the ``chinesecalendar`` package
(``hall/calendar.py``); each change is audited and marks the session so that every process
forgets its calendar after the commit (``hall/cache.py``).
"""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import audit, cache, clock
from hall.admin.models import CalendarDay
from hall.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    NAME_MAX,
    PACKAGE_YEARS,
    ZONE,
    Calendar,
    EnteredDay,
    warning_text,
)
from hall.errors import BadRequest, NotFound

MAX_DAYS = 366  # a year's entries at once


def today() -> date:
    """Today by the national arrangement's clock (Beijing time)."""
    return clock.service_date(clock.now(), ZONE)


def check_year(year: int) -> int:
    """The year, if one may be entered (400 ``bad_year`` otherwise)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadRequest(
            f"年份须在 {FIRST_YEAR}–{LAST_YEAR} 之间 / the year must be from {FIRST_YEAR} "
            f"to {LAST_YEAR}",
            code="bad_year",
        )
    return year


def parse_day(text: Any) -> date:
    """A day written YYYY-MM-DD within the years one may enter (400 ``bad_date``)."""
    if isinstance(text, date):
        day = text
    else:
        try:
            if not isinstance(text, str) or len(text) != 10:
                raise ValueError
            day = date.fromisoformat(text)
        except ValueError:
            shown = str(text)[:20]
            raise BadRequest(
                f"日期无效,应为 YYYY-MM-DD / not a date (YYYY-MM-DD): {shown}", code="bad_date"
            ) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadRequest(
            f"日期须在 {FIRST_YEAR}–{LAST_YEAR} 年之间 / the day must lie in {FIRST_YEAR}–"
            f"{LAST_YEAR}: {day.isoformat()}",
            code="bad_date",
        )
    return day


def check_name(name: Any) -> str:
    """A day's name, trimmed (400 ``bad_name`` when not text or over 40 characters)."""
    if not isinstance(name, str) or len(name.strip()) > NAME_MAX:
        raise BadRequest(
            f"名称须为不超过 {NAME_MAX} 个字的文字 / the name must be text of at most "
            f"{NAME_MAX} characters",
            code="bad_name",
        )
    return name.strip()


def day_json(day: EnteredDay | CalendarDay) -> dict[str, Any]:
    """An entered day as the API and the file write it."""
    return {"date": day.day.isoformat(), "workday": day.workday, "name": day.name}


def coverage_json(days: Calendar, on: date, year: int | None = None) -> dict[str, Any]:
    """What covers this year, the next, the asked one and every entered year; the first
    uncovered day from ``on``; the warning when that day is within 60 days."""
    years = {on.year, on.year + 1, *(d.day.year for d in days.entered())}
    if year is not None:
        years.add(year)
    first = days.uncovered_from(on)
    warn = days.warning(on)
    return {
        "today": on.isoformat(),
        "years": {str(y): source for y, source in days.coverage(sorted(years)).items()},
        "package_years": [PACKAGE_YEARS[0], PACKAGE_YEARS[-1]],
        "uncovered_from": first.isoformat() if first else None,
        "warning_year": warn,
        "warning": warning_text(warn) if warn is not None else None,
    }


def expand(year: int, entries: list[dict[str, Any]]) -> list[EnteredDay]:
    """A year's entries as days: each ``{"date"}`` or ``{"from", "to"}`` (a range, both days
    included) with ``workday`` and ``name``. Every day in the year, none twice (400)."""
    check_year(year)
    days: dict[date, EnteredDay] = {}
    for n, entry in enumerate(entries):
        if "date" in entry:
            first = last = parse_day(entry["date"])
        elif "from" in entry and "to" in entry:
            first, last = parse_day(entry["from"]), parse_day(entry["to"])
        else:
            raise BadRequest(
                f"第 {n + 1} 项需要 date 或 from 与 to / entry {n + 1} needs a date or from and to",
                code="bad_date",
            )
        if first.year != year or last.year != year or last < first:
            raise BadRequest(
                f"第 {n + 1} 项须在 {year} 年内且起止有序 / entry {n + 1} must lie in {year}, "
                "from before to",
                code="bad_date",
            )
        workday, name = entry.get("workday"), check_name(entry.get("name", ""))
        if not isinstance(workday, bool):
            raise BadRequest(
                f"第 {n + 1} 项的 workday 应为 true 或 false / entry {n + 1}: workday must be "
                "true or false",
                code="bad_workday",
            )
        day = first
        while day <= last:
            if day in days:
                raise BadRequest(
                    f"{day.isoformat()} 重复 / {day.isoformat()} is given twice",
                    code="duplicate_day",
                )
            days[day] = EnteredDay(day, workday, name)
            day += timedelta(days=1)
    return sorted(days.values(), key=lambda d: d.day)


def set_day(session: Session, day: date, workday: bool, name: str, by: Any) -> CalendarDay:
    """Enter a day (or change it): a holiday (``workday`` false) or a make-up working day."""
    day, name = parse_day(day), check_name(name)
    row = session.get(CalendarDay, day)
    before = day_json(row) if row is not None else None
    if row is None:
        row = CalendarDay(day=day, workday=workday, name=name)
        session.add(row)
    else:
        row.workday, row.name = workday, name
    session.flush()
    after = day_json(row)
    if before != after:
        audit.record(
            session, by, "calendar.set", f"calendar:{day.isoformat()}", before=before, after=after
        )
        cache.changed(session)
    return row


def remove_day(session: Session, day: date, by: Any) -> None:
    """Forget an entered day: the package (or Monday to Friday) decides it again."""
    row = session.get(CalendarDay, parse_day(day))
    if row is None:
        raise NotFound(
            f"该日未录入 / that day was not entered: {day.isoformat()}",
            code="calendar_day_not_found",
        )
    before = day_json(row)
    session.delete(row)
    session.flush()
    audit.record(session, by, "calendar.remove", f"calendar:{row.day.isoformat()}", before=before)
    cache.changed(session)


def replace_year(session: Session, year: int, days: list[EnteredDay], by: Any) -> dict[str, int]:
    """Make the year's entries exactly these days (the whole announcement at once); how many
    days were added, changed and removed."""
    check_year(year)
    if len(days) > MAX_DAYS or any(d.day.year != year for d in days):
        raise BadRequest(f"须为 {year} 年内的日子 / the days must lie in {year}", code="bad_date")
    current = {r.day: r for r in session.scalars(_of_year(year))}
    wanted = {d.day: d for d in days}
    counts = {"added": 0, "changed": 0, "removed": 0}
    for day, row in current.items():
        if day not in wanted:
            session.delete(row)
            counts["removed"] += 1
    for day, entered in wanted.items():
        row = current.get(day)
        if row is None:
            session.add(CalendarDay(day=day, workday=entered.workday, name=entered.name))
            counts["added"] += 1
        elif (row.workday, row.name) != (entered.workday, entered.name):
            row.workday, row.name = entered.workday, entered.name
            counts["changed"] += 1
    session.flush()
    if any(counts.values()):
        audit.record(
            session,
            by,
            "calendar.year",
            f"calendar:{year}",
            before={"days": [day_json(r) for r in sorted(current.values(), key=_day)]},
            after={"days": [day_json(d) for d in sorted(wanted.values(), key=_day)], **counts},
        )
        cache.changed(session)
    return counts


def entered(session: Session, year: int) -> list[CalendarDay]:
    """The year's entered days as the database holds them, by date."""
    return list(session.scalars(_of_year(check_year(year)).order_by(CalendarDay.day)))


def _of_year(year: int):
    return select(CalendarDay).where(
        CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
    )


def _day(row: Any) -> date:
    return row.day
