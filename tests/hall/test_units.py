"""The hot path's unit of work (``hall.db.write_unit``) and the PostgreSQL pool's ping."""

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from hall import db
from hall.errors import Conflict
from hall.events import events_scope
from hall.queue import services
from hall.queue.models import DailyCounter, Ticket, Window
from tests import factories as f

T0 = f.utc("2026-11-30T02:00:00+00:00")


def _count(app, model) -> int:
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_write_unit_commits_and_moves_the_figures(app):
    with app.app_context(), db.unit_of_work() as s:
        hall = f.hall(s)
        queue_id = services.issue(s, hall, "samr-01", at=T0).ticket.queue_id
    figures = app.extensions["hall.figures"]
    before = figures.waiting(hall.id, queue_id)
    with app.app_context(), db.write_unit() as unit:
        issued = services.issue(unit, hall, "samr-01", at=T0)
    assert issued.ticket.number == "A002"
    assert figures.waiting(hall.id, queue_id) == before + 1  # the after-commit effects ran
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        assert s.get(Ticket, issued.ticket.id).number == "A002"


def test_a_failed_write_unit_leaves_nothing(app):
    with app.app_context(), db.unit_of_work() as s:
        hall = f.hall(s)
    tickets, counters = _count(app, Ticket), _count(app, DailyCounter)
    with pytest.raises(Conflict), app.app_context(), db.write_unit() as unit:
        services.issue(unit, hall, "samr-01", at=T0)
        raise Conflict("stop")
    assert (_count(app, Ticket), _count(app, DailyCounter)) == (tickets, counters)


def test_orm_work_in_a_write_unit_joins_its_transaction(app):
    """What the unit cannot do itself goes to an ORM session on the same transaction: its
    changes commit with the unit's statements, and roll back with them."""
    with app.app_context(), db.unit_of_work() as s:
        hall = f.hall(s)
        window_id = s.scalar(select(Window.id).where(Window.hall_id == hall.id).limit(1))
    with app.app_context(), db.write_unit() as unit:
        services.issue(unit, hall, "samr-01", at=T0)
        unit.get(Window, window_id).name = "综合窗口 / renamed"
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        assert s.get(Window, window_id).name == "综合窗口 / renamed"
        assert s.scalar(select(func.count()).select_from(Ticket)) == 1
    with pytest.raises(RuntimeError), app.app_context(), db.write_unit() as unit:
        services.issue(unit, hall, "samr-01", at=T0)
        unit.get(Window, window_id).name = "never"
        raise RuntimeError("stop")
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        assert s.get(Window, window_id).name == "综合窗口 / renamed"
        assert s.scalar(select(func.count()).select_from(Ticket)) == 1


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_backend_pid()"))


def _kill(engine, pid: int) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_rested_connection_the_server_dropped_is_replaced(database_url, monkeypatch):
    """PostgreSQL: a pooled connection that rested is pinged before use; a dead one is
    replaced and the request never sees it. Without the ping (a connection in steady use is
    not tested) the same request fails, so the ping is what saves it."""
    engine = db.make_engine(database_url)
    other = db.make_engine(database_url)
    try:
        monkeypatch.setattr(db, "PING_IDLE_S", 0.0)
        _kill(other, _backend_pid(engine))
        assert _backend_pid(engine) > 0  # a fresh connection answered

        monkeypatch.setattr(db, "PING_IDLE_S", 3600.0)
        _kill(other, _backend_pid(engine))
        with pytest.raises(Exception, match="terminat|closed|connection"):
            _backend_pid(engine)
    finally:
        engine.dispose()
        other.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_psycopg_keeps_its_parse_of_the_long_call_next_statement(app):
    """call-next is one statement of ~6,000 characters on PostgreSQL; psycopg re-parsed any
    statement over 4,096 on every execution (0.13 ms a call) until ``hall.db`` raised the
    limit. A warm call-next is served from psycopg's cache of parsed statements."""
    from psycopg import _queries

    with app.app_context(), db.unit_of_work() as s:
        hall = f.hall(s)
        for _ in range(3):
            services.issue(s, hall, "samr-01", at=T0)
        window, clerk = f.window(s, "1"), f.staff(s, "window1")
        services.open_window(s, window.id, clerk, at=T0)
    for action in (services.call_next, services.start, services.finish, services.call_next):
        with app.app_context(), db.write_unit() as unit:
            before = _queries._query2pg.cache_info()
            ticket, _ = action(unit, window.id, clerk, at=T0)
            after = _queries._query2pg.cache_info()
    assert ticket is not None and ticket.number == "A002"
    assert after.hits > before.hits and after.misses == before.misses


def _prepared_here(s) -> list[str]:
    return s.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("ending", ["returns", "raises"])
