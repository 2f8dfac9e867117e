"""Day facts: every ticket figure of one hall day, per grouping, from the stored step times.

A report over a range is the merge of its days' facts. A *closed* day (its local end plus
the waiting target is past: nothing it holds can still change with the clock) is rolled up
once into ``stats_rollups`` (one row per day, grouping and key: counts, and the wait, walk
and service times as sorted lists of whole seconds, packed) and read from there; the other days
(today) are counted live from the tickets by the very same code. So the two agree exactly,
and percentiles stay exact (nearest rank over whole seconds).

A stored day is used only while it still matches its tickets: ``stats_rollup_days`` keeps a
fingerprint of the day's tickets (how many, how many carry each step time, statuses, calls,
queues, windows) checked on every read, and the session hook below drops a past day's roll-up
when one of its ratings, ticket steps or window steps is written. ``hall stats rollup``
rebuilds a range by hand.
"""

from __future__ import annotations

import base64
import json
import math
import sys
from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Float,
    Integer,
    String,
    case,
    cast,
    delete,
    event,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from hall import clock
from hall.queue.models import Matter, Ticket, TicketStatus, TicketStep, Window, WindowStep
from hall.stats.models import BAD_SCORES, Rating, Rollup, RollupDay, is_closed

# Groupings stored per day; ``day`` needs none (a day's total is its group).
DIMS = ("total", "queue", "matter", "window", "staff", "department", "hour")

# Julian-day arithmetic on SQLite leaves float noise: 09:00 must not read as 08:59:59.99.
NOISE = 0.001


# Counts kept per group, in this order in the stored rows.
COUNTS = (
    "issued",
    "served",
    "no_show",
    "cancelled",
    "waiting",
    "transfers",
    "within",
    "over",
    "r_count",
    "r_good",
    "r_bad",
    "r_called",
    "r_fixed",
    "estimated",  # called tickets that were told an estimate at issue
    "estimate_error",  # the sum of |estimate - real wait| over them, whole seconds
)
TIMES = ("wait", "walk", "service")


class Facts:
    """Counts and durations of one group (a day's, or a merged range's).

    Durations are whole seconds kept as *runs*: sorted sequences, one per day (the
    sorted-duration sketch, stored as packed unsigned integers). Merging days only collects
    runs; a percentile is found by bisecting on the value (how many are at most v, summed over
    the runs), so a month is never concatenated or sorted.
    """

    __slots__ = ("n", "wait", "walk", "service")

    def __init__(self) -> None:
        self.n = [0] * len(COUNTS)
        self.wait: list[Sequence[int]] = []
        self.walk: list[Sequence[int]] = []
        self.service: list[Sequence[int]] = []

    def merge(self, other: Facts) -> None:
        self.n = [a + b for a, b in zip(self.n, other.n, strict=True)]
        self.wait += other.wait
        self.walk += other.walk
        self.service += other.service

    def pack(self) -> dict[str, Any]:
        data: dict[str, Any] = {"n": self.n}
        for name in TIMES:
            data[name] = encode(sorted(chain.from_iterable(getattr(self, name))))
        return data

    @classmethod
    def unpack(cls, data: dict[str, Any]) -> Facts:
        facts = cls()
        facts.n = data["n"]
        for name in TIMES:
            run = decode(data.get(name) or "")
            setattr(facts, name, [run] if run else [])
        return facts

    def get(self, name: str) -> int:
        return self.n[COUNTS.index(name)]


def encode(values: list[int]) -> str:
    """Sorted whole seconds as text: a type letter, ':', base64 of the packed integers."""
    if not values:
        return ""
    code = "H" if values[-1] < 65536 else "I"
    packed = array(code, values)
    if sys.byteorder != "little":
        packed.byteswap()
    return code + ":" + base64.b64encode(packed.tobytes()).decode("ascii")


def decode(text: str) -> Sequence[int]:
    """The packed seconds back, as an array (bisect reads it in C)."""
    if not text:
        return []
    packed = array(text[0], base64.b64decode(text[2:]))
    if sys.byteorder != "little":
        packed.byteswap()
    return packed


