"""Issue 11: revocation that bites, scope, privacy of the status link, headers and origins,
no 5xx from any input, every socket message acked, 503 when the database is away, the audit
trail. On both databases where it matters (the ``app`` fixture runs each test on both)."""

import json
import os
import socket
import subprocess
import threading
import time

import pytest
import requests
import socketio as sio
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from hall import audit, create_app, db
from hall.admin import services as auth
from hall.admin.models import AuditEntry, AuthToken, Device, Staff
from hall.extensions import socketio
from hall.queue.models import Window
from tests.conftest import HALL_BIN, KIOSK, login


def connect(app, namespace, auth_data, flask_client=None):
    client = socketio.test_client(
        app, namespace=namespace, auth=auth_data, flask_test_client=flask_client
    )
    client.ns = namespace
    return client


def bearer(headers):
    return headers["Authorization"].split()[1]


def names(client):
    return [m["name"] for m in client.get_received(client.ns)]


def issue(client, headers=KIOSK, matter="samr-01"):
    response = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": matter}, headers=headers
    )
    assert response.status_code == 201, response.json
    return response.json["ticket"]


def error_code(response):
    assert response.is_json, response.data[:200]
    return response.json["error"]["code"]


# -- revocation: logout, disable, revoke, expiry on sockets already open ------------------------


def test_logout_stops_an_open_counter_and_board_socket(app, client):
    """The check on every message bites on its own (the sweep that cuts sockets is off)."""
    app.extensions["hall.cache"].on_revoked.clear()
    staff = login(client, "window1")
    counter = connect(app, "/counter", {"token": bearer(staff)})
    assert counter.emit("open_window", {"window": 1}, namespace="/counter", callback=True)["ok"]
    manager = login(client, "manager")
    board = connect(app, "/board", {"token": bearer(manager)})
    assert board.emit("set_notice", {"notice": "a"}, namespace="/board", callback=True)["ok"]
    issue(client)

    assert client.post("/api/v1/auth/logout", headers=staff).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=manager).status_code == 200
    ack = counter.emit("call_next", {"window": 1}, namespace="/counter", callback=True)
    assert ack["error"]["code"] == "bad_token"
    ack = board.emit("set_notice", {"notice": "b"}, namespace="/board", callback=True)
    assert ack["error"]["code"] == "bad_token"
    # Nobody was called and the notice stayed.
    assert client.get("/api/v1/windows/1").json["ticket"] is None
    assert client.get("/api/v1/halls/kuancheng").json["hall"]["notice"] == "a"
    # The REST token is dead too, and a second logout is refused.
    assert client.post("/api/v1/windows/1/call-next", headers=staff).status_code == 401
    assert client.post("/api/v1/auth/logout", headers=staff).status_code == 401


def test_disable_and_revoke_stop_open_sockets_and_rest(app, client):
    app.extensions["hall.cache"].on_revoked.clear()  # the per-message check alone
    staff = login(client, "window2")
    counter = connect(app, "/counter", {"token": bearer(staff)})
    kiosk = connect(app, "/kiosk", {"token": "demo-kiosk-kuancheng"})
    assert kiosk.emit("take_ticket", {"matter": "samr-01"}, namespace="/kiosk", callback=True)["ok"]
    with app.app_context(), db.unit_of_work() as session:
        auth.disable_staff(session, "window2")
        device_id = session.scalar(select(Device.id).where(Device.name == "大厅取号机"))
        if device_id is None:
            device_id = session.scalar(select(Device.id).where(Device.kind == "kiosk"))
        auth.revoke_device(session, device_id)
    ack = counter.emit("open_window", {"window": 2}, namespace="/counter", callback=True)
    assert ack["error"]["code"] == "bad_token"
    ack = kiosk.emit("take_ticket", {"matter": "samr-01"}, namespace="/kiosk", callback=True)
    assert ack["error"]["code"] == "bad_token"
    assert client.post("/api/v1/windows/2/open", headers=staff).status_code == 401
    response = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    )
    assert response.status_code == 401
    # A disabled account cannot log in again.
    body = {"username": "window2", "password": "demo123"}
    assert client.post("/api/v1/auth/token", json=body).status_code == 401
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert {"user.disable", "device.revoke"} <= set(actions)


