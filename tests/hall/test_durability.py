"""Nothing acknowledged is lost: a hub killed outright comes back with every ticket."""

import requests

from tests.conftest import KIOSK, LiveServer, login


def test_tickets_survive_a_crash_of_the_hub(app):
    server = LiveServer(app.config["DATABASE_URL"]).start()
    try:
        issued = [
            requests.post(
                f"{server.url}/api/v1/halls/kuancheng/tickets",
                json={"matter": "samr-01"},
                headers=KIOSK,
                timeout=30,
            ).json()["ticket"]
            for _ in range(5)
        ]
        headers = login(server.url, "window1")
        requests.post(f"{server.url}/api/v1/windows/1/open", headers=headers, timeout=30)
        requests.post(f"{server.url}/api/v1/windows/1/call-next", headers=headers, timeout=30)
    finally:
        server.kill()  # SIGKILL: no shutdown, no flush
    restarted = LiveServer(app.config["DATABASE_URL"]).start()
    try:
        for ticket in issued:
            token = ticket["status_url"].rsplit("/", 1)[1]
            again = requests.get(f"{restarted.url}/api/v1/tickets/{token}", timeout=30).json()
            assert again["ticket"]["number"] == ticket["number"]
        assert (
            requests.get(
                f"{restarted.url}/api/v1/tickets/{issued[0]['id']}", headers=KIOSK, timeout=30
            ).json()["ticket"]["status"]
            == "called"
        )
        # Numbering goes on where it stopped: never a number twice.
        more = requests.post(
            f"{restarted.url}/api/v1/halls/kuancheng/tickets",
            json={"matter": "samr-01"},
            headers=KIOSK,
            timeout=30,
        ).json()
        assert more["ticket"]["number"] == "A006"
        snapshot = requests.get(
            f"{restarted.url}/api/v1/halls/kuancheng/snapshot", timeout=30
        ).json()
        assert snapshot["calls"][0]["number"] == "A001"
    finally:
        restarted.stop()
