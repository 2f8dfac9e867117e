"""The hub as a least-privilege PostgreSQL role (`hall db grant-app-role ROLE`): it issues and
calls tickets and appends to the audit trail, but UPDATE, DELETE, TRUNCATE, dropping or
disabling the triggers and dropping the table are refused by the database's permissions (not
only by the triggers, which the tables' owner could drop).

Roles are shared by the whole PostgreSQL server: their names carry this process's id (tests may
run in parallel) and they are dropped afterwards."""

import os
import subprocess

import pytest
import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from hall.admin.models import AuditEntry
from tests.conftest import HALL_BIN, KIOSK, POSTGRES_URL, LiveServer, _admin, login

PASSWORD = "pa'ss:w%rd 1"  # quoting: a literal, never pasted into the statement


@pytest.fixture
def pg_url(templates):
    """A fresh PostgreSQL database holding the demo halls, owned by the test's superuser."""
    if templates["postgresql"] is None:
        pytest.skip(templates["pg_reason"])
    name = f"hall_role_{os.getpid()}"
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin(f"CREATE DATABASE {name} TEMPLATE {templates['postgresql']}")
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def role(pg_url):
    """A role name unique to this process, dropped with everything granted to it."""
    name = f"hall_app_{os.getpid()}"
    yield name
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name})
        if exists:
            conn.execute(text(f"DROP OWNED BY {name}"))
            conn.execute(text(f"DROP ROLE {name}"))
    engine.dispose()


def hall(url, *args, **env):
    return subprocess.run(
        [str(HALL_BIN), *args],
        env={**os.environ, "HALL_DATABASE_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def audit_count(url):
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count(AuditEntry.id)))
    engine.dispose()
    return count


def test_the_hub_runs_as_a_role_that_may_only_read_and_append_the_audit_log(pg_url, role):
    granted = hall(pg_url, "db", "grant-app-role", role, "--password", PASSWORD)
    assert granted.returncode == 0, granted.stderr
    assert "audit_log: SELECT, INSERT only" in granted.stdout
    assert f"HALL_DATABASE_URL=postgresql+psycopg://{role}@" in granted.stdout
    assert PASSWORD not in granted.stdout
    # Run again (as after an upgrade, the password from the environment): the same grants.
    again = hall(pg_url, "db", "grant-app-role", role, HALL_APP_ROLE_PASSWORD=PASSWORD)
    assert again.returncode == 0 and "updated" in again.stdout, again.stderr
    app_url = make_url(pg_url).set(username=role, password=PASSWORD)
    app_url = app_url.render_as_string(hide_password=False)

    # The app works on that URL: a kiosk issues, a clerk calls, logins are audited.
    before = audit_count(pg_url)
    server = LiveServer(app_url).start()
    try:
        url = server.url
        issued = requests.post(
            f"{url}/api/v1/halls/kuancheng/tickets",
            json={"matter": "samr-01"},
            headers=KIOSK,
            timeout=10,
        )
        assert issued.status_code == 201, issued.text
        clerk = login(url, "window1")
        assert requests.post(f"{url}/api/v1/windows/1/open", headers=clerk, timeout=10).ok
        called = requests.post(f"{url}/api/v1/windows/1/call-next", headers=clerk, timeout=10)
        assert called.ok and called.json()["ticket"]["number"] == issued.json()["ticket"]["number"]
        assert requests.post(f"{url}/api/v1/auth/logout", headers=clerk, timeout=10).ok
        # The holiday arrangement (migration 0021) is an ordinary table: the role writes it.
        day = f"{url}/api/v1/admin/calendar/2099-01-05"
        admin = login(url, "admin")
        entered = requests.put(day, json={"workday": False}, headers=admin, timeout=10)
        assert entered.status_code == 200, entered.text
        assert requests.delete(day, headers=admin, timeout=10).ok
    finally:
        server.stop()
    appended = audit_count(pg_url)
    assert appended >= before + 3  # login, window opened, logout
    assert hall(app_url, "audit", "verify").returncode == 0

    # As the app role: ordinary tables are writable, the audit log refuses all but appending,
    # by permission (42501 "permission denied" / "must be owner"), before any trigger runs.
    engine = create_engine(app_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("UPDATE halls SET notice = notice"))
            conn.rollback()
            for statement in (
                "UPDATE audit_log SET action = 'edited'",
                "DELETE FROM audit_log",
                "TRUNCATE audit_log",
                "DROP TRIGGER audit_log_no_update ON audit_log",
                "ALTER TABLE audit_log DISABLE TRIGGER ALL",
                "DROP TABLE audit_log",
            ):
                with pytest.raises(ProgrammingError) as refused:
                    conn.execute(text(statement))
                conn.rollback()
                assert refused.value.orig.sqlstate == "42501", statement
                message = str(refused.value.orig)
                assert "permission denied" in message or "must be owner" in message, message
                assert "append-only" not in message  # not the trigger: the grant refused it
    finally:
        engine.dispose()
    assert audit_count(pg_url) == appended
    assert hall(pg_url, "audit", "verify").returncode == 0


def test_grant_app_role_refuses_sqlite_a_superuser_and_a_bad_name(pg_url, sqlite_url, role):
    on_sqlite = hall(sqlite_url, "db", "grant-app-role", role)
    assert on_sqlite.returncode != 0 and "PostgreSQL" in on_sqlite.stderr
    # The test's own superuser owns the tables: it could drop the triggers.
    owner = make_url(pg_url).username
    too_strong = hall(pg_url, "db", "grant-app-role", owner)
    assert too_strong.returncode != 0 and "superuser" in too_strong.stderr
    for name in ("Bad-Name", "x; DROP TABLE audit_log", ""):
        bad = hall(pg_url, "db", "grant-app-role", name)
        assert bad.returncode != 0 and "role name" in bad.stderr, name