def test_the_sweep_cuts_dead_sockets_and_says_why(app, client):
    staff = login(client, "window3")
    counter = connect(app, "/counter", {"token": bearer(staff)})
    counter.get_received("/counter")
    client.post("/api/v1/auth/logout", headers=staff)  # starts the sweep in the background
    deadline = time.monotonic() + 5
    while counter.is_connected("/counter") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not counter.is_connected("/counter")
    received = [m["name"] for m in counter.queue]
    assert "session_ended" in received
    # A live token's socket is left alone.
    other = connect(app, "/counter", {"token": bearer(login(client, "window4"))})
    from hall.sockets import cut_dead_sockets

    assert cut_dead_sockets(app) == 0 and other.is_connected("/counter")


def test_a_real_socket_is_cut_when_its_token_is_logged_out(lite_server):
    url = lite_server.url
    headers = login(url, "window5")
    client = sio.Client(reconnection=False)
    ended = threading.Event()
    client.on("session_ended", lambda data: ended.set(), namespace="/counter")
    client.connect(
        url,
        namespaces=["/counter"],
        auth={"token": bearer(headers)},
        transports=["websocket"],
        wait_timeout=10,
    )
    try:
        ack = client.call("open_window", {"window": 5}, namespace="/counter", timeout=10)
        assert ack["ok"]
        assert requests.post(f"{url}/api/v1/auth/logout", headers=headers, timeout=10).ok
        assert ended.wait(5), "the server did not end the socket"
        deadline = time.monotonic() + 5
        while client.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not client.connected
    finally:
        client.disconnect()


def test_staff_tokens_expire_by_idle_time_and_by_age(database_url):
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "SECRET_KEY": "t",
            "PRINT_WORKER": False,
            "TOKEN_IDLE_MINUTES": 0.05,  # 3 s
        }
    )
    # Expiry alone: no background sweep racing the engine's disposal at the end.
    app.extensions["hall.cache"].on_revoked.clear()
    client = app.test_client()
    try:
        staff = login(client, "window6")
        assert client.get("/api/v1/halls/kuancheng/waiting", headers=staff).status_code == 200
        counter = connect(app, "/counter", {"token": bearer(staff)})
        time.sleep(3.5)
        assert client.get("/api/v1/halls/kuancheng/waiting", headers=staff).status_code == 401
        ack = counter.emit("open_window", {"window": 6}, namespace="/counter", callback=True)
        assert ack["error"]["code"] == "bad_token"
        # Kept in use, it lives on: each use moves the idle clock.
        fresh = login(client, "window6")
        for _ in range(5):
            time.sleep(1.0)
            assert client.get("/api/v1/halls/kuancheng/waiting", headers=fresh).status_code == 200
        # Maximum age: a token past expires_at is dead whatever its use.
        with app.app_context(), db.unit_of_work() as session:
            session.execute(
                update(AuthToken)
                .where(AuthToken.token_hash == auth.token_hash(bearer(fresh)))
                .values(expires_at=AuthToken.created_at)
            )
            from hall import cache

            cache.revoked(session)
        assert client.get("/api/v1/halls/kuancheng/waiting", headers=fresh).status_code == 401
    finally:
        db.engine(app).dispose()


