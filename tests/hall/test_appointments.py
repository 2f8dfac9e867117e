"""Appointments: booked by staff, checked in at a kiosk by code within its window, once."""

import os
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from hall import clock, db
from hall.errors import Conflict, NotFound
from hall.extensions import socketio
from hall.queue import appointments
from hall.queue.models import Appointment
from tests import factories as f
from tests.conftest import HALL_BIN, KIOSK, login

SLOT = f.utc("2026-11-30T02:00:00+00:00")  # 10:00 in Shanghai


def book(app, matter="re-01", hall_code="kuancheng", starts_at=SLOT):
    with app.app_context(), db.unit_of_work() as s:
        return appointments.book(
            s,
            f.hall(s, hall_code),
            matter,
            starts_at,
            f.staff(s, "admin"),
            at=starts_at - timedelta(days=1),
        ).code


def check_in(app, code, at, hall_code="kuancheng"):
    with app.app_context(), db.unit_of_work() as s:
        ticket = appointments.check_in(s, f.hall(s, hall_code), code, at=at).ticket
        return ticket.number, ticket.priority, ticket.source


def test_check_in_within_the_window_gives_a_priority_ticket_once(app):
    code = book(app)
    assert len(code) == 8 and code.isalnum() and code.isupper()
    assert check_in(app, code.lower(), SLOT - timedelta(minutes=10)) == (
        "B001",
        "appointment",
        "appointment",
    )
    with pytest.raises(Conflict) as err:
        check_in(app, code, SLOT)
    assert err.value.code == "already_checked_in"


@pytest.mark.parametrize(
    ("offset", "code"),
    [(-timedelta(minutes=61), "too_early"), (timedelta(minutes=31), "too_late")],
)
def test_check_in_outside_the_window_is_refused_and_changes_nothing(lite_app, offset, code):
    booked = book(lite_app)
    with pytest.raises(Conflict) as err:
        check_in(lite_app, booked, SLOT + offset)
    assert err.value.code == code
    with lite_app.app_context(), db.unit_of_work(readonly=True) as s:
        row = s.scalar(select(Appointment).where(Appointment.code == booked))
        assert (row.status, row.ticket_id) == ("booked", None)
        assert f.tickets(s) == []


def test_codes_belong_to_their_hall(lite_app):
    code = book(lite_app)
    with pytest.raises(NotFound):
        check_in(lite_app, code, SLOT, hall_code="xinfa")
    with pytest.raises(NotFound):
        check_in(lite_app, "ZZZZZZZZ", SLOT)


def test_a_booked_slot_is_not_turned_away_by_the_walk_in_cap(lite_app):
    monday_9am = f.utc("2026-11-30T01:00:00+00:00")
    with lite_app.app_context(), db.unit_of_work() as s:
        f.matter(s, "tax-02", "xinfa").daily_cap = 0
    code = book(lite_app, "tax-02", "xinfa", starts_at=monday_9am)
    assert check_in(lite_app, code, monday_9am, hall_code="xinfa")[0] == "A001"


def test_book_list_and_check_in_over_rest(lite_client):
    staff = login(lite_client, "manager")
    soon = clock.now() + timedelta(minutes=20)
    booked = lite_client.post(
        "/api/v1/halls/kuancheng/appointments",
        json={"matter": "re-01", "starts_at": soon.isoformat()},
        headers=staff,
    )
    assert booked.status_code == 201
    code = booked.json["appointment"]["code"]
    # The slot's own day: twenty minutes from now is tomorrow after 23:40 in Shanghai.
    slot_day = clock.service_date(soon, "Asia/Shanghai").isoformat()
    day = lite_client.get(
        f"/api/v1/halls/kuancheng/appointments?date={slot_day}", headers=staff
    ).json
    assert [a["code"] for a in day["appointments"]] == [code]
    refused = lite_client.post(
        "/api/v1/halls/kuancheng/appointments/check-in",
        json={"code": code},
        headers=staff,
    )
    assert refused.status_code == 403
    ticket = lite_client.post(
        "/api/v1/halls/kuancheng/appointments/check-in", json={"code": code}, headers=KIOSK
    )
    assert ticket.status_code == 201
    assert ticket.json["ticket"]["source"] == "appointment"
    assert ticket.json["print"]["state"] == "pending"
    for body, status in (({"code": "no"}, 400), ({"code": code}, 409), ({}, 400)):
        answer = lite_client.post(
            "/api/v1/halls/kuancheng/appointments/check-in", json=body, headers=KIOSK
        )
        assert answer.status_code == status and "error" in answer.json
    bad = lite_client.post(
        "/api/v1/halls/kuancheng/appointments",
        json={"matter": "re-01", "starts_at": "2026-11-30T09:30:00"},
        headers=staff,
    )
    assert bad.status_code == 400  # a time without its offset is ambiguous


def test_kiosk_checks_in_over_the_socket(lite_app):
    code = book(lite_app, starts_at=clock.now() + timedelta(minutes=5))
    kiosk = socketio.test_client(
        lite_app, namespace="/kiosk", auth={"token": "demo-kiosk-kuancheng"}
    )
    answer = kiosk.emit("check_in", {"code": code}, namespace="/kiosk", callback=True)
    assert answer["ok"] and answer["ticket"]["number"] == "B001"
    again = kiosk.emit("check_in", {"code": code}, namespace="/kiosk", callback=True)
    assert again["error"]["code"] == "already_checked_in"


def test_cli_books_and_prints_the_code(sqlite_url):
    when = clock.local(clock.now() + timedelta(hours=1), "Asia/Shanghai")
    result = subprocess.run(
        [
            str(HALL_BIN),
            "appointment",
            "add",
            "--hall",
            "kuancheng",
            "--matter",
            "re-01",
            "--at",
            when.strftime("%Y-%m-%d %H:%M"),
        ],
        env={**os.environ, "HALL_DATABASE_URL": sqlite_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    code = result.stdout.strip().splitlines()[-1]
    assert len(code) == 8


def test_listing_refuses_a_bad_date_and_other_halls_staff(lite_client):
    manager = login(lite_client, "manager")
    bad = lite_client.get("/api/v1/halls/kuancheng/appointments?date=30-11-2026", headers=manager)
    assert bad.status_code == 400 and bad.json["error"]["code"] == "bad_request"
    other = login(lite_client, "manager-xinfa")
    refused = lite_client.get("/api/v1/halls/kuancheng/appointments", headers=other)
    assert refused.status_code == 403
    assert lite_client.get("/api/v1/halls/kuancheng/appointments").status_code == 401
