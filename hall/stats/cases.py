"""Case figures over a date range, from the cases' stored times and their steps.

A case's times (``received_at``, ``refused_at``, ``decided_at``, ``handed_over_at``) are read
as epoch seconds (no per-row datetime parsing) and placed on the hall's local days; its
deadline is the one stored now (stopping the clock for a return moves it).
"""

from collections import Counter
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from hall import calendar
from hall.cases.models import Case, CaseStep, Task, TaskStatus
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


@lru_cache(maxsize=4096)
def _workdays(start: date, end: date) -> int:
    return calendar.workdays_between(start, end)


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
    dialect = session.get_bind().dialect.name
    zone = ZoneInfo(hall.timezone)
    first, after = day_bounds(start, end, hall.timezone)
    cut = min(after, now)
    last_day = (
        min(end, (cut - timedelta(microseconds=1)).astimezone(zone).date())
        if cut > first
        else start
    )
    c = Case
    local = _local_date(dialect, hall, first)
    received_in = c.received_at >= first
    decided_in = and_(c.decided_at >= first, c.decided_at < after)
    flags = (
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
        case((decided_in, local(c.received_at)), else_=None),
        case((decided_in, local(c.decided_at)), else_=None),
    )
    # The cases that touch the range, counted by the database per combination of what they
    # did in it (a month of cases comes back as a few hundred rows).
    rows = session.connection().execute(
        select(*flags, func.count())
        .where(
            c.hall_id == hall.id,
            c.received_at < after,
            or_(c.refused_at.is_(None), c.refused_at >= first),
            or_(c.decided_at.is_(None), c.decided_at >= first, c.handed_over_at >= first),
        )
        .group_by(*flags)
    )
    counts: Counter = Counter()
    on_time = one_trip = 0
    workdays = workday_cases = 0
    for (
        carried,
        received,
        refused,
        handed,
        decided,
        progress,
        overdue,
        late,
        spot,
        trip,
        rd,
        dd,
        n,
    ) in rows:
        counts["carried_over"] += carried * n
        counts["received"] += received * n
        counts["on_the_spot"] += spot * n
        counts["refused"] += refused * n
        counts["handed_over"] += handed * n
        if decided:
            counts["decided"] += n
            counts["late"] += late * n
            on_time += 0 if late else n
            one_trip += trip * n
            days = _workdays(_as_date(rd), _as_date(dd))
            workdays += max(0, days) * n
            workday_cases += n
        if progress:
            counts["in_progress"] += n
            counts["late"] += overdue * n
            counts["open_overdue"] += overdue * n
    returned = session.scalar(
        select(func.count(func.distinct(CaseStep.case_id)))
        .join(Case, Case.id == CaseStep.case_id)
        .where(
            Case.hall_id == hall.id,
            CaseStep.action == "task_return",
            CaseStep.at >= first,
            CaseStep.at < after,
        )
    )
    by_department, by_staff = _late_by(session, hall, dialect, local, first, after, cut, last_day)
    rated = dict(
        session.execute(
            select(Rating.score, func.count())
            .where(
                Rating.hall_id == hall.id,
                Rating.case_id.is_not(None),
                Rating.at >= first,
                Rating.at < after,
            )
            .group_by(Rating.score)
        ).all()
    )
    rating_count = sum(rated.values())
    good = sum(n for score, n in rated.items() if score >= 4)
    bad = sum(n for score, n in rated.items() if score in BAD_SCORES)
    decided = counts["decided"]
    return {
        "carried_over": counts["carried_over"],
        "received": counts["received"],
        "refused": counts["refused"],
        "decided": decided,
        "handed_over": counts["handed_over"],
        "late": counts["late"],
        "open_overdue": counts["open_overdue"],
        "returned": returned or 0,
        "in_progress": counts["in_progress"],
        "on_time_rate": _rate(on_time, decided + counts["open_overdue"]),
        "one_trip_rate": _rate(one_trip, decided),
        "on_the_spot_share": _rate(counts["on_the_spot"], counts["received"]),
        "mean_workdays_to_decision": round(workdays / workday_cases, 2) if workday_cases else None,
        "late_by_department": by_department,
        "late_by_staff": by_staff,
        "ratings": {"count": rating_count, "good_rate": _rate(good, rating_count), "bad": bad},
    }


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


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
