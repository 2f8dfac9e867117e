"""The hub starts and serves the demo hall."""

from tests.conftest import KIOSK


def test_demo_hall_listed(client):
    halls = client.get("/api/v1/halls").json["halls"]
    assert [h["code"] for h in halls] == ["kuancheng", "xinfa"]


def test_live_server_issues_a_ticket(live_server):
    import requests

    response = requests.post(
        f"{live_server.url}/api/v1/halls/kuancheng/tickets",
        json={"matter": "samr-01"},
        headers=KIOSK,
        timeout=10,
    )
    assert response.status_code == 201
    assert response.json()["ticket"]["number"] == "A001"
