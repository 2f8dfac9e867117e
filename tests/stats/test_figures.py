"""Figures from a day whose step times the test sets exactly, on SQLite and PostgreSQL."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from hall import db
from hall.queue.models import Ticket, TicketStatus, TicketStep, WindowStep
from hall.stats import services
from hall.stats.figures import percentile, spread
from hall.stats.models import Channel
from tests import factories
from tests.conftest import login

DAY = date(2026, 11, 30)


def at(hhmm: str, day: date = DAY) -> datetime:
    """A local time of the day in the hall's zone (+08:00)."""
    return datetime.fromisoformat(f"{day.isoformat()}T{hhmm}:00+08:00")


def make_ticket(
    session,
    seq,
    matter,
    status,
    issued,
    called=None,
    started=None,
    done=None,
    missed=None,
    window=None,
    staff=None,
):
    ticket = Ticket(
        hall_id=matter.hall_id,
        queue_id=matter.queue_id,
        queue_prefix_scope=matter.queue_id,
        matter_id=matter.id,
        service_date=DAY,
        seq=seq,
        number=f"T{seq:03d}",
        status=status,
        token=f"figures-token-{seq:03d}-abcdefghijklmnop",
        issued_at=at(issued),
        queued_at=at(issued),
        called_at=at(called) if called else None,
        first_called_at=at(called) if called else None,
        started_at=at(started) if started else None,
        finished_at=at(done) if done else None,
        no_show_at=at(missed) if missed else None,
        calls=1 if called else 0,
        window_id=window.id if window else None,
        staff_id=staff.id if staff else None,
    )
    session.add(ticket)
    session.flush()
    return ticket


@pytest.fixture
def day(app):
    """One hall day: five tickets, two windows, a transfer and two ratings."""
    with app.app_context(), db.unit_of_work() as s:
        one = factories.matter(s, "samr-01")
        other = next(m for m in factories.hall(s).queues[0].hall.queues if m.id != one.queue_id)
        from sqlalchemy import select

        from hall.queue.models import Matter

        two = s.scalar(select(Matter).where(Matter.queue_id == other.id))
        w1, w2 = factories.window(s, "1"), factories.window(s, "2")
        staff = factories.staff(s, "window1")
        t1 = make_ticket(
            s, 1, one, TicketStatus.DONE, "09:00", "09:10", "09:12", "09:20", window=w1, staff=staff
        )
        t2 = make_ticket(
            s, 2, one, TicketStatus.DONE, "09:05", "09:45", "09:46", "10:06", window=w1, staff=staff
        )
        make_ticket(s, 3, one, TicketStatus.NO_SHOW, "09:30", "10:06", missed="10:09", window=w2)
        make_ticket(s, 4, two, TicketStatus.WAITING, "10:00")
        make_ticket(s, 5, two, TicketStatus.CANCELLED, "10:10")
        s.add(
            TicketStep(
                ticket_id=t2.id,
                hall_id=t2.hall_id,
                action="transferred",
                at=at("09:40"),
                queue_id=t2.queue_id,
            )
        )
        for window, action, when in (
            (w1, "opened", "09:00"),
            (w1, "paused", "12:00"),
            (w2, "opened", "10:00"),
            (w2, "closed", "10:30"),
        ):
            s.add(WindowStep(window_id=window.id, action=action, at=at(when), detail=""))
        s.flush()
        services.rate_ticket(s, t1, Channel.EVALUATOR, {"score": 5}, at=at("09:21"))
        services.rate_ticket(
            s, t2, Channel.STATUS, {"score": 2, "reasons": ["wait"]}, at=at("10:30")
        )
        return {"queue_one": one.queue.code, "queue_two": other.code}


def test_percentiles_are_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([7], 90) == 7
    assert percentile([4, 1, 3, 2], 50) == 2
    assert percentile([4, 1, 3, 2], 90) == 4
    assert percentile(list(range(1, 11)), 90) == 9
    assert spread([600, 2400, 2160]) == {"p50": 2160, "p90": 2400, "max": 2400}


def test_figures_of_a_known_day(client, day):
    manager = login(client, "manager")
    answer = client.get(
        "/api/v1/halls/kuancheng/stats?from=2026-11-30&to=2026-11-30", headers=manager
    )
    assert answer.status_code == 200, answer.json
    t = answer.json["tickets"]
    assert (t["issued"], t["served"], t["no_show"], t["cancelled"], t["still_waiting"]) == (
        5,
        2,
        1,
        1,
        1,
    )
    assert t["served_rate"] == 0.4 and t["no_show_rate"] == 0.2
    assert t["transfers"] == 1
    assert t["wait_s"] == {"p50": 2160, "p90": 2400, "max": 2400}
    assert t["walk_s"] == {"p50": 60, "p90": 120, "max": 120}
    assert t["service_s"] == {"p50": 480, "p90": 1200, "max": 1200}
    # Within 30 min: T1 only; over: T2, T3 (called late) and T4 (still waiting).
    assert t["service_level"] == 0.25 and t["over_target"] == 3
    assert t["backlog"][0] == {"day": "2026-11-30", "hour": 9, "waiting": 1}
    assert [b["hour"] for b in t["backlog"]] == list(range(9, 24))
    # Window 1 open 3 h, busy 10 + 21 min; window 2 open 30 min, busy 3 min.
    assert t["idle_s"] == (10800 - 1860) + (1800 - 180)
    r = answer.json["ratings"]
    assert (r["count"], r["good"], r["bad"], r["good_rate"]) == (2, 1, 1, 0.5)
    assert r["callback_rate"] == 0.0 and r["fixed_rate"] == 0.0 and r["unrated_rate"] == 0.0
    assert set(answer.json["cases"]) >= {"received", "decided", "late", "on_time_rate"}
    # Another day holds nothing.
    empty = client.get("/api/v1/halls/kuancheng/stats?from=2026-11-29", headers=manager).json
    assert empty["tickets"]["issued"] == 0 and empty["tickets"]["wait_s"]["p50"] is None