def test_the_sweep_cuts_sockets_whose_token_went_idle_or_too_old(database_url):
    """Nobody logs out: the periodic sweep alone cuts an idle token's socket and a socket whose
    token passed its maximum age; a token kept in use keeps its socket."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "SECRET_KEY": "t",
            "PRINT_WORKER": False,
            "TOKEN_IDLE_MINUTES": 0.05,  # 3 s
            "TOKEN_CACHE_TTL_S": 0.2,
            "SOCKET_SWEEP_S": 0.3,
        }
    )
    app.extensions["hall.cache"].on_revoked.clear()  # no cut at commit: the sweep alone
    client = app.test_client()
    try:
        idle, busy, old = (login(client, name) for name in ("window6", "window7", "window8"))
        sockets = {
            name: connect(app, "/counter", {"token": bearer(headers)})
            for name, headers in (("idle", idle), ("busy", busy), ("old", old))
        }
        # Maximum age: written straight into the database, nobody tells the hub.
        with app.app_context(), db.unit_of_work() as session:
            session.execute(
                update(AuthToken)
                .where(AuthToken.token_hash == auth.token_hash(bearer(old)))
                .values(expires_at=AuthToken.created_at)
            )
        deadline = time.monotonic() + 15
        while sockets["idle"].is_connected("/counter") and time.monotonic() < deadline:
            assert client.get("/api/v1/halls/kuancheng/waiting", headers=busy).status_code == 200
            time.sleep(0.3)
        assert not sockets["idle"].is_connected("/counter")
        assert not sockets["old"].is_connected("/counter")
        assert "session_ended" in [m["name"] for m in sockets["idle"].queue]
        assert sockets["busy"].is_connected("/counter")
        ack = sockets["busy"].emit(
            "open_window", {"window": 7}, namespace="/counter", callback=True
        )
        assert ack["ok"]
    finally:
        from hall.sockets import stop_sweeper

        stop_sweeper(app)
        db.engine(app).dispose()


def test_judging_tokens_for_the_sweep_reads_no_row_per_socket(lite_app, lite_client):
    """Held entries cost no statement; the rest are read again in one batch; not a use."""
    from sqlalchemy import event

    refs = lite_app.extensions["hall.cache"]
    hashes = [auth.token_hash(bearer(login(lite_client, f"window{n}"))) for n in range(1, 6)]
    for token_hash in hashes:
        assert refs.who(token_hash) is not None
    statements = []
    engine = db.engine(lite_app)
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert refs.dead(hashes) == set()
    assert statements == []
    refs.clear()  # nothing held: one batch for all five (staff, then devices)
    assert refs.dead([*hashes, "f" * 64]) == {"f" * 64}
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
    assert refs._touched == {}


# -- scope and privacy -------------------------------------------------------------------------


def test_status_link_only_for_the_issuing_kiosk_and_staff_of_the_hall(app, client):
    ticket = issue(client)
    path = f"/api/v1/tickets/{ticket['id']}"
    anonymous = client.get(path)
    assert anonymous.status_code == 404 and set(anonymous.json) == {"error"}
    assert client.get("/api/v1/tickets/99999999").status_code == 404
    assert "status_url" in client.get(path, headers=KIOSK).json["ticket"]
    assert "status_url" in client.get(path, headers=login(client, "window1")).json["ticket"]
    display = {"Authorization": "Bearer demo-display-kuancheng"}
    seen = client.get(path, headers=display).json["ticket"]
    assert "status_url" not in seen and seen["priority"] is None
    other_kiosk = {"Authorization": "Bearer demo-kiosk-xinfa"}
    assert client.get(path, headers=other_kiosk).status_code == 404
    assert client.get(path, headers=login(client, "street1")).status_code == 403
    assert client.get(path, headers=login(client, "bo-samr")).status_code == 403
    # The resident's own link: the state, without the priority class.
    token = ticket["status_url"].rsplit("/", 1)[1]
    own = client.get(f"/api/v1/tickets/{token}").json["ticket"]
    assert own["number"] == ticket["number"] and own["priority"] is None


def test_scope_rules(app, client):
    backoffice = login(client, "bo-samr")  # no hall, not an admin: acts in no hall
    assert client.get("/api/v1/halls/kuancheng/waiting", headers=backoffice).status_code == 403
    response = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=backoffice
    )
    assert response.status_code == 403  # back-office staff do not issue tickets
    admin = login(client, "admin")
    assert client.get("/api/v1/halls/xinfa/waiting", headers=admin).status_code == 200
    # A window kept for pickup staff.
    with app.app_context(), db.unit_of_work() as session:
        session.execute(update(Window).where(Window.id == 8).values(roles=["pickup"]))
    refused = client.post("/api/v1/windows/8/open", headers=login(client, "window8"))
    assert refused.status_code == 403 and error_code(refused) == "window_role"
    assert client.post("/api/v1/windows/8/open", headers=login(client, "pickup")).status_code == 200
    # Authentication before the body: no token with a bad body is 401, not 400.
    assert client.post("/api/v1/windows/1/pause", json={"reason": 5}).status_code == 401
    assert client.put("/api/v1/halls/kuancheng/notice", json=[]).status_code == 401
    forged = {"Authorization": "Bearer forged"}
    assert client.post("/api/v1/windows/1/call", json={}, headers=forged).status_code == 401


# -- headers and origins -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/kiosk/", "/counter/", "/display/?hall=kuancheng", "/board/", "/api/v1/halls"]
)
def test_security_headers(lite_client, path):
    response = lite_client.get(path)
    assert response.status_code < 400, path
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "unsafe" not in script_src
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_socket_origins(lite_server):
    url = f"{lite_server.url}/socket.io/?EIO=4&transport=polling"
    own = requests.get(url, headers={"Origin": lite_server.url}, timeout=10)
    assert own.status_code == 200
    evil = requests.get(url, headers={"Origin": "https://evil.example"}, timeout=10)
    assert evil.status_code == 400


def test_socket_origins_from_the_setting(sqlite_url):
    from hall.security import origin_check

    check = origin_check("https://wall.example, https://other.example/")
    env = {"HTTP_HOST": "hub:5000", "wsgi.url_scheme": "http"}
    assert check("http://hub:5000", env) and check("https://other.example", env)
    assert not check("https://evil.example", env) and check(None, env)


# -- every REST input gets a 4xx JSON error and changes nothing --------------------------------

NUMBER_LIKE = ["١٢٣", "²", "١", "99999999999999999999999", "18446744073709551617", "0", "-1"]
BODY_VALUES = [2**63, 2**64 + 1, -(2**63), 1e308, "١٢٣", "²", "99999999999999999999", True, [], {}]


def _operations(app):
    spec = app.spec
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield path, method, op


def _fill(path, value):
    out = path
    for name in ("code", "ref", "window_id", "ticket_id", "job_id", "device_id"):
        out = out.replace("{" + name + "}", str(value))
    return out


def _seq(app):
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        return (
            session.execute(text("SELECT COUNT(*) FROM tickets")).scalar(),
            session.execute(text("SELECT COUNT(*) FROM window_steps")).scalar(),
        )


def test_bad_input_matrix_over_every_rest_route(app, client):
    """Number-like text and out-of-range numbers in every path parameter and every body field,
    deep JSON, lone surrogates, over-long URIs and headers: a 4xx JSON error, nothing changed."""
    staff = login(client, "manager")
    before = _seq(app)
    checked = 0
    for path, method, op in _operations(app):
        call = getattr(client, method)
        headers = staff
        if "{" in path:
            for value in NUMBER_LIKE:
                response = call(_fill(path, value), headers=headers, json={})
                assert 400 <= response.status_code < 500, (method, path, value, response.data)
                assert response.is_json and "error" in response.json, (method, path, value)
                checked += 1
        concrete = _fill(path, 1).replace("/halls/1", "/halls/kuancheng")
        if method in ("post", "put"):
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            schema_ref = body.get("schema", {}).get("$ref", "")
            fields = []
            if schema_ref:
                name = schema_ref.rsplit("/", 1)[1]
                fields = list(app.spec["components"]["schemas"][name].get("properties", {}))
            for field in fields or ["x"]:
                for value in BODY_VALUES:
                    response = call(concrete, headers=headers, json={field: value})
                    assert response.status_code < 500, (method, path, field, value)
                    if response.status_code >= 400:
                        assert response.is_json and "error" in response.json
                    checked += 1
            deep = "[" * 5000 + "]" * 5000
            for raw in (deep, '{"matter": "\\ud800"}', '{"notice": "\\udfff x"}', '{"a":' * 50):
                response = call(
                    concrete,
                    headers={**headers, "Content-Type": "application/json"},
                    data=raw,
                )
                assert 400 <= response.status_code < 500, (method, path, raw[:20], response.data)
                assert response.is_json
                checked += 1
    assert checked > 200
    # Over-long URIs and headers: 414 / 431 JSON.
    response = client.get("/api/v1/halls/" + "k" * 3000)
    assert response.status_code == 414 and error_code(response) == "uri_too_long"
    response = client.get("/api/v1/halls", headers={"X-Long": "x" * 9000})
    assert response.status_code == 431 and error_code(response) == "headers_too_large"
    # Dates far in the future or past.
    for when in ("9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00", "2026-13-01T00:00"):
        response = client.post(
            "/api/v1/halls/kuancheng/appointments",
            json={"matter": "samr-01", "starts_at": when},
            headers=staff,
        )
        assert 400 <= response.status_code < 500, (when, response.data)
    for day in ("9999-12-31", "0001-01-01", "١٢٣٤-٠١-٠١"):
        response = client.get(f"/api/v1/halls/kuancheng/appointments?date={day}", headers=staff)
        assert response.status_code < 500, day
    assert _seq(app) == before


def test_bad_input_over_the_real_server(lite_server):
    """What gunicorn sees first: over-long request lines and headers get JSON, not its page."""
    url = lite_server.url
    response = requests.get(f"{url}/api/v1/halls/" + "k" * 5000, timeout=10)
    assert response.status_code == 414 and response.json()["error"]["code"] == "uri_too_long"
    response = requests.get(f"{url}/api/v1/halls", headers={"X-Long": "x" * 9000}, timeout=10)
    assert response.status_code == 431


# -- every socket message gets an ack ---------------------------------------------------------

SOCKET_PAYLOADS = [
    None,
    "text",
    [1, 2],
    {"window": "١٢٣"},
    {"window": 2**64},
    {"window": 99999, "ticket": 2**63},
    {"window": 99999, "ticket": "99999999999999999999"},
    {"matter": "²"},
    {"matter": 2**70},
    {"notice": "\ud800"},
    {"code": "\udfff\udfff\udfff\udfff"},
    json.loads('{"a":' * 30 + "1" + "}" * 30),
    json.loads("[" * 60 + "]" * 60),
]


def test_every_socket_message_is_acked(app, client):
    clients = {
        "/counter": connect(app, "/counter", {"token": bearer(login(client, "window9"))}),
        "/board": connect(app, "/board", {"token": bearer(login(client, "manager"))}),
        "/kiosk": connect(app, "/kiosk", {"token": "demo-kiosk-kuancheng"}),
        "/display": connect(app, "/display", {"hall": "kuancheng"}),
    }
    events = {
        "/counter": [
            "open_window",
            "call_next",
            "call_ticket",
            "transfer",
            "pause",
            "requeue",
            "reprint",
            "snapshot",
        ],
        "/board": ["set_notice", "snapshot"],
        "/kiosk": ["take_ticket", "check_in", "reprint_last", "snapshot"],
        "/display": ["snapshot"],
    }
    before = _seq(app)
    for namespace, names_ in events.items():
        for event in [*names_, "no_such_event"]:
            for payload in SOCKET_PAYLOADS:
                ack = clients[namespace].emit(event, payload, namespace=namespace, callback=True)
                assert isinstance(ack, dict), (namespace, event, payload)
                assert "ok" in ack or "error" in ack, (namespace, event, payload)
                if event == "no_such_event":
                    assert ack["error"]["code"] == "unknown_event"
    assert _seq(app) == before


# -- the database away ------------------------------------------------------------------------


def _hung_server():
    """A TCP server that accepts and never answers (a hung database)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held = []

    def accept():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    return server, held


