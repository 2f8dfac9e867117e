"""Rate limits per client address: phone tickets without a token, and password guessing."""

from sqlalchemy import func, select

from hall import db
from hall.queue.models import Ticket
from tests.conftest import KIOSK, build_app


def test_phone_tickets_are_limited_per_address_but_kiosks_are_not(sqlite_url):
    app = build_app(sqlite_url, PHONE_TICKET_LIMIT="2 per minute")
    client = app.test_client()
    answers = [
        client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}).status_code
        for _ in range(3)
    ]
    assert answers == [201, 201, 429]
    refused = client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"})
    assert refused.json["error"]["code"] == "too_many_requests"
    assert "请求过于频繁" in refused.json["error"]["message"]
    kiosk = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    )
    assert kiosk.status_code == 201
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        assert session.scalar(select(func.count(Ticket.id))) == 3


def test_password_guessing_is_limited(sqlite_url):
    app = build_app(sqlite_url, LOGIN_LIMIT="3 per minute")
    client = app.test_client()
    codes = [
        client.post(
            "/api/v1/auth/token", json={"username": "window1", "password": f"guess{i}"}
        ).status_code
        for i in range(4)
    ]
    assert codes == [401, 401, 401, 429]
