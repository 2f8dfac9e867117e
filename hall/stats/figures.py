"""Ticket figures over a date range, computed from the stored step times (no second bookkeeping).

The database counts (GROUP BY): volumes per status, the service level, and each time as a
histogram of whole seconds, so only a few thousand rows come back for a month. Percentiles
are nearest-rank over those seconds: p50 of 1, 2, 3, 4 is 2.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
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
    return spread_counts(Counter(round(v) for v in values))


def spread_counts(counts: Counter) -> dict[str, int | None]:
    """p50, p90 and max (nearest rank) of whole seconds given as {seconds: how many}."""
    n = sum(counts.values())
    if not n:
        return {"p50": None, "p90": None, "max": None}
    values = sorted(counts)
    result: dict[str, int | None] = {"max": int(values[-1])}
    for name, p in (("p50", 50), ("p90", 90)):
        rank, seen = max(1, math.ceil(p / 100 * n)), 0
        for value in values:
            seen += counts[value]
            if seen >= rank:
                result[name] = int(value)
                break
    return {"p50": result["p50"], "p90": result["p90"], "max": result["max"]}


def _epoch(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", column), Float)
    return (func.julianday(column) - literal(2440587.5)) * literal(86400.0)


def _floor(session: Session, value: Any) -> Any:
    """Whole numbers down (PostgreSQL's CAST rounds; SQLite's truncates, and values are > 0)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(value), Integer)
    return cast(value, Integer)


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
        self.wait: Counter = Counter()
        self.walk: Counter = Counter()
        self.service: Counter = Counter()

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
            "wait_s": spread_counts(self.wait),
            "walk_s": spread_counts(self.walk),
            "service_s": spread_counts(self.service),
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


