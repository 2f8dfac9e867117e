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

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hall import calendar
from hall.cases.models import Case, CaseStep, Task, TaskStatus
from hall.stats.models import BAD_SCORES, Rating
from hall.stats.rollup import _epoch, day_bounds, local_hour

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
    first_s, cut_s, after_s = first.timestamp(), cut.timestamp(), after.timestamp()
    c = Case
    rows = session.connection().execute(
        select(
            c.id,
            _epoch(dialect, c.received_at),
            _epoch(dialect, c.refused_at),
            _epoch(dialect, c.decided_at),
            _epoch(dialect, c.handed_over_at),
            c.deadline,
            c.on_the_spot,
            c.visits_count,
            c.staff_id,
        ).where(
            c.hall_id == hall.id,
            c.received_at < after,
            or_(c.refused_at.is_(None), c.refused_at >= first),
            or_(c.decided_at.is_(None), c.decided_at >= first, c.handed_over_at >= first),
        )
    )
    offsets: dict[int, float] = {}

    def local_day(epoch: float) -> date:
        slot = int(epoch // 3600)
        if slot not in offsets:
            local_hour(slot, zone, offsets)
        return EPOCH + timedelta(days=int((epoch + offsets[slot]) // 86400))

    last_day = min(end, local_day(cut_s - 1)) if cut_s > first_s else start
    counts = Counter()
    on_time = one_trip = 0
    workdays: list[int] = []
    late_ids: dict[int, date] = {}
    for cid, received, refused, decided, handed, deadline, spot, visits, _staff in rows:
        if refused is not None and refused < first_s:
            continue
        open_at_start = received < first_s and (decided is None or decided >= first_s)
        if open_at_start and (refused is None or refused >= first_s):
            counts["carried_over"] += 1
        if first_s <= received < after_s:
            counts["received"] += 1
            counts["on_the_spot"] += 1 if spot else 0
        if refused is not None and first_s <= refused < after_s:
            counts["refused"] += 1
        if handed is not None and first_s <= handed < after_s:
            counts["handed_over"] += 1
        if decided is not None and first_s <= decided < after_s:
            counts["decided"] += 1
            decided_on = local_day(decided)
            if deadline is None or decided_on <= deadline:
                on_time += 1
            else:
                counts["late"] += 1
                late_ids[cid] = deadline
            one_trip += 1 if visits <= 1 else 0
            workdays.append(max(0, _workdays(local_day(received), decided_on)))
        in_progress = (
            received < cut_s
            and (decided is None or decided >= cut_s)
            and (refused is None or refused >= cut_s)
        )
        if in_progress:
            counts["in_progress"] += 1
            if deadline is not None and deadline < last_day:
                counts["late"] += 1
                counts["open_overdue"] += 1
                late_ids[cid] = deadline
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
    by_department, by_staff = _late_by(session, hall, late_ids, zone)
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
        "mean_workdays_to_decision": round(sum(workdays) / len(workdays), 2) if workdays else None,
        "late_by_department": by_department,
        "late_by_staff": by_staff,
        "ratings": {"count": rating_count, "good_rate": _rate(good, rating_count), "bad": bad},
    }


def _late_by(
    session: Session, hall: Any, late: dict[int, date], zone: ZoneInfo
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Late cases per department and per staff member: the tasks that were still open at
    the deadline (decided after it, or not decided yet) and who held them."""
    from hall.admin.models import Department, Staff

    if not late:
        return [], []
    departments: Counter = Counter()
    staff: Counter = Counter()
    ids = list(late)
    for i in range(0, len(ids), 500):
        for case_id, department_id, status, decided_at, claimed_by, decided_by in session.execute(
            select(
                Task.case_id,
                Task.department_id,
                Task.status,
                Task.decided_at,
                Task.claimed_by,
                Task.decided_by,
            ).where(Task.case_id.in_(ids[i : i + 500]))
        ):
            deadline = late[case_id]
            finished = decided_at.astimezone(zone).date() if decided_at else None
            if status in OPEN_TASK or finished is None or finished > deadline:
                departments[department_id] += 1
                who = decided_by or claimed_by
                if who is not None:
                    staff[who] += 1
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
