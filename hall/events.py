"""Domain events: recorded inside the transaction, published to Socket.IO after the commit."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from hall.admin.models import Hall
from hall.extensions import socketio

log = logging.getLogger(__name__)

NAMESPACES = ("/display", "/kiosk", "/counter", "/board", "/status")


@dataclass
class Event:
    """A fact that happened in a hall (e.g. ``ticket.called``), with the hall's sequence."""

    name: str
    hall_id: int
    payload: dict[str, Any]

    @property
    def seq(self) -> int:
        """The event's place in the hall's sequence."""
        return self.payload["seq"]


def record(session: Session, hall: Hall, name: str, payload: dict[str, Any]) -> Event:
    """Number a new event in the hall's sequence; the row lock orders concurrent writers."""
    seq = session.execute(
        update(Hall)
        .where(Hall.id == hall.id)
        .values(event_seq=Hall.event_seq + 1)
        .returning(Hall.event_seq)
    ).scalar_one()
    hall.event_seq = seq
    return Event(name, hall.id, {"hall": hall.code, "seq": seq, **payload})


def publish(events: Iterable[Event]) -> None:
    """Send committed events to every client namespace's room of the hall.

    The change is already committed: if the message queue is down, the request still
    succeeds, and screens catch up from a snapshot when they see the gap in ``seq``.
    """
    for ev in events:
        for namespace in NAMESPACES:
            try:
                socketio.emit(ev.name, ev.payload, namespace=namespace, to=f"hall:{ev.hall_id}")
            except Exception:  # a broker outage must not turn a committed change into a 500
                log.exception("could not publish %s #%s to %s", ev.name, ev.seq, namespace)
