"""Issue 9: the administration routes (admins change, managers read their own hall, everyone
else refused), the audit of every change, device pairing, and cutting the sockets of a disabled
account or a revoked device. On both databases (the ``app`` fixture runs each test on both)."""

import threading
import time
from datetime import timedelta

import pytest
import requests
import socketio as sio
from sqlalchemy import select, update

from hall import clock, db
from hall.admin.models import AuditEntry, Device, DevicePairing
from hall.queue.models import Queue
from tests.conftest import KIOSK, login

# Every administration route, with a body that would pass validation: a refused caller must
# be refused before anything is looked at, and nothing may change.
ROUTES = [
    ("GET", "/api/v1/admin/me", None),
    ("POST", "/api/v1/admin/halls", {"code": "newhall", "name": "新大厅"}),
    ("PATCH", "/api/v1/admin/halls/kuancheng", {"name": "改名"}),
    ("POST", "/api/v1/admin/departments", {"code": "newdept", "name": "新部门"}),
    ("PATCH", "/api/v1/admin/departments/1", {"name": "改名"}),
    ("GET", "/api/v1/admin/halls/kuancheng/setup", None),
    ("POST", "/api/v1/admin/halls/kuancheng/queues", {"code": "N", "prefix": "N", "name": "新"}),
    ("PATCH", "/api/v1/admin/queues/1", {"name": "改名"}),
    (
        "POST",
        "/api/v1/admin/halls/kuancheng/matters",
        {"code": "new-01", "name": "新事项", "queue_id": 1},
    ),
    ("PATCH", "/api/v1/admin/matters/1", {"name": "改名"}),
    ("GET", "/api/v1/admin/matters/1/guides", None),
    (
        "POST",
        "/api/v1/admin/halls/kuancheng/windows",
        {"number": "99", "name": "新", "queues": [1]},
    ),
    ("PATCH", "/api/v1/admin/windows/1", {"name": "改名"}),
    ("GET", "/api/v1/admin/staff", None),
    ("POST", "/api/v1/admin/staff", {"username": "u1", "password": "secret1", "role": "window"}),
    ("PATCH", "/api/v1/admin/staff/1", {"name": "改名"}),
    ("POST", "/api/v1/admin/staff/1/disable", None),
    ("POST", "/api/v1/admin/staff/1/enable", None),
    ("POST", "/api/v1/admin/staff/1/password", {"password": "secret1"}),
    ("GET", "/api/v1/admin/devices", None),
    ("PATCH", "/api/v1/admin/devices/1", {"name": "改名"}),
    ("POST", "/api/v1/admin/devices/1/revoke", None),
    ("POST", "/api/v1/admin/devices/1/test-print", None),
    ("POST", "/api/v1/admin/devices/pair", {"code": "123456", "kind": "kiosk", "hall_id": 1}),
    ("GET", "/api/v1/admin/printers", None),
    ("GET", "/api/v1/admin/audit", None),
]
WRITES = [r for r in ROUTES if r[0] != "GET"]


def send(client, method, path, body, headers):
    return client.open(path, method=method, json=body, headers=headers)


def audit_count(app):
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        return len(session.scalars(select(AuditEntry.id)).all())


@pytest.mark.parametrize("who", ["window1", "pickup", "bo-samr", "kiosk", "nobody"])
def test_everyone_but_admins_and_managers_is_refused_on_every_route(app, client, who):
    headers = (
        {"nobody": {}, "kiosk": KIOSK}[who] if who in ("nobody", "kiosk") else login(client, who)
    )
    before = audit_count(app)
    for method, path, body in ROUTES:
        response = send(client, method, path, body, headers)
        expected = 401 if who in ("nobody", "kiosk") else 403
        assert response.status_code == expected, (who, method, path, response.json)
        assert response.json["error"]["code"] in ("unauthorized", "forbidden", "bad_token")
    assert audit_count(app) == before


