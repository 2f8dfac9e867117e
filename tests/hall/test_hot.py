"""The hot routes (``hall/hot.py``): the four busiest requests answered without Flask's
request machinery give the answers Flask gives, and everything out of the ordinary is left
to Flask."""

from contextlib import contextmanager

import pytest

from hall.hot import HotRoutes
from tests.conftest import KIOSK, login

TICKETS = "/api/v1/halls/kuancheng/tickets"


@contextmanager
def through_flask(app):
    """The same app with the hot routes taken out of its WSGI stack."""
    hot = app.wsgi_app
    assert isinstance(hot, HotRoutes)
    app.wsgi_app = hot.next
    try:
        yield
    finally:
        app.wsgi_app = hot


def both(app, method: str, path: str, **kwargs):
    """The answer of the hot routes, then Flask's, to the same request on the same state."""
    hot = app.wsgi_app
    before = hot.served
    first = app.test_client().open(path, method=method, **kwargs)
    served = hot.served - before
    with through_flask(app):
        second = app.test_client().open(path, method=method, **kwargs)
    return first, second, served


def headers(response) -> list[tuple[str, str]]:
    assert response.headers["Content-Length"] == str(len(response.data))
    return [(k, v) for k, v in response.headers.items() if k != "Content-Length"]


def shape(value):
    """Keys and types, not values: two tickets issued one after the other differ in those."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


def same_refusal(first, second) -> None:
    """An error changes nothing, so both ways answer it byte for byte."""
    assert first.status_code == second.status_code >= 400
    assert first.data == second.data
    assert headers(first) == headers(second)


def test_a_kiosk_ticket_is_served_hot_and_answered_as_flask_answers(app):
    first, second, served = both(app, "POST", TICKETS, json={"matter": "samr-01"}, headers=KIOSK)
    assert served == 1
    assert first.status_code == second.status_code == 201
    assert headers(first) == headers(second)
    assert shape(first.json) == shape(second.json)
    assert [first.json["ticket"]["number"], second.json["ticket"]["number"]] == ["A001", "A002"]
    assert first.json["ticket"]["status_url"].startswith("http://localhost/s/")


def test_the_status_link_names_the_host_the_kiosk_used(app):
    host = {**KIOSK, "Host": "hall.example:8080"}
    first, second, served = both(app, "POST", TICKETS, json={"matter": "samr-01"}, headers=host)
    assert served == 1
    for answer in (first, second):
        assert answer.json["ticket"]["status_url"].startswith("http://hall.example:8080/s/")


def test_a_counter_ticket_with_a_priority_is_served_hot(app):
    staff = login(app.test_client(), "window1")
    body = {"matter": "samr-01", "priority": "elderly"}
    first, second, served = both(app, "POST", TICKETS, json=body, headers=staff)
    assert served == 1
    assert first.status_code == second.status_code == 201, first.json
    assert shape(first.json) == shape(second.json)
    assert first.json["ticket"]["priority"] == second.json["ticket"]["priority"] == "elderly"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (TICKETS, {"matter": "no-such-matter"}),  # 404 from the route's own function
        ("/api/v1/halls/nowhere/tickets", {"matter": "samr-01"}),  # no such hall
        ("/api/v1/halls/chaoyang/tickets", {"matter": "samr-01"}),  # another hall's kiosk
    ],
)
def test_a_refused_ticket_is_answered_hot_as_flask_answers_it(app, path, body):
    first, second, served = both(app, "POST", path, json=body, headers=KIOSK)
    assert served == 1
    same_refusal(first, second)


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        (TICKETS, {"json": {"matter": "samr-01"}, "headers": {"Authorization": "Bearer forged"}}),
        (TICKETS, {"json": {"matter": "samr-01", "extra": 1}, "headers": KIOSK}),
        (TICKETS, {"json": {"matter": "0"}, "headers": KIOSK}),
        (TICKETS, {"json": {"matter": True}, "headers": KIOSK}),
        (TICKETS, {"json": {"matter": "samr-01", "priority": "x" * 21}, "headers": KIOSK}),
        (TICKETS, {"json": ["samr-01"], "headers": KIOSK}),
        (TICKETS, {"data": "{not json", "headers": {**KIOSK, "Content-Type": "application/json"}}),
        (TICKETS, {"data": "matter=samr-01", "headers": {**KIOSK, "Content-Type": "text/plain"}}),
        (TICKETS, {"json": {"matter": "m" * 5000}, "headers": KIOSK}),  # over 4 KiB
        (
            TICKETS,
            {"data": "[" * 30 + "]" * 30, "headers": {**KIOSK, "Content-Type": "application/json"}},
        ),
        # A lone surrogate, escaped as JSON writes it.
        (
            TICKETS,
            {
                "data": '{"matter": "\\ud800"}',
                "headers": {**KIOSK, "Content-Type": "application/json"},
            },
        ),
        (TICKETS + "?x=1", {"json": {"matter": "no-such-matter"}, "headers": KIOSK}),
        ("/api/v1/windows/0/start", {"headers": KIOSK}),
        ("/api/v1/windows/99999999999/start", {"headers": KIOSK}),
        ("/api/v1/windows/1/start", {}),  # no token
    ],
)
def test_anything_out_of_the_ordinary_is_left_to_flask(app, path, kwargs):
    first, second, served = both(app, "POST", path, **kwargs)
    assert served == 0
    same_refusal(first, second)


def test_window_actions_are_served_hot_and_answered_as_flask_answers(app):
    client = app.test_client()
    staff = login(client, "window1")
    window = {
        w["number"]: w["id"] for w in client.get("/api/v1/halls/kuancheng/windows").json["windows"]
    }["1"]
    path = f"/api/v1/windows/{window}"

    # Closed: refused alike, nothing changes.
    first, second, served = both(app, "POST", f"{path}/call-next", headers=staff)
    assert served == 1
    same_refusal(first, second)
    assert first.json["error"]["code"] == "window_closed"
    # A kiosk may not work a window.
    same_refusal(*both(app, "POST", f"{path}/call-next", headers=KIOSK)[:2])

    assert client.post(f"{path}/open", headers=staff).status_code == 200
    for _ in range(2):
        client.post(TICKETS, json={"matter": "samr-01"}, headers=KIOSK)
    # An empty-handed start is refused alike.
    same_refusal(*both(app, "POST", f"{path}/start", headers=staff)[:2])

    hot = app.wsgi_app
    answers = {}
    for way in ("hot", "flask"):
        before = hot.served
        with through_flask(app) if way == "flask" else _nothing():
            answers[way] = [
                client.post(f"{path}/{action}", headers=staff)
                for action in ("call-next", "start", "finish")
            ]
        assert hot.served - before == (3 if way == "hot" else 0)
    for mine, flasks in zip(answers["hot"], answers["flask"], strict=True):
        assert mine.status_code == flasks.status_code == 200, mine.json
        assert headers(mine) == headers(flasks)
        assert shape(mine.json) == shape(flasks.json)
    called = [answers[way][0].json["ticket"]["number"] for way in ("hot", "flask")]
    assert called == ["A001", "A002"]
    assert answers["hot"][2].json["ticket"]["status"] == "done"


@contextmanager
def _nothing():
    yield


def test_a_malformed_body_is_refused_in_both_languages(app):
    headers = {**KIOSK, "Content-Type": "application/json"}
    answer = app.test_client().post(TICKETS, data='{"matter":', headers=headers)
    assert answer.status_code == 400
    assert answer.json["error"] == {
        "code": "bad_request",
        "message": "请求无效,请检查 JSON 格式 / bad request: check the JSON body",
    }
