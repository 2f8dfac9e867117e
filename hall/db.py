"""Engine, sessions and the unit of work: one transaction per request or socket event."""

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import JSON, Connection, DateTime, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from hall.config import async_mode


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware UTC times")
        value = value.astimezone(UTC)
        # SQLite has no time zone type: keep naive UTC there so comparisons stay textual-safe.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        zone = value.tzinfo
        if zone is UTC:  # PostgreSQL's sessions are in UTC (make_engine)
            return value
        return value.replace(tzinfo=UTC) if zone is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every domain's tables, with aware-UTC datetimes everywhere."""

    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


# The domains' model modules: importing them all gives the whole schema (migrations, tests).
MODEL_MODULES = ("hall.admin.models", "hall.queue.models", "hall.cases.models", "hall.stats.models")


def load_models() -> type[Base]:
    """Import every domain's models so that ``Base.metadata`` holds the whole schema."""
    import importlib

    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base


BUSY_TIMEOUT_S = 30.0  # how long a writer waits for another process's writer
CONNECT_TIMEOUT_S = 3  # PostgreSQL: give up connecting after this long
STATEMENT_TIMEOUT_MS = 4000  # PostgreSQL: no statement or lock wait runs longer
POOL_TIMEOUT_S = 4.0  # waiting for a pooled connection
PING_IDLE_S = 2.0  # PostgreSQL: a pooled connection rested this long is tested before use


def make_engine(url: str) -> Engine:
    """Build the engine; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE for writers."""
    if not url.startswith("sqlite"):
        # A database that is down or hung answers within seconds, never hangs a request:
        # connect, statement and pool timeouts (503 ``service_unavailable`` to clients).
        connect_args = {}
        if url.startswith("postgresql"):
            connect_args = {
                "connect_timeout": CONNECT_TIMEOUT_S,
                # Sessions in UTC: psycopg then hands back timestamps in ``timezone.utc``,
                # which UTCDateTime passes through, instead of in the server's zone (e.g.
                # ZoneInfo("Etc/UTC"), converted for every value). The app never leaves a day
                # boundary to the session's zone: the statistics name the hall's zone.
                "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
                f" -c lock_timeout={STATEMENT_TIMEOUT_MS} -c TimeZone=UTC",
            }
        engine = create_engine(
            url,
            pool_size=10,
            max_overflow=20,
            pool_timeout=POOL_TIMEOUT_S,
            connect_args=connect_args,
        )
        if engine.dialect.driver == "psycopg":
            _psycopg_caches_long_statements()
            _reads_end_with_commit(engine)
            if async_mode() == "gevent":
                _psycopg_waits_on_the_hub()
        _ping_after_idle(engine)
        return engine
    # Pooled connections: a new SQLite connection per request costs the PRAGMAs, a schema
    # read, and a WAL checkpoint when the last one closes (measured: ~8 ms per request).
    # Last in, first out: each connection has its own page cache, and the one just returned
    # has the pages the next write needs (8 issuing clients 775 -> 812 tickets/s, 4 windows
    # 925 -> 975 actions/s, docs/performance.md); the ones below stay idle.
    pooled = {"pool_size": 10, "max_overflow": 40, "pool_use_lifo": True}
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        **({} if ":memory:" in url else pooled),
    )

    cooperative = async_mode() == "gevent"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Under gevent no statement may wait in SQLite's busy handler, which sleeps in C with
        # every socket of the process stalled: writers wait in _begin_yielding instead. Readers
        # of a WAL database never wait for a writer.
        busy_ms = 0 if cooperative else int(BUSY_TIMEOUT_S * 1000)
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # One writer at a time: two windows calling at once queue here instead of racing.
        # BEGIN goes straight to the driver: through SQLAlchemy's execute path it cost a tenth
        # of an issue (py-spy, docs/performance.md).
        raw = conn.connection.dbapi_connection
        try:
            if conn.get_execution_options().get("readonly"):
                raw.execute("BEGIN")
            elif cooperative:
                _begin_yielding(raw)
            else:
                raw.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            # Raised as SQLAlchemy's error (an OperationalError is the clients' 503).
            conn._handle_dbapi_exception(err, "BEGIN", (), None, None)
            raise

    return engine


