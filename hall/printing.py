"""The print queue in the hub: jobs for new tickets, and the worker that sends them.

Printing never happens inside a request or a database transaction. A request stores a
job and wakes this process's worker thread; the worker claims due jobs, sends each to
its printer with a short timeout, and records the outcome in a transaction of its own.
"""

import atexit
import logging
import os
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

import printers
from hall import access, clock
from hall.admin.models import Device, Staff
from hall.db import unit_of_work
from hall.errors import Unauthorized
from hall.events import publish
from hall.queue.models import PrintJob, Ticket
from hall.services import printing
from hall.services.printing import Outcome, PrintOrder
from hall.urls import status_url
from printers.layout import paper_for

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "PRINT_TIMEOUT_S": 2.0,  # per printer connection; python-escpos would wait 60 s
    "PRINT_RETRY_BASE_S": 2.0,  # first retry after this, then doubling …
    "PRINT_RETRY_MAX_S": 60.0,  # … up to this
    "PRINT_GIVE_UP_S": 600.0,  # a ticket nobody collected for 10 minutes is not printed
    "PRINT_STALE_S": 120.0,  # a job "printing" this long belonged to a worker that died
    "PRINT_POLL_S": 1.0,  # how often the worker looks for jobs other processes queued
    "PRINT_SWEEP_S": 5.0,  # how often it expires jobs of tickets no longer waiting
    "PRINT_THREADS": 4,  # printers served at once; jobs of one printer go one by one
    "PRINT_BATCH": 20,  # jobs claimed per pass
    "PRINT_REPRINT_WINDOW_S": 180.0,  # a kiosk may reprint its last ticket this long
}


def send(order: PrintOrder, timeout: float) -> Outcome:
    """Print one claimed job; only a failure that sent nothing may be retried."""
    try:
        printers.print_ticket(
            order.printer_url,
            order.layout,
            paper_mm=order.paper_mm,
            raster_text=order.raster_text,
            timeout=timeout,
            require_ready=order.require_ready,
        )
    except printers.PrintInterrupted as err:
        return Outcome(printed=False, error=str(err), retry=False)
    except printers.PrinterError as err:
        return Outcome(printed=False, error=str(err), retry=_set_up_right(order))
    return Outcome(printed=True)


def _set_up_right(order: PrintOrder) -> bool:
    """Whether the printer's settings are valid, so that trying again may help."""
    try:
        printers.parse_printer_url(order.printer_url)
        paper_for(order.paper_mm)
    except printers.PrinterError:
        return False
    return True


def _settle(app: Flask, order: PrintOrder, outcome: Outcome) -> bool:
    with unit_of_work(app=app) as session:
        events = printing.settle(
            session,
            order.job_id,
            outcome,
            clock.now(),
            retry_base_s=app.config["PRINT_RETRY_BASE_S"],
            retry_max_s=app.config["PRINT_RETRY_MAX_S"],
        )
    publish(events)
    return outcome.printed


def _send_to_printer(app: Flask, orders: list[PrintOrder]) -> None:
    """Send one printer's jobs in order; after a failure hand the rest back untried."""
    with app.app_context():
        for index, order in enumerate(orders):
            outcome = send(order, app.config["PRINT_TIMEOUT_S"])
            if _settle(app, order, outcome) or not outcome.retry:
                continue
            with unit_of_work(app=app) as session:
                for rest in orders[index + 1 :]:
                    printing.release(session, rest.job_id, clock.now())
            return


def run_due(app: Flask, at: datetime | None = None, *, sweep: bool = True) -> int:
    """One pass of the worker: expire (when ``sweep``), claim and send due jobs.

    Returns the number of jobs claimed.
    """
    at = at or clock.now()
    if sweep:
        with unit_of_work(app=app) as session:
            events = printing.sweep(
                session,
                at,
                give_up_s=app.config["PRINT_GIVE_UP_S"],
                stale_s=app.config["PRINT_STALE_S"],
            )
        publish(events)
    with unit_of_work(app=app) as session:
        orders = printing.claim_due(session, at, limit=app.config["PRINT_BATCH"])
    by_printer: dict[str, list[PrintOrder]] = defaultdict(list)
    for order in orders:
        by_printer[order.printer_url].append(order)
    if len(by_printer) <= 1:
        for group in by_printer.values():
            _send_to_printer(app, group)
    else:
        workers = min(len(by_printer), app.config["PRINT_THREADS"])
        with ThreadPoolExecutor(workers, thread_name_prefix="hall-print") as pool:
            for future in [pool.submit(_send_to_printer, app, g) for g in by_printer.values()]:
                future.result()
    return len(orders)


class PrintWorker:
    """A background thread of this process that runs the print queue."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._exit_hook = False

    @property
    def running(self) -> bool:
        """Whether this process's worker thread is alive."""
        return self._pid == os.getpid() and self._thread is not None and self._thread.is_alive()

    def ensure_running(self) -> None:
        """Start the thread once per process (gunicorn forks after the app is built)."""
        if self.running:
            return
        with self._lock:
            if self.running:
                return
            self._stop = threading.Event()
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="hall-print-worker", daemon=True)
            self._thread.start()
            if not self._exit_hook:
                atexit.register(self.stop)
                self._exit_hook = True

    def wake(self) -> None:
        """Look for due jobs now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread after the job it is sending, if any."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        last_sweep = 0.0
        while not self._stop.is_set():
            self._wake.clear()
            # Expiring old jobs is a write transaction: once in a while, not on every wake-up
            # (each new ticket wakes the worker, and SQLite has one writer at a time).
            now = time.monotonic()
            sweep = now - last_sweep >= self.app.config["PRINT_SWEEP_S"]
            try:
                run_due(self.app, sweep=sweep)
                if sweep:
                    last_sweep = now
            except Exception:  # a database outage must not end the worker: try again later
                log.exception("print worker pass failed")
            self._wake.wait(self.app.config["PRINT_POLL_S"])


def reprint(
    session: Session, who: Staff | Device | None, ticket: Ticket, device_id: int | None = None
) -> PrintJob:
    """A new print job for the ticket, asked for by counter staff or by the ticket's kiosk."""
    url = status_url(ticket.token)
    if access.is_staff(who):
        return printing.reprint_by_staff(session, ticket, who, url, device_id=device_id)
    if access.is_device(who):
        window_s = current_app.config["PRINT_REPRINT_WINDOW_S"]
        return printing.reprint_by_kiosk(session, ticket, who, url, window_s=window_s)
    raise Unauthorized("需要登录 / staff or kiosk token required")


def worker(app: Flask | None = None) -> PrintWorker:
    """The app's print worker."""
    return (app or current_app).extensions["hall.print_worker"]


def queue_for(session: Session, ticket: Ticket, device: Device | None) -> dict[str, Any] | None:
    """Store the new ticket's print job in the issuing transaction; its state, or None.

    One transaction for both: a committed ticket always has its job, and the issue costs
    one write instead of two (the SQLite writer lock is the hub's scarcest resource).
    """
    job = printing.enqueue(session, ticket, device, status_url(ticket.token))
    return printing.job_json(job) if job else None


def wake_worker() -> None:
    """Wake this process's worker (starting it first where the app runs one)."""
    if current_app.config["PRINT_WORKER"]:
        worker().ensure_running()
    worker().wake()


def init_app(app: Flask) -> None:
    """Register the print queue for new tickets and, where configured, the worker."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.extensions["hall.print_worker"] = PrintWorker(app)
    if app.config["PRINT_WORKER"]:
        # Lazily, in the serving process: `hall serve` builds the app before gunicorn forks.
        app.before_request(worker(app).ensure_running)
