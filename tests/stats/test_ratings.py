"""好差评: one rating per channel and service, a 差评 needs a reason, and its follow-up."""

from datetime import timedelta

from sqlalchemy import func, select

from hall import clock, db
from hall.stats import services
from hall.stats.models import GBT_TO_SCORE, SCORE_TO_GBT, Rating
from tests.conftest import KIOSK, login

EVALUATOR = {"Authorization": "Bearer demo-evaluator-kuancheng"}


def served_ticket(client, finish=True):
    staff = login(client, "window1")
    ticket = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    ).json["ticket"]
    client.post("/api/v1/windows/1/open", headers=staff)
    client.post("/api/v1/windows/1/call-next", headers=staff)
    if finish:
        client.post("/api/v1/windows/1/start", headers=staff)
        client.post("/api/v1/windows/1/finish", headers=staff)
    return ticket


def ratings(app):
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        return s.scalar(select(func.count(Rating.id)))


def test_the_scales_run_opposite_ways_through_one_mapping():
    assert SCORE_TO_GBT[5] == 1 and SCORE_TO_GBT[1] == 5
    assert all(GBT_TO_SCORE[SCORE_TO_GBT[s]] == s for s in range(1, 6))


def test_rate_at_the_evaluator_then_add_on_the_phone(app, client):
    ticket = served_ticket(client)
    given = client.post(
        f"/api/v1/tickets/{ticket['id']}/rating", json={"score": 5}, headers=EVALUATOR
    )
    assert given.status_code == 201, given.json
    assert given.json["rating"]["level"] == "非常满意" and given.json["rating"]["gbt_code"] == 1
    assert given.json["rating"]["channel"] == "evaluator" and not given.json["rating"]["added"]
    again = client.post(
        f"/api/v1/tickets/{ticket['id']}/rating", json={"score": 4}, headers=EVALUATOR
    )
    assert again.status_code == 409 and again.json["error"]["code"] == "already_rated"
    token = ticket["status_url"].rstrip("/").rsplit("/", 1)[1]
    added = client.post(f"/api/v1/tickets/{token}/rating", json={"score": 4, "text": "快"})
    assert added.status_code == 201 and added.json["rating"]["added"] is True
    assert added.json["rating"]["channel"] == "status"
    twice = client.post(f"/api/v1/tickets/{token}/rating", json={"score": 3})
    assert twice.status_code == 409
    assert ratings(app) == 2