PSYCOPG_CACHED_STATEMENT_LENGTH = 16384  # characters
PSYCOPG_CACHED_STATEMENT_PARAMS = 200


def _psycopg_caches_long_statements() -> None:
    """Let psycopg keep its parse of the hot path's long statements.

    psycopg parses a statement's placeholders on every execution unless the text is at most
    4,096 characters with at most 50 parameters: call-next's one statement is ~6,000 (and 55
    parameters for a window of three queues; ``hall/queue/statements.py: call_at_once``), and
    parsing it cost 0.13 ms a call (timeit, docs/performance.md). Raised, never lowered;
    ``tests/hall/test_units.py`` checks it works.
    """
    from psycopg import _queries

    for name, value in (
        ("MAX_CACHED_STATEMENT_LENGTH", PSYCOPG_CACHED_STATEMENT_LENGTH),
        ("MAX_CACHED_STATEMENT_PARAMS", PSYCOPG_CACHED_STATEMENT_PARAMS),
    ):
        limit = getattr(_queries, name, None)
        if limit is not None and limit < value:
            setattr(_queries, name, value)


def _reads_end_with_commit(engine: Engine) -> None:
    """PostgreSQL: a read-only unit (``execution_options(readonly=True)``) ends with COMMIT.

    SQLAlchemy ends a transaction it does not commit with ROLLBACK, and psycopg, at every
    ROLLBACK of a transaction, forgets each statement it prepared on the connection and sends
    ``DEALLOCATE ALL``. So each read-only unit (a snapshot, the queue figures, the references'
    cache, which only close) made the hot statements of its connection start over: five runs
    parsed and planned before psycopg prepares them, five more planned before PostgreSQL keeps
    a generic plan. call-next spent 1.7 ms of PostgreSQL's time in parse, analysis and
    planning against 0.4 ms to run (``log_parser_stats``/``log_planner_stats``,
    docs/performance.md). A read-only transaction wrote nothing, so COMMIT ends it the same
    way; a transaction that failed (status INERROR) or may have written still rolls back.
    """
    from psycopg import Error as PsycopgError
    from psycopg.pq import TransactionStatus

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn) -> None:
        if conn.closed or conn.invalidated or not conn.get_execution_options().get("readonly"):
            return
        raw = conn.connection.dbapi_connection
        if raw is None or raw.info.transaction_status != TransactionStatus.INTRANS:
            return
        try:
            raw.commit()  # the rollback that follows finds the connection idle: a no-op
        except PsycopgError:
            pass  # a broken connection: the rollback that follows meets it, as it would have


def _psycopg_waits_on_the_hub() -> None:
    """Under gevent, psycopg waits for its socket on gevent's hub directly.

    psycopg sees gevent's patched ``select`` and waits with ``select.poll``, which gevent
    emulates: a poll object, its registration and a watcher for each wait, then its result
    list. :func:`wait_on_hub` keeps one io watcher per readiness wanted and waits on it (one
    switch to the hub and back). Installed once, for the process (psycopg looks up
    ``waiting.wait`` at each wait); ``tests/hall/test_gevent_postgres.py`` checks it.
    """
    from psycopg import waiting

    waiting.wait = wait_on_hub


def wait_on_hub(gen: Any, fileno: int, interval: float = 0.0, timeout: float | None = None) -> Any:
    """psycopg's wait protocol (``psycopg.waiting.wait``) on gevent's hub.

    The generator says what it waits for (``Wait.R``, ``W`` or ``RW``, the loop's read and
    write bits); once the socket is ready, it is sent the same value back. For ``RW`` that
    may claim one more readiness than there is: psycopg then flushes or reads without
    blocking, finds nothing to do, and waits again. ``interval`` (psycopg's wake-up to notice
    Ctrl-C) has no use on the hub; ``timeout`` is the whole wait's, as in psycopg.
    """
    from gevent import get_hub
    from gevent.timeout import Timeout
    from psycopg import errors

    hub = get_hub()
    watchers: dict[int, Any] = {}
    deadline = Timeout._start_new_or_dummy(timeout, errors._WaitTimeout("wait timeout expired"))
    try:
        wanted = next(gen)
        while True:
            watcher = watchers.get(wanted)
            if watcher is None:
                watcher = watchers[wanted] = hub.loop.io(fileno, int(wanted))
            hub.wait(watcher)
            wanted = gen.send(wanted)
    except StopIteration as done:
        return done.value
    finally:
        deadline.cancel()
        for watcher in watchers.values():
            watcher.close()


