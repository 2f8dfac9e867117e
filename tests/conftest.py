"""Fixtures: an app per test on a real database (SQLite file, and PostgreSQL where it runs)."""

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from redis.connection import parse_url as redis_parse_url
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from hall import create_app, db, demo, migrate

POSTGRES_URL = os.environ.get(
    "HALL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _worker_slot(slots: int) -> int | None:
    """This pytest-xdist worker's slot among ``slots`` (None in a serial run): the workers of
    one run differ, and another run at the same time most likely starts elsewhere."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return None
    run = hashlib.sha256(os.environ.get("PYTEST_XDIST_TESTRUNUID", "").encode()).digest()
    return (run[0] + int(worker[2:])) % slots


def _worker_redis(url: str) -> str:
    """This pytest-xdist worker's own Redis database (one of the 15 besides the given one).

    Hubs on different databases share no keys and hear none of each other's messages
    (hall.config.queue_channel), so tests in parallel workers see only their own calls.
    """
    slot = _worker_slot(15)
    if slot is None:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "db"]
    db = (int(redis_parse_url(url).get("db") or 0) + 1 + slot) % 16
    return urlunsplit(parts._replace(path=f"/{db}", query=urlencode(query)))


REDIS_URL = _worker_redis(os.environ.get("HALL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
HALL_BIN = Path(sys.executable).parent / "hall"
# How long a page may take to show what a test waits for. Generous: four workers share the
# machine's cores with their hubs and browsers, and a wait that fails still fails, only later.
PAGE_TIMEOUT_MS = 30000


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


# Each pytest-xdist worker (and a serial run) takes ports from its own block below the
# kernel's ephemeral range, so neither another worker nor an outgoing connection is handed a
# port between free_port() and the server binding it.
_PORT_BLOCK = 400
_port_next = 0


@contextmanager
def statements_run(engine) -> Iterator[list[str]]:
    """The SQL statements the engine runs inside the block, in order (as the bench counts)."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def free_port() -> int:
    """An unused TCP port on loopback, from this worker's block."""
    global _port_next
    slot = _worker_slot(29)
    base = 20000 + (0 if slot is None else slot + 1) * _PORT_BLOCK  # up to 31999
    for _ in range(_PORT_BLOCK):
        port = base + _port_next
        _port_next = (_port_next + 1) % _PORT_BLOCK
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # taken (another run on this machine): the next one
            return port
    raise RuntimeError(f"no free port in {base}-{base + _PORT_BLOCK - 1}")


class LiveServer:
    """`hall serve` in a subprocess, on a database the test prepared."""

    def __init__(self, database_url: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "HALL_DATABASE_URL": database_url, **env}
        self.process: subprocess.Popen | None = None
        self._tries = 0

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
                if "in use" in message and self._tries < 3:  # gunicorn: "Connection in use"
                    # Someone else took the port since free_port(): another one.
                    self._tries += 1
                    self.port = free_port()
                    self.url = f"http://127.0.0.1:{self.port}"
                    return self.start()
                raise RuntimeError(message)
            try:
                if requests.get(f"{self.url}/api/v1/halls", timeout=5).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.log.seek(0)
        message = self.log.read().decode(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"hall serve did not come up in 60 s:\n{message}")

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


# Real headless Chromium (Debian's, `make system`) against a real `hall serve`: the fixtures
# every browser test module shares. Each module gets its own browser and hub (module scope).
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KIOSK_TOKEN = "demo-kiosk-kuancheng"
CSP_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium missing at /usr/bin/chromium (make system)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """One `hall serve` on a fresh demo database for the module (its tests use their own
    windows and tickets); ``hub.database_url`` is that database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('hub') / 'hall.sqlite3'}"
    _seed(url)
    server = LiveServer(url).start()
    server.database_url = url
    yield server
    server.stop()


@pytest.fixture
def open_page(browser):
    """Pages in fresh Chinese-locale contexts, closed after the test; no CSP violation."""
    contexts = []

    def open_(url: str, *, kiosk_token: str | None = None, width=1366, height=900):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
        if kiosk_token:
            context.add_init_script(
                f"localStorage.setItem('onewindow.kiosk.token', {kiosk_token!r})"
            )
        context.add_init_script(CSP_WATCH)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(url)
        return page

    yield open_
    # Every page of every test ran under the hub's CSP (no inline script): nothing blocked.
    violations = [(page.url, v) for c in contexts for page in c.pages for v in _csp(page)]
    for context in contexts:
        context.close()
    assert not violations, violations


def _csp(page) -> list[str]:
    """The page's CSP violations; a page still navigating (a hub that came back) is asked
    again once it has loaded."""
    try:
        return page.evaluate("window.__csp")
    except Exception:  # "Execution context was destroyed": it navigated meanwhile
        page.wait_for_load_state()
        return page.evaluate("window.__csp || []")
