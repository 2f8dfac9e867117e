"""The resident's own moves from the status page: cancel, defer (让后) and "I'll be late"."""

import pytest

from tests.conftest import KIOSK, login


def take(client, matter: str = "samr-01") -> tuple[dict, str]:
    ticket = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": matter}, headers=KIOSK
    ).json["ticket"]
    return ticket, ticket["status_url"].rsplit("/", 1)[1]


def line(client, queue: str = "A") -> list[str]:
    staff = login(client, "manager")
    waiting = client.get("/api/v1/halls/kuancheng/waiting", headers=staff).json["waiting"]
    return [x["number"] for x in waiting[queue] if x["status"] == "waiting"]


def test_cancel_frees_the_place_and_cannot_be_done_twice(client):
    first, token = take(client)
    second, _ = take(client)
    assert (
        client.get(f"/api/v1/tickets/{second['status_url'].rsplit('/', 1)[1]}").json["ticket"][
            "ahead"
        ]
        == 1
    )
    cancelled = client.post(f"/api/v1/tickets/{token}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json["ticket"]["status"] == "cancelled"
    assert "status_url" not in cancelled.json["ticket"]
    assert line(client) == [second["number"]]
    queues = client.get("/api/v1/halls/kuancheng/queues").json["queues"]
    assert next(q["waiting"] for q in queues if q["code"] == "A") == 1
    again = client.post(f"/api/v1/tickets/{token}/cancel")
    assert again.status_code == 409
    assert again.json["error"]["code"] == "not_waiting"


def test_defer_moves_the_ticket_back_a_set_number_of_places_at_most_twice(client):
    tickets = [take(client) for _ in range(6)]
    numbers = [t["number"] for t, _ in tickets]
    token = tickets[0][1]
    moved = client.post(f"/api/v1/tickets/{token}/defer", json={})
    assert moved.status_code == 200
    assert moved.json["ticket"]["ahead"] == 3 and moved.json["ticket"]["defers"] == 1
    assert line(client) == numbers[1:4] + [numbers[0]] + numbers[4:]
    client.post(f"/api/v1/tickets/{token}/defer", json={})
    assert line(client) == numbers[1:] + [numbers[0]]  # only two were behind: now the last
    refused = client.post(f"/api/v1/tickets/{token}/defer", json={})
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "defer_limit"
    assert line(client) == numbers[1:] + [numbers[0]]
    # The counter calls in the new order.
    staff = login(client, "window1")
    client.post("/api/v1/windows/1/open", headers=staff)
    called = client.post("/api/v1/windows/1/call-next", headers=staff).json["ticket"]
    assert called["number"] == numbers[1]


def test_running_late_is_said_once_and_the_counter_sees_it(client):
    tickets = [take(client) for _ in range(3)]
    token = tickets[0][1]
    late = client.post(f"/api/v1/tickets/{token}/defer", json={"late": True})
    assert late.status_code == 200 and late.json["ticket"]["late"] is True
    again = client.post(f"/api/v1/tickets/{token}/defer", json={"late": True})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_late"
    staff = login(client, "manager")
    waiting = client.get("/api/v1/halls/kuancheng/waiting", headers=staff).json["waiting"]["A"]
    entry = next(x for x in waiting if x["number"] == tickets[0][0]["number"])
    assert entry["late"] is True


def test_nobody_behind_means_nothing_to_give(client):
    _, token = take(client)
    refused = client.post(f"/api/v1/tickets/{token}/defer", json={})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "nobody_behind"


@pytest.mark.parametrize("action", ["cancel", "defer"])
def test_a_called_ticket_or_a_guessed_id_changes_nothing(client, action):
    ticket, token = take(client)
    take(client)
    by_id = client.post(f"/api/v1/tickets/{ticket['id']}/{action}", json={})
    assert by_id.status_code == 404 and by_id.json["error"]["code"] == "ticket_not_found"
    forged = client.post(f"/api/v1/tickets/{'x' * 43}/{action}", json={})
    assert forged.status_code == 404
    staff = login(client, "window1")
    client.post("/api/v1/windows/1/open", headers=staff)
    client.post("/api/v1/windows/1/call-next", headers=staff)
    refused = client.post(f"/api/v1/tickets/{token}/{action}", json={})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "not_waiting"
    assert client.get(f"/api/v1/tickets/{token}").json["ticket"]["status"] == "called"


def test_defer_refuses_a_bad_body(client):
    _, token = take(client)
    take(client)
    bad = client.post(f"/api/v1/tickets/{token}/defer", json={"late": "soon"})
    assert bad.status_code == 400 and "error" in bad.json
    assert client.get(f"/api/v1/tickets/{token}").json["ticket"]["defers"] == 0


def test_a_requeued_no_show_says_it_is_back_within_the_grace(client):
    ticket, token = take(client)
    staff = login(client, "window1")
    client.post("/api/v1/windows/1/open", headers=staff)
    client.post("/api/v1/windows/1/call-next", headers=staff)
    client.post("/api/v1/windows/1/no-show", headers=staff)
    missed = client.get(f"/api/v1/tickets/{token}").json["ticket"]
    assert missed["status"] == "no_show" and missed["grace_until"] and not missed["requeued"]
    client.post(f"/api/v1/tickets/{ticket['id']}/requeue", headers=staff)
    back = client.get(f"/api/v1/tickets/{token}").json["ticket"]
    assert back["status"] == "waiting" and back["requeued"] is True
