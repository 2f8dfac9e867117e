"""Ticket printing: jobs stored with the tickets, printed by a worker process of their own.

The serving process only stores jobs (issuing stores the ticket's job, ``reprint`` another), wakes the worker after
the commit (``wake_worker``) and relays the worker's events to the screens
(``relay_worker_events``). It never prints: ``hall/printing/worker.py`` runs in
`hall print-worker`, which `hall serve` starts as a child process.
"""

from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

from hall import access
from hall.admin.models import Device, Staff
from hall.errors import Unauthorized
from hall.printing import services
from hall.printing.channels import Waker, local_address, relay_events
from hall.queue.models import PrintJob, Ticket
from hall.urls import status_url

DEFAULTS: dict[str, Any] = {
    "PRINT_TIMEOUT_S": 2.0,  # per printer connection; python-escpos would wait 60 s
    "PRINT_RETRY_BASE_S": 2.0,  # first retry after this, then doubling …
    "PRINT_RETRY_MAX_S": 60.0,  # … up to this
    "PRINT_GIVE_UP_S": 600.0,  # a ticket nobody collected for 10 minutes is not printed
    "PRINT_STALE_S": 120.0,  # a job "printing" this long belonged to a worker that died
    "PRINT_POLL_S": 1.0,  # how often the worker looks for jobs without a wake-up
    "PRINT_GATHER_S": 0.05,  # after a wake-up, wait this long to claim a burst at once
    "PRINT_SWEEP_S": 5.0,  # how often it expires jobs of tickets no longer waiting
    "PRINT_THREADS": 16,  # printers served at once (a lane each); one printer's jobs go one by one
    "PRINT_BATCH": 20,  # jobs claimed per pass
    "PRINT_SETTLE_S": 0.25,  # printed jobs are recorded together, at least this often
    "PRINT_REPRINT_WINDOW_S": 180.0,  # a kiosk may reprint its last ticket this long
}


def reprint(
    session: Session, who: Staff | Device | None, ticket: Ticket, device_id: int | None = None
) -> PrintJob:
    """A new print job for the ticket, asked for by counter staff or by the ticket's kiosk."""
    url = status_url(ticket.token)
    if access.is_staff(who):
        return services.reprint_by_staff(session, ticket, who, url, device_id=device_id)
    if access.is_device(who):
        window_s = current_app.config["PRINT_REPRINT_WINDOW_S"]
        return services.reprint_by_kiosk(session, ticket, who, url, window_s=window_s)
    raise Unauthorized("需要登录 / staff or kiosk token required")


def wake_worker() -> None:
    """After the commit: tell the print worker a job is due (fire-and-forget, microseconds)."""
    current_app.extensions["hall.print_waker"].wake()


def relay_worker_events(app: Flask) -> bool:
    """In the serving process without a message queue: publish the worker's events here."""
    from hall.events import publish

    if app.config.get("MESSAGE_QUEUE"):
        return False  # the worker publishes through the queue itself
    return relay_events(app, publish)


def init_app(app: Flask) -> None:
    """Print settings, and the wake-up sender (its socket is made on first use)."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    queue = app.config.get("MESSAGE_QUEUE") or ""
    app.extensions["hall.print_waker"] = Waker(
        local_address(app, "wake"), queue if queue.startswith("redis") else None
    )
