"""Board alerts raised by the clock: the periodic sweep pushes them to /board, once each."""

from datetime import timedelta

from hall import db
from hall.extensions import socketio
from hall.stats import alerts
from hall.stats.models import Rating
from tests.conftest import KIOSK, login
from tests.stats.test_ratings import EVALUATOR, served_ticket


def board(app, client):
    token = login(client, "manager")["Authorization"].split()[1]
    sock = socketio.test_client(app, namespace="/board", auth={"token": token})
    assert sock.is_connected("/board")
    return sock


def received(sock, name):
    return [m["args"][0] for m in sock.get_received("/board") if m["name"] == name]


def test_an_overdue_follow_up_is_pushed_once(app, client):
    ticket = served_ticket(client)
    bad = client.post(
        f"/api/v1/tickets/{ticket['id']}/rating",
        json={"score": 2, "reasons": ["wait"]},
        headers=EVALUATOR,
    ).json["rating"]
    sock = board(app, client)
    snapshot = next(m["args"][0] for m in sock.get_received("/board") if m["name"] == "snapshot")
    assert [r["overdue"] for r in snapshot["bad_ratings"]] == [False]
    alerts.sweep(app)
    assert received(sock, "rating.bad") == []  # not overdue yet: nothing to say
    with app.app_context(), db.unit_of_work() as s:
        row = s.get(Rating, bad["id"])
        row.due_on = row.due_on - timedelta(days=30)
    alerts.sweep(app)
    pushed = received(sock, "rating.bad")
    assert [(p["rating_id"], p["overdue"]) for p in pushed] == [(bad["id"], True)]
    alerts.sweep(app)
    assert received(sock, "rating.bad") == []  # told once
    sock.disconnect(namespace="/board")


def test_a_ticket_stranded_at_a_window_that_paused(app, client):
    ticket = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    ).json["ticket"]
    one, two = login(client, "window1"), login(client, "window2")
    client.post("/api/v1/windows/2/open", headers=two)
    client.post("/api/v1/windows/1/open", headers=one)
    assert client.post("/api/v1/windows/1/call-next", headers=one).status_code == 200
    moved = client.post("/api/v1/windows/1/transfer", json={"window": 2}, headers=one)
    assert moved.status_code == 200, moved.json
    sock = board(app, client)
    alerts.sweep(app)
    assert received(sock, "board.stranded") == []  # window 2 is open: it will call it
    paused = client.post("/api/v1/windows/2/pause", json={"reason": "午休"}, headers=two)
    assert paused.status_code == 200, paused.json
    alerts.sweep(app)
    pushed = received(sock, "board.stranded")
    assert [[(t["number"], t["window"]) for t in p["tickets"]] for p in pushed] == [
        [(ticket["number"], "2")]
    ]
    assert pushed[0]["tickets"][0]["window_status"] == "paused"
    alerts.sweep(app)
    assert received(sock, "board.stranded") == []  # unchanged: nothing sent
    # A board that connects now has it in its snapshot.
    late = board(app, client)
    snapshot = next(m["args"][0] for m in late.get_received("/board") if m["name"] == "snapshot")
    assert [t["number"] for t in snapshot["stranded"]] == [ticket["number"]]
    client.post("/api/v1/windows/2/resume", headers=two)
    alerts.sweep(app)
    assert [p["tickets"] for p in received(sock, "board.stranded")] == [[]]
    for s in (sock, late):
        s.disconnect(namespace="/board")
