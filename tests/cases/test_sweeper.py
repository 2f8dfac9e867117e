"""The deadline-warning sweep on a timer: one process of the group per round, and warnings
that reach the back office from a running `hall serve` without anyone running the CLI."""

import threading
from datetime import datetime, timedelta

import socketio
from sqlalchemy import select, update

from hall import db
from hall.cases import sweeper
from hall.cases.models import Case, CaseStatus, Timer
from tests.conftest import LiveServer, build_app, login

AT = datetime.fromisoformat("2026-12-02T02:00:00+00:00")


def test_one_process_of_the_group_takes_each_round(app):
    # Four apps on one database stand for four hub processes, all waking at the same moment.
    apps = [app, *(build_app(app.config["DATABASE_URL"]) for _ in range(3))]
    won: list[int] = []
    start = threading.Barrier(len(apps))

    def wake(n: int, at: datetime) -> None:
        start.wait()
        with apps[n].app_context(), db.unit_of_work() as session:
            if sweeper.claim(session, "test", 60, at, who=f"process-{n}"):
                won.append(n)

    try:
        for at in (AT, AT + timedelta(seconds=30), AT + timedelta(seconds=61)):
            threads = [threading.Thread(target=wake, args=(n, at)) for n in range(len(apps))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(20)
        # Round one: one winner; 30 s later the round is not due; at 61 s one winner again.
        assert len(won) == 2
        with app.app_context(), db.unit_of_work(readonly=True) as session:
            timer = session.get(Timer, "test")
            assert timer.due_at == AT + timedelta(seconds=121)
            assert timer.ran_by == f"process-{won[-1]}"
    finally:
        for other in apps[1:]:
            db.engine(other).dispose()


def test_a_round_sweeps_and_the_next_process_waits(app):
    app.config["CASE_SWEEP_S"] = 60.0
    with app.app_context(), db.unit_of_work() as session:
        session.execute(update(Case).values(warning=""))
    later = datetime.fromisoformat("2027-06-01T02:00:00+00:00")  # every demo case is late
    with app.app_context():
        changed = sweeper.sweep_round(app, later)
        assert changed and changed > 0
        assert sweeper.sweep_round(app, later + timedelta(seconds=10)) is None
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        running = session.scalars(
            select(Case.warning).where(
                Case.status == CaseStatus.IN_REVIEW, Case.clock_stopped_at.is_(None)
            )
        ).all()
        assert running and set(running) == {"red"}


def test_warnings_reach_the_back_office_from_a_running_hub_without_the_cli(app):
    hub = LiveServer(app.config["DATABASE_URL"], HALL_CASE_SWEEP_S="0.5").start()
    office = socketio.Client(reconnection=False)
    warnings: list[dict] = []
    seen, ready = threading.Event(), threading.Event()
    office.on("snapshot", lambda data: ready.set(), namespace="/backoffice")

    def on_warning(data: dict) -> None:
        warnings.append(data)
        if data["warning"] == "red":
            seen.set()

    office.on("case.warning", on_warning, namespace="/backoffice")
    try:
        token = login(hub.url, "admin")["Authorization"].split()[1]
        office.connect(
            hub.url,
            namespaces=["/backoffice"],
            auth={"token": token},
            transports=["websocket"],
            wait_timeout=10,
        )
        assert ready.wait(10)
        # The demo's overdue case, as if nobody had looked yet (the hub swept as it started).
        with app.app_context(), db.unit_of_work() as session:
            session.execute(update(Case).values(warning=""))
        assert seen.wait(20), "no case.warning reached the back office"
    finally:
        office.disconnect()
        hub.stop()
    red = [w for w in warnings if w["warning"] == "red"]
    assert red and not set(red[0]) & {"applicant", "name", "phone", "id_number"}
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        case = session.scalar(select(Case).where(Case.number == red[0]["number"]))
        assert case.warning == "red"
        assert session.get(Timer, sweeper.NAME).ran_by
