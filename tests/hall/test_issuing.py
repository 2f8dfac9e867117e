"""Issuing: daily numbering in the hall's zone, hours, caps, priority classes, sources."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hall import db
from hall.errors import BadRequest, Conflict
from hall.queue import presenters, services
from hall.queue.models import DailyCounter, Ticket
from tests import factories as f
from tests.conftest import KIOSK


def issue(app, matter="samr-01", hall_code="kuancheng", **kwargs):
    with app.app_context(), db.unit_of_work() as session:
        ticket = services.issue(session, f.hall(session, hall_code), matter, **kwargs).ticket
        return ticket.number


def test_numbers_follow_the_queue_prefix_and_daily_sequence(app):
    at = f.utc("2026-11-30T02:00:00+00:00")
    assert [issue(app, at=at) for _ in range(3)] == ["A001", "A002", "A003"]
    assert issue(app, "re-01", at=at) == "B001"
    assert issue(app, "hrss-01", at=at) == "C001"
    assert issue(app, "samr-02", at=at) == "A004"


def test_numbering_restarts_at_midnight_in_shanghai_not_utc(app):
    # 15:59:59 UTC is 23:59:59 in Shanghai; 16:00:00 UTC is the next local day.
    assert issue(app, at=f.utc("2026-11-30T15:59:58+00:00")) == "A001"
    assert issue(app, at=f.utc("2026-11-30T15:59:59+00:00")) == "A002"
    assert issue(app, at=f.utc("2026-11-30T16:00:00+00:00")) == "A001"
    assert issue(app, at=f.utc("2026-11-30T23:59:00+00:00")) == "A002"
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        days = sorted({t.service_date.isoformat() for t in f.tickets(session)})
        assert days == ["2026-11-30", "2026-12-01"]


def test_the_issue_answer_has_people_ahead_and_an_estimate(client):
    numbers = []
    for _ in range(3):
        response = client.post(
            "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
        )
        assert response.status_code == 201
        numbers.append(response.json["ticket"])
    last = numbers[-1]
    assert last["ahead"] == 2
    # No window is open and nothing was served yet: 2 ahead × the hall's 300 s default.
    assert last["estimated_wait_s"] == 600
    assert last["status_url"].startswith("http://localhost/s/")
    assert set(last) >= {"id", "number", "status", "queue", "ahead", "estimated_wait_s"}


def test_estimate_uses_recent_service_times_and_open_windows(app):
    from hall.queue import services

    t0 = f.utc("2026-11-30T02:00:00+00:00")
    for i in range(5):
        issue(app, at=t0 + timedelta(seconds=i))
    with app.app_context(), db.unit_of_work() as session:
        w1, w2 = f.window(session, "1"), f.window(session, "2")
        clerk1, clerk2 = f.staff(session, "window1"), f.staff(session, "window2")
        services.open_window(session, w1.id, clerk1, at=t0)
        services.open_window(session, w2.id, clerk2, at=t0)
        services.call_next(session, w1.id, clerk1, at=t0 + timedelta(minutes=1))
        services.start(session, w1.id, clerk1, at=t0 + timedelta(minutes=1))
        services.finish(session, w1.id, clerk1, at=t0 + timedelta(minutes=3))  # 120 s
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        last = f.tickets(session)[-1]
        data = presenters.ticket_json(session, last)
        # 3 ahead × 120 s ÷ 2 open windows serving A
        assert data["ahead"] == 3
        assert data["estimated_wait_s"] == 180


def test_unknown_priority_class_is_refused_and_nothing_is_issued(app):
    with pytest.raises(BadRequest):
        issue(app, priority="vip")
    assert issue(app, priority="elderly") == "A001"


def test_street_point_keeps_hours_and_working_days(app):
    # xinfa: working days 08:30–11:30 and 13:30–16:30 Shanghai time.
    monday_9am = f.utc("2026-11-30T01:00:00+00:00")
    lunch = f.utc("2026-11-30T04:00:00+00:00")  # 12:00 local
    night = f.utc("2026-11-30T14:00:00+00:00")  # 22:00 local
    national_day = f.utc("2026-10-01T02:00:00+00:00")  # a Thursday, public holiday
    saturday = f.utc("2026-11-28T02:00:00+00:00")
    assert issue(app, "tax-02", "xinfa", at=monday_9am) == "A001"
    for closed in (lunch, night, national_day, saturday):
        with pytest.raises(Conflict) as err:
            issue(app, "tax-02", "xinfa", at=closed)
        assert err.value.code == "ticketing_closed"
    # The 24-hour demo hall takes tickets at night and on holidays.
    assert issue(app, at=night) == "A001"
    assert issue(app, at=national_day) == "A001"


def test_make_up_workday_is_open(app):
    # A weekend day worked in lieu of a holiday (调休): found from the calendar itself.
    import datetime as dt

    from hall.calendar import Calendar

    make_up = next(
        d
        for d in (dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(365))
        if d.weekday() >= 5 and Calendar().is_workday(d)
    )
    at = f.utc(f"{make_up.isoformat()}T02:00:00+00:00")
    assert issue(app, "tax-02", "xinfa", at=at) == "A001"


def test_daily_cap_refuses_past_the_limit_and_warns_near_it(app):
    at = f.utc("2026-11-30T01:00:00+00:00")  # Monday 09:00 local
    with app.app_context(), db.unit_of_work() as session:
        matter = f.matter(session, "tax-02", "xinfa")
        matter.daily_cap, matter.cap_warning = 3, 2
    assert [issue(app, "tax-02", "xinfa", at=at) for _ in range(3)] == ["A001", "A002", "A003"]
    with pytest.raises(Conflict) as err:
        issue(app, "tax-02", "xinfa", at=at)
    assert err.value.code == "matter_full"
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        matter = f.matter(session, "tax-02", "xinfa")
        state = services.availability(session, f.hall(session, "xinfa"), matter, at)
        assert (state.remaining, state.nearly_full, state.to_dict()["full"]) == (0, True, True)
        # The refusal used up neither a number nor a place under the cap.
        assert session.scalar(select(func.count(Ticket.id))) == 3
        counter = session.get(DailyCounter, (f"matter:{matter.id}", at.date()))
        assert counter.value == 3
    # The next day the cap starts again.
    assert issue(app, "tax-02", "xinfa", at=at + timedelta(days=1)) == "A001"


def test_phone_path_only_where_the_hall_allows_it(client):
    response = client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"})
    assert response.status_code == 201
    assert response.json["ticket"]["source"] == "phone"
    response = client.post("/api/v1/halls/xinfa/tickets", json={"matter": "tax-02"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_a_kiosk_cannot_issue_in_another_hall(client):
    response = client.post("/api/v1/halls/xinfa/tickets", json={"matter": "tax-02"}, headers=KIOSK)
    assert response.status_code == 403


def test_ticket_status_by_token_and_by_id(client):
    ticket = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    ).json["ticket"]
    token = ticket["status_url"].rsplit("/", 1)[1]
    by_token = client.get(f"/api/v1/tickets/{token}").json["ticket"]
    assert by_token["number"] == ticket["number"] and by_token["status"] == "waiting"
    # By id without credentials: 404 and no fields at all (issue 11: no enumeration).
    anonymous = client.get(f"/api/v1/tickets/{ticket['id']}")
    assert anonymous.status_code == 404 and set(anonymous.json) == {"error"}
    assert (
        client.get(f"/api/v1/tickets/{ticket['id']}", headers=KIOSK).json["ticket"]["status_url"]
        == ticket["status_url"]
    )
