"""Case figures over a date range, from the cases' stored times and their steps.

A case's times (``received_at``, ``refused_at``, ``decided_at``, ``handed_over_at``) are read
as epoch seconds (no per-row datetime parsing) and placed on the hall's local days; its
deadline is the one stored now (stopping the clock for a return moves it).
"""

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from hall import cache
from hall.cases.models import Case, CaseStep, Task, TaskStatus
from hall.queue.models import Matter
from hall.stats.models import BAD_SCORES, Rating
from hall.stats.rollup import day_bounds

CASE_FIGURES = (
    "carried_over",
    "received",
    "refused",
    "decided",
    "handed_over",
    "late",
    "returned",
    "in_progress",
    "on_time_rate",
    "one_trip_rate",
    "on_the_spot_share",
    "mean_workdays_to_decision",
    "late_by_department",
    "late_by_staff",
    "ratings",
)

EPOCH = date(1970, 1, 1)
OPEN_TASK = (TaskStatus.PENDING, TaskStatus.CLAIMED, TaskStatus.SUSPENDED, TaskStatus.RETURNED)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def case_figures(
    session: Session, hall: Any, start: date, end: date, *, now: datetime
) -> dict[str, Any]:
    """Carried over, received, decided, handed over, late, returned and in progress, with the
    on-time, one-trip and on-the-spot rates and the mean working days to a decision.

    - *carried over*: received before ``start`` and neither refused nor decided by then;
    - *in progress*: received by the end of the range (or now, if earlier) and neither
      refused nor decided by then;
    - *late*: decided in the range after its deadline, plus in progress with its deadline
      already past on the range's last day (or today): an open overdue case is late;
    - *on-time rate*: decided in the range by the deadline ÷ (decided in the range + open
      overdue);
    - *returned*: cases returned for correction (补正) by a department in the range;
    - *one-trip rate* (最多跑一次): of the cases decided in the range, the share the resident
      came for at most once before the decision (pick-up not counted);
    - *on-the-spot share*: of the cases received in the range, those decided at intake (即办);
    - *mean working days to decision*: received day → decision day in working days
      (hall/calendar.py), over the cases decided in the range;
    - *ratings*: the cases' ratings (一事一评) given in the range: count, 好评率, 差评.
    """
    return case_report(session, hall, start, end, None, now=now)[0]


def case_report(
    session: Session, hall: Any, start: date, end: date, by: str | None, *, now: datetime
) -> tuple[dict[str, Any], dict[Any, dict[str, Any]]]:
    """The hall's case figures over the range and, with ``by``, per group. A case (and a
    rating) falls in exactly one group of a grouping other than ``day``, so the hall's
    figures are then the groups' sum: the cases are read once."""
    dialect = session.get_bind().dialect.name
    first, after = day_bounds(start, end, hall.timezone)
    cut, last_day = _cut(hall, start, end, now)
    local = _local_date(dialect, hall, first)
    groups: dict[Any, dict[str, Any]] = {}
    if by is not None and by != "day":
        tallies = _tallies(session, hall, start, end, now=now, by=by)
        total = Tally()
        for t in tallies.values():
            total.add(t)
        groups = {k: _figures(t) for k, t in tallies.items()}
    elif by == "day":
        # The range's figures from its days': flows add up, the stocks are the first day's
        # (carried over) and the last one's (in progress, open overdue); only the returned
        # cases are counted again (a case returned on two days is one case).
        days = _by_day(session, hall, start, end, now=now)
        total = Tally()
        for t in days.values():
            total.add(t)
        total.carried_over = days[start].carried_over
        closing = days.get(last_day) or Tally()
        total.in_progress, total.open_overdue = closing.in_progress, closing.open_overdue
        total.returned = _returned(session, hall, first, after)
        groups = {d: _figures(t) for d, t in days.items()}
    else:
        total = _tallies(session, hall, start, end, now=now, by=None)[None]
    figures = _figures(total)
    by_department, by_staff = _late_by(session, hall, dialect, local, first, after, cut, last_day)
    figures["late_by_department"] = by_department
    figures["late_by_staff"] = by_staff
    return figures, groups


