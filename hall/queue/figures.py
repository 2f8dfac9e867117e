"""Each queue's figures kept current as tickets move: people waiting, recent service times,
open windows. The answers to issuing and calling read them instead of counting rows.

A hall's figures are read from the database when first needed, then kept up to date by the
effects of the events this process commits (``apply``, run by the session's after-commit
hook, inside the SQLite writer lock, so the counts follow the commits exactly). Other
processes' commits are not seen here: where the hub runs several processes, the figures
are read again after ``FIGURES_TTL_S`` (and after any window change), which bounds the drift.
"""

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from hall.events import Event

RECENT_SERVICES = 20


@dataclass
class _HallFigures:
    waiting: dict[int, int]
    services: dict[int, deque]
    open_windows: dict[int, int] | None
    loaded: float = field(default_factory=time.monotonic)


class QueueFigures:
    """The process's figures per hall and queue."""

    def __init__(self, factory: sessionmaker, ttl_s: float) -> None:
        self._factory = factory
        self._ttl_s = ttl_s
        self._lock = threading.RLock()
        self._halls: dict[int, _HallFigures] = {}

    def waiting(self, hall_id: int, queue_id: int) -> int:
        """People waiting in the queue."""
        with self._lock:
            return self._hall(hall_id).waiting.get(queue_id, 0)

    def estimate_s(self, hall_id: int, queue_id: int, ahead: int, default_service_s: int) -> int:
        """Seconds until someone with ``ahead`` people before them is called."""
        with self._lock:
            figures = self._hall(hall_id)
            if figures.open_windows is None:
                figures.open_windows = self._open_windows(hall_id)
            spans = figures.services.get(queue_id)
            mean = sum(spans) / len(spans) if spans else float(default_service_s)
            windows = max(1, figures.open_windows.get(queue_id, 0))
        return round(ahead * mean / windows)

    def open_windows(self, hall_id: int, queue_id: int) -> int:
        """Open windows that serve the queue."""
        with self._lock:
            figures = self._hall(hall_id)
            if figures.open_windows is None:
                figures.open_windows = self._open_windows(hall_id)
            return figures.open_windows.get(queue_id, 0)

    def forget(self) -> None:
        """Read every hall's figures again when next needed."""
        with self._lock:
            self._halls.clear()

    def apply(self, events: Iterable[Event]) -> None:
        """Apply committed events' effects, and fill in the waiting counts they report."""
        with self._lock:
            for event in events:
                effects = event.effects
                if not effects:
                    continue
                fresh = event.hall_id not in self._halls or self._expired(event.hall_id)
                figures = self._hall(event.hall_id)
                # Figures just read already hold this commit: apply nothing twice.
                if not fresh:
                    for queue_id, delta in effects.get("waiting", {}).items():
                        figures.waiting[queue_id] = max(0, figures.waiting.get(queue_id, 0) + delta)
                    if "service" in effects:
                        queue_id, seconds = effects["service"]
                        figures.services.setdefault(queue_id, deque(maxlen=RECENT_SERVICES))
                        figures.services[queue_id].appendleft(seconds)
                if effects.get("windows"):
                    figures.open_windows = None
                for key, queue_id in effects.get("report", {}).items():
                    event.payload[key] = figures.waiting.get(queue_id, 0)

    def _expired(self, hall_id: int) -> bool:
        return time.monotonic() - self._halls[hall_id].loaded > self._ttl_s

    def _hall(self, hall_id: int) -> _HallFigures:
        figures = self._halls.get(hall_id)
        if figures is None or self._expired(hall_id):
            figures = self._load(hall_id)
            self._halls[hall_id] = figures
        return figures

    def _load(self, hall_id: int) -> _HallFigures:
        from hall.queue.models import Ticket, TicketStatus

        with self._factory() as session:
            session.connection(execution_options={"readonly": True})
            waiting = dict(
                session.execute(
                    select(Ticket.queue_id, func.count(Ticket.id))
                    .where(Ticket.hall_id == hall_id, Ticket.status == TicketStatus.WAITING)
                    .group_by(Ticket.queue_id)
                ).all()
            )
            ranked = (
                select(
                    Ticket.queue_id,
                    Ticket.started_at,
                    Ticket.finished_at,
                    func.row_number()
                    .over(partition_by=Ticket.queue_id, order_by=Ticket.finished_at.desc())
                    .label("n"),
                )
                .where(
                    Ticket.hall_id == hall_id,
                    Ticket.status == TicketStatus.DONE,
                    Ticket.started_at.is_not(None),
                )
                .subquery()
            )
            services: dict[int, deque] = {}
            rows = session.execute(
                select(ranked.c.queue_id, ranked.c.started_at, ranked.c.finished_at)
                .where(ranked.c.n <= RECENT_SERVICES)
                .order_by(ranked.c.queue_id, ranked.c.finished_at.desc())
            ).all()
        for queue_id, started, finished in rows:
            if started and finished:
                spans = services.setdefault(queue_id, deque(maxlen=RECENT_SERVICES))
                spans.append(_seconds(started, finished))
        return _HallFigures(waiting=waiting, services=services, open_windows=None)

    def _open_windows(self, hall_id: int) -> dict[int, int]:
        from hall.queue.models import Window, WindowQueue, WindowStatus

        with self._factory() as session:
            session.connection(execution_options={"readonly": True})
            return dict(
                session.execute(
                    select(WindowQueue.queue_id, func.count(Window.id))
                    .join(Window, Window.id == WindowQueue.window_id)
                    .where(Window.hall_id == hall_id, Window.status == WindowStatus.OPEN)
                    .group_by(WindowQueue.queue_id)
                ).all()
            )


def _seconds(started, finished) -> float:
    from hall.db import UTCDateTime

    # Rows of a subquery bypass the column type on SQLite: normalise like any stored time.
    started = UTCDateTime().process_result_value(started, None)
    finished = UTCDateTime().process_result_value(finished, None)
    return (finished - started).total_seconds()
