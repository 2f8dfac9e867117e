"""The holiday arrangement over REST: who may read and enter it, what bad input gets, and that
an entered day changes deadlines, ticketing and booking at once, without a restart.

The 2027 days are illustrative, not the State Council's arrangement."""

import time
from datetime import date, datetime

import pytest
import requests
from sqlalchemy import func, select

from hall import clock, db
from hall.admin.models import AuditEntry, CalendarDay
from hall.calendar import PACKAGE_YEARS, Calendar, EnteredDay
from tests.cases.conftest import Desk
from tests.conftest import KIOSK, REDIS_URL, LiveServer, login
from tests.hall.test_scale import _redis_missing

NEXT = PACKAGE_YEARS[-1] + 1  # the first year the package does not know
FESTIVAL = [
    {"from": f"{NEXT}-02-06", "to": f"{NEXT}-02-14", "workday": False, "name": "春节"},
    {"date": f"{NEXT}-02-20", "workday": True, "name": "春节调休上班"},
]
ENTERED = Calendar(
    [
        *(EnteredDay(date(NEXT, 2, d), False, "春节") for d in range(6, 15)),
        EnteredDay(date(NEXT, 2, 20), True, "春节调休上班"),
    ]
)


def rows(app) -> list[tuple[str, bool, str]]:
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        found = session.execute(select(CalendarDay).order_by(CalendarDay.day)).scalars()
        return [(r.day.isoformat(), r.workday, r.name) for r in found]


def audits(app, action: str) -> int:
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        return session.scalar(query)


def test_who_may_read_and_who_may_enter(client):
    assert client.get("/api/v1/admin/calendar").status_code == 401
    day = f"/api/v1/admin/calendar/{NEXT}-02-08"
    assert client.put(day, json={"workday": False, "name": "春节"}).status_code == 401
    manager, clerk, admin = (
        login(client, "manager"),
        login(client, "window1"),
        login(client, "admin"),
    )
    assert client.get("/api/v1/admin/calendar", headers=clerk).status_code == 403
    read = client.get(f"/api/v1/admin/calendar?year={NEXT}", headers=manager)
    assert read.status_code == 200, read.json
    assert read.json["days"] == [] and read.json["year"] == NEXT
    refused = client.put(day, json={"workday": False, "name": "春节"}, headers=manager)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert client.delete(day, headers=manager).status_code == 403
    assert (
        client.put(
            f"/api/v1/admin/calendar/years/{NEXT}", json={"days": []}, headers=clerk
        ).status_code
        == 403
    )
    assert rows(client.application) == []
    made = client.put(day, json={"workday": False, "name": "春节"}, headers=admin)
    assert made.status_code == 200, made.json
    assert made.json["day"] == {"date": f"{NEXT}-02-08", "workday": False, "name": "春节"}
    assert rows(client.application) == [(f"{NEXT}-02-08", False, "春节")]
    assert audits(client.application, "calendar.set") == 1
    # The same again changes nothing and leaves no trace.
    assert (
        client.put(day, json={"workday": False, "name": "春节"}, headers=admin).status_code == 200
    )
    assert audits(client.application, "calendar.set") == 1
    gone = client.delete(day, headers=admin)
    assert gone.status_code == 200 and rows(client.application) == []
    assert audits(client.application, "calendar.remove") == 1


