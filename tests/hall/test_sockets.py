"""Socket.IO: snapshot first, events after the commit, acks with the REST error shape."""

import pytest

from hall.extensions import socketio
from tests.conftest import KIOSK, login


def received(client, name):
    return [m["args"][0] for m in client.get_received(client.ns) if m["name"] == name]


def connect(app, namespace, auth, flask_client=None):
    client = socketio.test_client(
        app, namespace=namespace, auth=auth, flask_test_client=flask_client
    )
    client.ns = namespace
    return client


def token(client, username):
    return login(client, username)["Authorization"].split()[1]


def test_display_gets_a_snapshot_then_the_call(app, client):
    display = connect(app, "/display", {"hall": "kuancheng"})
    assert display.is_connected("/display")
    snapshot = received(display, "snapshot")[0]
    assert snapshot["hall"] == "kuancheng"
    assert {"seq", "calls", "windows", "queues", "notice"} <= set(snapshot)
    assert "waiting" not in snapshot  # public screens get no waiting lists

    staff = login(client, "window1")
    client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK)
    client.post("/api/v1/windows/1/open", headers=staff)
    client.post("/api/v1/windows/1/call-next", headers=staff)
    events = display.get_received("/display")
    names = [e["name"] for e in events]
    assert names == ["ticket.issued", "window.opened", "ticket.called"]
    called = events[-1]["args"][0]
    assert {"hall", "seq", "number", "window", "queue", "at"} <= set(called)
    assert (called["number"], called["window"], called["queue"]) == ("A001", "1", "A")
    seqs = [e["args"][0]["seq"] for e in events]
    assert seqs == list(range(snapshot["seq"] + 1, snapshot["seq"] + 4))


def test_display_needs_a_known_hall(app):
    for auth in (None, {"hall": "nowhere"}, {"hall": 5}, "text"):
        display = socketio.test_client(app, namespace="/display", auth=auth)
        assert not display.is_connected("/display")


def test_counter_actions_over_the_socket_reach_the_display(app, client):
    display = connect(app, "/display", {"hall": "kuancheng"})
    display.get_received("/display")
    counter = connect(app, "/counter", {"token": token(client, "window2")})
    assert counter.is_connected("/counter")
    assert "waiting" in received(counter, "snapshot")[0]

    client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK)
    opened = counter.emit("open_window", {"window": 2}, namespace="/counter", callback=True)
    assert opened["ok"] and opened["window"]["status"] == "open"
    called = counter.emit("call_next", {"window": 2}, namespace="/counter", callback=True)
    assert called["ticket"]["number"] == "A001"
    calls = [e for e in display.get_received("/display") if e["name"] == "ticket.called"]
    assert [c["args"][0]["number"] for c in calls] == ["A001"]


@pytest.mark.parametrize(
    ("event", "payload", "code", "fields"),
    [
        ("call_next", {"window": 2}, "window_closed", None),
        ("call_next", {"window": "two"}, "validation_error", {"window"}),
        ("call_next", {}, "validation_error", {"window"}),
        ("call_next", "not an object", "validation_error", set()),
        ("call_next", {"window": 999}, "window_not_found", None),
        ("pause", {"window": 2, "reason": ""}, "validation_error", {"reason"}),
        ("transfer", {"window": 2, "queue": ["A"]}, "validation_error", {"queue"}),
        ("requeue", {"ticket": 424242}, "ticket_not_found", None),
    ],
)
def test_refusals_come_back_as_error_acks(lite_app, event, payload, code, fields):
    client = lite_app.test_client()
    counter = connect(lite_app, "/counter", {"token": token(client, "window2")})
    answer = counter.emit(event, payload, namespace="/counter", callback=True)
    assert set(answer) == {"error"}
    assert answer["error"]["code"] == code
    assert answer["error"]["message"]
    # The same rule as REST: a validation error names its fields ({} for a non-object).
    if fields is None:
        assert "fields" not in answer["error"]
    else:
        assert set(answer["error"]["fields"]) == fields


