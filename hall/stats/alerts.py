"""Board alerts raised by the clock, not by a reader: a periodic task in the serving process.

Every ``BOARD_SWEEP_S`` seconds (``hall serve``; tests call ``sweep`` directly):

- a 差评 whose follow-up just became overdue: ``rating.bad`` again with ``overdue: true``
  (the board's entry turns red; hall/static/clients/state.js);
- a case that nears or passes its deadline: the cases' own warning sweep
  (``case.warning`` events, hall/cases/services.py: sweep_warnings);
- tickets transferred to a window that is no longer open (paused or closed while they wait):
  ``board.stranded`` with the hall's current list, sent when it changes.

What was already announced is remembered per process, so a quiet hall sends nothing.
"""

import logging
from typing import Any

from flask import Flask
from sqlalchemy import select

from hall import clock, db
from hall.events import Event, notify, publish
from hall.queue.models import Ticket, TicketStatus, Window, WindowStatus

log = logging.getLogger(__name__)

BOARD_SWEEP_S = 60.0


def stranded(session: Any, hall: Any) -> list[dict[str, Any]]:
    """Waiting tickets sent to a window of the hall that is not open now."""
    rows = session.execute(
        select(Ticket.id, Ticket.number, Window.number, Window.status)
        .join(Window, Window.id == Ticket.target_window_id)
        .where(
            Ticket.hall_id == hall.id,
            Ticket.status == TicketStatus.WAITING,
            Ticket.target_window_id.is_not(None),
            Window.status != WindowStatus.OPEN,
        )
        .order_by(Ticket.queued_at, Ticket.id)
        .limit(50)
    ).all()
    return [
        {"ticket_id": tid, "number": number, "window": window, "window_status": str(status)}
        for tid, number, window, status in rows
    ]


def sweep(app: Flask) -> list[Event]:
    """Raise the alerts the clock brought since the last sweep; the events sent."""
    from hall.admin.models import Hall
    from hall.cases import services as case_services
    from hall.stats.presenters import open_bad_ratings

    memo = app.extensions.setdefault("hall.board_alerts", {"overdue": set(), "stranded": {}})
    events: list[Event] = []
    with app.app_context():
        with db.unit_of_work() as session:
            events += case_services.sweep_warnings(session)
        with db.unit_of_work(readonly=True) as session:
            for hall in session.scalars(select(Hall)).all():
                for entry in open_bad_ratings(session, hall):
                    if entry["overdue"] and entry["rating_id"] not in memo["overdue"]:
                        memo["overdue"].add(entry["rating_id"])
                        events.append(notify(hall, "rating.bad", entry))
                tickets = stranded(session, hall)
                if tickets != memo["stranded"].get(hall.id, []):
                    memo["stranded"][hall.id] = tickets
                    events.append(
                        notify(
                            hall,
                            "board.stranded",
                            {"tickets": tickets, "at": clock.iso_local(clock.now(), hall.timezone)},
                        )
                    )
        publish(events)
    return events


def run_forever(app: Flask, every_s: float | None = None) -> None:
    """The periodic task: sweep, sleep (cooperatively under gevent), again."""
    from hall.extensions import socketio

    every_s = every_s or float(app.config.get("BOARD_SWEEP_S") or BOARD_SWEEP_S)
    while True:
        socketio.sleep(every_s)
        try:
            sweep(app)
        except Exception:  # the database away: the next sweep tries again
            log.exception("board alert sweep failed")


def start(app: Flask) -> None:
    """Start the periodic task once in this process (``hall serve``'s worker)."""
    from hall.extensions import socketio

    if "hall.alert_sweeper" not in app.extensions:
        app.extensions["hall.alert_sweeper"] = socketio.start_background_task(run_forever, app)
