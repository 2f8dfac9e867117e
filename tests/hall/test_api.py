"""REST: the contract's shapes, and clear 4xx JSON errors that change nothing."""

import pytest
from sqlalchemy import func, select

from hall import db
from hall.queue.models import DailyCounter, Ticket
from tests.conftest import KIOSK, login


def state(app):
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        return (
            s.scalar(
                select(func.sum(DailyCounter.value)).where(DailyCounter.scope.like("events:%"))
            ),
            s.scalar(select(func.count(Ticket.id))),
        )


def assert_error(response, status, code=None):
    assert response.status_code == status, response.json
    assert set(response.json) == {"error"}
    error = response.json["error"]
    # One rule on every route: a validation error also names its fields.
    if error["code"] == "validation_error":
        assert set(error) == {"code", "message", "fields"}
        assert isinstance(error["fields"], dict)
    else:
        assert set(error) == {"code", "message"}
    assert error["message"]
    if code:
        assert response.json["error"]["code"] == code


def test_contract_shapes(client):
    halls = client.get("/api/v1/halls").json["halls"]
    assert {"code", "name"} <= set(halls[0])
    matters = client.get("/api/v1/halls/kuancheng/matters").json["matters"]
    assert len(matters) == 25
    assert {"id", "code", "name", "queue", "waiting"} <= set(matters[0])
    assert all(m["documents"] or m["code"] == "zixun-01" for m in matters)
    windows = client.get("/api/v1/halls/kuancheng/windows").json["windows"]
    assert len(windows) == 12
    assert {"id", "number", "name", "queues", "status"} <= set(windows[0])
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/windows/{window_id}/call-next" in spec["paths"]


def test_window_flow_over_rest(client):
    staff = login(client, "window1")
    ticket = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    ).json["ticket"]
    assert client.post("/api/v1/windows/1/open", headers=staff).json["window"]["status"] == "open"
    called = client.post("/api/v1/windows/1/call-next", headers=staff).json
    assert called["ticket"]["number"] == ticket["number"]
    assert called["ticket"]["window"] == "1"
    for action, status in (("recall", "called"), ("start", "serving"), ("finish", "done")):
        response = client.post(f"/api/v1/windows/1/{action}", headers=staff)
        assert response.json["ticket"]["status"] == status
    assert client.post("/api/v1/windows/1/call-next", headers=staff).json["ticket"] is None
    paused = client.post("/api/v1/windows/1/pause", json={"reason": "午休"}, headers=staff)
    assert paused.json["window"]["status"] == "paused"
    assert client.post("/api/v1/windows/1/resume", headers=staff).json["window"]["status"] == "open"
    assert (
        client.post("/api/v1/windows/1/close", headers=staff).json["window"]["status"] == "closed"
    )


def test_transfer_and_requeue_over_rest(client):
    staff = login(client, "window1")
    client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK)
    client.post("/api/v1/windows/1/open", headers=staff)
    client.post("/api/v1/windows/1/call-next", headers=staff)
    moved = client.post("/api/v1/windows/1/transfer", json={"queue": "B"}, headers=staff).json
    assert (moved["ticket"]["queue"], moved["ticket"]["status"]) == ("B", "waiting")
    client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK)
    called = client.post("/api/v1/windows/1/call-next", headers=staff).json["ticket"]
    client.post("/api/v1/windows/1/no-show", headers=staff)
    back = client.post(f"/api/v1/tickets/{called['id']}/requeue", headers=staff)
    assert back.json["ticket"]["status"] == "waiting"


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "code"),
    [
        ("get", "/api/v1/halls/nowhere/matters", None, {}, 404, "hall_not_found"),
        ("get", "/api/v1/halls/nowhere/windows", None, {}, 404, "hall_not_found"),
        ("get", "/api/v1/tickets/999999", None, {}, 404, "ticket_not_found"),
        ("get", "/api/v1/tickets/forged-token", None, {}, 404, "ticket_not_found"),
        ("get", "/api/v1/windows/999", None, {}, 404, "window_not_found"),
        ("get", "/api/v1/no-such-thing", None, {}, 404, "not_found"),
        ("delete", "/api/v1/halls", None, {}, 405, "method_not_allowed"),
        (
            "post",
            "/api/v1/halls/kuancheng/tickets",
            {"matter": "nope"},
            KIOSK,
            404,
            "matter_not_found",
        ),
        ("post", "/api/v1/halls/kuancheng/tickets", {"matter": 123456789}, KIOSK, 404, None),
        ("post", "/api/v1/halls/kuancheng/tickets", {"matter": None}, KIOSK, 400, None),
        ("post", "/api/v1/halls/kuancheng/tickets", {"matter": [1]}, KIOSK, 400, None),
        ("post", "/api/v1/halls/kuancheng/tickets", {"matter": True}, KIOSK, 400, None),
        ("post", "/api/v1/halls/kuancheng/tickets", {"matter": "x" * 500}, KIOSK, 400, None),
        ("post", "/api/v1/halls/kuancheng/tickets", {"matter": 1, "extra": 1}, KIOSK, 400, None),
        ("post", "/api/v1/halls/kuancheng/tickets", [1, 2], KIOSK, 400, None),
        ("post", "/api/v1/halls/kuancheng/tickets", "text", KIOSK, 400, None),
        (
            "post",
            "/api/v1/halls/kuancheng/tickets",
            {"matter": "samr-01", "priority": 5},
            KIOSK,
            400,
            None,
        ),
        (
            "post",
            "/api/v1/halls/kuancheng/tickets",
            {"matter": "samr-01", "priority": "vip"},
            KIOSK,
            400,
            "bad_priority",
        ),
        (
            "post",
            "/api/v1/halls/kuancheng/tickets",
            {"matter": "samr-01"},
            {"Authorization": "Bearer forged"},
            401,
            "bad_token",
        ),
        (
            "post",
            "/api/v1/halls/kuancheng/tickets",
            {"matter": "samr-01"},
            {"Authorization": "Basic abc"},
            201,
            None,
        ),  # not a bearer: the phone path
        ("post", "/api/v1/windows/1/open", None, {}, 401, "unauthorized"),
        ("post", "/api/v1/windows/1/open", None, KIOSK, 401, "unauthorized"),
        (
            "post",
            "/api/v1/windows/1/open",
            None,
            {"Authorization": "Bearer " + "x" * 5000},
            401,
            "bad_token",
        ),
        ("post", "/api/v1/windows/1/call-next", None, "window1", 409, "window_closed"),
        ("post", "/api/v1/windows/999/open", None, "window1", 404, "window_not_found"),
        ("post", "/api/v1/windows/abc/open", None, "window1", 404, "not_found"),
        ("post", "/api/v1/windows/1/pause", {"reason": ""}, "window1", 400, None),
        ("post", "/api/v1/windows/1/pause", {"reason": "r" * 201}, "window1", 400, None),
        ("post", "/api/v1/windows/1/transfer", {"queue": {"a": 1}}, "window1", 400, None),
        ("post", "/api/v1/windows/1/call", {"ticket": -1}, "window1", 400, None),
        ("post", "/api/v1/tickets/1/requeue", None, {}, 401, None),
        (
            "post",
            "/api/v1/auth/token",
            {"username": "window1", "password": "wrong"},
            {},
            401,
            "bad_login",
        ),
        ("post", "/api/v1/auth/token", {"username": "x"}, {}, 400, "validation_error"),
        ("get", "/api/v1/halls/kuancheng/waiting", None, {}, 401, None),
        ("get", "/api/v1/halls/kuancheng/waiting", None, KIOSK, 401, None),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    lite_app, lite_client, method, path, body, headers, status, code
):
    app, client = lite_app, lite_client
    if isinstance(headers, str):
        headers = login(client, headers)
    before = state(app)
    kwargs = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    response = getattr(client, method)(path, **kwargs)
    if status == 201:
        assert response.status_code == 201
        return
    assert_error(response, status, code)
    assert state(app) == before


