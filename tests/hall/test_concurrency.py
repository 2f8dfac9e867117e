"""Against a real running hub: no number issued twice, no ticket called twice, displays see calls."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
import socketio
from sqlalchemy import func, select

from hall import db
from hall.queue.models import Ticket, TicketStep
from tests.conftest import KIOSK, login


def issue_many(url: str, count: int, threads: int) -> list[requests.Response]:
    def worker(n: int) -> list[requests.Response]:
        with requests.Session() as http:
            return [
                http.post(
                    f"{url}/api/v1/halls/kuancheng/tickets",
                    json={"matter": "samr-01"},
                    headers=KIOSK,
                    timeout=30,
                )
                for _ in range(n)
            ]

    with ThreadPoolExecutor(threads) as pool:
        parts = list(pool.map(worker, [count // threads] * threads))
    return [r for part in parts for r in part]


def test_concurrent_issuing_never_repeats_a_number(app, live_server):
    responses = issue_many(live_server.url, 240, 8)
    assert {r.status_code for r in responses} == {201}
    numbers = [r.json()["ticket"]["number"] for r in responses]
    assert len(set(numbers)) == 240
    assert sorted(numbers) == [f"A{i:03d}" for i in range(1, 241)]


def test_concurrent_windows_never_call_a_ticket_twice(app, live_server):
    url = live_server.url
    issue_many(url, 120, 4)
    windows = {1: "window1", 2: "window2", 3: "window3", 12: "window12"}
    called: dict[int, list[str]] = {w: [] for w in windows}
    barrier = threading.Barrier(len(windows))

    def serve(window_id: int, username: str) -> None:
        with requests.Session() as http:
            http.headers.update(login(url, username))
            assert http.post(f"{url}/api/v1/windows/{window_id}/open", timeout=30).ok
            barrier.wait()
            while True:
                answer = http.post(f"{url}/api/v1/windows/{window_id}/call-next", timeout=30)
                assert answer.status_code == 200, answer.text
                ticket = answer.json()["ticket"]
                if ticket is None:
                    return
                called[window_id].append(ticket["number"])
                http.post(f"{url}/api/v1/windows/{window_id}/start", timeout=30)
                http.post(f"{url}/api/v1/windows/{window_id}/finish", timeout=30)

    with ThreadPoolExecutor(len(windows)) as pool:
        list(pool.map(lambda item: serve(*item), windows.items()))
    everything = [n for numbers in called.values() for n in numbers]
    assert len(everything) == 120
    assert not [n for n, c in Counter(everything).items() if c > 1]
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        calls = session.scalar(
            select(func.count(TicketStep.id)).where(TicketStep.action == "called")
        )
        done = session.scalar(select(func.count(Ticket.id)).where(Ticket.status == "done"))
        assert (calls, done) == (120, 120)


def test_a_double_click_calls_one_ticket(app, live_server):
    url = live_server.url
    issue_many(url, 4, 1)
    headers = login(url, "window1")
    requests.post(f"{url}/api/v1/windows/1/open", headers=headers, timeout=30)
    barrier = threading.Barrier(2)

    def click() -> requests.Response:
        barrier.wait()
        return requests.post(f"{url}/api/v1/windows/1/call-next", headers=headers, timeout=30)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: click(), range(2)))
    assert sorted(a.status_code for a in answers) == [200, 409]
    refused = next(a for a in answers if a.status_code == 409).json()
    assert refused["error"]["code"] == "window_busy"
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        called = session.scalar(select(func.count(Ticket.id)).where(Ticket.status == "called"))
        assert called == 1


def test_a_real_display_sees_the_call(lite_server):
    url = lite_server.url
    display = socketio.Client(reconnection=False)
    got: list[dict] = []
    snapshot = threading.Event()
    call = threading.Event()
    display.on("snapshot", lambda data: snapshot.set(), namespace="/display")

    def on_called(data: dict) -> None:
        got.append(data)
        call.set()

    display.on("ticket.called", on_called, namespace="/display")
    display.connect(
        url,
        namespaces=["/display"],
        auth={"hall": "kuancheng"},
        transports=["websocket"],
        wait_timeout=10,
    )
    try:
        assert snapshot.wait(10)
        issue_many(url, 1, 1)
        headers = login(url, "window4")
        requests.post(f"{url}/api/v1/windows/4/open", headers=headers, timeout=30)
        requests.post(f"{url}/api/v1/windows/4/call-next", headers=headers, timeout=30)
        assert call.wait(5)
        assert (got[0]["number"], got[0]["window"], got[0]["hall"]) == ("A001", "4", "kuancheng")
    finally:
        display.disconnect()
