"""Fixtures: an app per test on a real database (SQLite file, and PostgreSQL where it runs)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hall import create_app, db, demo, migrate

POSTGRES_URL = os.environ.get(
    "HALL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("HALL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
HALL_BIN = Path(sys.executable).parent / "hall"


def _postgres_missing() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as err:  # any failure to reach the server means: skip
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {type(err).__name__}"
    return None


def _admin(sql: str) -> None:
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _seed(url: str) -> None:
    app = create_app({"DATABASE_URL": url, "PRINT_WORKER": False})
    migrate.upgrade(db.engine(app))
    with app.app_context(), db.unit_of_work() as session:
        demo.create(session)
    db.engine(app).dispose()


@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    """Migrated, seeded template databases, built once per run and copied for each test.

    PostgreSQL databases are named after this process, so parallel runs never collide.
    """
    folder = tmp_path_factory.mktemp("template")
    sqlite_template = folder / "hall.sqlite3"
    _seed(f"sqlite:///{sqlite_template}")
    made = {"sqlite": sqlite_template, "postgresql": None, "pg_reason": _postgres_missing()}
    if made["pg_reason"] is None:
        name = f"hall_tmpl_{os.getpid()}"
        _admin(f"DROP DATABASE IF EXISTS {name}")
        _admin(f"CREATE DATABASE {name}")
        _seed(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
        made["postgresql"] = name
    yield made
    if made["postgresql"]:
        _admin(f"DROP DATABASE IF EXISTS hall_t_{os.getpid()} WITH (FORCE)")
        _admin(f"DROP DATABASE IF EXISTS {made['postgresql']} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, templates) -> str:
    """A fresh database holding the demo halls: SQLite in the test's folder, or PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "hall.sqlite3"
        shutil.copyfile(templates["sqlite"], target)
        return f"sqlite:///{target}"
    if templates["postgresql"] is None:
        pytest.skip(templates["pg_reason"])
    name = f"hall_t_{os.getpid()}"
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin(f"CREATE DATABASE {name} TEMPLATE {templates['postgresql']}")
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def sqlite_url(tmp_path, templates) -> str:
    """A fresh SQLite database with the demo halls, for tests not about the backend."""
    target = tmp_path / "hall.sqlite3"
    shutil.copyfile(templates["sqlite"], target)
    return f"sqlite:///{target}"


def build_app(url: str, **config):
    """An app on a database that already holds the demo halls (see ``database_url``)."""
    return create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "SECRET_KEY": "test",
            "PRINT_WORKER": False,
            **config,
        }
    )


@pytest.fixture
def app(database_url):
    """The hub with the demo halls, on each database backend."""
    app = build_app(database_url)
    yield app
    db.engine(app).dispose()


@pytest.fixture
def lite_app(sqlite_url):
    """The hub with the demo halls on SQLite only."""
    app = build_app(sqlite_url)
    yield app
    db.engine(app).dispose()


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def lite_client(lite_app):
    """A test client of the app on SQLite only."""
    return lite_app.test_client()


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """`hall serve` in a subprocess, on a database the test prepared."""

    def __init__(self, database_url: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "HALL_DATABASE_URL": database_url, **env}
        self.process: subprocess.Popen | None = None

    def start(self) -> "LiveServer":
        """Start and wait until the API answers."""
        # The log goes to a file, not a pipe: a chatty server never blocks on a full pipe.
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [str(HALL_BIN), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                message = self.log.read().decode(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(message)
            try:
                if requests.get(f"{self.url}/api/v1/halls", timeout=5).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("hall serve did not come up in 60 s")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()

    def kill(self) -> None:
        """Kill the server outright, like a crash."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.log.close()


@pytest.fixture
def live_server(app):
    """A real `hall serve` process on the test's database (each backend)."""
    server = LiveServer(app.config["DATABASE_URL"]).start()
    yield server
    server.stop()


@pytest.fixture
def lite_server(lite_app):
    """A real `hall serve` process on a SQLite database."""
    server = LiveServer(lite_app.config["DATABASE_URL"]).start()
    yield server
    server.stop()


def login(client_or_url, username: str, password: str = demo.PASSWORD) -> dict[str, str]:
    """Log a demo staff member in; the Authorization header to use."""
    body = {"username": username, "password": password}
    if isinstance(client_or_url, str):
        response = requests.post(f"{client_or_url}/api/v1/auth/token", json=body, timeout=10)
        token = response.json()["token"]
    else:
        token = client_or_url.post("/api/v1/auth/token", json=body).json["token"]
    return {"Authorization": f"Bearer {token}"}


KIOSK = {"Authorization": "Bearer demo-kiosk-kuancheng"}