# Groupings of the case figures (``by=``): a case belongs to its matter, its matter's queue
# and department (the lead that answers for it), the window and clerk that took it in, and
# the local hour it was received; ``day`` counts each day as a period of its own.
CASE_GROUPS = ("queue", "matter", "window", "staff", "department", "hour", "day")


class Tally:
    """The counts one group of cases adds up to."""

    __slots__ = (
        "carried_over",
        "received",
        "refused",
        "decided",
        "handed_over",
        "late_decided",
        "open_overdue",
        "in_progress",
        "on_the_spot",
        "one_trip",
        "workdays",
        "returned",
        "rated",
    )

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)
        self.rated = Counter()

    def add(self, other: "Tally") -> None:
        for name in self.__slots__:
            if name != "rated":
                setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rated.update(other.rated)


def _figures(t: Tally) -> dict[str, Any]:
    """A tally as the report shows it."""
    rating_count = sum(t.rated.values())
    good = sum(n for score, n in t.rated.items() if score >= 4)
    bad = sum(n for score, n in t.rated.items() if score in BAD_SCORES)
    return {
        "carried_over": t.carried_over,
        "received": t.received,
        "refused": t.refused,
        "decided": t.decided,
        "handed_over": t.handed_over,
        "late": t.late_decided + t.open_overdue,
        "open_overdue": t.open_overdue,
        "returned": t.returned,
        "in_progress": t.in_progress,
        "on_time_rate": _rate(t.decided - t.late_decided, t.decided + t.open_overdue),
        "one_trip_rate": _rate(t.one_trip, t.decided),
        "on_the_spot_share": _rate(t.on_the_spot, t.received),
        "mean_workdays_to_decision": round(t.workdays / t.decided, 2) if t.decided else None,
        "ratings": {"count": rating_count, "good_rate": _rate(good, rating_count), "bad": bad},
    }


def _cut(hall: Any, start: date, end: date, now: datetime) -> tuple[datetime, date]:
    """The range's end or now, if earlier, and the last day it reaches."""
    zone = ZoneInfo(hall.timezone)
    first, after = day_bounds(start, end, hall.timezone)
    cut = min(after, now)
    last_day = (
        min(end, (cut - timedelta(microseconds=1)).astimezone(zone).date())
        if cut > first
        else start
    )
    return cut, last_day


def _keys(dialect: str, hall: Any, at: datetime, by: str | None) -> tuple[Any, Any]:
    """The group's key of a case (its intake) and of a case's rating (who served it)."""
    if by is None:
        return None, None
    if by == "hour":
        hour = _local_hour(dialect, hall, at)
        return hour(Case.received_at), hour(Case.received_at)
    case_key = {
        "queue": Matter.queue_id,
        "matter": Case.matter_id,
        "window": Case.window_id,
        "staff": Case.staff_id,
        "department": Matter.department_id,
    }[by]
    rating_key = {
        "queue": Matter.queue_id,
        "matter": Rating.matter_id,
        "window": Rating.window_id,
        "staff": Rating.staff_id,
        "department": Rating.department_id,
    }[by]
    return case_key, rating_key