def spread(runs: list[Sequence[int]]) -> dict[str, int | None]:
    """p50, p90 and max (nearest rank) over sorted runs of whole seconds, without merging:
    the smallest value v with at least rank values ≤ v, found by bisection on v."""
    runs = [r for r in runs if len(r)]
    n = sum(len(r) for r in runs)
    if not n:
        return {"p50": None, "p90": None, "max": None}
    top = max(r[-1] for r in runs)
    result: dict[str, int | None] = {}
    for name, p in (("p50", 50), ("p90", 90)):
        rank = max(1, math.ceil(p / 100 * n))
        if len(runs) == 1:
            result[name] = int(runs[0][rank - 1])
            continue
        lo, hi = min(r[0] for r in runs), top
        while lo < hi:
            mid = (lo + hi) // 2
            if sum(bisect_right(r, mid) for r in runs) >= rank:
                hi = mid
            else:
                lo = mid + 1
        result[name] = int(lo)
    result["max"] = int(top)
    return result


I = {name: i for i, name in enumerate(COUNTS)}  # noqa: E741 - the counts' positions


def _counting() -> Facts:
    """Facts being counted: one open run per duration, sorted when the day is done."""
    facts = Facts()
    facts.wait, facts.walk, facts.service = [[]], [[]], [[]]
    return facts


@dataclass
class DayFacts:
    """Everything one hall day contributes to a report."""

    groups: dict[str, dict[Any, Facts]] = field(
        default_factory=lambda: {dim: defaultdict(_counting) for dim in DIMS}
    )
    backlog: dict[int, int] = field(default_factory=dict)  # local hour -> still waiting
    idle: dict[int, float] = field(default_factory=dict)  # window -> seconds open, no ticket
    rated: int = 0  # tickets with at least one rating

    def rows(self) -> list[tuple[str, int | None, str]]:
        """The stored rows: ``meta`` (the day's counts, backlog, idle time, rated tickets),
        ``total`` (the day's durations) and one per group of each grouping."""
        total = self.groups["total"].get(None) or Facts()
        meta: dict[str, Any] = {"n": total.n}
        meta.update(
            backlog=sorted(self.backlog.items()), idle=sorted(self.idle.items()), rated=self.rated
        )
        out = [("meta", None, json.dumps(meta, separators=(",", ":")))]
        for dim, groups in self.groups.items():
            for key, facts in groups.items():
                out.append((dim, key, json.dumps(facts.pack(), separators=(",", ":"))))
        return out


def _epoch(dialect: str, column: Any) -> Any:
    if dialect == "postgresql":
        return cast(func.extract("epoch", column), Float)
    return (func.julianday(column) - literal(2440587.5)) * literal(86400.0)


def _floor(dialect: str, value: Any) -> Any:
    """Whole numbers down (PostgreSQL's CAST rounds; SQLite's truncates, and values are > 0)."""
    if dialect == "postgresql":
        return cast(func.floor(value), Integer)
    return cast(value, Integer)