def test_a_manager_reads_their_own_hall_and_changes_nothing(app, client):
    manager = login(client, "manager")
    me = client.get("/api/v1/admin/me", headers=manager).json
    assert me["can_edit"] is False
    assert [h["code"] for h in me["halls"]] == ["kuancheng"]
    assert client.get("/api/v1/admin/halls/kuancheng/setup", headers=manager).status_code == 200
    staff = client.get("/api/v1/admin/staff", headers=manager).json["staff"]
    assert staff and {s["hall_id"] for s in staff} == {1}
    devices = client.get("/api/v1/admin/devices", headers=manager).json["devices"]
    assert devices and {d["hall"] for d in devices} == {"kuancheng"}
    other = client.get("/api/v1/admin/halls/xinfa/setup", headers=manager)
    assert other.status_code == 403 and other.json["error"]["code"] == "other_hall"
    assert client.get("/api/v1/admin/staff?hall=xinfa", headers=manager).status_code == 403
    before = audit_count(app)
    for method, path, body in WRITES:
        response = send(client, method, path, body, manager)
        assert response.status_code == 403, (method, path, response.json)
    assert audit_count(app) == before


def test_admin_edits_with_field_errors_and_an_audit_of_each_change(app, client):
    admin = login(client, "admin")
    setup = client.get("/api/v1/admin/halls/kuancheng/setup", headers=admin).json
    queue = next(q for q in setup["queues"] if q["code"] == "A")

    bad = client.patch(f"/api/v1/admin/queues/{queue['id']}", json={"name": ""}, headers=admin)
    assert bad.status_code == 400
    assert set(bad.json["error"]["fields"]) == {"name"}
    taken = client.patch(f"/api/v1/admin/queues/{queue['id']}", json={"prefix": "B"}, headers=admin)
    assert taken.status_code == 400 and "prefix" in taken.json["error"]["fields"]
    good = client.patch(
        f"/api/v1/admin/queues/{queue['id']}", json={"name": "综合受理区"}, headers=admin
    )
    assert good.status_code == 200 and good.json["queue"]["name"] == "综合受理区"
    # The public catalogue shows it at once (the reference cache was told).
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        assert session.get(Queue, queue["id"]).name == "综合受理区"
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "queue.update" and entry.actor.endswith("admin")
    assert entry.before == {"name": "综合受理"} and entry.after == {"name": "综合受理区"}

    hall = client.patch(
        "/api/v1/admin/halls/kuancheng",
        json={"timezone": "Mars/Olympus", "hours": {"0": [["12:00", "08:00"]]}},
        headers=admin,
    )
    assert hall.status_code == 400
    assert set(hall.json["error"]["fields"]) == {"timezone", "hours"}
    hall = client.patch(
        "/api/v1/admin/halls/kuancheng",
        json={
            "hours": {"0": [["08:30", "12:00"]]},
            "notice": "今日系统升级",
            "wait_target_min": 20,
        },
        headers=admin,
    )
    assert hall.status_code == 200
    assert client.get("/api/v1/halls/kuancheng").json["hall"]["notice"] == "今日系统升级"
    # Days not named take "default"; an empty day is closed.
    street = {"default": [["08:30", "11:30"], ["13:30", "16:30"]], "5": [], "6": []}
    hall = client.patch("/api/v1/admin/halls/xinfa", json={"hours": street}, headers=admin)
    assert hall.status_code == 200 and hall.json["hall"]["hours"] == street

    window = setup["windows"][0]
    moved = client.patch(
        f"/api/v1/admin/windows/{window['id']}",
        json={"queues": list(reversed(window["queues"])), "roles": ["pickup"]},
        headers=admin,
    )
    assert moved.status_code == 200
    assert moved.json["window"]["queues"] == list(reversed(window["queues"]))
    assert moved.json["window"]["roles"] == ["pickup"]
    foreign = client.patch(
        f"/api/v1/admin/windows/{window['id']}", json={"queues": [99999]}, headers=admin
    )
    assert foreign.status_code == 400 and "queues" in foreign.json["error"]["fields"]

    matter = setup["matters"][0]
    wrong = client.patch(
        f"/api/v1/admin/matters/{matter['id']}", json={"queue_id": 99999}, headers=admin
    )
    assert wrong.status_code == 400 and "queue_id" in wrong.json["error"]["fields"]
    guide = client.put(
        f"/api/v1/matters/{matter['id']}/guide", json={"fee": "10 元"}, headers=admin
    )
    assert guide.status_code == 200
    history = client.get(f"/api/v1/admin/matters/{matter['id']}/guides", headers=admin).json
    assert history["guides"][0]["fee"] == "10 元" and len(history["guides"]) >= 2

    actions = [
        e["action"] for e in client.get("/api/v1/admin/audit", headers=admin).json["entries"]
    ]
    assert {"queue.update", "hall.update", "hall.notice", "window.queues", "window.update"} <= set(
        actions
    )


