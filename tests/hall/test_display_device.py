"""A display as a device: a paired display connects to /display with its own token (the
hall-code-only connection of the contract keeps working), every message checks the token,
and revoking the device cuts its socket. On both databases where the ``app`` fixture runs."""

import threading
import time

import requests
import socketio as sio
from sqlalchemy import select

from hall import db
from hall.admin import services as auth
from hall.admin.models import Device
from hall.extensions import socketio
from tests.conftest import KIOSK, login

DISPLAY_TOKEN = "demo-display-kuancheng"


def connect(app, auth_data):
    client = socketio.test_client(app, namespace="/display", auth=auth_data)
    client.ns = "/display"
    return client


def names(client):
    return [m["name"] for m in client.get_received("/display")]


def display_id(app, token=DISPLAY_TOKEN):
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        return session.scalar(select(Device.id).where(Device.token_hash == auth.token_hash(token)))


def test_a_paired_display_connects_with_its_token_like_an_anonymous_one(app, client):
    anonymous = connect(app, {"hall": "kuancheng"})
    paired = connect(app, {"token": DISPLAY_TOKEN})
    named = connect(app, {"token": DISPLAY_TOKEN, "hall": "kuancheng"})
    for display in (anonymous, paired, named):
        assert display.is_connected("/display")
    snapshots = [display.get_received("/display")[0] for display in (anonymous, paired, named)]
    assert {s["name"] for s in snapshots} == {"snapshot"}
    # The same public snapshot either way: no waiting lists, nothing personal.
    first = snapshots[0]["args"][0]
    for other in snapshots[1:]:
        assert other["args"][0]["hall"] == "kuancheng"
        assert set(other["args"][0]) == set(first)
        assert "waiting" not in other["args"][0]

    client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK)
    for display in (anonymous, paired, named):
        assert names(display) == ["ticket.issued"]
    ack = paired.emit("snapshot", {}, namespace="/display", callback=True)
    assert ack["snapshot"]["hall"] == "kuancheng"


def test_a_display_token_is_refused_for_another_hall_and_other_tokens_are_refused(app):
    refused = [
        {"token": DISPLAY_TOKEN, "hall": "xinfa"},  # its own hall only
        {"token": "demo-kiosk-kuancheng"},  # a kiosk is not a display
        {"token": "demo-kiosk-kuancheng", "hall": "kuancheng"},  # not even with a hall
        {"token": "forged", "hall": "kuancheng"},  # a bad token never falls back to the hall
        {"token": 12345},
    ]
    for auth_data in refused:
        display = connect(app, auth_data)
        assert not display.is_connected("/display"), auth_data


def test_a_revoked_display_is_refused_on_its_next_message_and_when_it_reconnects(app):
    app.extensions["hall.cache"].on_revoked.clear()  # the per-message check alone
    paired = connect(app, {"token": DISPLAY_TOKEN})
    anonymous = connect(app, {"hall": "kuancheng"})
    with app.app_context(), db.unit_of_work() as session:
        auth.revoke_device(session, display_id(app))
    ack = paired.emit("snapshot", {}, namespace="/display", callback=True)
    assert ack["error"]["code"] == "bad_token"
    # The hall-code-only connection is nobody's: it keeps working.
    assert anonymous.emit("snapshot", {}, namespace="/display", callback=True)["snapshot"]
    assert not connect(app, {"token": DISPLAY_TOKEN}).is_connected("/display")
    assert connect(app, {"hall": "kuancheng"}).is_connected("/display")


def test_revoking_a_display_cuts_its_open_socket_at_once(app):
    paired = connect(app, {"token": DISPLAY_TOKEN})
    anonymous = connect(app, {"hall": "kuancheng"})
    paired.get_received("/display")
    with app.app_context(), db.unit_of_work() as session:
        auth.revoke_device(session, display_id(app))  # the sweep starts after the commit
    deadline = time.monotonic() + 5
    while paired.is_connected("/display") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not paired.is_connected("/display")
    assert "session_ended" in [m["name"] for m in paired.queue]
    assert anonymous.is_connected("/display")


def _real(url, auth_data):
    client = sio.Client(reconnection=False)
    ended = threading.Event()
    refusal = {}
    client.on("session_ended", lambda data: ended.set(), namespace="/display")

    def refused(data):  # {"message", "data": the hub's error body}
        refusal.update((data or {}).get("data") or {})

    client.on("connect_error", refused, namespace="/display")
    try:
        client.connect(
            url, namespaces=["/display"], auth=auth_data, transports=["websocket"], wait_timeout=10
        )
    except sio.exceptions.ConnectionError:
        pass
    return client, ended, refusal


def test_a_display_paired_by_code_is_cut_when_an_admin_revokes_it(lite_server):
    """Over real sockets: pair a display by its code, connect with the token it got, revoke
    it on the administration API; the socket ends with ``session_ended`` and the token is
    refused with a reason, while a hall-code-only display stays."""
    url = lite_server.url
    admin = login(url, "admin")
    started = requests.post(f"{url}/api/v1/devices/pairing", timeout=10).json()
    claimed = requests.post(
        f"{url}/api/v1/admin/devices/pair",
        json={"code": started["code"], "kind": "display", "hall_id": 1, "name": "二楼屏"},
        headers=admin,
        timeout=10,
    )
    assert claimed.status_code == 201, claimed.text
    poll = requests.post(
        f"{url}/api/v1/devices/pairing/poll", json={"secret": started["secret"]}, timeout=10
    ).json()
    assert poll["state"] == "paired" and poll["device"]["kind"] == "display"
    token = poll["token"]

    paired, ended, _ = _real(url, {"token": token})
    anonymous, _, _ = _real(url, {"hall": "kuancheng"})
    try:
        assert paired.connected and anonymous.connected
        wrong_hall, _, why = _real(url, {"token": token, "hall": "xinfa"})
        assert not wrong_hall.connected and why["code"] == "other_hall"
        revoked = requests.post(
            f"{url}/api/v1/admin/devices/{poll['device']['id']}/revoke", headers=admin, timeout=10
        )
        assert revoked.ok
        assert ended.wait(5), "the revoked display's socket was not ended"
        deadline = time.monotonic() + 5
        while paired.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not paired.connected
        assert anonymous.connected
        again, _, why = _real(url, {"token": token})
        assert not again.connected and why["code"] == "bad_token" and why["message"]
    finally:
        paired.disconnect()
        anonymous.disconnect()
