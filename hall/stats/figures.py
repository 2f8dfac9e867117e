"""Ticket and rating figures over a date range, from the stored step times (no second bookkeeping).

Each day's facts (counts, and each time as a histogram of whole seconds) come from the roll-up
for closed days and are counted from the tickets for the others (rollup.py); a report merges
them. Percentiles are nearest-rank over whole seconds: p50 of 1, 2, 3, 4 is 2.
"""

import math
from bisect import bisect_left
from collections import Counter, defaultdict
from datetime import date, datetime
from itertools import accumulate
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall.queue.models import Matter, Window
from hall.stats import rollup
from hall.stats.rollup import Facts

GROUPS = ("queue", "matter", "window", "staff", "department", "hour", "day")


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank percentile of the values (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def spread(values: list[float]) -> dict[str, int | None]:
    """p50, p90 and max in whole seconds."""
    return spread_counts(Counter(round(v) for v in values))


def spread_counts(counts: Counter) -> dict[str, int | None]:
    """p50, p90 and max (nearest rank) of whole seconds given as {seconds: how many}."""
    if not counts:
        return {"p50": None, "p90": None, "max": None}
    values = sorted(counts)
    running = list(accumulate(map(counts.__getitem__, values)))
    n = running[-1]
    if not n:
        return {"p50": None, "p90": None, "max": None}
    result: dict[str, int | None] = {}
    for name, p in (("p50", 50), ("p90", 90)):
        rank = max(1, math.ceil(p / 100 * n))
        result[name] = int(values[bisect_left(running, rank)])
    result["max"] = int(values[-1])
    return result


class _Bucket:
    """A group's merged facts, as the report shows them."""

    def __init__(self) -> None:
        self.facts = Facts()

    def to_dict(self) -> dict[str, Any]:
        f = self.facts
        judged = f.get("within") + f.get("over")
        issued, served, no_show = f.get("issued"), f.get("served"), f.get("no_show")
        return {
            "issued": issued,
            "served": served,
            "served_rate": _rate(served, issued),
            "no_show": no_show,
            "no_show_rate": _rate(no_show, issued),
            "cancelled": f.get("cancelled"),
            "transfers": f.get("transfers"),
            "still_waiting": f.get("waiting"),
            "wait_s": rollup.spread(f.wait),
            "walk_s": rollup.spread(f.walk),
            "service_s": rollup.spread(f.service),
            "service_level": _rate(f.get("within"), judged),
            "over_target": f.get("over"),
            "estimated": f.get("estimated"),
            "estimate_mae_s": round(f.get("estimate_error") / f.get("estimated"))
            if f.get("estimated")
            else None,
        }

    def ratings(self) -> dict[str, Any]:
        f = self.facts
        count, good, bad = f.get("r_count"), f.get("r_good"), f.get("r_bad")
        called, fixed = f.get("r_called"), f.get("r_fixed")
        return {
            "count": count,
            "good": good,
            "good_rate": _rate(good, count),
            "bad": bad,
            "called_back": called,
            "callback_rate": _rate(called, bad),
            "fixed": fixed,
            "fixed_rate": _rate(fixed, bad),
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def ticket_figures(
    session: Session,
    hall: Any,
    start: date,
    end: date,
    by: str | None = None,
    *,
    now: datetime,
    target_s: int,
    use_rollup: bool = True,
) -> dict[str, Any]:
    """Volumes, times, service level, backlog, idle time and ratings, with groups.

    Wait is issue → first call; walk is the last call → start; service is start → finish.
    The service level is the share of tickets called within the target among those called
    plus those never called that have already waited longer than it. Each day's facts come
    from the roll-up when the day is closed and from the tickets otherwise (rollup.py); the
    report is their merge, so a month reads a few hundred small rows.
    """
    days = rollup.facts_for(
        session, hall, start, end, by, now=now, target_s=target_s, use_rollup=use_rollup
    )
    total = _Bucket()
    buckets: dict[Any, _Bucket] = defaultdict(_Bucket)
    backlog: list[dict[str, Any]] = []
    idle: dict[int, float] = defaultdict(float)
    rated = 0
    for day in sorted(days):
        facts = days[day]
        for day_total in facts.groups["total"].values():
            total.facts.merge(day_total)
            if by == "day":
                buckets[day].facts.merge(day_total)
        if by is not None and by != "day":
            for key, group in facts.groups[by].items():
                buckets[key].facts.merge(group)
        backlog.extend(
            {"day": day.isoformat(), "hour": h, "waiting": n}
            for h, n in sorted(facts.backlog.items())
        )
        for window_id, seconds in sorted(facts.idle.items()):
            idle[window_id] += seconds
        rated += facts.rated
    result = total.to_dict()
    result["backlog"] = backlog
    result["idle_s"] = round(sum(idle.values()))
    result["target_s"] = target_s
    ratings = total.ratings()
    served = total.facts.get("served")
    ratings["unrated_rate"] = _rate(max(0, served - rated), served)
    groups = []
    if by is not None:
        names = _names(session, hall, by)
        for raw, b in buckets.items():
            entry = {"key": _key_text(raw), "name": names.get(raw, _key_text(raw)), **b.to_dict()}
            if by == "window":
                entry["idle_s"] = round(idle.get(raw, 0))
            entry["ratings"] = b.ratings()
            groups.append(entry)
        groups.sort(key=lambda g: (g["key"] is None, str(g["key"]).zfill(12)))
    return {"tickets": result, "ratings": ratings, "groups": groups}


def empty_group() -> tuple[dict[str, Any], dict[str, Any]]:
    """The ticket and rating figures of a group without tickets."""
    bucket = _Bucket()
    return bucket.to_dict(), bucket.ratings()


def _key_text(key: Any) -> Any:
    return key.isoformat() if isinstance(key, date) else key


def _names(session: Session, hall: Any, by: str) -> dict[Any, str]:
    from hall.admin.models import Department, Staff
    from hall.queue.models import Queue

    if by == "queue":
        return dict(
            session.execute(select(Queue.id, Queue.code).where(Queue.hall_id == hall.id)).all()
        )
    if by == "matter":
        return dict(
            session.execute(select(Matter.id, Matter.code).where(Matter.hall_id == hall.id)).all()
        )
    if by == "window":
        return dict(
            session.execute(select(Window.id, Window.number).where(Window.hall_id == hall.id)).all()
        )
    if by == "staff":
        return dict(session.execute(select(Staff.id, Staff.staff_no)).all())
    if by == "department":
        return dict(session.execute(select(Department.id, Department.code)).all())
    return {}