def test_staff_sockets_need_a_valid_token_and_role(lite_app):
    client = lite_app.test_client()
    assert not socketio.test_client(
        lite_app, namespace="/counter", auth={"token": "forged"}
    ).is_connected("/counter")
    bo = token(client, "bo-samr")
    assert not socketio.test_client(
        lite_app, namespace="/counter", auth={"token": bo}
    ).is_connected("/counter")
    clerk = token(client, "window1")
    assert not socketio.test_client(
        lite_app, namespace="/board", auth={"token": clerk}
    ).is_connected("/board")
    manager = connect(lite_app, "/board", {"token": token(client, "manager")})
    assert manager.is_connected("/board")
    assert "waiting" in received(manager, "snapshot")[0]


def test_kiosk_takes_a_ticket_over_the_socket(lite_app):
    kiosk = connect(lite_app, "/kiosk", {"token": "demo-kiosk-kuancheng"})
    assert kiosk.is_connected("/kiosk")
    answer = kiosk.emit("take_ticket", {"matter": "re-01"}, namespace="/kiosk", callback=True)
    assert answer["ok"] and answer["ticket"]["number"] == "B001"
    refused = kiosk.emit("take_ticket", {"matter": "nope"}, namespace="/kiosk", callback=True)
    assert refused["error"]["code"] == "matter_not_found"


def test_a_client_that_missed_events_asks_for_a_snapshot(lite_app):
    display = connect(lite_app, "/display", {"hall": "kuancheng"})
    first = received(display, "snapshot")[0]
    kiosk = connect(lite_app, "/kiosk", {"token": "demo-kiosk-kuancheng"})
    kiosk.emit("take_ticket", {"matter": "samr-01"}, namespace="/kiosk", callback=True)
    again = display.emit("snapshot", {}, namespace="/display", callback=True)
    assert again["snapshot"]["seq"] == first["seq"] + 1
    assert again["snapshot"]["queues"][0]["waiting"] == 1


def test_status_socket_follows_one_ticket(lite_app):
    client = lite_app.test_client()
    ticket = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    ).json["ticket"]
    status_token = ticket["status_url"].rsplit("/", 1)[1]
    phone = connect(lite_app, "/status", {"ticket": status_token})
    assert received(phone, "ticket")[0]["ticket"]["number"] == "A001"
    assert not socketio.test_client(
        lite_app, namespace="/status", auth={"ticket": str(ticket["id"])}
    ).is_connected("/status")


def test_status_socket_shows_the_ticket_as_rest_shows_it_to_its_resident(lite_app):
    """The resident's socket gets what GET /tickets/<status token> answers: no priority class
    (it may say why the resident was given one) and no status link."""
    client = lite_app.test_client()
    ticket = client.post(
        "/api/v1/halls/kuancheng/tickets",
        json={"matter": "samr-01", "priority": "elderly"},
        headers=KIOSK,
    ).json["ticket"]
    assert ticket["priority"] == "elderly"  # the issuing kiosk sees it
    status_token = ticket["status_url"].rsplit("/", 1)[1]
    rest = client.get(f"/api/v1/tickets/{status_token}").json["ticket"]
    phone = connect(lite_app, "/status", {"ticket": status_token})
    first = received(phone, "ticket")[0]["ticket"]
    again = phone.emit("snapshot", {}, namespace="/status", callback=True)["ticket"]
    for seen in (first, again):
        assert seen["priority"] is None and "status_url" not in seen
        assert seen == rest


@pytest.mark.parametrize(
    "method, headers",
    [
        ("GET", {"HTTP_UPGRADE": "websocket", "HTTP_CONNECTION": "Upgrade"}),  # a websocket
        ("GET", {}),  # long polling
        ("POST", {}),
    ],
)
def test_a_socket_events_request_context_matches_a_route(app, method, headers):
    """Flask-SocketIO runs each event in a request context of the socket's handshake; an
    unmatched path kept a NotFound there, a reference cycle per event (docs/performance.md)."""
    from flask import request

    environ = {
        "PATH_INFO": "/socket.io/",
        "QUERY_STRING": "EIO=4&transport=websocket",
        "REQUEST_METHOD": method,
        "SERVER_NAME": "hub",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        **headers,
    }
    with app.request_context(environ):
        assert request.routing_exception is None
        assert request.url_rule.rule == "/socket.io/"


def test_the_socket_io_route_is_not_in_the_api_description(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert not [path for path in paths if "socket.io" in path]
