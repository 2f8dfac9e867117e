"""`hall backup` and `hall restore`: a consistent copy taken while tickets are issued, restored
into an empty database with every acknowledged ticket and every case; a database that holds
rows is overwritten only with --force. On SQLite and PostgreSQL, native and portable formats."""

import os
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from hall import db
from hall.admin.models import CalendarDay
from hall.cases.models import Case
from hall.cli import main
from hall.queue.models import DailyCounter, Ticket, Window
from tests.conftest import KIOSK, POSTGRES_URL, _admin, build_app, login


def run(url, *args):
    result = CliRunner().invoke(main, list(args), env={"HALL_DATABASE_URL": url})
    return result


def empty_database(kind, tmp_path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    name = f"hall_r_{os.getpid()}"
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin(f"CREATE DATABASE {name}")
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def contents(url):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tickets = {row.id: (row.number, row.status) for row in conn.execute(select(Ticket))}
            current = dict(conn.execute(select(Window.id, Window.current_ticket_id)).all())
            cases = {
                row.id: (row.number, row.status, row.applicant_name_enc)
                for row in conn.execute(select(Case))
            }
            counters = {
                (row.scope, row.day): row.value
                for row in conn.execute(select(DailyCounter))
                if row.scope.startswith("queue:")
            }
            drawn = {
                (f"queue:{scope}", day): count
                for scope, day, count in conn.execute(
                    select(
                        Ticket.queue_prefix_scope, Ticket.service_date, func.max(Ticket.seq)
                    ).group_by(Ticket.queue_prefix_scope, Ticket.service_date)
                )
            }
    finally:
        engine.dispose()
    return tickets, cases, counters, drawn, current


@pytest.mark.parametrize("fmt", ["auto", "portable"])
def test_backup_under_load_restores_every_acknowledged_ticket(app, tmp_path, fmt):
    url = app.config["DATABASE_URL"]
    kind = make_url(url).get_backend_name()
    acked: list[int] = []
    stop = threading.Event()

    def issue_tickets() -> None:
        client = app.test_client()
        while not stop.is_set():
            response = client.post(
                "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
            )
            assert response.status_code == 201, response.json
            acked.append(response.json["ticket"]["id"])

    # A called ticket: windows and tickets name each other (a cycle the restore must close).
    staff = login(app.test_client(), "window1")
    client = app.test_client()
    first = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    )
    acked.append(first.json["ticket"]["id"])
    assert client.post("/api/v1/windows/1/open", headers=staff).status_code == 200
    assert client.post("/api/v1/windows/1/call-next", headers=staff).json["ticket"]
    load = threading.Thread(target=issue_tickets)
    load.start()
    try:
        while len(acked) < 6:
            stop.wait(0.01)
        before = list(acked)
        backup_file = tmp_path / "backup.bin"
        result = run(url, "backup", "--output", str(backup_file), "--format", fmt)
        after = set(acked)
    finally:
        stop.set()
        load.join()
    assert result.exit_code == 0, result.output
    if fmt == "auto":
        assert ("sqlite" if kind == "sqlite" else "pg_dump") in result.output

    target = empty_database(kind, tmp_path)
    result = run(target, "restore", str(backup_file))
    assert result.exit_code == 0, result.output
    tickets, cases, counters, drawn, current = contents(target)
    source_tickets, source_cases, *_ = contents(url)
    # Every ticket acknowledged before the backup began is there; none issued after it ended.
    assert set(before) <= set(tickets)
    assert set(tickets) <= after
    assert all(tickets[i] == source_tickets[i] for i in before)
    # One snapshot: the number counters agree with the tickets drawn from them.
    assert counters == drawn
    assert cases and cases == source_cases
    assert current[1] is not None and current == contents(url)[4]

    # A database holding rows is not overwritten without --force.
    result = run(target, "restore", str(backup_file))
    assert result.exit_code != 0 and "--force" in result.output
    assert run(target, "restore", str(backup_file), "--force").exit_code == 0
    assert contents(target)[0] == tickets

    # The restored hub serves: it takes the next ticket after the restored ones.
    restored = build_app(target)
    try:
        response = restored.test_client().post(
            "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
        )
        assert response.status_code == 201, response.json
        assert response.json["ticket"]["id"] > max(tickets)
    finally:
        db.engine(restored).dispose()


def test_portable_backup_moves_a_sqlite_hall_to_postgresql(lite_app, tmp_path, templates):
    if templates["postgresql"] is None:
        pytest.skip(templates["pg_reason"])
    url = lite_app.config["DATABASE_URL"]
    client = lite_app.test_client()
    for _ in range(3):
        assert (
            client.post(
                "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
            ).status_code
            == 201
        )
    holiday = {"workday": False, "name": "春节"}
    admin = login(client, "admin")
    assert (
        client.put("/api/v1/admin/calendar/2027-02-08", json=holiday, headers=admin).status_code
        == 200
    )
    dump = tmp_path / "hall.jsonl"
    assert run(url, "backup", "-o", str(dump), "--format", "portable").exit_code == 0
    target = empty_database("postgresql", tmp_path)
    result = run(target, "restore", str(dump))
    assert result.exit_code == 0, result.output
    assert contents(target)[:2] == contents(url)[:2]
    moved = create_engine(target)
    with moved.connect() as conn:
        days = conn.execute(select(CalendarDay.day, CalendarDay.workday, CalendarDay.name)).all()
    moved.dispose()
    assert [(d.isoformat(), w, n) for d, w, n in days] == [("2027-02-08", False, "春节")]


def test_restore_refuses_what_is_not_a_backup(lite_app, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a backup at all")
    result = run(lite_app.config["DATABASE_URL"], "restore", str(junk), "--force")
    assert result.exit_code != 0 and "not a OneWindow backup" in result.output