def test_a_year_at_once_and_the_coverage(client):
    admin = login(client, "admin")
    year = f"/api/v1/admin/calendar/years/{NEXT}"
    before = client.get(f"/api/v1/admin/calendar?year={NEXT}", headers=admin).json["coverage"]
    assert before["years"][str(NEXT)] == "none"
    assert before["years"][str(NEXT - 1)] == "package"
    entered = client.put(year, json={"days": FESTIVAL}, headers=admin)
    assert entered.status_code == 200, entered.json
    assert entered.json["changes"] == {"added": 10, "changed": 0, "removed": 0}
    assert len(entered.json["days"]) == 10
    assert entered.json["coverage"]["years"][str(NEXT)] == "table"
    # Again: the make-up day dropped, one holiday renamed.
    again = [
        {"from": f"{NEXT}-02-06", "to": f"{NEXT}-02-13", "workday": False, "name": "春节"},
        {"date": f"{NEXT}-02-14", "workday": False, "name": "春节(补)"},
    ]
    answer = client.put(year, json={"days": again}, headers=admin).json
    assert answer["changes"] == {"added": 0, "changed": 1, "removed": 1}
    assert audits(client.application, "calendar.year") == 2
    assert client.put(year, json={"days": []}, headers=admin).json["changes"]["removed"] == 9
    assert rows(client.application) == []


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("put", "/admin/calendar/2027-02-30", {"workday": False}, 400, "bad_date"),
        ("put", "/admin/calendar/not-a-date", {"workday": False}, 400, "bad_date"),
        ("put", "/admin/calendar/1999-12-31", {"workday": False}, 400, "bad_date"),
        ("put", "/admin/calendar/2101-01-01", {"workday": False}, 400, "bad_date"),
        ("put", "/admin/calendar/2027-02-08", {"workday": "no"}, 400, "validation_error"),
        ("put", "/admin/calendar/2027-02-08", {"workday": 0}, 400, "validation_error"),
        ("put", "/admin/calendar/2027-02-08", {"name": "春节"}, 400, "validation_error"),
        (
            "put",
            "/admin/calendar/2027-02-08",
            {"workday": False, "name": "长" * 41},
            400,
            "validation_error",
        ),
        ("put", "/admin/calendar/2027-02-08", [1, 2], 400, "validation_error"),
        ("delete", "/admin/calendar/2027-02-08", None, 404, "calendar_day_not_found"),
        ("delete", "/admin/calendar/20270208", None, 400, "bad_date"),
        ("get", "/admin/calendar?year=1999", None, 400, "validation_error"),
        ("get", "/admin/calendar?year=abc", None, 400, "validation_error"),
        ("put", "/admin/calendar/years/2101", {"days": []}, 400, "bad_year"),
        ("put", "/admin/calendar/years/2027", {"days": "春节"}, 400, "validation_error"),
        ("put", "/admin/calendar/years/2027", {"days": [{"workday": False}]}, 400, "bad_date"),
        (
            "put",
            "/admin/calendar/years/2027",
            {"days": [{"date": "2028-01-01", "workday": False}]},
            400,
            "bad_date",
        ),
        (
            "put",
            "/admin/calendar/years/2027",
            {"days": [{"from": "2027-02-10", "to": "2027-02-06", "workday": False}]},
            400,
            "bad_date",
        ),
        (
            "put",
            "/admin/calendar/years/2027",
            {
                "days": [
                    {"from": "2027-02-06", "to": "2027-02-10", "workday": False},
                    {"date": "2027-02-08", "workday": True},
                ]
            },
            400,
            "duplicate_day",
        ),
    ],
)
def test_bad_input_is_a_4xx_and_changes_nothing(lite_client, method, path, body, status, code):
    admin = login(lite_client, "admin")
    lite_client.put(
        "/api/v1/admin/calendar/2027-03-01", json={"workday": False, "name": "先有"}, headers=admin
    )
    before = rows(lite_client.application)
    kwargs = {"headers": admin} if body is None else {"headers": admin, "json": body}
    answer = getattr(lite_client, method)(f"/api/v1{path}", **kwargs)
    assert answer.status_code == status, answer.json
    assert answer.json["error"]["code"] == code
    assert " / " in answer.json["error"]["message"]
    assert rows(lite_client.application) == before


def test_an_entered_spring_festival_moves_the_next_deadline_at_once(app, client, monkeypatch):
    desk = Desk(app, client, monkeypatch)
    desk.at(datetime.fromisoformat(f"{NEXT}-02-03T02:00:00+00:00"))  # a Wednesday, 10:00
    limit = desk.matter("samr-04")["time_limit_days"]
    first = desk.take("samr-04", ticket=desk.serve("samr-04")["id"]).json["case"]
    assert first["deadline"] == Calendar().add_workdays(date(NEXT, 2, 3), limit).isoformat()
    desk.finish()
    entered = desk.client.put(
        f"/api/v1/admin/calendar/years/{NEXT}", json={"days": FESTIVAL}, headers=desk.auth("admin")
    )
    assert entered.status_code == 200
    second = desk.take("samr-04", ticket=desk.serve("samr-04")["id"]).json["case"]
    assert second["deadline"] == ENTERED.add_workdays(date(NEXT, 2, 3), limit).isoformat()
    assert second["deadline"] > first["deadline"]