# Julian-day arithmetic on SQLite leaves float noise: 09:00 must not read as 08:59:59.99.
NOISE = 0.001


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
    plus those never called that have already waited longer than it. Everything is counted
    by the database (GROUP BY); times come back as how many tickets took each whole second,
    so a month of a busy hall returns a few thousand rows, not one per ticket.
    """
    t = Ticket
    zone = ZoneInfo(hall.timezone)
    issued = _epoch(session, t.issued_at)
    wait = _epoch(session, t.first_called_at) - issued
    walk = _epoch(session, t.started_at) - _epoch(session, t.called_at)
    service = _epoch(session, t.finished_at) - _epoch(session, t.started_at)
    slot = _floor(session, (issued + NOISE) / 3600)
    if by == "department":
        key = Matter.department_id
    elif by == "hour":
        key = slot
    else:
        key = {
            None: t.hall_id,
            "queue": t.queue_id,
            "matter": t.matter_id,
            "window": t.window_id,
            "staff": t.staff_id,
            "day": t.service_date,
        }[by]
    in_range = (t.hall_id == hall.id, t.service_date >= start, t.service_date <= end)

    def grouped(*columns: Any, where: tuple[Any, ...] = ()) -> list[Any]:
        query = select(key, *columns).select_from(t)
        if by == "department":
            query = query.outerjoin(Matter, Matter.id == t.matter_id)
        query = query.where(*in_range, *where).group_by(key, *columns[:-1])
        return session.connection().execute(query).all()

    offsets: dict[int, float] = {}
    buckets: dict[Any, _Bucket] = defaultdict(_Bucket)

    def bucket(raw: Any) -> _Bucket:
        if by == "hour":
            raw = _local_hour(raw * 3600, zone, offsets)
        return buckets[raw]

    count = func.count()
    status = type_coerce(t.status, String)
    late = or_(
        wait > target_s + NOISE,
        and_(
            t.first_called_at.is_(None),
            t.status != TicketStatus.CANCELLED,
            literal(now.timestamp()) - issued > target_s,
        ),
    )
    within = func.sum(case((wait <= target_s + NOISE, 1), else_=0))
    over = func.sum(case((late, 1), else_=0))
    query = select(key, status, count, within, over).select_from(t)
    if by == "department":
        query = query.outerjoin(Matter, Matter.id == t.matter_id)
    for raw, state, n, ok, slow in session.connection().execute(
        query.where(*in_range).group_by(key, status)
    ):
        b = bucket(raw)
        b.issued += n
        b.within += ok or 0
        b.over += slow or 0
        if state == TicketStatus.DONE:
            b.served += n
        elif state == TicketStatus.NO_SHOW:
            b.no_show += n
        elif state == TicketStatus.CANCELLED:
            b.cancelled += n
        elif state == TicketStatus.WAITING:
            b.waiting += n
    for name, span in (("wait", wait), ("walk", walk), ("service", service)):
        second = _floor(session, span + 0.5)
        for raw, value, n in grouped(second, count, where=(span.is_not(None), span >= 0)):
            getattr(bucket(raw), name)[value] += n
    steps = (
        select(key, func.count(TicketStep.id))
        .select_from(t)
        .join(TicketStep, TicketStep.ticket_id == t.id)
    )
    if by == "department":
        steps = steps.outerjoin(Matter, Matter.id == t.matter_id)
    for raw, n in session.connection().execute(
        steps.where(*in_range, TicketStep.action == "transferred").group_by(key)
    ):
        bucket(raw).transfers += n
    total = _Bucket()
    for b in buckets.values():
        total.issued += b.issued
        total.served += b.served
        total.no_show += b.no_show
        total.cancelled += b.cancelled
        total.waiting += b.waiting
        total.transfers += b.transfers
        total.within += b.within
        total.over += b.over
        total.wait.update(b.wait)
        total.walk.update(b.walk)
        total.service.update(b.service)
    result = total.to_dict()
    result["backlog"] = _backlog(session, t, in_range, issued, slot, zone, offsets)
    idle = window_idle(session, hall, start, end, now=now)
    result["idle_s"] = round(sum(idle.values()))
    result["target_s"] = target_s
    groups = []
    if by is not None:
        names = _names(session, hall, by)
        for raw, b in buckets.items():
            entry = {"key": _key_text(raw), "name": names.get(raw, _key_text(raw)), **b.to_dict()}
            if by == "window":
                entry["idle_s"] = round(idle.get(raw, 0))
            groups.append(entry)
        groups.sort(key=lambda g: (g["key"] is None, str(g["key"]).zfill(12)))
    return {"tickets": result, "groups": groups}


def _backlog(
    session: Session,
    t: type[Ticket],
    in_range: tuple[Any, ...],
    issued: Any,
    slot: Any,
    zone: ZoneInfo,
    offsets: dict[int, float],
) -> list[dict[str, Any]]:
    """Still waiting at the end of each hour: issued by then and not yet called (per day)."""
    called = _floor(session, (_epoch(session, t.first_called_at) + NOISE) / 3600)
    rows = session.connection().execute(
        select(t.service_date, slot, called, func.count())
        .where(
            *in_range,
            or_(t.first_called_at.is_not(None), t.status != TicketStatus.CANCELLED),
        )
        .group_by(t.service_date, slot, called)
    )
    backlog: dict[tuple[date, int], int] = defaultdict(int)
    for day, issued_slot, called_slot, n in rows:
        hour = _local_hour(issued_slot * 3600, zone, offsets)
        last = 24 if called_slot is None else hour + (called_slot - issued_slot)
        for h in range(hour, min(last, 24)):
            backlog[(day, h)] += n
    return [
        {"day": d.isoformat(), "hour": h, "waiting": n} for (d, h), n in sorted(backlog.items())
    ]


def _key_text(key: Any) -> Any:
    return key.isoformat() if isinstance(key, date) else key


def _local_hour(epoch: float, zone: ZoneInfo, cache: dict[int, float]) -> int:
    # The zone's offset per UTC hour, looked up once, not once per ticket.
    slot = int(epoch // 3600)
    offset = cache.get(slot)
    if offset is None:
        instant = datetime.fromtimestamp(slot * 3600, UTC)
        offset = cache[slot] = instant.astimezone(zone).utcoffset().total_seconds()
    return int(((epoch + offset) % 86400) // 3600)


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
    # Busy time per window in one sum: a window holds its ticket from the call to the finish
    # or the no-show, and cannot pause or close while it holds one (hall/queue/services.py).
    t = Ticket
    ended = func.coalesce(t.finished_at, t.no_show_at)
    busy = dict(
        session.connection()
        .execute(
            select(
                t.window_id,
                func.sum(_epoch(session, ended) - _epoch(session, t.called_at)),
            )
            .where(
                t.hall_id == hall.id,
                t.window_id.is_not(None),
                t.called_at >= first,
                t.called_at < after,
                ended.is_not(None),
            )
            .group_by(t.window_id)
        )
        .all()
    )
    idle = {}
    for window_id, window_steps in steps.items():
        spans = _intervals(window_steps, stop)
        idle[window_id] = max(0.0, sum(b - a for a, b in spans) - (busy.get(window_id) or 0.0))
    return idle
