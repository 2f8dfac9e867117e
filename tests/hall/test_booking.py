"""Booking from the phone over REST, on both databases: slots on working days with the places
left, a booking with its code and secret link, full slots, the per-number limit, cancelling,
every refusal (nothing changed), and the check-in at a kiosk that turns it into a ticket."""

import json

import pytest
from sqlalchemy import func, select

from hall import clock, db
from hall.queue.models import Appointment
from tests import factories as f
from tests.conftest import KIOSK

MONDAY = f.utc("2026-09-28T02:00:00+00:00")  # Monday 10:00 in Shanghai, before National Day
SLOTS = "/api/v1/halls/kuancheng/booking/slots"
BOOK = "/api/v1/halls/kuancheng/bookings"
PHONE = "138 0013 8000"


@pytest.fixture
def now(monkeypatch):
    """The hub's clock, set by the test."""

    class Clock:
        at = MONDAY

    monkeypatch.setattr(clock, "now", lambda: Clock.at)
    return Clock


def book(client, starts_at, phone=PHONE, matter="re-01"):
    return client.post(BOOK, json={"matter": matter, "starts_at": starts_at, "phone": phone})


def token_of(answer) -> str:
    return answer.json["booking"]["url"].rsplit("/", 1)[1]


def count(app) -> int:
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        return s.scalar(select(func.count(Appointment.id)))


def test_slots_on_working_days_book_view_and_cancel(app, client, now):
    listed = client.get(SLOTS, query_string={"matter": "re-01"})
    assert listed.status_code == 200
    days = [d["date"] for d in listed.json["days"]]
    # Tomorrow on, 14 days ahead: the National Day holidays are out, the make-up Saturday in.
    assert days[0] == "2026-09-29" and "2026-10-01" not in days and "2026-10-04" not in days
    assert "2026-10-10" in days and "2026-09-28" not in days and days[-1] == "2026-10-12"
    first = listed.json["days"][0]["slots"]
    assert [s["time"] for s in first][:3] == ["09:00", "09:30", "10:00"]
    assert "12:00" not in [s["time"] for s in first] and first[-1]["time"] == "16:30"
    assert {(s["capacity"], s["booked"], s["free"]) for s in first} == {(2, 0, 2)}
    assert listed.json["slot_min"] == 30

    made = book(client, first[1]["starts_at"])
    assert made.status_code == 201, made.json
    booking = made.json["booking"]
    assert booking["status"] == "booked" and booking["starts_at"] == "2026-09-29T09:30:00+08:00"
    assert booking["phone"] == "138****8000"
    assert len(booking["code"]) == 8 and booking["qr_url"].endswith("/qr.svg")
    assert "13800138000" not in made.get_data(as_text=True)
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        row = s.scalar(select(Appointment))
        stored = json.dumps([row.phone_enc, row.phone_hash, row.phone_masked, row.token_hash])
        assert "13800138000" not in stored and token_of(made) not in stored
        assert row.source == "phone" and row.phone_enc

    again = client.get(SLOTS, query_string={"matter": "re-01", "date": "2026-09-29"})
    assert [d["date"] for d in again.json["days"]] == ["2026-09-29"]
    assert again.json["days"][0]["slots"][1]["free"] == 1

    token = token_of(made)
    seen = client.get(f"/api/v1/bookings/{token}")
    assert seen.status_code == 200 and seen.json["booking"]["code"] == booking["code"]
    assert seen.json["booking"]["phone"] == "138****8000"
    gone = client.post(f"/api/v1/bookings/{token}/cancel")
    assert gone.status_code == 200 and gone.json["booking"]["status"] == "cancelled"
    twice = client.post(f"/api/v1/bookings/{token}/cancel")
    assert twice.status_code == 409 and twice.json["error"]["code"] == "not_booked"
    freed = client.get(SLOTS, query_string={"matter": "re-01", "date": "2026-09-29"})
    assert freed.json["days"][0]["slots"][1]["free"] == 2


def test_a_full_slot_and_a_number_at_its_limit_are_refused(app, client, now):
    slot = "2026-09-30T10:00:00+08:00"
    assert book(client, slot, "13900000001").status_code == 201
    assert book(client, slot, "13900000002").status_code == 201
    full = book(client, slot, "13900000003")
    assert full.status_code == 409 and full.json["error"]["code"] == "slot_full"
    # A slot booked by staff counts against the same places.
    assert count(app) == 2

    kept = [book(client, f"2026-09-29T1{n}:00:00+08:00", "+86 139-0000-0009") for n in (0, 1)]
    assert [k.status_code for k in kept] == [201, 201]
    over = book(client, "2026-09-29T14:00:00+08:00", "13900000009")
    assert over.status_code == 409 and over.json["error"]["code"] == "booking_limit"
    assert count(app) == 4
    client.post(f"/api/v1/bookings/{token_of(kept[0])}/cancel")
    assert book(client, "2026-09-29T14:00:00+08:00", "13900000009").status_code == 201


