"""The print worker: claims due jobs, sends each to its printer, settles the outcome.

It runs in a process of its own (`hall print-worker`, started by `hall serve` as a child),
never in the serving process: printing must not share the hub's interpreter lock or its
event loop. A request stores a job and wakes the worker (``hall.printing.channels``); the
worker claims due jobs, sends each with a short timeout outside any transaction, and
records the outcome in a transaction of its own. It also polls every PRINT_POLL_S, so a
lost wake-up or a job queued while it was down is printed all the same.
"""

import logging
import os
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from flask import Flask

import printers
from hall import clock
from hall.db import unit_of_work
from hall.events import publish as publish_here
from hall.printing import services as printing
from hall.printing.channels import Publish, listen_for_wakeups, worker_publisher
from hall.printing.services import Outcome, PrintOrder
from printers.layout import paper_for

log = logging.getLogger(__name__)


def send(order: PrintOrder, timeout: float, answers: dict[str, bool] | None = None) -> Outcome:
    """Print one claimed job (a ticket or a case's receipt); only a failure that sent nothing
    may be retried.

    ``answers`` remembers, per printer URL, whether the printer answers DLE EOT. With the
    ``confirm`` option "auto" a printer seen answering must confirm each ticket (a silent
    one has stalled: a fault, not a printed ticket); one that never answered is asked once.
    """
    answers = {} if answers is None else answers
    known = answers.get(order.printer_url)
    confirm = {"on": True, "off": False}.get(order.confirm, known)
    draw = printers.print_receipt if order.kind == "receipt" else printers.print_ticket
    try:
        status = draw(
            order.printer_url,
            order.layout,
            paper_mm=order.paper_mm,
            raster_text=order.raster_text,
            timeout=timeout,
            require_ready=order.require_ready,
            confirm=confirm,
        )
    except printers.PrintInterrupted as err:
        return Outcome(printed=False, error=str(err), retry=False)
    except printers.PrinterError as err:
        return Outcome(printed=False, error=str(err), retry=_set_up_right(order))
    if confirm is None:
        answers[order.printer_url] = status is not None
    return Outcome(printed=True)


def _set_up_right(order: PrintOrder) -> bool:
    """Whether the printer's settings are valid, so that trying again may help."""
    try:
        printers.parse_printer_url(order.printer_url)
        paper_for(order.paper_mm)
    except printers.PrinterError:
        return False
    return True


def _settle(app: Flask, order: PrintOrder, outcome: Outcome, publish: Publish) -> bool:
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


def _settle_printed(app: Flask, orders: list[PrintOrder], publish: Publish) -> None:
    if not orders:
        return
    with unit_of_work(app=app) as session:
        events = printing.settle_printed(session, orders, clock.now())
    publish(events)


def _send_to_printer(app: Flask, orders: list[PrintOrder], publish: Publish) -> None:
    """Send one printer's jobs in order; after a failure hand the rest back untried.

    Printed jobs are recorded together, in one write transaction per PRINT_SETTLE_S (on
    SQLite the hub's requests wait for every write), not one each.
    """
    printed: list[PrintOrder] = []
    since = time.monotonic()
    answers = app.extensions.setdefault("hall.printer_answers", {})
    with app.app_context():
        for index, order in enumerate(orders):
            outcome = send(order, app.config["PRINT_TIMEOUT_S"], answers)
            if outcome.printed:
                printed.append(order)
                if time.monotonic() - since >= app.config["PRINT_SETTLE_S"]:
                    _settle_printed(app, printed, publish)
                    printed, since = [], time.monotonic()
                continue
            _settle_printed(app, printed, publish)
            printed = []
            if _settle(app, order, outcome, publish) or not outcome.retry:
                since = time.monotonic()
                continue
            with unit_of_work(app=app) as session:
                for rest in orders[index + 1 :]:
                    printing.release(session, rest.job_id, clock.now())
            return
        _settle_printed(app, printed, publish)


