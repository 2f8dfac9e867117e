"""Ticket figures over a date range, computed from the stored step times (no second bookkeeping).

One query reads, per ticket of the range, its keys and its step times as epoch seconds
(computed by the database, so no row becomes a Python datetime); everything else is
counted in Python in one pass. Percentiles are nearest-rank: p50 of 1, 2, 3, 4 is 2.
"""

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, cast, func, literal, select
from sqlalchemy.orm import Session

from hall.queue.models import Matter, Ticket, TicketStatus, TicketStep, Window, WindowStep

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
    if not values:
        return {"p50": None, "p90": None, "max": None}
    ordered = sorted(values)
    return {
        "p50": round(percentile(ordered, 50)),
        "p90": round(percentile(ordered, 90)),
        "max": round(ordered[-1]),
    }


def _epoch(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", column), Float)
    return (func.julianday(column) - literal(2440587.5)) * literal(86400.0)


class _Bucket:
    __slots__ = (
        "issued",
        "served",
        "no_show",
        "cancelled",
        "waiting",
        "transfers",
        "wait",
        "walk",
        "service",
        "within",
        "over",
    )

    def __init__(self) -> None:
        self.issued = self.served = self.no_show = self.cancelled = self.waiting = 0
        self.transfers = self.within = self.over = 0
        self.wait: list[float] = []
        self.walk: list[float] = []
        self.service: list[float] = []

    def to_dict(self) -> dict[str, Any]:
        judged = self.within + self.over
        return {
            "issued": self.issued,
            "served": self.served,
            "served_rate": _rate(self.served, self.issued),
            "no_show": self.no_show,
            "no_show_rate": _rate(self.no_show, self.issued),
            "cancelled": self.cancelled,
            "transfers": self.transfers,
            "still_waiting": self.waiting,
            "wait_s": spread(self.wait),
            "walk_s": spread(self.walk),
            "service_s": spread(self.service),
            "service_level": _rate(self.within, judged),
            "over_target": self.over,
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def day_bounds(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """The range's first local midnight and the local midnight after its last day, in UTC."""
    zone = ZoneInfo(tz)
    first = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return first, after


def ticket_figures(
    session: Session,
    hall: Any,
    start: date,
    end: date,
    by: str | None = None,
    *,
    now: datetime,
    target_s: int,
) -> dict[str, Any]:
    """Volumes, times, service level, backlog and idle time of the hall's tickets, with groups.

    Wait is issue → first call; walk is the last call → start; service is start → finish.
    The service level is the share of tickets called within the target among those called
    plus those never called that have already waited longer than it.
    """
    t = Ticket
    zone = ZoneInfo(hall.timezone)
    issued = _epoch(session, t.issued_at)
    rows = session.execute(
        select(
            t.id,
            t.queue_id,
            t.matter_id,
            t.window_id,
            t.staff_id,
            t.status,
            t.service_date,
            issued,
            _epoch(session, t.first_called_at) - issued,
            _epoch(session, t.started_at) - _epoch(session, t.called_at),
            _epoch(session, t.finished_at) - _epoch(session, t.started_at),
        ).where(t.hall_id == hall.id, t.service_date >= start, t.service_date <= end)
    ).all()
    departments = dict(
        session.execute(
            select(Matter.id, Matter.department_id).where(Matter.hall_id == hall.id)
        ).all()
    )
    transfers = _transfers(session, hall, start, end)
    offset_cache: dict[int, float] = {}
    total = _Bucket()
    groups: dict[Any, _Bucket] = defaultdict(_Bucket)
    now_s = now.timestamp()
    done, missed, gone, waiting = (
        TicketStatus.DONE,
        TicketStatus.NO_SHOW,
        TicketStatus.CANCELLED,
        TicketStatus.WAITING,
    )
    backlog: dict[tuple[date, int], int] = defaultdict(int)
    for tid, queue_id, matter_id, window_id, staff_id, status, day, at, wait, walk, serve in rows:
        # Julian-day arithmetic on SQLite leaves float noise: 09:00 must not read as 08:59:59.99.
        at = round(at, 3)
        wait = None if wait is None else round(wait, 3)
        buckets = [total]
        if by is not None:
            if by == "hour":
                key = _local_hour(at, zone, offset_cache)
            elif by == "day":
                key = day
            elif by == "department":
                key = departments.get(matter_id)
            else:
                key = {
                    "queue": queue_id,
                    "matter": matter_id,
                    "window": window_id,
                    "staff": staff_id,
                }[by]
            buckets.append(groups[key])
        moved = transfers.get(tid, 0)
        for b in buckets:
            b.issued += 1
            b.transfers += moved
            if status == done:
                b.served += 1
            elif status == missed:
                b.no_show += 1
            elif status == gone:
                b.cancelled += 1
            elif status == waiting:
                b.waiting += 1
            if wait is not None:
                b.wait.append(wait)
                if wait <= target_s:
                    b.within += 1
                else:
                    b.over += 1
            elif status != gone and now_s - at > target_s:
                b.over += 1
            if walk is not None and walk >= 0:
                b.walk.append(walk)
            if serve is not None:
                b.service.append(serve)
        # Backlog: still waiting at the end of the issue hour and of each later hour of the day
        # until the first call (or the day's end when never called).
        hour = _local_hour(at, zone, offset_cache)
        last = 24 if wait is None else _local_hour(at + wait, zone, offset_cache)
        if wait is None and status == gone:
            continue
        for h in range(hour, min(last, 24)):
            backlog[(day, h)] += 1
    result = total.to_dict()
    result["backlog"] = [
        {"day": d.isoformat(), "hour": h, "waiting": n} for (d, h), n in sorted(backlog.items())
    ]
    idle = window_idle(session, hall, start, end, now=now)
    result["idle_s"] = round(sum(idle.values()))
    result["target_s"] = target_s
    grouped = []
    if by is not None:
        names = _names(session, hall, by)
        for key, bucket in groups.items():
            entry = {
                "key": _key_text(key),
                "name": names.get(key, _key_text(key)),
                **bucket.to_dict(),
            }
            if by == "window":
                entry["idle_s"] = round(idle.get(key, 0))
            grouped.append(entry)
        grouped.sort(key=lambda g: (g["key"] is None, str(g["key"]).zfill(12)))
    return {"tickets": result, "groups": grouped}


def _key_text(key: Any) -> Any:
    return key.isoformat() if isinstance(key, date) else key


def _local_hour(epoch: float, zone: ZoneInfo, cache: dict[int, float]) -> int:
    # The zone's offset per UTC hour, looked up once: 300,000 astimezone() calls cost ~0.3 s.
    slot = int(epoch // 3600)
    offset = cache.get(slot)
    if offset is None:
        instant = datetime.fromtimestamp(slot * 3600, UTC)
        offset = cache[slot] = instant.astimezone(zone).utcoffset().total_seconds()
    return int(((epoch + offset) % 86400) // 3600)


def _transfers(session: Session, hall: Any, start: date, end: date) -> dict[int, int]:
    first, after = day_bounds(start, end, hall.timezone)
    return dict(
        session.execute(
            select(TicketStep.ticket_id, func.count(TicketStep.id))
            .where(
                TicketStep.hall_id == hall.id,
                TicketStep.action == "transferred",
                TicketStep.at >= first,
                TicketStep.at < after,
            )
            .group_by(TicketStep.ticket_id)
        ).all()
    )


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


def _intervals(steps: Iterable[tuple[str, datetime]], end: datetime) -> list[tuple[float, float]]:
    """Open spans (opened or resumed → paused or closed) from a window's steps in time order."""
    spans, since = [], None
    for action, at in steps:
        if action in ("opened", "resumed"):
            since = since or at
        elif action in ("paused", "closed") and since is not None:
            spans.append((since.timestamp(), at.timestamp()))
            since = None
    if since is not None:
        spans.append((since.timestamp(), end.timestamp()))
    return spans


def window_idle(
    session: Session, hall: Any, start: date, end: date, *, now: datetime
) -> dict[int, float]:
    """Seconds each window was open but had no ticket (called to finished or missed)."""
    first, after = day_bounds(start, end, hall.timezone)
    stop = min(after, now)
    steps: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for window_id, action, at in session.execute(
        select(WindowStep.window_id, WindowStep.action, WindowStep.at)
        .join(Window, Window.id == WindowStep.window_id)
        .where(Window.hall_id == hall.id, WindowStep.at >= first, WindowStep.at < after)
        .order_by(WindowStep.at, WindowStep.id)
    ):
        steps[window_id].append((action, at))
    busy: dict[int, list[tuple[float, float]]] = defaultdict(list)
    t = Ticket
    ended = func.coalesce(t.finished_at, t.no_show_at)
    for window_id, called, done in session.execute(
        select(t.window_id, _epoch(session, t.called_at), _epoch(session, ended)).where(
            t.hall_id == hall.id,
            t.window_id.is_not(None),
            t.called_at >= first,
            t.called_at < after,
        )
    ):
        busy[window_id].append((called, done if done is not None else stop.timestamp()))
    idle = {}
    for window_id, window_steps in steps.items():
        spans = _intervals(window_steps, stop)
        starts = [a for a, _ in spans]
        taken = 0.0
        # Spans are disjoint and in order: each busy stretch meets only the spans around it.
        for c, d in busy.get(window_id, ()):
            i = max(0, bisect.bisect_right(starts, c) - 1)
            while i < len(spans) and spans[i][0] < d:
                a, b = spans[i]
                taken += max(0.0, min(b, d) - max(a, c))
                i += 1
        idle[window_id] = max(0.0, sum(b - a for a, b in spans) - taken)
    return idle