def test_staff_added_scoped_reset_and_disabled(app, client):
    admin = login(client, "admin")
    body = {"username": "clerk9", "password": "secret9", "role": "window", "hall_id": 2}
    added = client.post("/api/v1/admin/staff", json=body, headers=admin)
    assert added.status_code == 201
    again = client.post("/api/v1/admin/staff", json=body, headers=admin)
    assert again.status_code == 400 and "username" in again.json["error"]["fields"]
    staff_id = added.json["staff"]["id"]
    clerk = login(client, "clerk9", "secret9")
    assert client.get("/api/v1/halls/xinfa/waiting", headers=clerk).status_code == 200

    moved = client.patch(
        f"/api/v1/admin/staff/{staff_id}", json={"hall_id": 1, "role": "pickup"}, headers=admin
    )
    assert moved.json["staff"]["role"] == "pickup" and moved.json["staff"]["hall_id"] == 1
    # The new scope applies to the token at once.
    assert client.get("/api/v1/halls/xinfa/waiting", headers=clerk).status_code == 403

    short = client.post(
        f"/api/v1/admin/staff/{staff_id}/password", json={"password": "x"}, headers=admin
    )
    assert short.status_code == 400 and "password" in short.json["error"]["fields"]
    reset = client.post(
        f"/api/v1/admin/staff/{staff_id}/password", json={"password": "newpass9"}, headers=admin
    )
    assert reset.status_code == 200
    assert client.get("/api/v1/halls/kuancheng/waiting", headers=clerk).status_code == 401
    clerk = login(client, "clerk9", "newpass9")

    assert client.post(f"/api/v1/admin/staff/{staff_id}/disable", headers=admin).status_code == 200
    assert client.get("/api/v1/halls/kuancheng/waiting", headers=clerk).status_code == 401
    body = {"username": "clerk9", "password": "newpass9"}
    assert client.post("/api/v1/auth/token", json=body).status_code == 401
    assert client.post(f"/api/v1/admin/staff/{staff_id}/enable", headers=admin).status_code == 200
    assert client.post("/api/v1/auth/token", json=body).status_code == 200

    me = client.get("/api/v1/admin/me", headers=admin).json["staff"]["id"]
    own = client.post(f"/api/v1/admin/staff/{me}/disable", headers=admin)
    assert own.status_code == 400 and own.json["error"]["code"] == "own_account"
    actions = [
        e["action"] for e in client.get("/api/v1/admin/audit", headers=admin).json["entries"]
    ]
    assert {"user.add", "user.update", "user.password", "user.disable", "user.enable"} <= set(
        actions
    )