def _claim(app: Flask, at: datetime, limit: int, skip: Collection[str] = ()) -> list[PrintOrder]:
    """Claim due jobs in a short write transaction, then lay them out in a read-only one.

    Laying out counts the people ahead of each ticket: inside the claim it held SQLite's
    write lock long enough to stall the hub's requests (docs/performance.md). Should laying
    out fail, the claimed jobs are settled by the sweep as a dead worker's would be.
    """
    with unit_of_work(app=app) as session:
        rows = printing.claim_due(session, at, limit=limit, skip=skip)
    if not rows:
        return []
    with unit_of_work(readonly=True, app=app) as session:
        return printing.orders_for(session, rows)


SWEEP_BATCH = 50  # jobs per write transaction of the sweep


def sweep_in_batches(app: Flask, at: datetime, publish: Publish) -> None:
    """Expire, give up and fail jobs (``printing.sweep``) in short write transactions.

    After the worker was down or a printer was off for a while, thousands of jobs may be due
    to expire at once. In one transaction that held SQLite's one writer lock for ~340 ms, and
    a window's call waited that long (``make bench``, the hub's fresh start with the earlier
    phases' jobs left: fan-out p99 353 ms at 100 sockets). A batch of 50 holds it a few ms.
    """
    while True:
        with unit_of_work(app=app) as session:
            events, found = printing.sweep_batch(
                session,
                at,
                give_up_s=app.config["PRINT_GIVE_UP_S"],
                stale_s=app.config["PRINT_STALE_S"],
                limit=SWEEP_BATCH,
            )
        publish(events)
        if found < SWEEP_BATCH:
            return


def run_due(
    app: Flask,
    at: datetime | None = None,
    *,
    sweep: bool = True,
    publish: Publish = publish_here,
) -> int:
    """One pass of the worker: expire (when ``sweep``), claim and send due jobs.

    Returns the number of jobs claimed. Events go out through ``publish`` (by default to
    this process's Socket.IO server, which is what tests driving a pass in-process want).
    """
    at = at or clock.now()
    if sweep:
        sweep_in_batches(app, at, publish)
    orders = _claim(app, at, app.config["PRINT_BATCH"])
    by_printer = _by_printer(orders)
    if len(by_printer) <= 1:
        for group in by_printer.values():
            _send_to_printer(app, group, publish)
    else:
        workers = min(len(by_printer), app.config["PRINT_THREADS"])
        with ThreadPoolExecutor(workers, thread_name_prefix="hall-print") as pool:
            for future in [
                pool.submit(_send_to_printer, app, g, publish) for g in by_printer.values()
            ]:
                future.result()
    return len(orders)


def _by_printer(orders: list[PrintOrder]) -> dict[str, list[PrintOrder]]:
    groups: dict[str, list[PrintOrder]] = defaultdict(list)
    for order in orders:
        groups[order.printer_url].append(order)
    return groups