def test_staff_bookings_take_places_of_the_slot(client, now):
    from tests.conftest import login

    staff = login(client, "manager")
    for _ in range(2):
        made = client.post(
            "/api/v1/halls/kuancheng/appointments",
            json={"matter": "re-01", "starts_at": "2026-09-29T09:00:00+08:00"},
            headers=staff,
        )
        assert made.status_code == 201
    listed = client.get(SLOTS, query_string={"matter": "re-01", "date": "2026-09-29"})
    assert listed.json["days"][0]["slots"][0]["free"] == 0
    assert book(client, "2026-09-29T09:00:00+08:00").json["error"]["code"] == "slot_full"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"starts_at": "2026-09-25T09:00:00+08:00"}, 400, "slot_in_past"),
        ({"starts_at": "2026-09-28T15:00:00+08:00"}, 400, "slot_today"),
        ({"starts_at": "2026-10-01T09:00:00+08:00"}, 400, "not_working_day"),
        ({"starts_at": "2026-10-03T09:00:00+08:00"}, 400, "not_working_day"),
        ({"starts_at": "2026-10-13T09:00:00+08:00"}, 400, "beyond_window"),
        ({"starts_at": "9999-12-31T23:59:59-12:00"}, 400, "beyond_window"),
        ({"starts_at": "2026-09-29T09:10:00+08:00"}, 400, "not_a_slot"),
        ({"starts_at": "2026-09-29T12:00:00+08:00"}, 400, "not_a_slot"),
        ({"starts_at": "2026-09-29T09:00:00"}, 400, "bad_request"),
        ({"phone": "12345"}, 400, "bad_phone"),
        ({"phone": "1" * 30}, 400, "bad_request"),
        ({"matter": "nope"}, 404, "matter_not_found"),
        ({"matter": True}, 400, "bad_request"),
    ],
)
def test_bad_bookings_are_refused_and_change_nothing(app, client, now, body, status, code):
    wanted = {"matter": "re-01", "starts_at": "2026-09-29T09:00:00+08:00", "phone": PHONE}
    answer = client.post(BOOK, json={**wanted, **body})
    assert answer.status_code == status, answer.json
    assert set(answer.json) == {"error"}
    if code != "bad_request":
        assert answer.json["error"]["code"] == code
    assert count(app) == 0


def test_bad_slot_queries_and_links(client, now):
    for query, status in (
        ({}, 400),
        ({"matter": "re-01", "date": "2026-10-01"}, 400),  # a holiday
        ({"matter": "re-01", "date": "2026-09-28"}, 400),  # today
        ({"matter": "re-01", "date": "yesterday"}, 400),
        ({"matter": "nope"}, 404),
    ):
        answer = client.get(SLOTS, query_string=query)
        assert answer.status_code == status and "error" in answer.json, query
    closed = client.get("/api/v1/halls/xinfa/booking/slots", query_string={"matter": "tax-02"})
    assert closed.status_code == 403 and closed.json["error"]["code"] == "booking_closed"
    refused = client.post(
        "/api/v1/halls/xinfa/bookings",
        json={"matter": "tax-02", "starts_at": "2026-09-29T09:00:00+08:00", "phone": PHONE},
    )
    assert refused.status_code == 403
    for token in ("x" * 43, "1", "a" * 200):
        assert client.get(f"/api/v1/bookings/{token}").status_code == 404
        assert client.post(f"/api/v1/bookings/{token}/cancel").status_code == 404


def test_a_phone_booking_checks_in_at_the_kiosk_as_an_appointment_ticket(client, now):
    made = book(client, "2026-09-29T10:00:00+08:00")
    dropped = book(client, "2026-09-29T10:00:00+08:00", "13700000000")
    client.post(f"/api/v1/bookings/{token_of(dropped)}/cancel")
    now.at = f.utc("2026-09-29T01:50:00+00:00")  # 09:50 in Shanghai, ten minutes before
    check_in = "/api/v1/halls/kuancheng/appointments/check-in"
    ticket = client.post(check_in, json={"code": made.json["booking"]["code"]}, headers=KIOSK)
    assert ticket.status_code == 201, ticket.json
    assert ticket.json["ticket"]["source"] == "appointment"
    assert ticket.json["ticket"]["priority"] == "appointment"
    seen = client.get(f"/api/v1/bookings/{token_of(made)}").json["booking"]
    assert seen["status"] == "checked_in" and seen["checked_in_at"].startswith("2026-09-29T09:50")
    late = client.post(f"/api/v1/bookings/{token_of(made)}/cancel")
    assert late.status_code == 409
    cancelled = client.post(check_in, json={"code": dropped.json["booking"]["code"]}, headers=KIOSK)
    assert cancelled.status_code == 409 and cancelled.json["error"]["code"] == "booking_cancelled"


def test_the_rate_limit_per_address(database_url, now):
    from tests.conftest import build_app

    app = build_app(database_url, BOOKING_LIMIT="2 per minute")
    client = app.test_client()
    assert book(client, "2026-09-29T09:00:00+08:00", "13900000001").status_code == 201
    assert book(client, "2026-09-29T09:00:00+08:00", "13900000002").status_code == 201
    third = book(client, "2026-09-29T09:30:00+08:00", "13900000003")
    assert third.status_code == 429 and "Retry-After" in third.headers
    db.engine(app).dispose()