def test_groups_by_queue_window_and_hour(client, day):
    manager = login(client, "manager")
    url = "/api/v1/halls/kuancheng/stats?from=2026-11-30&to=2026-11-30&by="
    queues = {g["name"]: g for g in client.get(url + "queue", headers=manager).json["groups"]}
    assert queues[day["queue_one"]]["tickets"]["issued"] == 3
    assert queues[day["queue_two"]]["tickets"]["issued"] == 2
    assert queues[day["queue_one"]]["ratings"]["bad"] == 1
    windows = {g["name"]: g for g in client.get(url + "window", headers=manager).json["groups"]}
    assert windows["1"]["tickets"]["served"] == 2 and windows["1"]["tickets"]["idle_s"] == 8940
    assert windows["2"]["tickets"]["no_show"] == 1 and windows["2"]["tickets"]["idle_s"] == 1620
    hours = {
        g["key"]: g["tickets"]["issued"]
        for g in client.get(url + "hour", headers=manager).json["groups"]
        if g["tickets"]["issued"]  # the demo's cases open then add their hours of intake
    }
    assert hours == {9: 3, 10: 2}
    days = client.get(url + "day", headers=manager).json["groups"]
    assert days[0]["key"] == "2026-11-30" and days[0]["ratings"]["count"] == 2


def test_exports_hold_the_same_numbers(client, day):
    manager = login(client, "manager")
    query = "?from=2026-11-30&to=2026-11-30&by=window"
    report = client.get(f"/api/v1/halls/kuancheng/stats{query}", headers=manager).json
    text = client.get(f"/api/v1/halls/kuancheng/stats.csv{query}", headers=manager)
    assert text.status_code == 200 and text.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text.data.decode("utf-8-sig"))))
    header, total = rows[1], rows[2]
    assert total[header.index("取号 / issued")] == str(report["tickets"]["issued"])
    assert total[header.index("等候中位数(秒) / wait p50 s")] == "2160"
    assert total[header.index("服务水平 / service level")] == "0.25"
    book = client.get(f"/api/v1/halls/kuancheng/stats.xlsx{query}", headers=manager)
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.data)).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[2][values[1].index("取号 / issued")] == 5
    assert values[2][values[1].index("差评 / bad")] == 1
    assert len(values) == 3 + len(report["groups"])
    levels = load_workbook(io.BytesIO(book.data)).worksheets[1]
    codes = {row[0].value: row[2].value for row in levels.iter_rows(min_row=2)}
    assert codes == {5: 1, 4: 2, 3: 3, 2: 4, 1: 5}


@pytest.mark.parametrize(
    "query, code",
    [
        ("?from=2026-13-01", "bad_request"),
        ("?from=2026-11-30&to=2026-11-01", "bad_range"),
        ("?from=2020-01-01&to=2026-01-01", "bad_range"),
        ("?by=planet", "bad_group"),
    ],
)
def test_bad_queries_are_refused(lite_client, query, code):
    manager = login(lite_client, "manager")
    answer = lite_client.get(f"/api/v1/halls/kuancheng/stats{query}", headers=manager)
    assert answer.status_code == 400 and answer.json["error"]["code"] == code


def test_stats_need_a_manager(lite_client):
    assert lite_client.get("/api/v1/halls/kuancheng/stats").status_code == 401
    window = login(lite_client, "window1")
    answer = lite_client.get("/api/v1/halls/kuancheng/stats", headers=window)
    assert answer.status_code == 403
    assert lite_client.get("/api/v1/halls/nowhere/stats").status_code == 404
    assert lite_client.get("/api/v1/halls/kuancheng/stats.csv").status_code == 401


def test_open_figures_hold_no_personal_data(client, day):
    answer = client.get("/api/v1/open/kuancheng")
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert "window1" not in body and "figures-token" not in body
    data = answer.json["open"]
    assert {"today", "month"} <= set(data)
    assert {"median_wait_s", "service_level", "good_rate", "bad", "fixed"} <= set(data["today"])
    assert client.get("/api/v1/open/nowhere").status_code == 404
    assert timedelta  # the module's imports are all used