def test_an_entered_holiday_closes_a_workdays_only_hall_and_its_booking_days(client, monkeypatch):
    monday = datetime.fromisoformat(f"{NEXT}-02-08T02:00:00+00:00")  # 10:00 in Beijing
    monkeypatch.setattr(clock, "now", lambda: monday)
    admin = login(client, "admin")
    changed = client.patch(
        "/api/v1/admin/halls/kuancheng",
        json={"workdays_only": True, "hours": {"default": [["08:00", "18:00"]]}},
        headers=admin,
    )
    assert changed.status_code == 200, changed.json
    take = {"matter": "samr-04"}
    assert (
        client.post("/api/v1/halls/kuancheng/tickets", json=take, headers=KIOSK).status_code == 201
    )
    day = client.put(
        f"/api/v1/admin/calendar/{NEXT}-02-08",
        json={"workday": False, "name": "春节"},
        headers=admin,
    )
    assert day.status_code == 200
    refused = client.post("/api/v1/halls/kuancheng/tickets", json=take, headers=KIOSK)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "ticketing_closed"
    assert client.delete(f"/api/v1/admin/calendar/{NEXT}-02-08", headers=admin).status_code == 200
    slots = f"/api/v1/halls/kuancheng/booking/slots?matter=samr-04&date={NEXT}-02-09"
    assert client.get(slots).status_code == 200
    client.put(f"/api/v1/admin/calendar/{NEXT}-02-09", json={"workday": False}, headers=admin)
    closed = client.get(slots)
    assert closed.status_code == 400 and closed.json["error"]["code"] == "not_bookable_day"
    assert (
        client.post("/api/v1/halls/kuancheng/tickets", json=take, headers=KIOSK).status_code == 201
    )


def test_the_admin_pages_are_told_when_the_next_year_is_missing(lite_client, monkeypatch):
    december = datetime.fromisoformat(f"{NEXT - 1}-12-04T02:00:00+00:00")
    monkeypatch.setattr(clock, "now", lambda: december)
    manager, admin = login(lite_client, "manager"), login(lite_client, "admin")
    calendar = lite_client.get("/api/v1/admin/me", headers=manager).json["calendar"]
    assert calendar["uncovered_from"] == f"{NEXT}-01-01"
    assert calendar["warning_year"] == NEXT
    assert calendar["warning"].startswith(f"{NEXT} 年节假日安排尚未录入 / The {NEXT} holiday")
    lite_client.put(f"/api/v1/admin/calendar/years/{NEXT}", json={"days": FESTIVAL}, headers=admin)
    calendar = lite_client.get("/api/v1/admin/me", headers=manager).json["calendar"]
    assert calendar["warning"] is None and calendar["uncovered_from"] == f"{NEXT + 1}-01-01"


# The multi-process set-up is PostgreSQL's: SQLite serves one process.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_second_hub_process_sees_an_entered_day_at_once(app):
    reason = _redis_missing()
    if reason:
        pytest.skip(reason)
    # The cache would otherwise keep its calendar for REFERENCE_TTL_S (30 s): only the
    # broadcast through Redis can refresh the second process's copy within this test.
    env = {"HALL_MESSAGE_QUEUE": REDIS_URL}
    first = LiveServer(app.config["DATABASE_URL"], **env).start()
    second = LiveServer(app.config["DATABASE_URL"], **env).start()
    try:
        admin = login(first.url, "admin")

        def source_on_second() -> str:
            answer = requests.get(
                f"{second.url}/api/v1/admin/calendar?year=2099", headers=admin, timeout=30
            )
            return answer.json()["coverage"]["years"]["2099"]

        assert source_on_second() == "none"  # the second process now holds its calendar
        day = {"workday": False, "name": "示例"}
        put = requests.put(
            f"{first.url}/api/v1/admin/calendar/2099-01-05", json=day, headers=admin, timeout=30
        )
        assert put.status_code == 200
        deadline = time.monotonic() + 5
        while source_on_second() != "table":
            assert time.monotonic() < deadline, "the second process kept its old calendar"
            time.sleep(0.1)
    finally:
        first.stop()
        second.stop()