def test_no_personal_data_is_needed_unless_the_hub_asks_for_a_phone(sqlite_url, now):
    from tests.conftest import build_app

    anonymous = build_app(sqlite_url)  # the default: no personal data required
    made = book(anonymous.test_client(), "2026-09-29T09:00:00+08:00", None)
    assert made.status_code == 201 and made.json["booking"]["phone"] is None
    db.engine(anonymous).dispose()
    asking = build_app(sqlite_url, BOOKING_PHONE_REQUIRED=True)
    refused = book(asking.test_client(), "2026-09-29T09:30:00+08:00", None)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "bad_phone"
    db.engine(asking).dispose()


def test_slot_length_and_capacity_come_from_the_hall_and_the_matter(lite_app, now):
    client = lite_app.test_client()
    with lite_app.app_context(), db.unit_of_work() as s:
        f.hall(s, "kuancheng").booking_slot_min = 60
        f.matter(s, "re-02", "kuancheng").booking_capacity = 1
        f.matter(s, "re-03", "kuancheng").booking_capacity = 0
    hourly = client.get(SLOTS, query_string={"matter": "re-01", "date": "2026-09-29"}).json
    assert hourly["slot_min"] == 60
    assert [s["time"] for s in hourly["days"][0]["slots"]] == [
        "09:00",
        "10:00",
        "11:00",
        "13:30",
        "14:30",
        "15:30",
    ]
    one = client.get(SLOTS, query_string={"matter": "re-02", "date": "2026-09-29"}).json
    assert one["capacity"] == 1 and one["days"][0]["slots"][0]["free"] == 1
    assert book(client, "2026-09-29T09:00:00+08:00", matter="re-02").status_code == 201
    full = book(client, "2026-09-29T09:00:00+08:00", "13900000001", matter="re-02")
    assert full.json["error"]["code"] == "slot_full"
    none = client.get(SLOTS, query_string={"matter": "re-03", "date": "2026-09-29"}).json
    assert none["capacity"] == 0 and none["days"][0]["slots"] == []
    refused = book(client, "2026-09-29T09:00:00+08:00", matter="re-03")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "not_bookable"
    with lite_app.app_context(), db.unit_of_work() as s:
        f.hall(s, "kuancheng").booking_days = 0
    assert client.get(SLOTS, query_string={"matter": "re-01"}).status_code == 403


def test_an_admin_sets_the_booking_settings_and_bad_values_are_refused(lite_app, now):
    from tests.conftest import login

    client = lite_app.test_client()
    admin = login(client, "admin")
    hall = client.patch(
        "/api/v1/admin/halls/kuancheng",
        json={"booking_slot_min": 45, "booking_per_phone": 1},
        headers=admin,
    )
    assert hall.status_code == 200, hall.json
    with lite_app.app_context(), db.unit_of_work(readonly=True) as s:
        matter_id = f.matter(s, "re-01", "kuancheng").id
    matter = client.patch(
        f"/api/v1/admin/matters/{matter_id}", json={"booking_capacity": 1}, headers=admin
    )
    assert matter.status_code == 200, matter.json
    listed = client.get(SLOTS, query_string={"matter": "re-01", "date": "2026-09-29"}).json
    assert listed["slot_min"] == 45 and listed["capacity"] == 1
    assert [s["time"] for s in listed["days"][0]["slots"]][:3] == ["09:00", "09:45", "10:30"]
    assert book(client, "2026-09-29T09:45:00+08:00").status_code == 201
    limit = book(client, "2026-09-29T10:30:00+08:00")
    assert limit.status_code == 409 and limit.json["error"]["code"] == "booking_limit"
    for body in ({"booking_slot_min": 1}, {"booking_days": -1}, {"booking_per_phone": 0}):
        refused = client.patch("/api/v1/admin/halls/kuancheng", json=body, headers=admin)
        assert refused.status_code == 400, body


def test_retention_empties_a_booking_phone_a_week_after_its_slot(lite_app, now):
    from hall import retention

    client = lite_app.test_client()
    past = book(client, "2026-09-29T09:00:00+08:00")
    kept = book(client, "2026-10-09T09:00:00+08:00", "13900000001")
    assert past.status_code == kept.status_code == 201
    now.at = f.utc("2026-10-07T02:00:00+00:00")  # 8 days after the first slot, 2 before the other
    with lite_app.app_context(), db.unit_of_work() as s:
        assert retention.run(s, 365, 180, booking_days=7).bookings == 1
    with lite_app.app_context(), db.unit_of_work(readonly=True) as s:
        rows = {a.code: a for a in s.scalars(select(Appointment))}
        gone = rows[past.json["booking"]["code"]]
        assert (gone.phone_enc, gone.phone_masked, gone.phone_hash) == ("", "", None)
        still = rows[kept.json["booking"]["code"]]
        assert still.phone_enc and still.phone_masked == "139****0001" and still.phone_hash
    assert client.get(f"/api/v1/bookings/{token_of(past)}").json["booking"]["phone"] is None
