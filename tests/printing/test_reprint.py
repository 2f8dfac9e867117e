"""Reprinting: counter staff any waiting ticket of their hall, a kiosk its last ticket."""

from datetime import timedelta

import pytest

from hall import db
from hall.printing.worker import run_due
from hall.queue.models import Ticket
from tests.conftest import login
from tests.printers.escpos_decode import chinese_runs, qr_payloads

from .conftest import add_kiosk, bearer, jobs, printed, socket_client, take


@pytest.fixture
def kiosk(lite_app, printer):
    """A kiosk of the main hall with a working network printer: (fake printer, token)."""
    fake = printer()
    _, token = add_kiosk(lite_app, fake.url)
    return fake, token


def reprint(client, ticket_id, headers, **body):
    return client.post(f"/api/v1/tickets/{ticket_id}/reprint", json=body, headers=headers)


def test_counter_reprints_a_waiting_ticket(lite_app, kiosk):
    fake, token = kiosk
    client = lite_app.test_client()
    ticket = take(client, token)["ticket"]
    run_due(lite_app)

    response = reprint(client, ticket["id"], login(client, "window1"))
    run_due(lite_app)

    assert response.status_code == 201
    assert response.json["print"]["state"] == "pending"
    assert response.json["print"]["reprint"] is True
    data = printed(fake, 2)
    assert qr_payloads(data) == [ticket["status_url"]] * 2
    assert any("补打" in run for run in chinese_runs(data))
    assert [(j.state, j.reprint) for j in jobs(lite_app)] == [
        ("printed", False),
        ("printed", True),
    ]


def test_counter_may_name_the_printer(lite_app, kiosk, printer):
    _, token = kiosk
    other = printer()
    other_id, _ = add_kiosk(lite_app, other.url)
    client = lite_app.test_client()
    ticket = take(client, token)["ticket"]

    response = reprint(client, ticket["id"], login(client, "window1"), device=other_id)
    run_due(lite_app)

    assert response.status_code == 201
    assert qr_payloads(other.wait_for()) == [ticket["status_url"]]


@pytest.mark.parametrize(
    ("who", "ticket", "status", "code"),
    [
        ("street1", "own", 403, "other_hall"),
        ("window1", 999999, 404, "ticket_not_found"),
        ("bo-samr", "own", 403, "forbidden"),
        (None, "own", 401, "unauthorized"),
    ],
)
def test_counter_reprint_refusals(lite_app, kiosk, who, ticket, status, code):
    _, token = kiosk
    client = lite_app.test_client()
    ticket_id = take(client, token)["ticket"]["id"] if ticket == "own" else ticket
    headers = login(client, who) if who else {}

    response = reprint(client, ticket_id, headers)

    assert response.status_code == status
    assert response.json["error"]["code"] == code
    assert len(jobs(lite_app)) == (1 if ticket == "own" else 0)


def test_a_called_ticket_is_not_reprinted(lite_app, kiosk):
    _, token = kiosk
    client = lite_app.test_client()
    staff = login(client, "window1")
    ticket = take(client, token)["ticket"]
    client.post("/api/v1/windows/1/open", headers=staff)
    client.post("/api/v1/windows/1/call-next", headers=staff)

    response = reprint(client, ticket["id"], staff)

    assert response.status_code == 409
    assert response.json["error"]["code"] == "ticket_not_waiting"


def test_kiosk_reprints_its_last_ticket(lite_app, kiosk):
    fake, token = kiosk
    client = lite_app.test_client()
    ticket = take(client, token)["ticket"]
    run_due(lite_app)

    response = reprint(client, ticket["id"], bearer(token))
    busy = reprint(client, ticket["id"], bearer(token))
    run_due(lite_app)

    assert response.status_code == 201
    assert (busy.status_code, busy.json["error"]["code"]) == (409, "print_pending")
    assert qr_payloads(printed(fake, 2)) == [ticket["status_url"]] * 2


def test_kiosk_refusals(lite_app, kiosk):
    _, token = kiosk
    _, other_token = add_kiosk(lite_app, "dummy://")
    client = lite_app.test_client()
    first = take(client, token)["ticket"]
    second = take(client, token)["ticket"]
    elsewhere = take(client, other_token)["ticket"]

    not_last = reprint(client, first["id"], bearer(token))
    not_own = reprint(client, elsewhere["id"], bearer(token))
    with lite_app.app_context(), db.unit_of_work() as session:
        row = session.get(Ticket, second["id"])
        row.issued_at -= timedelta(minutes=10)
    too_late = reprint(client, second["id"], bearer(token))

    assert (not_last.status_code, not_last.json["error"]["code"]) == (409, "not_last_ticket")
    assert (not_own.status_code, not_own.json["error"]["code"]) == (403, "forbidden")
    assert (too_late.status_code, too_late.json["error"]["code"]) == (409, "reprint_too_late")


def test_reprint_over_sockets(lite_app, kiosk):
    fake, token = kiosk
    client = lite_app.test_client()
    ticket = take(client, token)["ticket"]
    run_due(lite_app)
    staff = login(client, "window1")["Authorization"].removeprefix("Bearer ")
    counter = socket_client(lite_app, "/counter", {"token": staff})
    kiosk_socket = socket_client(lite_app, "/kiosk", {"token": token})

    from_counter = counter.emit(
        "reprint", {"ticket": ticket["id"]}, namespace="/counter", callback=True
    )
    run_due(lite_app)
    from_kiosk = kiosk_socket.emit("reprint_last", {}, namespace="/kiosk", callback=True)
    run_due(lite_app)
    unknown = counter.emit("reprint", {"ticket": 999999}, namespace="/counter", callback=True)

    assert from_counter["ok"] and from_counter["print"]["state"] == "pending"
    assert from_kiosk["ok"] and from_kiosk["print"]["reprint"] is True
    assert unknown["error"]["code"] == "ticket_not_found"
    assert qr_payloads(printed(fake, 3)) == [ticket["status_url"]] * 3


def test_kiosk_socket_take_ticket_answers_print_state(lite_app, kiosk):
    _, token = kiosk
    kiosk_socket = socket_client(lite_app, "/kiosk", {"token": token})

    answer = kiosk_socket.emit(
        "take_ticket", {"matter": "samr-01"}, namespace="/kiosk", callback=True
    )

    assert answer["ok"] and answer["print"]["state"] == "pending"


def test_hall_printers_list_faults(lite_app, kiosk):
    _, token = kiosk
    client = lite_app.test_client()

    listed = client.get("/api/v1/halls/kuancheng/printers", headers=login(client, "manager"))
    refused = client.get("/api/v1/halls/kuancheng/printers", headers=bearer(token))

    assert listed.status_code == 200
    assert {p["kind"] for p in listed.json["printers"]} == {"kiosk", "printer"}
    assert all(p["fault"] is None for p in listed.json["printers"])
    assert refused.status_code == 401