def test_devices_renamed_moved_revoked_and_test_printed(app, client):
    admin = login(client, "admin")
    devices = client.get("/api/v1/admin/devices", headers=admin).json["devices"]
    kiosk = next(d for d in devices if d["kind"] == "kiosk" and d["hall"] == "kuancheng")
    bad = client.patch(
        f"/api/v1/admin/devices/{kiosk['id']}", json={"printer_url": "lpt://x"}, headers=admin
    )
    assert bad.status_code == 400 and "printer_url" in bad.json["error"]["fields"]
    renamed = client.patch(
        f"/api/v1/admin/devices/{kiosk['id']}", json={"name": "东门取号机"}, headers=admin
    )
    assert renamed.json["device"]["name"] == "东门取号机"

    printed = client.post(f"/api/v1/admin/devices/{kiosk['id']}/test-print", headers=admin)
    assert printed.status_code == 200 and printed.json["test"]["printed"] is True
    printers = client.get("/api/v1/admin/printers?hall=kuancheng", headers=admin).json["printers"]
    assert any(p["device_id"] == kiosk["id"] for p in printers)

    # A kiosk seen by its heartbeat shows when.
    assert client.post("/api/v1/devices/heartbeat", headers=KIOSK).status_code == 200
    devices = client.get("/api/v1/admin/devices", headers=admin).json["devices"]
    assert next(d for d in devices if d["id"] == kiosk["id"])["last_seen_at"]

    moved = client.patch(f"/api/v1/admin/devices/{kiosk['id']}", json={"hall_id": 2}, headers=admin)
    assert moved.json["device"]["hall"] == "xinfa"
    ticket = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    )
    assert ticket.status_code == 403  # it now belongs to the other hall

    assert (
        client.post(f"/api/v1/admin/devices/{kiosk['id']}/revoke", headers=admin).status_code == 200
    )
    assert client.post("/api/v1/devices/heartbeat", headers=KIOSK).status_code == 401
    actions = [
        e["action"] for e in client.get("/api/v1/admin/audit", headers=admin).json["entries"]
    ]
    assert {"device.update", "device.revoke", "printer.test"} <= set(actions)


# -- pairing -----------------------------------------------------------------------------------


def pair(client, admin, code, **extra):
    body = {"code": code, "kind": "kiosk", "hall_id": 1, "name": "新取号机", **extra}
    return client.post("/api/v1/admin/devices/pair", json=body, headers=admin)


def test_pairing_gives_the_device_its_token_once(app, client):
    admin = login(client, "admin")
    started = client.post("/api/v1/devices/pairing")
    assert started.status_code == 201
    code, secret = started.json["code"], started.json["secret"]
    assert len(code) == 6 and code.isdigit() and started.json["expires_in_s"] == 600
    poll = client.post("/api/v1/devices/pairing/poll", json={"secret": secret}).json
    assert poll["state"] == "waiting"
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        row = session.scalars(select(DevicePairing)).one()
        assert code not in (row.code_hash, row.secret_hash) and secret != row.secret_hash

    wrong = "000000" if code != "000000" else "111111"
    response = pair(client, admin, wrong)
    assert response.status_code == 404 and response.json["error"]["code"] == "pairing_not_found"
    malformed = pair(client, admin, "12ab")
    assert malformed.status_code == 400 and "code" in malformed.json["error"]["fields"]

    paired = pair(client, admin, code, printer_url="dummy://")
    assert paired.status_code == 201
    assert paired.json["device"]["kind"] == "kiosk"
    again = pair(client, admin, code)
    assert again.status_code == 409 and again.json["error"]["code"] == "pairing_used"

    poll = client.post("/api/v1/devices/pairing/poll", json={"secret": secret}).json
    assert poll["state"] == "paired" and poll["device"]["hall"] == "kuancheng"
    token = {"Authorization": f"Bearer {poll['token']}"}
    ticket = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=token
    )
    assert ticket.status_code == 201
    actions = [
        e["action"] for e in client.get("/api/v1/admin/audit", headers=admin).json["entries"]
    ]
    assert "device.pair" in actions