def _ping_after_idle(engine: Engine) -> None:
    """Test a pooled connection before use only when it has rested ``PING_IDLE_S``.

    A connection the server dropped (a restart, an idle timeout) would fail the request that
    takes it. SQLAlchemy's ``pool_pre_ping`` tests every checkout: one more round trip per
    request (6 % of the worker's samples on a PostgreSQL issue, py-spy, docs/performance.md).
    A connection in steady use has just proved itself; one that rested is pinged, and a dead
    one is replaced before the request sees it (``DisconnectionError``: the pool reconnects).
    A connection that dies between two busy requests fails that one request (503), and the
    pool drops it.
    """

    @event.listens_for(engine, "checkin")
    def _rested_from(_dbapi_connection, record) -> None:
        if record is not None:
            record.info["hall.checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy) -> None:
        since = record.info.get("hall.checked_in")
        if since is None or time.monotonic() - since < PING_IDLE_S:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()
        except Exception as err:  # noqa: BLE001 - any failure: this connection is gone
            raise DisconnectionError(f"pooled connection dead after rest: {err}") from err


SPIN_S = 0.003  # how long a writer waiting for another process's lock tries at every turn


def _begin_yielding(raw) -> None:
    """BEGIN IMMEDIATE that waits for another process's writer without holding the loop.

    Under gevent one process serves every socket on one thread: SQLite's busy handler would
    sleep in C (steps of up to 100 ms) with every socket stalled while the print worker or the
    command line holds the write lock. So the connection has no busy timeout: try, and wait
    cooperatively (``time.sleep`` is gevent's once patched) between tries, up to the usual 30 s.

    The print worker's writes hold the lock for a fraction of a millisecond, but gevent sleeps
    no shorter than its loop's tick (``sleep(0.0002)`` took 1.1 ms): for the first
    ``SPIN_S`` a try follows a bare turn of the loop (``sleep(0)``: the other greenlets run,
    ~30 us when none is ready), and only then timed sleeps. Measured: the hub's issue waited
    0.1 ms a ticket for the print worker's writes with sleeps alone (docs/performance.md).
    """
    now = time.monotonic()
    deadline, spin_until = now + BUSY_TIMEOUT_S, now + SPIN_S
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as err:
            now = time.monotonic()
            if "locked" not in str(err) or now > deadline:
                raise
        time.sleep(0 if now < spin_until else 0.002)


def default_url(app: Flask) -> str:
    """The embedded SQLite database in the instance folder."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'hall.sqlite3'}"


def init_app(app: Flask) -> None:
    """Attach an engine, a session factory, the reference cache and the queue figures."""
    from hall.cache import RedisBroadcaster, ReferenceCache
    from hall.queue.figures import QueueFigures

    url = app.config.get("DATABASE_URL") or default_url(app)
    app.config["DATABASE_URL"] = url
    engine = make_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    queue = app.config.get("MESSAGE_QUEUE") or ""
    several = queue.startswith("redis")
    cache = ReferenceCache(
        factory,
        reference_ttl_s=app.config["REFERENCE_TTL_S"],
        token_ttl_s=app.config["TOKEN_CACHE_TTL_S"],
        token_idle_s=float(app.config["TOKEN_IDLE_MINUTES"]) * 60,
        touch_every_s=min(60.0, float(app.config["TOKEN_IDLE_MINUTES"]) * 15),
    )
    if several:
        cache.broadcaster = RedisBroadcaster(queue, cache)
        cache.broadcaster.listen()
    # One process sees every commit of a hall; several see only their own, so read again often.
    figures = QueueFigures(factory, app.config["FIGURES_TTL_S"] if several else 3600.0)
    factory.configure(info={"hall.cache": cache, "hall.figures": figures})
    _after_commit_hooks(factory)
    app.extensions["hall.db"] = factory
    app.extensions["hall.engine"] = engine
    app.extensions["hall.cache"] = cache
    app.extensions["hall.figures"] = figures
    # SQLite has one writer: queue this process's writers on a lock that wakes the next one
    # at once, rather than in SQLite's busy handler, which sleeps in steps of up to 100 ms.
    # Other processes (the CLI, the print worker, a second hub) still meet the busy timeout.
    # Under gunicorn's gevent worker this is gevent's patched lock, as it must be: a waiting
    # greenlet yields to the others instead of blocking the one thread they all run on (an
    # OS lock held by a greenlet that yields would deadlock the process). SQLite's own calls
    # never yield, so the holder finishes its transaction without letting anyone in between.
    app.extensions["hall.write_lock"] = (
        threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
    )


def _after_commit_hooks(factory: sessionmaker) -> None:
    """After a commit: the queue figures take the events' effects; changed references go."""

    @event.listens_for(factory, "after_commit")
    def _committed(session: Session) -> None:
        _settle(session.info)

    @event.listens_for(factory, "after_soft_rollback")
    def _rolled_back(session: Session, _previous) -> None:
        _forget(session.info)


def _settle(info: dict) -> None:
    """What a committed transaction leaves to the process: figures moved, references dropped."""
    info.pop("hall.transaction", None)
    info.pop("hall.connection", None)
    events = info.pop("hall.events", None)
    if events:
        info["hall.figures"].apply(events)
    revoked = info.pop("hall.tokens_revoked", False)
    if info.pop("hall.reference_changed", False) and not revoked:
        info["hall.cache"].changed()
    if revoked:
        info["hall.cache"].revoked()


def _forget(info: dict) -> None:
    """A rolled-back transaction leaves nothing behind."""
    for key in (
        "hall.transaction",
        "hall.connection",
        "hall.events",
        "hall.reference_changed",
        "hall.tokens_revoked",
    ):
        info.pop(key, None)


class Unit:
    """One write transaction on a pooled connection, with no ORM session until one is needed.

    The hot path (issue, call-next, start, finish) runs prepared Core statements on the
    connection (``hall/prepared.py``); a :class:`Session` around them adds its transaction
    state, autobegin, the flush and the commit walk (with BEGIN, 21 % of an issue's samples
    through the session, 15 % through the unit: py-spy, docs/performance.md). Anything else asked of a unit (``get``, ``execute``, ``add``,
    ``expire``: the refusals' precise reasons, a priority ticket's count) goes to an ORM session
    joined to the same transaction, made the first time. It shares the unit's ``info``.
    """

    __slots__ = ("info", "bound", "alone", "_orm")

    def __init__(self, connection: Connection, info: dict, alone: bool = False) -> None:
        self.bound = connection
        self.info = info
        self.alone = alone  # its write is one statement by itself (:func:`alone`)
        self._orm: Session | None = None

    def connection(self, **_options: Any) -> Connection:
        return self.bound

    @property
    def orm(self) -> Session:
        """The ORM session on this unit's transaction (flushed before the commit)."""
        if self._orm is None:
            orm = Session(
                bind=self.bound, join_transaction_mode="rollback_only", expire_on_commit=False
            )
            orm.info = self.info  # one dict: events and reference changes land in the unit's
            self._orm = orm
        return self._orm

    def __getattr__(self, name: str) -> Any:
        return getattr(self.orm, name)


def connection_of(session: Session) -> Connection:
    """The connection of the session's transaction, found once per transaction.

    The hot path asks for it for every statement; ``Session.connection()`` walks the
    session's transaction state each time (~0.03 ms a call, four or five calls a request).
    """
    if type(session) is Unit:
        return session.bound
    info = session.info
    transaction = session.get_transaction()
    if transaction is not None and info.get("hall.transaction") is transaction:
        return info["hall.connection"]
    connection = session.connection()
    info["hall.transaction"] = session.get_transaction()
    info["hall.connection"] = connection
    return connection


class Refused(Exception):
    """A hot statement refused itself (PostgreSQL's ``hall_refuse``) and wrote nothing."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


REFUSAL = "hall_refuse:"


def alone(session: Session, statement: Any, params: dict[str, Any]) -> Any:
    """Run a hot statement that is a whole write by itself; :class:`Refused` if it refused.

    On PostgreSQL the statements of issue, call-next, start and finish each hold a row lock
    every other write of the hall waits for (the hall's event number). Inside a transaction
    the lock lasted until COMMIT: one more round trip, after this greenlet's turn came round
    again under gevent. Windows calling at once queued on it (PostgreSQL window actions
    708-758 -> 891-948/s, 8 issuing clients 554-566 -> 778-829/s, docs/performance.md). So
    when nothing else of the unit has run yet, the statement runs in autocommit: it commits
    as it ends, and a refusal it finds inside (``hall_refuse``, migration 0018) voids it
    whole. That needs the unit to say so (``write_unit(alone=True)``: the request writes
    nothing else, so nothing after the statement can need it undone) and nothing of it to
    have run yet. Otherwise (an ORM session of the same request, a read that began the
    transaction) it runs in the unit's transaction, under a savepoint a refusal rolls back.
    SQLite: one writer at a time anyway; the statement runs in the unit's transaction.
    """
    connection = connection_of(session)
    if connection.dialect.name != "postgresql":
        return statement.run(connection, params)
    raw = connection.connection.dbapi_connection
    solo = (
        type(session) is Unit
        and session.alone
        and session._orm is None
        and raw.info.transaction_status.name == "IDLE"
    )
    if solo:
        raw.autocommit = True
    else:
        connection.exec_driver_sql("SAVEPOINT hall_alone")
    try:
        rows = statement.run(connection, params)
    except DBAPIError as err:
        message = str(err.orig) if err.orig is not None else ""
        if REFUSAL not in message:
            raise
        if not solo:
            connection.exec_driver_sql("ROLLBACK TO SAVEPOINT hall_alone")
        raise Refused(message.split(REFUSAL, 1)[1].split()[0]) from None
    finally:
        if solo:
            raw.autocommit = False
    if not solo:
        connection.exec_driver_sql("RELEASE SAVEPOINT hall_alone")
    return rows


def engine(app: Flask | None = None) -> Engine:
    """The app's engine."""
    return (app or current_app).extensions["hall.engine"]


@contextmanager
def unit_of_work(readonly: bool = False, app: Flask | None = None) -> Iterator[Session]:
    """Open a session in one transaction; commit on success, roll back on any error."""
    extensions = (app or current_app).extensions
    factory: sessionmaker = extensions["hall.db"]
    lock = contextlib.nullcontext() if readonly else extensions["hall.write_lock"]
    with lock, factory() as session:
        if readonly:
            session.connection(execution_options={"readonly": True})
        try:
            yield session
            # A read-only unit just closes: what it loaded stays readable, detached.
            if not readonly:
                session.commit()
        except BaseException:
            session.rollback()
            raise
    # Staff tokens used in this unit: their last use is written down at most once a minute.
    extensions["hall.cache"].flush_touches(extensions["hall.write_lock"])


@contextmanager
def write_unit(app: Flask | None = None, *, alone: bool = False) -> Iterator[Unit]:
    """The hot path's unit of work: one write transaction without an ORM session (:class:`Unit`).

    Commits on success and rolls back on any error, with the same after-commit effects as
    :func:`unit_of_work`. ``alone``: the request's one write is a hot statement that stands
    alone (:func:`alone`): on PostgreSQL it commits as it ends, and an error after it no
    longer undoes it. Checks and reads belong before it.
    """
    extensions = (app or current_app).extensions
    engine_: Engine = extensions["hall.engine"]
    info = {"hall.cache": extensions["hall.cache"], "hall.figures": extensions["hall.figures"]}
    with extensions["hall.write_lock"], engine_.connect() as connection:
        connection.begin()
        unit = Unit(connection, info, alone)
        try:
            yield unit
            if unit._orm is not None:
                unit._orm.flush()
            connection.commit()
        except BaseException:
            connection.rollback()
            _forget(info)
            raise
        finally:
            if unit._orm is not None:
                unit._orm.close()
    _settle(info)
    extensions["hall.cache"].flush_touches(extensions["hall.write_lock"])