def test_refusals_change_nothing(app, client):
    waiting = served_ticket(client, finish=False)
    unserved = client.post(
        f"/api/v1/tickets/{waiting['id']}/rating", json={"score": 5}, headers=EVALUATOR
    )
    assert unserved.status_code == 409 and unserved.json["error"]["code"] == "not_served"
    staff = login(client, "window1")
    client.post("/api/v1/windows/1/start", headers=staff)
    client.post("/api/v1/windows/1/finish", headers=staff)
    url = f"/api/v1/tickets/{waiting['id']}/rating"
    bare = client.post(url, json={"score": 1}, headers=EVALUATOR)
    assert bare.status_code == 400 and bare.json["error"]["code"] == "reason_required"
    for body in (
        {"score": 6},
        {"score": "5"},
        {"score": 2, "reasons": ["nonsense"]},
        {"score": 2, "text": "x" * 501},
        {},
        {"score": 5, "extra": 1},
    ):
        answer = client.post(url, json=body, headers=EVALUATOR)
        assert answer.status_code == 400, (body, answer.json)
        assert set(answer.json["error"]) == {"code", "message", "fields"}
    assert client.post(url, json={"score": 5}).status_code == 401
    assert client.post(url, json={"score": 5}, headers=KIOSK).status_code == 403
    assert client.post(url, json={"score": 5}, headers=staff).status_code == 403
    forged = client.post(url, json={"score": 5}, headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401
    assert (
        client.post(
            "/api/v1/tickets/99999/rating", json={"score": 5}, headers=EVALUATOR
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/v1/tickets/no-such-token-xxxxxxxxxxxx/rating", json={"score": 5}
        ).status_code
        == 404
    )
    assert ratings(app) == 0


def test_a_late_rating_on_the_status_page_is_refused(app, client):
    ticket = served_ticket(client)
    with app.app_context(), db.unit_of_work() as s:
        from hall.queue.models import Ticket
        from hall.stats.models import Channel

        row = s.get(Ticket, ticket["id"])
        late = clock.now() + timedelta(days=8)
        try:
            services.rate_ticket(s, row, Channel.STATUS, {"score": 5}, at=late)
        except Exception as err:
            assert getattr(err, "code", "") == "rating_closed"
        else:
            raise AssertionError("a rating after 7 days was taken")


def test_follow_up_of_a_bad_rating(app, client):
    ticket = served_ticket(client)
    bad = client.post(
        f"/api/v1/tickets/{ticket['id']}/rating",
        json={"score": 1, "reasons": ["wait", "attitude"]},
        headers=EVALUATOR,
    ).json["rating"]
    manager = login(client, "manager")
    listed = client.get("/api/v1/halls/kuancheng/ratings?bad=1", headers=manager).json["ratings"]
    assert [r["id"] for r in listed] == [bad["id"]] and listed[0]["due_on"]
    assert listed[0]["closed"] is False and listed[0]["overdue"] is False
    url = f"/api/v1/ratings/{bad['id']}/follow-up"
    early = client.post(url, json={"outcome": "explained"}, headers=manager)
    assert early.status_code == 409 and early.json["error"]["code"] == "callback_first"
    window = login(client, "window2")
    assert client.post(url, json={"callback": True}, headers=window).status_code == 403
    called = client.post(url, json={"callback": True, "note": "已电话回访"}, headers=manager)
    assert called.status_code == 200 and called.json["rating"]["callback_at"]
    fixing = client.post(
        url, json={"outcome": "fix_by_deadline", "note": "增开窗口"}, headers=manager
    )
    assert fixing.json["rating"]["closed"] is False
    assert client.post(url, json={"outcome": "explained"}, headers=manager).status_code == 409
    done = client.post(url, json={"fixed": True}, headers=manager)
    assert done.json["rating"]["closed"] is True
    assert client.post(url, json={}, headers=manager).status_code == 400
    assert (
        client.post(
            "/api/v1/ratings/999999/follow-up", json={"callback": True}, headers=manager
        ).status_code
        == 404
    )
    figures = client.get("/api/v1/halls/kuancheng/stats", headers=manager).json["ratings"]
    assert figures["bad"] == 1 and figures["callback_rate"] == 1.0 and figures["fixed_rate"] == 1.0


def test_an_overdue_follow_up_shows_as_overdue(app, client):
    ticket = served_ticket(client)
    bad = client.post(
        f"/api/v1/tickets/{ticket['id']}/rating",
        json={"score": 2, "text": "等太久"},
        headers=EVALUATOR,
    ).json["rating"]
    with app.app_context(), db.unit_of_work() as s:
        row = s.get(Rating, bad["id"])
        row.due_on = row.due_on - timedelta(days=30)
    manager = login(client, "manager")
    listed = client.get("/api/v1/halls/kuancheng/ratings?bad=1&open=1", headers=manager).json
    assert listed["ratings"][0]["overdue"] is True


def test_staff_appeal_decided_by_a_manager(client):
    ticket = served_ticket(client)
    bad = client.post(
        f"/api/v1/tickets/{ticket['id']}/rating",
        json={"score": 1, "reasons": ["other"]},
        headers=EVALUATOR,
    ).json["rating"]
    url = f"/api/v1/ratings/{bad['id']}/follow-up"
    other = login(client, "window2")
    assert client.post(url, json={"appeal": "open"}, headers=other).status_code == 403
    mine = login(client, "window1")
    opened = client.post(url, json={"appeal": "open", "note": "误触"}, headers=mine)
    assert opened.status_code == 200 and opened.json["rating"]["appeal"] == "open"
    assert client.post(url, json={"appeal": "upheld"}, headers=mine).status_code == 403
    manager = login(client, "manager")
    upheld = client.post(url, json={"appeal": "upheld"}, headers=manager)
    assert upheld.json["rating"]["appeal"] == "upheld" and upheld.json["rating"]["closed"] is True
