"""The roll-up of closed days answers exactly what counting the tickets live answers."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, insert, select, update

from hall import db
from hall.admin.models import Hall, Staff
from hall.cli import main as cli
from hall.queue.models import Matter, Ticket, TicketStatus, TicketStep, Window, WindowStep
from hall.stats import rollup, services
from hall.stats.figures import GROUPS
from hall.stats.models import Channel, Rating, Rollup, RollupDay
from hall.stats.presenters import stats_report

FIRST = date(2026, 11, 24)
DAYS = 4
# Noon of the last day: the first three days are closed, the last is counted live.
NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)


def generate(app, per_day: int = 120) -> None:
    """Tickets of four days with every status, transfers, ratings and window shifts."""
    rng = random.Random(11)
    with app.app_context(), db.unit_of_work() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "kuancheng"))
        matters = [
            (m.id, m.queue_id) for m in s.scalars(select(Matter).where(Matter.hall_id == hall.id))
        ]
        windows = [w.id for w in s.scalars(select(Window).where(Window.hall_id == hall.id))][:4]
        staff = [x.id for x in s.scalars(select(Staff).limit(3))] + [None]
        hall_id = hall.id
    tickets, steps, ratings, shifts = [], [], [], []
    ticket_id = 500_000
    for d in range(DAYS):
        day = FIRST + timedelta(days=d)
        opening = datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC)  # 08:30 local
        for w in windows:
            shifts.append({"window_id": w, "action": "opened", "at": opening, "detail": ""})
            pause = opening + timedelta(hours=3, seconds=rng.randint(0, 3600))
            shifts.append({"window_id": w, "action": "paused", "at": pause, "detail": ""})
            shifts.append(
                {
                    "window_id": w,
                    "action": "resumed",
                    "at": pause + timedelta(minutes=20),
                    "detail": "",
                }
            )
            if d < DAYS - 1:
                closing = opening + timedelta(hours=8, minutes=30)
                shifts.append({"window_id": w, "action": "closed", "at": closing, "detail": ""})
        for seq in range(1, per_day + 1):
            ticket_id += 1
            matter_id, queue_id = rng.choice(matters)
            issued = opening + timedelta(
                seconds=rng.randint(0, 8 * 3600), microseconds=rng.randint(0, 999_999)
            )
            if day == NOW.date() and issued > NOW:
                issued = NOW - timedelta(minutes=rng.randint(1, 200))
            roll = rng.random()
            status = (
                "done"
                if roll < 0.7
                else "no_show"
                if roll < 0.8
                else "cancelled"
                if roll < 0.88
                else "waiting"
            )
            wait = timedelta(
                seconds=rng.expovariate(1 / 1500), microseconds=rng.randint(0, 999_999)
            )
            called = issued + wait if status in ("done", "no_show") else None
            started = called + timedelta(seconds=rng.uniform(5, 200)) if status == "done" else None
            done = started + timedelta(seconds=rng.expovariate(1 / 400)) if started else None
            window = rng.choice(windows) if called else None
            tickets.append(
                {
                    "id": ticket_id,
                    "hall_id": hall_id,
                    "queue_id": queue_id,
                    "queue_prefix_scope": queue_id,
                    "matter_id": matter_id,
                    "service_date": day,
                    "seq": seq,
                    "number": f"R{seq:04d}",
                    "status": status,
                    "token": f"rollup{ticket_id}",
                    "source": "kiosk",
                    "issued_at": issued,
                    "queued_at": issued,
                    "called_at": called,
                    "first_called_at": called,
                    "started_at": started,
                    "finished_at": done,
                    "no_show_at": called + timedelta(minutes=3) if status == "no_show" else None,
                    "calls": 1 if called else 0,
                    "window_id": window,
                    "staff_id": rng.choice(staff) if called else None,
                }
            )
            if called and rng.random() < 0.1:
                steps.append(
                    {
                        "ticket_id": ticket_id,
                        "hall_id": hall_id,
                        "action": "transferred",
                        "at": called,
                        "queue_id": queue_id,
                        "detail": "",
                    }
                )
            if done and rng.random() < 0.5:
                score = rng.choice((5, 4, 3, 2, 1))
                ratings.append(
                    {
                        "hall_id": hall_id,
                        "subject": "ticket",
                        "ticket_id": ticket_id,
                        "matter_id": matter_id,
                        "window_id": window,
                        "channel": "evaluator",
                        "at": done,
                        "added": False,
                        "score": score,
                        "reasons": ["wait"] if score <= 2 else [],
                        "text": "",
                        "callback_note": "",
                        "outcome_note": "",
                        "appeal_note": "",
                        "outcome": rng.choice((None, "explained")) if score <= 2 else None,
                    }
                )
    with app.app_context(), db.engine(app).begin() as conn:
        conn.execute(insert(Ticket.__table__), tickets)
        conn.execute(insert(TicketStep.__table__), steps)
        conn.execute(insert(WindowStep.__table__), shifts)
        conn.execute(insert(Rating.__table__), ratings)


def report(app, by, *, use_rollup, start=FIRST, end=FIRST + timedelta(days=DAYS - 1)):
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        hall = s.scalar(select(Hall).where(Hall.code == "kuancheng"))
        return stats_report(s, hall, start, end, by, now=NOW, use_rollup=use_rollup)


def stored_days(app) -> list[date]:
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        return sorted(s.scalars(select(RollupDay.day)))


@pytest.fixture
def month(app):
    generate(app)
    return app


@pytest.mark.parametrize("by", [None, *GROUPS])
def test_rollup_and_live_answers_agree_exactly(month, by):
    live = report(month, by, use_rollup=False)
    assert live["tickets"]["issued"] == DAYS * 120
    assert live["tickets"]["wait_s"]["p90"] and live["ratings"]["count"]
    assert stored_days(month) == []
    first = report(month, by, use_rollup=True)  # builds and stores the closed days
    assert stored_days(month) == [FIRST + timedelta(days=i) for i in range(DAYS - 1)]
    second = report(month, by, use_rollup=True)  # reads them
    assert first == live
    assert second == live
    if by is not None:
        assert len(live["groups"]) > 1


def test_a_changed_past_day_is_counted_again(month):
    report(month, "queue", use_rollup=True)
    day = FIRST + timedelta(days=1)
    # A ticket of a closed day moved by a plain UPDATE (no session hook sees it): the
    # day's fingerprint no longer matches and the day is counted again.
    with month.app_context(), db.engine(month).begin() as conn:
        conn.execute(
            update(Ticket.__table__)
            .where(Ticket.service_date == day, Ticket.status == TicketStatus.WAITING.value)
            .values(status=TicketStatus.CANCELLED.value)
        )
    assert report(month, "queue", use_rollup=True) == report(month, "queue", use_rollup=False)
    # A rating given later (补充评价) of a closed day's ticket: the hook drops that day.
    report(month, None, use_rollup=True)
    with month.app_context(), db.unit_of_work() as s:
        ticket = s.scalar(
            select(Ticket)
            .where(Ticket.service_date == day, Ticket.status == TicketStatus.DONE)
            .where(~Ticket.id.in_(select(Rating.ticket_id).where(Rating.ticket_id.is_not(None))))
            .limit(1)
        )
        services.rate_ticket(
            s, ticket, Channel.STATUS, {"score": 1, "text": "慢"}, at=NOW - timedelta(hours=1)
        )
    assert day not in stored_days(month)
    after = report(month, None, use_rollup=True)
    assert after == report(month, None, use_rollup=False)
    assert after["ratings"]["bad"] >= 1


def test_a_new_target_rebuilds_the_days(month):
    before = report(month, None, use_rollup=True)
    with month.app_context(), db.unit_of_work() as s:
        s.scalar(select(Hall).where(Hall.code == "kuancheng")).wait_target_min = 10
    after = report(month, None, use_rollup=True)
    assert after == report(month, None, use_rollup=False)
    assert after["tickets"]["service_level"] < before["tickets"]["service_level"]


@pytest.fixture
def lite_month(lite_app):
    generate(lite_app)
    return lite_app


def test_the_command_rebuilds_a_range(lite_month):
    month = lite_month
    runner = CliRunner()
    url = month.config["DATABASE_URL"]
    result = runner.invoke(
        cli,
        [
            "stats",
            "rollup",
            "--hall",
            "kuancheng",
            "--from",
            FIRST.isoformat(),
            "--to",
            "2026-11-26",
        ],
        env={"HALL_DATABASE_URL": url},
    )
    assert result.exit_code == 0, result.output
    assert "3" in result.output
    with month.app_context(), db.unit_of_work(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Rollup)) > 3
    assert stored_days(month) == [FIRST + timedelta(days=i) for i in range(3)]
    assert report(month, "window", use_rollup=True) == report(month, "window", use_rollup=False)
    bad = runner.invoke(
        cli, ["stats", "rollup", "--hall", "nowhere"], env={"HALL_DATABASE_URL": url}
    )
    assert bad.exit_code != 0


def test_only_closed_days_are_stored():
    hall = type("H", (), {"timezone": "Asia/Shanghai"})()
    # 2026-11-27 00:20 local: yesterday ended 20 minutes ago, within a 30-minute target.
    assert rollup.closed_before(hall, datetime(2026, 11, 26, 16, 20, tzinfo=UTC), 1800) == date(
        2026, 11, 26
    )
    assert rollup.closed_before(hall, datetime(2026, 11, 26, 16, 40, tzinfo=UTC), 1800) == date(
        2026, 11, 27
    )
