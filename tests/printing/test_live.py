"""`hall serve` runs the print worker in its serving process (started after gunicorn forks)."""

import requests

from tests.printers.escpos_decode import qr_payloads

from .conftest import add_kiosk, bearer, printed


def test_served_hub_prints_a_kiosk_ticket(lite_app, lite_server, printer):
    fake = printer()
    _, token = add_kiosk(lite_app, fake.url)

    response = requests.post(
        f"{lite_server.url}/api/v1/halls/kuancheng/tickets",
        json={"matter": "samr-01"},
        headers=bearer(token),
        timeout=10,
    )

    assert response.status_code == 201
    ticket = response.json()["ticket"]
    assert ticket["status_url"].startswith(lite_server.url + "/s/")
    assert qr_payloads(printed(fake, 1, timeout=5)) == [ticket["status_url"]]
