"""Domain events: numbered inside the transaction, published to Socket.IO after the commit.

Each hall has one event sequence, kept in the counters table (scope ``events:<hall id>``,
period ``FOREVER``) so that issuing a ticket can bump the ticket number and the event
sequence in one statement. A client that sees a gap in ``seq`` asks for a snapshot.

Print jobs and printer states are notifications, not part of the sequence: they go only to
staff clients (and a kiosk hears of its own jobs), each one carries the whole state of its
job or printer, and a snapshot recovers any that a client missed. So a public screen never
sees a gap for a message it was never meant to get.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from hall.prepared import Prepared

log = logging.getLogger(__name__)

# The period of counters that never restart (the event sequence).
FOREVER = date(1970, 1, 1)

# Sequenced events reach every namespace of the hall, so that none sees a gap in ``seq``.
SEQUENCED = ("/display", "/kiosk", "/counter", "/board", "/status")
# Notifications (no ``seq``) reach the staff clients of the hall.
NOTIFIED = ("/counter", "/board")


@dataclass
class Event:
    """A fact that happened in a hall (e.g. ``ticket.called``), with the hall's sequence.

    ``effects`` are what the event changes in the queue figures kept in memory (people
    waiting per queue, a service time, open windows); they are applied after the commit
    and never published.
    """

    name: str
    hall_id: int
    payload: dict[str, Any]
    effects: dict[str, Any] = field(default_factory=dict)
    device_id: int | None = None
    # Rooms beyond the hall's, e.g. ("/backoffice", "department:3") for a case's departments.
    rooms: tuple[tuple[str, str], ...] = ()
    # False: only ``rooms`` hear it (a resident's case page), not the hall's staff clients.
    hall_rooms: bool = True

    @property
    def seq(self) -> int | None:
        """The event's place in the hall's sequence (None for a notification)."""
        return self.payload.get("seq")


def events_scope(hall_id: int) -> str:
    """The counter scope of a hall's event sequence."""
    return f"events:{hall_id}"


@lru_cache(maxsize=8)
def _upsert(rows: int):
    """The same SQL on SQLite and PostgreSQL. Written as text because SQLAlchemy does not cache
    the compiled form of a multi-row upsert: it compiled it on every issue (~0.3 ms)."""
    from hall.queue.models import DailyCounter

    day_type = DailyCounter.__table__.c.day.type
    values = ", ".join(f"(:scope{i}, :day{i}, 1)" for i in range(rows))
    return Prepared(
        text(
            f"INSERT INTO daily_counters (scope, day, value) VALUES {values} "
            "ON CONFLICT (scope, day) DO UPDATE SET value = daily_counters.value + 1 "
            "RETURNING scope, value"
        ).bindparams(*[bindparam(f"day{i}", type_=day_type) for i in range(rows)])
    )


def bump(session: Session, scopes: list[tuple[str, date]]) -> dict[str, int]:
    """Add one to each (scope, period) counter in one statement; their new values by scope.

    Built once per number of rows: building the statement costs more than running it.
    """
    params = {}
    for i, (scope, day) in enumerate(scopes):
        params[f"scope{i}"] = scope
        params[f"day{i}"] = day
    from hall.db import connection_of

    return dict(_upsert(len(scopes)).run(connection_of(session), params).all())


def next_seq(session: Session, hall_id: int) -> int:
    """Take the hall's next event number; the counter row orders concurrent writers."""
    scope = events_scope(hall_id)
    return bump(session, [(scope, FOREVER)])[scope]


def current_seq(session: Session, hall_id: int) -> int:
    """The number of the hall's last event (0 before the first)."""
    from hall.queue.models import DailyCounter

    value = session.scalar(
        select(DailyCounter.value).where(
            DailyCounter.scope == events_scope(hall_id), DailyCounter.day == FOREVER
        )
    )
    return value or 0


def make(
    session: Session,
    hall: Any,
    name: str,
    seq: int,
    payload: dict[str, Any],
    effects: dict[str, Any] | None = None,
) -> Event:
    """An event with a sequence number already taken; remembered for the commit hooks."""
    event = Event(name, hall.id, {"hall": hall.code, "seq": seq, **payload}, effects or {})
    session.info.setdefault("hall.events", []).append(event)
    return event


def record(
    session: Session,
    hall: Any,
    name: str,
    payload: dict[str, Any],
    effects: dict[str, Any] | None = None,
) -> Event:
    """Number a new event in the hall's sequence and remember it for the commit hooks."""
    return make(session, hall, name, next_seq(session, hall.id), payload, effects)


def notify(
    hall: Any,
    name: str,
    payload: dict[str, Any],
    device_id: int | None = None,
    rooms: tuple[tuple[str, str], ...] = (),
    hall_rooms: bool = True,
) -> Event:
    """A notification outside the sequence (print jobs, printers, cases) for staff clients:
    the hall's counters and boards, its kiosk, and any further ``rooms`` (departments);
    with ``hall_rooms=False`` only the ``rooms``."""
    return Event(
        name,
        hall.id,
        {"hall": hall.code, **payload},
        device_id=device_id,
        rooms=rooms,
        hall_rooms=hall_rooms,
    )


def routes(ev: Event) -> list[tuple[str, str]]:
    """The (namespace, room) pairs an event goes to."""
    namespaces = NOTIFIED if ev.seq is None else SEQUENCED
    if not ev.hall_rooms:
        namespaces = ()
    pairs = [(namespace, f"hall:{ev.hall_id}") for namespace in namespaces]
    if ev.seq is None and ev.device_id is not None:
        pairs.append(("/kiosk", f"device:{ev.device_id}"))
    pairs.extend(ev.rooms)
    return pairs


# Called with each published event (after its commit), in this process: caches of figures
# that the event may change drop their entries (hall/stats/rollup.py: the live day).
AFTER_PUBLISH: list[Callable[[Event], None]] = []


def publish(events: Iterable[Event], emit: Callable[..., Any] | None = None) -> None:
    """Send committed events to the namespaces that show them, in the rooms of their scope.

    ``emit`` is this process's Socket.IO server unless given (the print worker passes a
    write-only emitter on the message queue). The change is already committed: if the
    message queue is down, the request still succeeds, and screens catch up from a snapshot.
    """
    if emit is None:
        # Imported here: the print worker publishes through its own emitter and never loads
        # the Socket.IO server (~25 MiB).
        from hall.extensions import socketio

        emit = socketio.emit
    for ev in events:
        for listener in AFTER_PUBLISH:
            try:
                listener(ev)
            except Exception:  # noqa: BLE001 - a cache must not fail a committed change
                log.exception("after-publish listener failed for %s", ev.name)
        for namespace, room in routes(ev):
            try:
                emit(ev.name, ev.payload, namespace=namespace, to=room)
            except Exception:  # a broker outage must not turn a committed change into a 500
                log.exception("could not publish %s #%s to %s", ev.name, ev.seq, namespace)
