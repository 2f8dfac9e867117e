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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hall.extensions import socketio

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

    @property
    def seq(self) -> int | None:
        """The event's place in the hall's sequence (None for a notification)."""
        return self.payload.get("seq")


def events_scope(hall_id: int) -> str:
    """The counter scope of a hall's event sequence."""
    return f"events:{hall_id}"


def counters_upsert(session: Session, scopes: list[tuple[str, date]]):
    """One statement that adds one to each (scope, period) counter, returning scope and value."""
    from hall.queue.models import DailyCounter

    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return (
        insert(DailyCounter)
        .values([{"scope": scope, "day": day, "value": 1} for scope, day in scopes])
        .on_conflict_do_update(
            index_elements=["scope", "day"], set_={"value": DailyCounter.value + 1}
        )
        .returning(DailyCounter.scope, DailyCounter.value)
    )


def next_seq(session: Session, hall_id: int) -> int:
    """Take the hall's next event number; the counter row orders concurrent writers."""
    rows = session.execute(counters_upsert(session, [(events_scope(hall_id), FOREVER)])).all()
    return rows[0][1]


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


def notify(hall: Any, name: str, payload: dict[str, Any], device_id: int | None = None) -> Event:
    """A notification outside the sequence (print jobs, printers) for staff and its kiosk."""
    return Event(name, hall.id, {"hall": hall.code, **payload}, device_id=device_id)


def publish(events: Iterable[Event]) -> None:
    """Send committed events to the namespaces that show them, in the rooms of their scope.

    The change is already committed: if the message queue is down, the request still
    succeeds, and screens catch up from a snapshot when they see the gap in ``seq``.
    """
    for ev in events:
        routes = [(ns, f"hall:{ev.hall_id}") for ns in (NOTIFIED if ev.seq is None else SEQUENCED)]
        if ev.seq is None and ev.device_id is not None:
            routes.append(("/kiosk", f"device:{ev.device_id}"))
        for namespace, room in routes:
            try:
                socketio.emit(ev.name, ev.payload, namespace=namespace, to=room)
            except Exception:  # a broker outage must not turn a committed change into a 500
                log.exception("could not publish %s #%s to %s", ev.name, ev.seq, namespace)
