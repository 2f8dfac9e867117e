"""People ahead follow the calling rules: a priority ticket is not told "3 ahead" and then
called first; a normal ticket counts the priority tickets that will be called before it."""

from tests.conftest import KIOSK, login


def take(client, priority=None):
    body = {"matter": "samr-01", "priority": priority}
    answer = client.post("/api/v1/halls/kuancheng/tickets", json=body, headers=KIOSK)
    assert answer.status_code == 201, answer.json
    return answer.json["ticket"]


def ahead(client, ticket):
    return client.get(f"/api/v1/tickets/{ticket['id']}", headers=KIOSK).json["ticket"]["ahead"]


def test_people_ahead_honour_priority(client):
    priority = client.get("/api/v1/halls/kuancheng").json["hall"]["priority_classes"][0]
    normal = [take(client) for _ in range(3)]
    first = take(client, priority)
    assert first["ahead"] == 0  # told at issue: nobody will be called before it
    second = take(client, priority)
    assert second["ahead"] == 1 and ahead(client, second) == 1
    assert ahead(client, first) == 0
    # The last normal ticket: two normal before it, and both priority tickets (fairness lets
    # up to the hall's streak of priority tickets in before each normal call).
    assert ahead(client, normal[2]) == 4
    assert ahead(client, normal[0]) == 2
    staff = login(client, "window1")
    client.post("/api/v1/windows/1/open", headers=staff)
    called = client.post("/api/v1/windows/1/call-next", headers=staff).json["ticket"]
    assert called["number"] == first["number"]