def test_a_read_only_unit_leaves_the_prepared_statements_in_place(app, ending):
    """psycopg forgets every statement it prepared on a connection at each ROLLBACK (and
    sends DEALLOCATE ALL); a read-only unit ends with COMMIT instead, so the hot statements
    stay prepared on its connection, whether the unit returned or raised. One connection
    serves these units one after another, as the pool hands back the one it has."""
    query = text("SELECT count(*) FROM halls WHERE id > :n")
    with app.app_context():
        for _ in range(7):  # psycopg prepares a statement at its sixth run
            with db.unit_of_work() as s:
                s.execute(query, {"n": 0})
        with db.unit_of_work(readonly=True) as s:
            assert any("FROM halls WHERE id >" in sql for sql in _prepared_here(s))
        try:
            with db.unit_of_work(readonly=True) as s:
                s.execute(text("SELECT 1"))
                if ending == "raises":
                    raise LookupError("a read that found nothing")
        except LookupError:
            pass
        with db.unit_of_work(readonly=True) as s:
            assert any("FROM halls WHERE id >" in sql for sql in _prepared_here(s))
        # A unit that may have written still rolls back: nothing of it stays.
        with pytest.raises(LookupError), db.unit_of_work() as s:
            s.execute(text("UPDATE halls SET name = 'changed' WHERE id = 1"))
            raise LookupError("refused after a write")
        with db.unit_of_work(readonly=True) as s:
            assert s.execute(text("SELECT name FROM halls WHERE id = 1")).scalar() != "changed"


def _hall_counter_is_free(database_url, hall_id: int) -> bool:
    """Whether another connection may take the hall's event-number row at once."""
    other = db.make_engine(database_url)
    try:
        with other.connect() as conn:
            conn.execute(text("SET lock_timeout = '200ms'"))
            conn.execute(
                text("UPDATE daily_counters SET value = value WHERE scope = :scope"),
                {"scope": events_scope(hall_id)},
            )
            conn.rollback()
        return True
    except OperationalError:
        return False
    finally:
        other.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_hot_statement_alone_commits_as_it_ends(app, database_url):
    """PostgreSQL: in a unit that stands alone, issue's statement commits as it ends, so the
    hall's event-number row is free again before the request is over. In a plain unit the
    row stays locked until the unit commits."""
    with app.app_context(), db.unit_of_work() as s:
        hall = f.hall(s)
        services.issue(s, hall, "samr-01", at=T0)
    with app.app_context(), db.write_unit(alone=True) as unit:
        services.issue(unit, hall, "samr-01", at=T0)
        assert _hall_counter_is_free(database_url, hall.id)
        assert _count(app, Ticket) == 2  # already committed
    with app.app_context(), db.write_unit() as unit:
        services.issue(unit, hall, "samr-01", at=T0)
        assert not _hall_counter_is_free(database_url, hall.id)
    assert _count(app, Ticket) == 3


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("alone", [True, False])
def test_refusals_inside_a_hot_statement_write_nothing(app, alone):
    """The statement refuses itself (over the day's cap; a window that cannot take the ticket
    it claimed): nothing it wrote stays, whether it ran alone (autocommit) or inside the
    unit's transaction (a savepoint)."""
    with app.app_context(), db.unit_of_work() as s:
        f.matter(s, "samr-01").daily_cap = 2  # before the reference cache first loads it
    with app.app_context(), db.unit_of_work() as s:
        hall = f.hall(s)
        window, clerk = f.window(s, "1"), f.staff(s, "window1")
        services.open_window(s, window.id, clerk, at=T0)
    for _ in range(2):
        with app.app_context(), db.write_unit(alone=alone) as unit:
            services.issue(unit, hall, "samr-01", at=T0)
    counters = _count(app, DailyCounter), _counter_total(app)
    with pytest.raises(Conflict) as refused, app.app_context(), db.write_unit(alone=alone) as unit:
        services.issue(unit, hall, "samr-01", at=T0)
    assert refused.value.code == "matter_full"
    assert (_count(app, Ticket), _count(app, DailyCounter), _counter_total(app)) == (2, *counters)

    with app.app_context(), db.write_unit(alone=alone) as unit:
        first, _ = services.call_next(unit, window.id, clerk, at=T0)
    # The window holds A001: calling again claims A002 inside the statement, which the
    # window cannot take; the statement is void and A002 still waits.
    with pytest.raises(Conflict), app.app_context(), db.write_unit(alone=alone) as unit:
        services.call_next(unit, window.id, clerk, at=T0)
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        states = {t.number: t.status for t in s.scalars(select(Ticket))}
        assert s.get(Window, window.id).current_ticket_id == first.id
    assert states == {"A001": "called", "A002": "waiting"}


def _counter_total(app) -> int:
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        return s.scalar(select(func.sum(DailyCounter.value)))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_sessions_hand_back_utc_times(app):
    """Sessions run in UTC, so times come back in ``timezone.utc`` whatever the server's own
    zone, and a stored instant reads back unchanged."""
    from datetime import UTC

    with app.app_context(), db.unit_of_work() as s:
        assert s.execute(text("SHOW TimeZone")).scalar() == "UTC"
        ticket = services.issue(s, f.hall(s), "samr-01", at=T0).ticket
        ticket_id = ticket.id
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        issued = s.get(Ticket, ticket_id).issued_at
    assert issued == T0 and issued.tzinfo is UTC