@pytest.mark.parametrize("kind", ["refused", "hung"])
def test_database_away_answers_503_quickly(kind, tmp_path):
    if kind == "refused":
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        server = None
    else:
        server, _held = _hung_server()
        port = server.getsockname()[1]
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/test"
    app = create_app(
        {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "t", "PRINT_WORKER": False}
    )
    client = app.test_client()
    try:
        for method, path, kwargs in (
            ("get", "/api/v1/halls", {}),
            ("post", "/api/v1/halls/kuancheng/tickets", {"json": {"matter": "samr-01"}}),
            ("post", "/api/v1/auth/token", {"json": {"username": "a", "password": "bbbbbb"}}),
        ):
            started = time.monotonic()
            response = getattr(client, method)(path, **kwargs)
            assert time.monotonic() - started < 5
            assert response.status_code == 503, (path, response.data)
            assert response.json["error"]["code"] == "service_unavailable"
            assert "系统维护中" in response.json["error"]["message"]
        display = socketio.test_client(app, namespace="/display", auth={"hall": "kuancheng"})
        assert not display.is_connected("/display")
        page = client.get("/s/abcdefabcdefabcdef")  # the resident's status page
        assert page.status_code == 503 and "系统维护中" in page.get_data(as_text=True)
        assert page.mimetype == "text/html"
    finally:
        if server is not None:
            server.close()
        db.engine(app).dispose()