class PrintWorker:
    """The worker's loop: a pass on every wake-up, and at least every PRINT_POLL_S.

    Each printer is served in a lane of its own (a thread while it has jobs): a pass claims
    jobs only for printers whose lane is idle and never waits for a lane, so a printer that
    stalls holds up its own tickets and nobody else's.
    """

    def __init__(self, app: Flask, publish: Publish = publish_here) -> None:
        self.app = app
        self.publish = publish
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lanes: dict[str, threading.Thread] = {}
        self._lanes_lock = threading.Lock()
        self._passes = 0

    def busy(self) -> set[str]:
        """The printers whose lane is sending jobs now."""
        with self._lanes_lock:
            return set(self._lanes)

    def run_pass(self, sweep: bool) -> int:
        """Expire (when ``sweep``), claim the due jobs of idle printers, start their lanes."""
        at = clock.now()
        if sweep:
            sweep_in_batches(self.app, at, self.publish)
        busy = self.busy()
        self._passes += 1
        limit = self.app.config["PRINT_BATCH"]
        if len(busy) >= self.app.config["PRINT_THREADS"]:
            return 0  # every lane is taken: the jobs wait for one to end
        orders = _claim(self.app, at, limit, busy)
        for url, group in _by_printer(orders).items():
            self._start_lane(url, group)
        return len(orders)

    def _start_lane(self, url: str, orders: list[PrintOrder]) -> None:
        started_at_pass = self._passes

        def lane() -> None:
            try:
                _send_to_printer(self.app, orders, self.publish)
            except Exception:  # the jobs stay claimed; the sweep settles them as stale
                log.exception("print lane for %s failed", url)
            finally:
                with self._lanes_lock:
                    self._lanes.pop(url, None)
                # A pass that ran meanwhile left this printer's new jobs: take them now.
                if self._passes != started_at_pass:
                    self._wake.set()

        thread = threading.Thread(target=lane, name="hall-print-lane", daemon=True)
        with self._lanes_lock:
            self._lanes[url] = thread
        thread.start()

    def join_lanes(self, timeout: float) -> None:
        """Wait for the lanes under way (a ticket being sent is finished)."""
        deadline = time.monotonic() + timeout
        with self._lanes_lock:
            lanes = list(self._lanes.values())
        for lane in lanes:
            lane.join(max(0.0, deadline - time.monotonic()))

    def wake(self) -> None:
        """Look for due jobs now instead of at the next poll."""
        self._wake.set()

    def stop_soon(self) -> None:
        """End the loop after the pass under way (a ticket being sent is finished)."""
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        """Run passes until stopped; the first one at once (jobs left while we were down)."""
        last_sweep = 0.0
        while not self._stop.is_set():
            # A wake-up comes with every ticket: wait a moment so that a burst of tickets is
            # claimed in one write transaction, not one each (SQLite has one writer, and the
            # hub's requests wait for it).
            if self._wake.is_set():
                self._stop.wait(self.app.config["PRINT_GATHER_S"])
            self._wake.clear()
            # Expiring old jobs is a write transaction: once in a while, not on every wake-up
            # (each new ticket wakes the worker, and SQLite has one writer at a time).
            now = time.monotonic()
            sweep = now - last_sweep >= self.app.config["PRINT_SWEEP_S"]
            try:
                self.run_pass(sweep)
                if sweep:
                    last_sweep = now
            except Exception:  # a database outage must not end the worker: try again later
                log.exception("print worker pass failed")
            self._wake.wait(self.app.config["PRINT_POLL_S"])

    def start(self) -> "PrintWorker":
        """Run the loop in a thread of this process (tests; the process runs it in main)."""
        self._thread = threading.Thread(target=self.run, name="hall-print-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop's thread, waiting for the pass under way."""
        self.stop_soon()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.join_lanes(timeout)


def worker_app(config: dict | None = None) -> Flask:
    """The print worker's app: the hub's settings and database, not the web hub.

    Building the whole hub (its API, pages, sockets, schemas) would cost the worker process
    ~60 MiB it never uses; it needs the settings, the engine and sessions, and the print
    settings. Same import name, so the same instance folder (database, secret key).
    """
    from hall import config as settings
    from hall import db
    from hall import printing as printing_package

    app = Flask("hall", instance_relative_config=True)
    app.config.update(settings.load(config))
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = settings.instance_secret(app.instance_path)
    db.init_app(app)
    printing_package.init_app(app)
    return app


def main() -> None:
    """`python -m hall.printing print-worker`: what `hall serve` starts (`hall print-worker`
    does the same through the command line tool, which imports more)."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s print-worker[%(process)d] %(levelname)s %(name)s: %(message)s",
    )
    run_process(worker_app())


def run_process(app: Flask) -> None:
    """`hall print-worker`: run the print queue in this process until SIGTERM or SIGINT."""
    nice = max(0, min(19, int(app.config.get("PRINT_WORKER_NICE") or 0)))
    if nice:
        os.nice(nice)
    worker = PrintWorker(app, publish=worker_publisher(app))
    stopping = threading.Event()

    def on_signal(signum, _frame) -> None:
        log.info("print worker: signal %s, stopping", signum)
        stopping.set()
        worker.stop_soon()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    listen_for_wakeups(app, worker.wake, stopping)
    log.info("print worker running (poll every %s s)", app.config["PRINT_POLL_S"])
    worker.run()
    worker.join_lanes(2 * app.config["PRINT_TIMEOUT_S"])