def _tallies(
    session: Session, hall: Any, start: date, end: date, *, now: datetime, by: str | None
) -> dict[Any, Tally]:
    """The counts of the range per group (``by=None``: one group, key None)."""
    dialect = session.get_bind().dialect.name
    cal = cache.of(session).calendar()
    first, after = day_bounds(start, end, hall.timezone)
    cut, last_day = _cut(hall, start, end, now)
    c = Case
    local = _local_date(dialect, hall, first)
    key, rating_key = _keys(dialect, hall, first, by)
    received_in = c.received_at >= first
    decided_in = and_(c.decided_at >= first, c.decided_at < after)
    flags = (
        *([] if key is None else [key]),
        _flag(
            and_(
                c.received_at < first,
                or_(c.decided_at.is_(None), c.decided_at >= first),
                or_(c.refused_at.is_(None), c.refused_at >= first),
            )
        ),
        _flag(received_in),
        _flag(and_(c.refused_at >= first, c.refused_at < after)),
        _flag(and_(c.handed_over_at >= first, c.handed_over_at < after)),
        _flag(decided_in),
        _flag(
            and_(
                c.received_at < cut,
                or_(c.decided_at.is_(None), c.decided_at >= cut),
                or_(c.refused_at.is_(None), c.refused_at >= cut),
            )
        ),
        _flag(and_(c.deadline.is_not(None), c.deadline < last_day)),
        _flag(and_(decided_in, c.deadline.is_not(None), local(c.decided_at) > c.deadline)),
        _flag(and_(received_in, c.on_the_spot)),
        _flag(and_(decided_in, c.visits_count <= 1)),
    )
    with_matter = by in ("queue", "department")
    # The cases that touch the range, counted by the database per combination of what they
    # did in it (a month of cases comes back as a few dozen rows per group).
    touching = (
        c.hall_id == hall.id,
        c.received_at < after,
        or_(c.refused_at.is_(None), c.refused_at >= first),
        or_(c.decided_at.is_(None), c.decided_at >= first, c.handed_over_at >= first),
    )
    query = select(*flags, func.count()).select_from(c).where(*touching)
    if with_matter:
        query = query.outerjoin(Matter, Matter.id == c.matter_id)
    tallies: dict[Any, Tally] = defaultdict(Tally)
    if by is None:
        tallies[None] = Tally()
    for row in session.connection().execute(query.group_by(*flags)):
        row = row if key is not None else (None, *row)
        (group, carried, received, refused, handed, decided, progress, overdue, late) = row[:9]
        spot, trip, n = row[9:]
        t = tallies[_key(group)]
        t.carried_over += carried * n
        t.received += received * n
        t.on_the_spot += spot * n
        t.refused += refused * n
        t.handed_over += handed * n
        if decided:
            t.decided += n
            t.late_decided += late * n
            t.one_trip += trip * n
        if progress:
            t.in_progress += n
            t.open_overdue += overdue * n
    keyed = [] if key is None else [key]
    # Working days received -> decided, summed as W(decided day) - W(received day) (W: the
    # working days since a fixed day), so each day is read once, not each pair of days.
    for column, sign in ((c.decided_at, 1), (c.received_at, -1)):
        day = local(column)
        days = (
            select(*keyed, day, func.count())
            .select_from(c)
            .where(*touching, c.decided_at >= first, c.decided_at < after)
            .group_by(*keyed, day)
        )
        if with_matter:
            days = days.outerjoin(Matter, Matter.id == c.matter_id)
        for row in session.connection().execute(days):
            group, value, n = row if key is not None else (None, *row)
            tallies[_key(group)].workdays += sign * cal.workday_index(_as_date(value)) * n
    returned = (
        select(*keyed, func.count(func.distinct(CaseStep.case_id)))
        .select_from(CaseStep)
        .join(c, c.id == CaseStep.case_id)
        .where(
            c.hall_id == hall.id,
            CaseStep.action == "task_return",
            CaseStep.at >= first,
            CaseStep.at < after,
        )
        .group_by(*keyed)
    )
    if with_matter:
        returned = returned.outerjoin(Matter, Matter.id == c.matter_id)
    for row in session.connection().execute(returned):
        group, n = row if key is not None else (None, *row)
        tallies[_key(group)].returned += n
    rating_keyed = [] if rating_key is None else [rating_key]
    rated = (
        select(*rating_keyed, Rating.score, func.count())
        .select_from(Rating)
        .where(
            Rating.hall_id == hall.id,
            Rating.case_id.is_not(None),
            Rating.at >= first,
            Rating.at < after,
        )
        .group_by(*rating_keyed, Rating.score)
    )
    if with_matter:
        rated = rated.outerjoin(Matter, Matter.id == Rating.matter_id)
    if by == "hour":
        rated = rated.join(c, c.id == Rating.case_id)
    for row in session.connection().execute(rated):
        group, score, n = row if rating_key is not None else (None, *row)
        tallies[_key(group)].rated[score] += n
    return tallies


