"""Printing in its own process: `hall serve` runs `hall print-worker` as a child, real processes."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import socketio

from tests.conftest import HALL_BIN, REDIS_URL, LiveServer, login
from tests.hall.test_scale import _redis_missing
from tests.printers.escpos_decode import qr_payloads

from .conftest import add_kiosk, bearer, offline_url, printed


def take(url: str, token: str) -> dict:
    """Take a ticket at a kiosk of a running hub; the ticket."""
    response = requests.post(
        f"{url}/api/v1/halls/kuancheng/tickets",
        json={"matter": "samr-01"},
        headers=bearer(token),
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


def descendants(pid: int) -> list[tuple[int, str]]:
    """Every process below ``pid``, with its command line (Linux /proc)."""
    found = []
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else []:
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_text().replace("\0", " ")
        except FileNotFoundError:
            continue
        found += [(int(child), cmdline), *descendants(int(child))]
    return found


def print_workers(server: LiveServer) -> list[int]:
    """The print worker processes `hall serve` started."""
    return [pid for pid, cmd in descendants(server.process.pid) if "print-worker" in cmd]


def wait_for(condition, timeout: float = 20.0):
    """Poll ``condition`` until it returns something true; that value (or fail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    pytest.fail("condition not met in time")


def test_served_hub_prints_a_kiosk_ticket_in_its_child_worker(lite_app, lite_server, printer):
    fake = printer()
    _, token = add_kiosk(lite_app, fake.url)

    ticket = take(lite_server.url, token)

    assert ticket["status_url"].startswith(lite_server.url + "/s/")
    assert qr_payloads(printed(fake, 1, timeout=10)) == [ticket["status_url"]]
    [worker] = print_workers(lite_server)
    # Below the hub's CPU priority (PRINT_WORKER_NICE, default 5): answers come before paper.
    gunicorn = [pid for pid, cmd in descendants(lite_server.process.pid) if "gunicorn" in cmd]
    assert gunicorn
    assert (
        os.getpriority(os.PRIO_PROCESS, worker) == os.getpriority(os.PRIO_PROCESS, gunicorn[0]) + 5
    )


def test_a_killed_worker_is_restarted_and_prints_what_was_queued_meanwhile(
    lite_app, lite_server, printer
):
    fake = printer()
    _, token = add_kiosk(lite_app, fake.url)
    [first] = wait_for(lambda: print_workers(lite_server))

    os.kill(first, signal.SIGKILL)
    ticket = take(lite_server.url, token)  # queued while no worker runs

    [second] = wait_for(lambda: [p for p in print_workers(lite_server) if p != first])
    assert qr_payloads(printed(fake, 1, timeout=20)) == [ticket["status_url"]]
    assert second != first


def test_stopping_the_hub_stops_its_worker(lite_app):
    server = LiveServer(lite_app.config["DATABASE_URL"]).start()
    [worker] = wait_for(lambda: print_workers(server))

    server.stop()

    wait_for(lambda: not Path(f"/proc/{worker}").exists() or _zombie(worker), timeout=15)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.parametrize("queue", ["", "redis"])
def test_print_worker_runs_alone_for_a_hub_that_does_not_start_one(lite_app, printer, queue):
    if queue:
        if reason := _redis_missing():
            pytest.skip(reason)
        queue = REDIS_URL
    fake = printer()
    _, token = add_kiosk(lite_app, fake.url)
    database = lite_app.config["DATABASE_URL"]
    hub = LiveServer(database, HALL_PRINT_WORKER="0", HALL_MESSAGE_QUEUE=queue).start()
    # It polls only every 60 s: what prints sooner was woken by the hub. With Redis the
    # worker names the same file differently, so only the Redis channel can wake it (as on
    # another machine); without, the hub's datagram does.
    elsewhere = database.replace("/hall.sqlite3", "/./hall.sqlite3") if queue else database
    env = {**hub.env, "HALL_PRINT_POLL_S": "60", "HALL_DATABASE_URL": elsewhere}
    worker = None
    try:
        assert print_workers(hub) == []
        ticket = take(hub.url, token)
        assert fake.wait_for(timeout=1.5) == b""  # nobody prints: the job waits

        worker = subprocess.Popen([str(HALL_BIN), "print-worker"], env=env)
        # Its first pass, at start, prints what was queued while no worker ran.
        assert qr_payloads(printed(fake, 1, timeout=20)) == [ticket["status_url"]]

        time.sleep(1)  # the worker is now waiting for a wake-up
        again = take(hub.url, token)
        assert qr_payloads(printed(fake, 2, timeout=10))[-1] == again["status_url"]
    finally:
        if worker is not None:
            worker.terminate()
            assert worker.wait(10) == 0
        hub.stop()


@pytest.mark.parametrize("queue", ["", "redis"])
def test_a_printer_fault_reaches_the_board(lite_app, queue):
    if queue:
        if reason := _redis_missing():
            pytest.skip(reason)
        queue = REDIS_URL
    url, _ = offline_url()
    device_id, token = add_kiosk(lite_app, url)
    hub = LiveServer(lite_app.config["DATABASE_URL"], HALL_MESSAGE_QUEUE=queue).start()
    board = socketio.Client(reconnection=False)
    faults: list[dict] = []
    seen, ready = threading.Event(), threading.Event()
    board.on("snapshot", lambda data: ready.set(), namespace="/board")

    def on_fault(data: dict) -> None:
        faults.append(data)
        seen.set()

    board.on("printer.fault", on_fault, namespace="/board")
    try:
        staff_token = login(hub.url, "manager")["Authorization"].split()[1]
        board.connect(
            hub.url,
            namespaces=["/board"],
            auth={"token": staff_token},
            transports=["websocket"],
            wait_timeout=10,
        )
        assert ready.wait(10)
        take(hub.url, token)
        assert seen.wait(20), "the board never heard of the printer fault"
    finally:
        board.disconnect()
        hub.stop()
    assert faults[0]["device_id"] == device_id
    assert "printer not reachable" in faults[0]["reason"]


SLOW_TO_STOP = """
import signal, sys, time
def later(*_):
    time.sleep(float(sys.argv[2]))
    sys.exit(0)
signal.signal(signal.SIGTERM, later)
open(sys.argv[1], "w").close()
while True:
    time.sleep(0.05)
"""
NOTES_STOP = """
import signal, sys, time
def note(*_):
    open(sys.argv[1], "w").write(repr(time.monotonic()))
    sys.exit(0)
signal.signal(signal.SIGTERM, note)
while True:
    time.sleep(0.05)
"""


def test_stopping_the_supervisor_stops_the_hub_without_waiting_for_the_worker(tmp_path):
    """The hub stops taking connections as soon as `hall serve` is asked to, even when the
    print worker takes its time to finish."""
    started, stopped = tmp_path / "worker-started", tmp_path / "hub-stopped"
    plan = {
        "gunicorn": [sys.executable, "-c", NOTES_STOP, str(stopped)],
        "print_worker": [sys.executable, "-c", SLOW_TO_STOP, str(started), "3"],
    }
    supervisor = subprocess.Popen([sys.executable, "-m", "hall.server", json.dumps(plan)])
    try:
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists()
        asked = time.monotonic()
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(20) == 0
        assert float(stopped.read_text()) - asked < 2  # not after the worker's 3 s
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