def test_an_expired_code_is_refused_and_the_device_told(app, client):
    admin = login(client, "admin")
    started = client.post("/api/v1/devices/pairing").json
    with app.app_context(), db.unit_of_work() as session:
        session.execute(update(DevicePairing).values(expires_at=clock.now() - timedelta(seconds=1)))
    response = pair(client, admin, started["code"])
    assert response.status_code == 409 and response.json["error"]["code"] == "pairing_expired"
    poll = client.post("/api/v1/devices/pairing/poll", json={"secret": started["secret"]}).json
    assert poll == {"state": "expired"}
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        assert session.scalars(select(Device).where(Device.name == "新取号机")).all() == []


def test_pairing_codes_are_rate_limited_per_address(lite_app):
    lite_app.config["PAIRING_LIMIT"] = "3 per minute"
    client = lite_app.test_client()
    codes = [client.post("/api/v1/devices/pairing").status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    bad = client.post("/api/v1/devices/pairing/poll", json={"secret": "x" * 43})
    assert bad.status_code == 404


# -- sockets cut at once (real Socket.IO clients against a real hub) -----------------------------


def _connect(url, namespace, token):
    client = sio.Client(reconnection=False)
    ended = threading.Event()
    client.on("session_ended", lambda data: ended.set(), namespace=namespace)
    client.connect(
        url,
        namespaces=[namespace],
        auth={"token": token},
        transports=["websocket"],
        wait_timeout=10,
    )
    return client, ended


def _gone(client):
    deadline = time.monotonic() + 5
    while client.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    return not client.connected


def test_disabling_staff_and_revoking_a_device_cut_their_open_sockets(lite_server):
    url = lite_server.url
    admin = login(url, "admin")
    clerk = login(url, "window7")
    counter, counter_ended = _connect(url, "/counter", clerk["Authorization"].split()[1])
    kiosk, kiosk_ended = _connect(url, "/kiosk", "demo-kiosk-kuancheng")
    try:
        assert counter.call("open_window", {"window": 7}, namespace="/counter", timeout=10)["ok"]
        staff = requests.get(f"{url}/api/v1/admin/staff", headers=admin, timeout=10).json()
        clerk_id = next(s["id"] for s in staff["staff"] if s["username"] == "window7")
        answer = requests.post(
            f"{url}/api/v1/admin/staff/{clerk_id}/disable", headers=admin, timeout=10
        )
        assert answer.ok
        assert counter_ended.wait(5), "the disabled clerk's socket was not ended"
        assert _gone(counter)
        assert kiosk.connected  # a live device is left alone

        devices = requests.get(f"{url}/api/v1/admin/devices", headers=admin, timeout=10).json()
        kiosk_id = next(
            d["id"] for d in devices["devices"] if d["kind"] == "kiosk" and d["hall"] == "kuancheng"
        )
        revoked = requests.post(
            f"{url}/api/v1/admin/devices/{kiosk_id}/revoke", headers=admin, timeout=10
        )
        assert revoked.ok
        assert kiosk_ended.wait(5), "the revoked kiosk's socket was not ended"
        assert _gone(kiosk)
    finally:
        counter.disconnect()
        kiosk.disconnect()


def test_an_evaluator_is_paired_with_its_window(lite_client):
    admin = login(lite_client, "admin")
    started = lite_client.post("/api/v1/devices/pairing").json
    paired = pair(lite_client, admin, started["code"], kind="evaluator", window="3")
    assert paired.status_code == 201
    bad_kind = pair(lite_client, admin, "123456", kind="printer")
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json["error"]["fields"]
    poll = lite_client.post("/api/v1/devices/pairing/poll", json={"secret": started["secret"]})
    assert poll.json["device"] == {
        "id": paired.json["device"]["id"],
        "kind": "evaluator",
        "name": "新取号机",
        "hall": "kuancheng",
        "window": "3",
    }
    # Revoked before it polled: the device is told, and its token is dead.
    device_id = paired.json["device"]["id"]
    lite_client.post(f"/api/v1/admin/devices/{device_id}/revoke", headers=admin)
    poll = lite_client.post("/api/v1/devices/pairing/poll", json={"secret": started["secret"]})
    assert poll.json == {"state": "revoked"}
