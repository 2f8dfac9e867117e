"""Fixtures for print jobs: apps with fast retries, kiosks whose printer is a TCP listener."""

import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from hall import db
from hall.admin import services as auth
from hall.admin.models import Device, Hall
from hall.extensions import socketio
from hall.queue.models import PrintJob
from tests.conftest import build_app, free_port
from tests.printers.escpos_decode import qr_payloads
from tests.printers.fake_printer import FakePrinter

FAST = {"PRINT_RETRY_BASE_S": 0.2, "PRINT_RETRY_MAX_S": 0.4, "PRINT_TIMEOUT_S": 1.0}


@pytest.fixture
def app(database_url):
    """The hub with fast print retries, on each database backend."""
    app = build_app(database_url, **FAST)
    yield app
    db.engine(app).dispose()


@pytest.fixture
def lite_app(sqlite_url):
    """The hub with fast print retries, on SQLite only."""
    app = build_app(sqlite_url, **FAST)
    yield app
    db.engine(app).dispose()


@pytest.fixture
def printer() -> Iterator[Callable[..., FakePrinter]]:
    """Start fake network printers (optionally on a given port); all stop after the test."""
    started: list[FakePrinter] = []

    def start(**options) -> FakePrinter:
        fake = FakePrinter(**options).start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()


def offline_url() -> tuple[str, int]:
    """A printer URL on a port where nothing listens yet."""
    port = free_port()
    return f"network://127.0.0.1:{port}", port


def add_kiosk(app, printer_url: str, hall: str = "kuancheng", **options) -> tuple[int, str]:
    """Register a kiosk with a printer; its id and token."""
    with app.app_context(), db.unit_of_work() as session:
        hall_row = session.scalar(select(Hall).where(Hall.code == hall))
        device, token = auth.add_device(
            session, "kiosk", hall_row, name="测试取号机", printer_url=printer_url
        )
        device.printer_options = options
        return device.id, token


def bearer(token: str) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token}"}


def take(client, token: str, matter: str = "samr-01", hall: str = "kuancheng") -> dict:
    """Take a ticket at a kiosk over REST; the whole answer."""
    response = client.post(
        f"/api/v1/halls/{hall}/tickets", json={"matter": matter}, headers=bearer(token)
    )
    assert response.status_code == 201, response.json
    return response.json


def jobs(app) -> list[PrintJob]:
    """Every print job, oldest first."""
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        return list(session.scalars(select(PrintJob).order_by(PrintJob.id)))


def device(app, device_id: int) -> Device:
    """A device row as stored."""
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        return session.get(Device, device_id)


def socket_client(app, namespace: str, auth_data: dict):
    """A Socket.IO test client of the app on a namespace."""
    client = socketio.test_client(
        app, namespace=namespace, auth=auth_data, flask_test_client=app.test_client()
    )
    assert client.is_connected(namespace)
    return client


def received(client, namespace: str) -> dict[str, list[dict]]:
    """The events the client got since the last call, payloads grouped by event name."""
    grouped: dict[str, list[dict]] = {}
    for event in client.get_received(namespace):
        grouped.setdefault(event["name"], []).append(event["args"][0])
    return grouped


def printed(fake: FakePrinter, tickets: int, timeout: float = 3.0) -> bytes:
    """What the printer received once it holds this many tickets (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    while True:
        data = fake.wait_for(1, timeout=0.05)
        if len(qr_payloads(data)) >= tickets or time.monotonic() > deadline:
            return data
        time.sleep(0.02)