def _returned(session: Session, hall: Any, first: datetime, after: datetime) -> int:
    """Cases returned for correction (补正) in the range."""
    return (
        session.scalar(
            select(func.count(func.distinct(CaseStep.case_id)))
            .join(Case, Case.id == CaseStep.case_id)
            .where(
                Case.hall_id == hall.id,
                CaseStep.action == "task_return",
                CaseStep.at >= first,
                CaseStep.at < after,
            )
        )
        or 0
    )


def _by_day(
    session: Session, hall: Any, start: date, end: date, *, now: datetime
) -> dict[date, Tally]:
    """Each day's figures as if the day were the report's range: what was received, refused,
    decided (late or not), handed over and returned that day, and the cases open at its start
    (carried over) and at its end or now (in progress; overdue when the deadline was before
    the day), in a few grouped queries rather than one report per day."""
    cal = cache.of(session).calendar()
    dialect = session.get_bind().dialect.name
    first, after = day_bounds(start, end, hall.timezone)
    cut, last_day = _cut(hall, start, end, now)
    c = Case
    local = _local_date(dialect, hall, first)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    tallies = {d: Tally() for d in days}
    conn = session.connection()
    mine = c.hall_id == hall.id

    def per_day(column: Any, *extra: Any) -> Any:
        day = local(column)  # one expression in SELECT and GROUP BY (PostgreSQL's binds)
        return conn.execute(
            select(day, *extra, func.count())
            .where(mine, column >= first, column < after)
            .group_by(day, *extra)
        )

    for day, spot, n in per_day(c.received_at, c.on_the_spot):
        t = tallies.get(_as_date(day))
        if t is not None:
            t.received += n
            t.on_the_spot += n if spot else 0
    for day, n in per_day(c.refused_at):
        if (t := tallies.get(_as_date(day))) is not None:
            t.refused += n
    for day, n in per_day(c.handed_over_at):
        if (t := tallies.get(_as_date(day))) is not None:
            t.handed_over += n
    late = _flag(and_(c.deadline.is_not(None), local(c.decided_at) > c.deadline))
    for day, received, was_late, trip, n in per_day(
        c.decided_at, local(c.received_at), late, _flag(c.visits_count <= 1)
    ):
        if (t := tallies.get(_as_date(day))) is not None:
            t.decided += n
            t.late_decided += was_late * n
            t.one_trip += trip * n
            worked = cal.workday_index(_as_date(day)) - cal.workday_index(_as_date(received))
            t.workdays += max(0, worked) * n
    step_day = local(CaseStep.at)
    for day, n in conn.execute(
        select(step_day, func.count(func.distinct(CaseStep.case_id)))
        .join(c, c.id == CaseStep.case_id)
        .where(mine, CaseStep.action == "task_return", CaseStep.at >= first, CaseStep.at < after)
        .group_by(step_day)
    ):
        if (t := tallies.get(_as_date(day))) is not None:
            t.returned += n
    rating_day = local(Rating.at)
    for day, score, n in conn.execute(
        select(rating_day, Rating.score, func.count())
        .where(
            Rating.hall_id == hall.id,
            Rating.case_id.is_not(None),
            Rating.at >= first,
            Rating.at < after,
        )
        .group_by(rating_day, Rating.score)
    ):
        if (t := tallies.get(_as_date(day))) is not None:
            t.rated[score] += n
    # Open at a day's end: received by then and neither refused nor decided by then; the last
    # day (today) ends at the cut (now). Cases counted per (received day, closing day,
    # deadline), a closing after the cut being no closing yet.
    closed_at = func.coalesce(c.decided_at, c.refused_at)
    stocks = (
        local(c.received_at),
        case((closed_at < cut, local(closed_at)), else_=None),
        c.deadline,
        _flag(c.received_at < cut),
    )
    for received, closed, deadline, by_cut, n in conn.execute(
        select(*stocks, func.count())
        .where(mine, c.received_at < after, or_(closed_at.is_(None), closed_at >= first))
        .group_by(*stocks)
    ):
        got = _as_date(received)
        shut = _as_date(closed) if closed is not None else None
        due = _as_date(deadline) if deadline is not None else None
        for day in days:
            if got < day and (shut is None or shut >= day):
                tallies[day].carried_over += n
            if day > last_day:
                continue
            ends_open = (got <= day if day < last_day else by_cut) and (shut is None or shut > day)
            if ends_open:
                tallies[day].in_progress += n
                if due is not None and due < day:
                    tallies[day].open_overdue += n
    return tallies