def test_validation_errors_name_their_fields_on_every_route(lite_client):
    """Not only the administration routes: a resident's, a kiosk's and a window's route too."""
    client = lite_client
    before_login = client.post("/api/v1/auth/token", json={"username": "x"})
    assert_error(before_login, 400, "validation_error")
    assert set(before_login.json["error"]["fields"]) == {"password"}
    issued = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": {"a": 1}, "extra": 1}, headers=KIOSK
    )
    assert_error(issued, 400, "validation_error")
    assert set(issued.json["error"]["fields"]) == {"matter", "extra"}
    assert all(issued.json["error"]["fields"].values())
    staff = login(client, "window1")
    paused = client.post("/api/v1/windows/1/pause", json={"reason": "r" * 201}, headers=staff)
    assert_error(paused, 400, "validation_error")
    assert list(paused.json["error"]["fields"]) == ["reason"]
    # A body that is not an object at all still carries fields, empty.
    whole = client.post("/api/v1/auth/token", json=[1, 2], headers={})
    assert_error(whole, 400, "validation_error")
    assert whole.json["error"]["fields"] == {}


def test_oversized_body_is_refused(app, client):
    before = state(app)
    response = client.post(
        "/api/v1/halls/kuancheng/tickets",
        data='{"matter": "' + "x" * 100_000 + '"}',
        content_type="application/json",
        headers=KIOSK,
    )
    assert_error(response, 413, "too_large")
    assert state(app) == before


def test_wrong_content_type_is_refused(client):
    response = client.post(
        "/api/v1/halls/kuancheng/tickets",
        data="matter=1",
        headers=KIOSK,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (400, 415)
    assert "error" in response.json


def test_logout_revokes_the_token(client):
    staff = login(client, "window1")
    assert client.post("/api/v1/auth/logout", headers=staff).json == {"ok": True}
    assert_error(client.post("/api/v1/windows/1/open", headers=staff), 401, "bad_token")


def test_staff_of_another_hall_cannot_read_its_waiting_list(client):
    staff = login(client, "street1")
    # One outcome everywhere (hall/access.py): staff outside the hall get 403 other_hall.
    assert_error(client.get("/api/v1/halls/kuancheng/waiting", headers=staff), 403, "other_hall")
    assert client.get("/api/v1/halls/xinfa/waiting", headers=staff).status_code == 200


def test_a_window_calls_again_after_every_way_a_ticket_leaves_it(client):
    """REST answers are built from the rows the action changed: none of them is lost."""
    staff = login(client, "window1")
    for _ in range(4):
        client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK)
    assert client.post("/api/v1/windows/1/open", headers=staff).status_code == 200
    seen = []
    for leave in (["no-show"], ["start", "finish"], ["transfer"], ["recall", "no-show"]):
        called = client.post("/api/v1/windows/1/call-next", headers=staff)
        assert called.status_code == 200, called.json
        seen.append(called.json["ticket"]["number"])
        for action in leave:
            body = {"queue": "B"} if action == "transfer" else None
            answer = client.post(f"/api/v1/windows/1/{action}", json=body, headers=staff)
            assert answer.status_code == 200, (action, answer.json)
        assert client.get("/api/v1/windows/1").json["ticket"] is None
    assert seen == ["A001", "A002", "A003", "A004"]