# -- the audit trail --------------------------------------------------------------------------


def _hall(*args, url):
    env = {**os.environ, "HALL_DATABASE_URL": url}
    return subprocess.run(
        [str(HALL_BIN), *args], env=env, capture_output=True, text=True, timeout=60
    )


def allow_tampering(session) -> None:
    """What only someone who may alter the table can do: switch the database's refusal off
    (the hash chain is then what catches them)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))


def test_the_database_refuses_to_edit_or_delete_audit_entries(app, client):
    from sqlalchemy.exc import DBAPIError

    manager = login(client, "manager")
    client.put("/api/v1/halls/kuancheng/notice", json={"notice": "n0"}, headers=manager)
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        before = [(e.id, e.after, e.hash) for e in session.scalars(select(AuditEntry))]
    assert before
    first = before[0][0]
    attempts = [
        update(AuditEntry).where(AuditEntry.id == first).values(after={"notice": "x"}),
        AuditEntry.__table__.delete().where(AuditEntry.id == first),
        AuditEntry.__table__.delete(),
    ]
    if make_url(app.config["DATABASE_URL"]).get_backend_name() == "postgresql":
        attempts.append(text("TRUNCATE audit_log"))
    for statement in attempts:
        with pytest.raises(DBAPIError, match="append-only"):
            with app.app_context(), db.unit_of_work() as session:
                session.execute(statement)
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        after = [(e.id, e.after, e.hash) for e in session.scalars(select(AuditEntry))]
        assert after == before and audit.verify(session)[1] == []
    # Appending still works, and the chain goes on.
    client.put("/api/v1/halls/kuancheng/notice", json={"notice": "n1"}, headers=manager)
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        count, problems = audit.verify(session)
    assert count == len(before) + 1 and not problems


def test_audit_trail_and_verify_catches_edits_deletions_and_reordering(app, client):
    manager = login(client, "manager")
    for n in range(3):
        client.put("/api/v1/halls/kuancheng/notice", json={"notice": f"n{n}"}, headers=manager)
    staff = login(client, "window10")
    client.post("/api/v1/windows/10/open", headers=staff)
    url = app.config["DATABASE_URL"]
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        count, problems = audit.verify(session)
    assert not problems and count == len(entries) >= 6
    notice = [e for e in entries if e.action == "hall.notice"]
    assert notice[1].before == {"notice": "n0"} and notice[1].after == {"notice": "n1"}
    opened = [e for e in entries if e.action == "window.opened"][0]
    assert opened.window_id == 10 and opened.staff_id is not None
    ok = _hall("audit", "verify", url=url)
    assert ok.returncode == 0 and "intact" in ok.stdout

    with app.app_context(), db.unit_of_work() as session:  # someone edits an entry
        allow_tampering(session)
        session.execute(
            update(AuditEntry).where(AuditEntry.id == notice[1].id).values(after={"notice": "x"})
        )
    bad = _hall("audit", "verify", url=url)
    assert bad.returncode != 0 and f"id {notice[1].id}" in bad.stderr

    with app.app_context(), db.unit_of_work() as session:  # put it back, delete another
        allow_tampering(session)
        session.execute(
            update(AuditEntry).where(AuditEntry.id == notice[1].id).values(after={"notice": "n1"})
        )
        session.execute(AuditEntry.__table__.delete().where(AuditEntry.id == notice[0].id))
    bad = _hall("audit", "verify", url=url)
    assert bad.returncode != 0 and f"id {notice[1].id}" in bad.stderr

    with app.app_context(), db.unit_of_work(readonly=True) as session:
        count, problems = audit.verify(session)
    assert problems[0].id == notice[1].id


def test_audit_verify_catches_reordering(lite_app, lite_client):
    manager = login(lite_client, "manager")
    for n in range(3):
        lite_client.put("/api/v1/halls/kuancheng/notice", json={"notice": f"n{n}"}, headers=manager)
    with lite_app.app_context(), db.unit_of_work() as session:
        allow_tampering(session)
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        a, b = rows[-2], rows[-1]
        fields = ("at", "actor", "action", "target", "before", "after", "prev_hash", "hash")
        swap = {f: getattr(b, f) for f in fields}, {f: getattr(a, f) for f in fields}
        for row, values in zip((a, b), swap, strict=True):
            for key, value in values.items():
                setattr(row, key, value)
    with lite_app.app_context(), db.unit_of_work(readonly=True) as session:
        _count, problems = audit.verify(session)
    assert problems and problems[0].id == a.id


# -- commands and the demo ------------------------------------------------------------------


def test_user_disable_and_device_revoke_commands(lite_app, lite_client):
    url = lite_app.config["DATABASE_URL"]
    staff = login(lite_client, "window11")
    done = _hall("user", "disable", "window11", url=url)
    assert done.returncode == 0, done.stderr
    assert "window11" in done.stdout
    missing = _hall("user", "disable", "nobody", url=url)
    assert missing.returncode != 0 and "no such user" in missing.stderr
    with lite_app.app_context(), db.unit_of_work(readonly=True) as session:
        assert not session.scalar(select(Staff.active).where(Staff.username == "window11"))
        kiosk_id = session.scalar(
            select(Device.id).where(Device.token_hash == auth.token_hash("demo-kiosk-xinfa"))
        )
    done = _hall("device", "revoke", str(kiosk_id), url=url)
    assert done.returncode == 0, done.stderr
    assert _hall("device", "revoke", "999999", url=url).returncode != 0
    # Without a message queue the command line's change reaches the hub within the cache's
    # time limit; a fresh app sees it at once.
    fresh = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "t"}).test_client()
    assert fresh.get("/api/v1/halls/kuancheng/waiting", headers=staff).status_code == 401
    xinfa = {"Authorization": "Bearer demo-kiosk-xinfa"}
    response = fresh.post("/api/v1/halls/xinfa/tickets", json={"matter": "psb-01"}, headers=xinfa)
    assert response.status_code == 401


def test_demo_logins_never_reach_a_real_database_and_serve_warns(tmp_path, sqlite_url):
    url = f"sqlite:///{tmp_path / 'real.sqlite3'}"
    assert _hall("init", url=url).returncode == 0
    from hall.admin.models import Hall

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "t"})
    with app.app_context(), db.unit_of_work() as session:
        session.add(Hall(code="real", name="真实大厅"))
    db.engine(app).dispose()
    refused = _hall("init", "--demo", url=url)
    assert refused.returncode != 0 and "real halls" in refused.stderr
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        assert session.scalar(select(Device.id).limit(1)) is None
    # A demo database: `hall serve` warns loudly before it starts.
    from click.testing import CliRunner

    from hall import cli

    os.environ["HALL_DATABASE_URL"] = sqlite_url
    try:
        result = CliRunner().invoke(cli.main, ["user", "disable", "nobody"])
        assert result.exit_code != 0
        runner = CliRunner()
        with runner.isolation() as (_out, err, *_):
            cli._warn_demo()
            warned = err.getvalue().decode()
    finally:
        del os.environ["HALL_DATABASE_URL"]
    assert "WARNING" in warned and "demo-kiosk-kuancheng" in warned


# -- windows: transfers to closed windows ---------------------------------------------------


def test_transfer_to_a_closed_window_and_closing_returns_transfers(app, client):
    one, two = login(client, "window1"), login(client, "window2")
    issue(client)
    issue(client)
    client.post("/api/v1/windows/1/open", headers=one)
    client.post("/api/v1/windows/1/call-next", headers=one)
    refused = client.post("/api/v1/windows/1/transfer", json={"window": 2}, headers=one)
    assert refused.status_code == 409 and error_code(refused) == "window_closed"
    assert client.get("/api/v1/windows/1").json["ticket"]["number"] == "A001"  # unchanged
    # Window 2 opens, takes the transfer, and closes before calling it: back to the queue.
    client.post("/api/v1/windows/2/open", headers=two)
    moved = client.post("/api/v1/windows/1/transfer", json={"window": 2}, headers=one)
    assert moved.status_code == 200, moved.json
    display = connect(app, "/display", {"hall": "kuancheng"})
    display.get_received("/display")
    assert client.post("/api/v1/windows/2/close", headers=two).status_code == 200
    closed = [
        m["args"][0] for m in display.get_received("/display") if m["name"] == "window.closed"
    ]
    assert closed and closed[0]["returned"] == 1
    # Window 1 calls next: the returned A001 comes first again (it kept its place).
    called = client.post("/api/v1/windows/1/call-next", headers=one).json
    assert called["ticket"]["number"] == "A001"


def test_openapi_documents_error_statuses_and_id_or_code_types(lite_app):
    spec = lite_app.spec
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for status in ("401", "403", "404", "409", "413", "429", "503"):
                schema = op["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    matter = spec["components"]["schemas"]["TicketIn"]["properties"]["matter"]
    assert {t["type"] for t in matter["oneOf"]} == {"integer", "string"}