def _key(value: Any) -> Any:
    return int(value) if isinstance(value, float) else value


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _local_hour(dialect: str, hall: Any, at: datetime) -> Any:
    """The hall's local hour (0-23) of a stored time, in SQL (as ``_local_date``)."""
    if dialect == "postgresql":
        return lambda column: cast(
            func.extract("hour", func.timezone(hall.timezone, column)), Integer
        )
    offset = int(at.astimezone(ZoneInfo(hall.timezone)).utcoffset().total_seconds())
    return lambda column: cast(func.strftime("%H", column, f"{offset:+d} seconds"), Integer)


def _local_date(dialect: str, hall: Any, at: datetime) -> Any:
    """The hall's local date of a stored time, in SQL. PostgreSQL converts with the zone's
    rules; SQLite adds the zone's offset at the range's start (exact for zones without
    daylight saving, as China's)."""
    if dialect == "postgresql":
        return lambda column: cast(func.timezone(hall.timezone, column), Date)
    offset = int(at.astimezone(ZoneInfo(hall.timezone)).utcoffset().total_seconds())
    return lambda column: func.date(column, f"{offset:+d} seconds")


def _late_by(
    session: Session,
    hall: Any,
    dialect: str,
    local: Any,
    first: datetime,
    after: datetime,
    cut: datetime,
    last_day: date,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Late cases per department and per staff member: the tasks that were still open at
    the deadline (decided after it, or not decided yet) and who decided or holds them."""
    from hall.admin.models import Department, Staff

    c = Case
    late_case = or_(
        and_(
            c.decided_at >= first,
            c.decided_at < after,
            c.deadline.is_not(None),
            local(c.decided_at) > c.deadline,
        ),
        and_(
            c.received_at < cut,
            or_(c.decided_at.is_(None), c.decided_at >= cut),
            or_(c.refused_at.is_(None), c.refused_at >= cut),
            c.deadline.is_not(None),
            c.deadline < last_day,
        ),
    )
    late_task = or_(
        Task.status.in_(OPEN_TASK), Task.decided_at.is_(None), local(Task.decided_at) > c.deadline
    )
    who = func.coalesce(Task.decided_by, Task.claimed_by)
    departments: Counter = Counter()
    staff: Counter = Counter()
    for department_id, person, n in session.connection().execute(
        select(Task.department_id, who, func.count())
        .join(c, c.id == Task.case_id)
        .where(c.hall_id == hall.id, c.received_at < after, late_case, late_task)
        .group_by(Task.department_id, who)
    ):
        departments[department_id] += n
        if person is not None:
            staff[person] += n
    if not departments:
        return [], []
    names = dict(session.execute(select(Department.id, Department.code)).all())
    staff_nos = dict(
        session.execute(select(Staff.id, Staff.staff_no).where(Staff.id.in_(list(staff)))).all()
    )
    return (
        [
            {"key": k, "name": names.get(k, k), "late": n}
            for k, n in sorted(departments.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        [
            {"key": k, "name": staff_nos.get(k) or k, "late": n}
            for k, n in sorted(staff.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    )