def day_bounds(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """The range's first local midnight and the local midnight after its last day, in UTC."""
    zone = ZoneInfo(tz)
    first = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return first, after


def local_hour(slot: int, zone: ZoneInfo, cache: dict[int, float]) -> int:
    """The local hour of a UTC hour slot (epoch // 3600); the offset looked up once per slot."""
    offset = cache.get(slot)
    if offset is None:
        instant = datetime.fromtimestamp(slot * 3600, UTC)
        offset = cache[slot] = instant.astimezone(zone).utcoffset().total_seconds()
    return int(((slot * 3600 + offset) % 86400) // 3600)


# Days counted per statement: a month at once would be one long scan (PostgreSQL's statement
# timeout is 4 s, hall/db.py), a day at a time one round of queries per day.
CHUNK_DAYS = 3


def compute(
    session: Session,
    hall: Any,
    days: Iterable[date],
    *,
    now: datetime,
    target_s: int,
    dims: tuple[str, ...] = DIMS,
) -> dict[date, DayFacts]:
    """Count the days' facts from the tickets, their steps, ratings and window steps (only
    the groupings in ``dims``: a day that is not stored needs just the report's)."""
    wanted = sorted(set(days))
    if len(wanted) > CHUNK_DAYS:
        out: dict[date, DayFacts] = {}
        for i in range(0, len(wanted), CHUNK_DAYS):
            out.update(
                compute(
                    session,
                    hall,
                    wanted[i : i + CHUNK_DAYS],
                    now=now,
                    target_s=target_s,
                    dims=dims,
                )
            )
        return out
    chosen = [(dim, DIMS.index(dim)) for dim in DIMS if dim in dims]
    out = {d: DayFacts() for d in wanted}
    if not wanted:
        return out
    conn = session.connection()
    dialect = session.get_bind().dialect.name
    t = Ticket
    issued = _epoch(dialect, t.issued_at)
    in_range = (t.hall_id == hall.id, t.service_date >= wanted[0], t.service_date <= wanted[-1])
    transfers = dict(
        conn.execute(
            select(TicketStep.ticket_id, func.count())
            .join(t, t.id == TicketStep.ticket_id)
            .where(*in_range, TicketStep.action == "transferred")
            .group_by(TicketStep.ticket_id)
        ).all()
    )
    zone = ZoneInfo(hall.timezone)
    offsets: dict[int, float] = {}
    busy_by: dict[date, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    # Each step time read once, as epoch seconds, and the spans worked out here: SQLite
    # would parse each stored time again for every expression that uses it.
    ticket_rows = conn.execute(
        select(
            t.id,
            t.service_date,
            t.queue_id,
            t.matter_id,
            t.window_id,
            t.staff_id,
            Matter.department_id,
            type_coerce(t.status, String),
            t.estimated_wait_s,
            issued,
            _epoch(dialect, t.first_called_at),
            _epoch(dialect, t.called_at),
            _epoch(dialect, t.started_at),
            _epoch(dialect, t.finished_at),
            _epoch(dialect, t.no_show_at),
        )
        .outerjoin(Matter, Matter.id == t.matter_id)
        .where(*in_range)
    )
    status_index = {
        TicketStatus.DONE.value: I["served"],
        TicketStatus.NO_SHOW.value: I["no_show"],
        TicketStatus.CANCELLED.value: I["cancelled"],
        TicketStatus.WAITING.value: I["waiting"],
    }
    cancelled = TicketStatus.CANCELLED.value
    now_s = now.timestamp()
    floor = math.floor
    for row in ticket_rows:
        (tid, day, queue, matter, window, staff, dept, status, told) = row[:9]
        iss, first, called, begun, done, missed = row[9:]
        facts = out.get(day)
        if facts is None:
            continue
        wait = first - iss if first is not None else None
        w_s = floor(wait + 0.5) if wait is not None and wait >= 0 else None
        walk = begun - called if begun is not None and called is not None else None
        k_s = floor(walk + 0.5) if walk is not None and walk >= 0 else None
        spent = done - begun if done is not None and begun is not None else None
        s_s = floor(spent + 0.5) if spent is not None and spent >= 0 else None
        ok = 1 if wait is not None and wait <= target_s + NOISE else 0
        slow = (
            1
            if (wait is not None and wait > target_s + NOISE)
            or (first is None and status != cancelled and now_s - iss > target_s)
            else 0
        )
        hslot = floor((iss + NOISE) / 3600)
        cslot = floor((first + NOISE) / 3600) if first is not None else None
        error = abs(told - w_s) if told is not None and w_s is not None else None
        hour = local_hour(hslot, zone, offsets)
        keys = (None, queue, matter, window, staff, dept, hour)
        where = status_index.get(status)
        moved = transfers.get(tid, 0)
        for dim, at in chosen:
            f = facts.groups[dim][keys[at]]
            n = f.n
            n[0] += 1
            if where is not None:
                n[where] += 1
            n[5] += moved
            n[6] += ok
            n[7] += slow
            if error is not None:
                n[13] += 1
                n[14] += error
            if w_s is not None:
                f.wait[0].append(w_s)
            if k_s is not None:
                f.walk[0].append(k_s)
            if s_s is not None:
                f.service[0].append(s_s)
        if cslot is not None or status != cancelled:
            last = 24 if cslot is None else hour + (cslot - hslot)
            for h in range(hour, min(last, 24)):
                facts.backlog[h] = facts.backlog.get(h, 0) + 1
        ended = done if done is not None else missed
        if window is not None and called is not None and ended is not None:
            busy_by[day][window] += ended - called
    r = Rating
    rated: dict[date, set[int]] = defaultdict(set)
    rating_slot = _floor(dialect, (issued + NOISE) / 3600)
    for row in conn.execute(
        select(
            r.ticket_id,
            t.service_date,
            rating_slot,
            t.queue_id,
            r.matter_id,
            r.window_id,
            r.staff_id,
            r.department_id,
            r.score,
            r.callback_at.is_not(None),
            r.outcome,
            r.fixed_at.is_not(None),
            r.appeal,
        )
        .join(t, t.id == r.ticket_id)
        # A ticket is rated after it was issued: the ratings' index (hall, at) bounds the read.
        .where(r.hall_id == hall.id, r.at >= day_bounds(wanted[0], wanted[0], hall.timezone)[0])
        .where(*in_range)
    ):
        tid, day, hslot, queue, matter, window, staff, dept, score, called, outcome = row[:11]
        fixed, appeal = row[11:]
        facts = out.get(day)
        if facts is None:
            continue
        rated[day].add(tid)
        bad = score in BAD_SCORES
        closed = is_closed(score, outcome, bool(fixed), appeal)
        hour = local_hour(hslot, zone, offsets)
        keys = (None, queue, matter, window, staff, dept, hour)
        for dim, at in chosen:
            n = facts.groups[dim][keys[at]].n
            n[8] += 1
            if bad:
                n[10] += 1
                n[11] += 1 if called else 0
                n[12] += 1 if closed else 0
            elif score >= 4:
                n[9] += 1
    for day, facts in out.items():
        facts.rated = len(rated.get(day, ()))
        for groups in facts.groups.values():
            for f in groups.values():
                for name in TIMES:
                    runs = getattr(f, name)
                    runs[0].sort()
                    if not runs[0]:
                        runs.clear()
    _idle(session, hall, out, busy_by, now)
    return out


def _idle(
    session: Session,
    hall: Any,
    out: dict[date, DayFacts],
    busy_by: dict[date, dict[int, float]],
    now: datetime,
) -> None:
    """Per day and window: open time (opened/resumed → paused/closed, clipped to the day and
    to now) minus the busy time of the day's tickets (call → finish or no-show)."""
    days = sorted(out)
    first, after = day_bounds(days[0], days[-1], hall.timezone)
    steps: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for window_id, action, at in session.execute(
        select(WindowStep.window_id, WindowStep.action, WindowStep.at)
        .join(Window, Window.id == WindowStep.window_id)
        .where(Window.hall_id == hall.id, WindowStep.at >= first, WindowStep.at < after)
        .order_by(WindowStep.at, WindowStep.id)
    ):
        steps[window_id].append((action, at))
    for day in days:
        start, end = day_bounds(day, day, hall.timezone)
        stop = min(end, now)
        busy = busy_by.get(day, {})
        for window_id, window_steps in steps.items():
            spans, since = [], None
            for action, at in window_steps:
                if not start <= at < end:
                    continue
                if action in ("opened", "resumed"):
                    since = since or at
                elif action in ("paused", "closed") and since is not None:
                    spans.append((since.timestamp(), at.timestamp()))
                    since = None
            if since is not None and since < stop:
                spans.append((since.timestamp(), stop.timestamp()))
            if spans:
                open_s = sum(b - a for a, b in spans)
                out[day].idle[window_id] = max(0.0, open_s - busy.get(window_id, 0.0))


def closed_before(hall: Any, now: datetime, target_s: int) -> date:
    """The first day that is not closed: days before it can no longer change with the clock."""
    today = clock.service_date(now, hall.timezone)
    _, end = day_bounds(today - timedelta(days=1), today - timedelta(days=1), hall.timezone)
    return today if end + timedelta(seconds=target_s) <= now else today - timedelta(days=1)


FINAL = (TicketStatus.DONE.value, TicketStatus.NO_SHOW.value, TicketStatus.CANCELLED.value)


def fingerprints(
    session: Session, hall: Any, start: date, end: date, only: Iterable[date] | None = None
) -> dict[date, tuple[str, int]]:
    """Per day: a summary of its tickets that moves whenever one of them moves, and how many
    of them are not final yet (waiting, called, serving)."""
    t = Ticket
    status = type_coerce(t.status, String)
    query = (
        select(
            t.service_date,
            func.sum(case((status.in_(FINAL), 0), else_=1)),
            func.count(),
            func.count(t.first_called_at),
            func.count(t.started_at),
            func.count(t.finished_at),
            func.count(t.no_show_at),
            func.sum(t.calls),
            func.sum(case((status == TicketStatus.CANCELLED.value, 1), else_=0)),
            func.sum(case((status == TicketStatus.WAITING.value, 1), else_=0)),
            func.sum(t.queue_id),
            func.sum(func.coalesce(t.window_id, 0)),
            func.sum(func.coalesce(t.staff_id, 0)),
            func.max(t.id),
        )
        .where(t.hall_id == hall.id, t.service_date >= start, t.service_date <= end)
        .group_by(t.service_date)
    )
    if only is not None:
        only = list(only)
        if not only:
            return {}
        query = query.where(t.service_date.in_(only))
    return {
        row[0]: (",".join(str(int(v or 0)) for v in row[1:]), int(row[1] or 0))
        for row in session.connection().execute(query)
    }


def load(
    session: Session, hall: Any, start: date, end: date, by: str | None
) -> tuple[dict[date, DayFacts], dict[date, tuple[int, str, int]]]:
    """The stored facts of the range (total and the grouping asked) and each day's stamp."""
    stamps = {
        day: (target, print_, unsettled)
        for day, target, print_, unsettled in session.execute(
            select(
                RollupDay.day, RollupDay.target_s, RollupDay.fingerprint, RollupDay.unsettled
            ).where(RollupDay.hall_id == hall.id, RollupDay.day >= start, RollupDay.day <= end)
        )
    }
    dims = ["meta", "total"] + ([by] if by in DIMS and by != "total" else [])
    stored: dict[date, DayFacts] = {}
    for day, dim, key, data in session.connection().execute(
        select(Rollup.day, Rollup.dim, Rollup.key, Rollup.data).where(
            Rollup.hall_id == hall.id,
            Rollup.day >= start,
            Rollup.day <= end,
            Rollup.dim.in_(dims),
        )
    ):
        if day not in stamps:
            continue
        facts = stored.get(day)
        if facts is None:
            facts = stored[day] = DayFacts(groups={d: {} for d in dims if d != "meta"})
        decoded = json.loads(data)
        if dim == "meta":
            facts.backlog = dict(decoded["backlog"])
            facts.idle = dict(decoded["idle"])
            facts.rated = decoded["rated"]
            facts.groups["total"].setdefault(None, Facts()).n = decoded["n"]
        elif dim == "total":
            total = facts.groups["total"].setdefault(None, Facts())
            times = Facts.unpack(decoded)
            total.wait, total.walk, total.service = times.wait, times.walk, times.service
        else:
            facts.groups[dim][key] = Facts.unpack(decoded)
    return stored, stamps


def save(
    session: Session,
    hall: Any,
    facts: dict[date, DayFacts],
    prints: dict[date, tuple[str, int]],
    target_s: int,
) -> None:
    """Store closed days' facts (replacing what was stored for them)."""
    if not facts:
        return
    days = list(facts)
    session.execute(delete(Rollup).where(Rollup.hall_id == hall.id, Rollup.day.in_(days)))
    session.execute(delete(RollupDay).where(RollupDay.hall_id == hall.id, RollupDay.day.in_(days)))
    built = clock.now()
    session.add_all(
        RollupDay(
            hall_id=hall.id,
            day=day,
            target_s=target_s,
            fingerprint=prints.get(day, ("0", 0))[0],
            unsettled=prints.get(day, ("0", 0))[1],
            built_at=built,
        )
        for day in days
    )
    rows = [
        {"hall_id": hall.id, "day": day, "dim": dim, "key": key, "data": data}
        for day, day_facts in facts.items()
        for dim, key, data in day_facts.rows()
    ]
    for i in range(0, len(rows), 2000):
        session.execute(Rollup.__table__.insert(), rows[i : i + 2000])
    session.flush()


def facts_for(
    session: Session,
    hall: Any,
    start: date,
    end: date,
    by: str | None,
    *,
    now: datetime,
    target_s: int,
    use_rollup: bool = True,
) -> dict[date, DayFacts]:
    """Each day's facts over the range: closed days from the roll-up (built and stored first
    when missing or stale), the others counted live."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if not use_rollup:
        needed = ("total",) + ((by,) if by in DIMS else ())
        return compute(session, hall, days, now=now, target_s=target_s, dims=needed)
    closed_until = closed_before(hall, now, target_s)
    closed = [d for d in days if d < closed_until]
    live = [d for d in days if d >= closed_until]
    stored: dict[date, DayFacts] = {}
    if closed:
        stored, stamps = load(session, hall, closed[0], closed[-1], by)
        # Tickets that were final when the day was stored change only through the session
        # (whose hook drops the day); a day that still had open tickets (a plain UPDATE may
        # call or finish them) is checked against its fingerprint.
        unsettled = [d for d in stored if stamps[d][2]]
        prints = fingerprints(session, hall, closed[0], closed[-1], only=unsettled)
        for day in list(stored):
            target, print_, open_ = stamps[day]
            if target != target_s or (open_ and print_ != prints.get(day, ("0", 0))[0]):
                del stored[day]
    missing = [d for d in closed if d not in stored]
    fresh = compute(session, hall, missing, now=now, target_s=target_s)
    needed = ("total",) + ((by,) if by in DIMS else ())
    fresh.update(live_facts(session, hall, live, now=now, target_s=target_s, dims=needed))
    if missing:
        prints = fingerprints(session, hall, missing[0], missing[-1], only=missing)
        store_later(session, hall, {d: fresh[d] for d in missing}, prints, target_s)
    return {**stored, **fresh}


# The live days' facts (today), kept a few seconds per process: a board or report page that
# asks for several groupings at once, or managers refreshing, count today once. An entry
# goes when an event of its hall is published here (hall/events.py: AFTER_PUBLISH) or a
# ticket, rating or step of its hall is written through a session; changes made by another
# process show within the time to live (HALL_STATS_LIVE_TTL_S, default 5 s; 0: no cache).
_LIVE: dict[tuple[Any, ...], tuple[float, DayFacts]] = {}
_LIVE_MAX = 256


def live_ttl() -> float:
    from flask import current_app, has_app_context

    if not has_app_context():
        return 0.0
    return float(current_app.config.get("STATS_LIVE_TTL_S", 5))


def live_facts(
    session: Session,
    hall: Any,
    days: list[date],
    *,
    now: datetime,
    target_s: int,
    dims: tuple[str, ...],
) -> dict[date, DayFacts]:
    """The live days' facts, from the short cache when fresh, else counted (and kept)."""
    import time as _time

    ttl = live_ttl()
    if not days:
        return {}
    if ttl <= 0:
        return compute(session, hall, days, now=now, target_s=target_s, dims=dims)
    where = str(session.get_bind().url)
    clock_now = _time.monotonic()
    out: dict[date, DayFacts] = {}
    todo = []
    for day in days:
        # The figures that depend on the clock (never-called tickets past the target, a
        # window's open time) move with now: an entry serves only the minute it was made in.
        key = (where, hall.id, day, dims, target_s, int(now.timestamp() // 60))
        hit = _LIVE.get(key)
        if hit is not None and hit[0] > clock_now:
            out[day] = hit[1]
        else:
            todo.append(day)
    if todo:
        fresh = compute(session, hall, todo, now=now, target_s=target_s, dims=dims)
        if len(_LIVE) > _LIVE_MAX:
            _LIVE.clear()
        for day, facts in fresh.items():
            key = (where, hall.id, day, dims, target_s, int(now.timestamp() // 60))
            _LIVE[key] = (clock_now + ttl, facts)
        out.update(fresh)
    return out


def forget_live(hall_id: int | None = None) -> None:
    """Drop the cached live facts of a hall (all halls when None)."""
    if hall_id is None:
        _LIVE.clear()
        return
    for key in [k for k in _LIVE if k[1] == hall_id]:
        _LIVE.pop(key, None)


def _on_publish(event: Any) -> None:
    forget_live(event.hall_id)


def _install() -> None:
    from hall.events import AFTER_PUBLISH

    if _on_publish not in AFTER_PUBLISH:
        AFTER_PUBLISH.append(_on_publish)


_install()


def store_later(
    session: Session,
    hall: Any,
    facts: dict[date, DayFacts],
    prints: dict[date, tuple[str, int]],
    target_s: int,
) -> None:
    """Store closed days' facts in a transaction of their own (the report's may be read-only).

    Failing to store (the database busy) costs only speed: the next report counts them again.
    """
    from flask import current_app, has_app_context

    from hall import db

    if not has_app_context() or "hall.db" not in current_app.extensions:
        return
    try:
        with db.unit_of_work() as writer:
            save(writer, hall, facts, prints, target_s)
    except Exception:  # noqa: BLE001 - a cache that could not be written is not an error
        current_app.logger.warning("stats roll-up not stored", exc_info=True)


def rebuild(
    session: Session, hall: Any, start: date, end: date, *, now: datetime | None = None
) -> int:
    """Roll up the range's closed days again from the steps; the number of days stored."""
    now = now or clock.now()
    target_s = hall.wait_target_min * 60
    closed_until = closed_before(hall, now, target_s)
    days = [
        start + timedelta(days=i)
        for i in range((end - start).days + 1)
        if start + timedelta(days=i) < closed_until
    ]
    if not days:
        return 0
    facts = compute(session, hall, days, now=now, target_s=target_s)
    save(session, hall, facts, fingerprints(session, hall, days[0], days[-1]), target_s)
    return len(days)


def _past_days(session: Session) -> set[tuple[int, date]]:
    """The (hall, day) pairs of past days that this flush touches (ratings, steps)."""
    from hall import cache

    touched: set[tuple[int, date]] = set()
    refs = None
    with session.no_autoflush:
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, Rating | TicketStep):
                ticket = session.get(Ticket, obj.ticket_id) if obj.ticket_id else None
                if ticket is not None:
                    touched.add((ticket.hall_id, ticket.service_date))
            elif isinstance(obj, Ticket):
                touched.add((obj.hall_id, obj.service_date))
            elif isinstance(obj, WindowStep) and obj.at is not None:
                window = session.get(Window, obj.window_id)
                if window is not None:
                    for d in (-1, 0, 1):
                        touched.add((window.hall_id, obj.at.date() + timedelta(days=d)))
        if not touched:
            return touched
        for hall_id, _day in touched:
            forget_live(hall_id)
        refs = cache.of(session)
        past = set()
        for hall_id, day in touched:
            hall = refs.hall_by_id(hall_id)
            if hall is not None and day < clock.service_date(clock.now(), hall.timezone):
                past.add((hall_id, day))
    return past


@event.listens_for(Session, "before_flush")
def _drop_stale(session: Session, _context: Any, _instances: Any) -> None:
    """A rating, step or ticket of a past day written: that day's roll-up goes."""
    try:
        past = _past_days(session)
    except Exception:  # noqa: BLE001 - outside an app (no reference cache): nothing stored
        return
    for hall_id, day in past:
        session.execute(delete(RollupDay).where(RollupDay.hall_id == hall_id, RollupDay.day == day))
        session.execute(delete(Rollup).where(Rollup.hall_id == hall_id, Rollup.day == day))
