"""The hot path's prepared statements answer what SQLAlchemy's own execution answers."""

from datetime import timedelta

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError

from hall import db
from hall.prepared import Prepared
from hall.queue import services
from hall.queue import statements as sql
from hall.queue.models import Ticket, TicketStatus, TicketStep
from tests import factories as f

T0 = f.utc("2026-11-30T02:00:00+00:00")


def _issue(app, count=3):
    with app.app_context(), db.unit_of_work() as s:
        hall = f.hall(s)
        return [
            services.issue(s, hall, "samr-01", at=T0 + timedelta(seconds=i)).ticket.id
            for i in range(count)
        ]


def test_rows_types_and_values_match_sqlalchemy(app):
    """Datetimes come back aware UTC, statuses as their enum, IN lists expanded, on both
    databases: the same rows as ``connection.execute`` of the same statement."""
    ids = _issue(app)
    statement = (
        select(Ticket.__table__.c.id, Ticket.issued_at, Ticket.status, Ticket.number)
        .where(Ticket.id.in_(ids), Ticket.status.in_([TicketStatus.WAITING, TicketStatus.CALLED]))
        .order_by(Ticket.id)
    )
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        connection = db.connection_of(s)
        expected = [tuple(row) for row in connection.execute(statement).all()]
        got = Prepared(statement).run(connection, {}).all()
    assert got == expected
    assert len(got) == 3 and got[0][1].utcoffset() == timedelta(0)
    assert got[0][2] is TicketStatus.WAITING


def test_a_bound_datetime_is_stored_as_sqlalchemy_stores_it(app):
    """A step written by the prepared INSERT reads back through the ORM unchanged."""
    (ticket_id,) = _issue(app, 1)
    at = T0 + timedelta(minutes=5, microseconds=123456)
    with app.app_context(), db.unit_of_work() as s:
        ticket = s.get(Ticket, ticket_id)
        services.add_step(s, ticket, "noted", at, detail="x" * 300)
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        step = s.scalar(select(TicketStep).where(TicketStep.action == "noted"))
        assert step.at == at and step.detail == "x" * 200
        # Compared in SQL too: the stored text (SQLite) sorts with SQLAlchemy's own.
        assert s.scalar(select(TicketStep.id).where(TicketStep.at == at)) == step.id


def test_listeners_see_each_statement(app):
    """The bench counts statements with before_cursor_execute: prepared ones are counted."""
    _issue(app, 1)
    seen = []
    engine = db.engine(app)

    def listen(conn, cursor, statement, params, context, many):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        with app.app_context(), db.unit_of_work() as s:
            sql.FREE_WINDOW.run(db.connection_of(s), {"p_window": f.window(s, "1").id})
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert any(text.startswith("UPDATE windows") for text in seen)


def test_database_errors_are_sqlalchemys(app):
    """A constraint broken by a prepared statement raises SQLAlchemy's IntegrityError (the
    error handlers know it), and the transaction rolls back."""
    (ticket_id,) = _issue(app, 1)
    with app.app_context():
        with pytest.raises(IntegrityError), db.unit_of_work() as s:
            sql.INSERT_STEP.run(
                db.connection_of(s),
                {
                    "ticket_id": ticket_id + 1000,  # no such ticket: a foreign key
                    "hall_id": 1,
                    "action": "x",
                    "at": T0,
                    "staff_id": None,
                    "window_id": None,
                    "queue_id": 1,
                    "detail": "",
                },
            )
        with db.unit_of_work(readonly=True) as s:
            assert s.scalar(select(TicketStep.id).where(TicketStep.action == "x")) is None


def test_a_default_computed_per_row_is_refused(app):
    """A column default that is a function needs SQLAlchemy's execution context: refused at
    the first run, never silently left out."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, insert

    table = Table(
        "prepared_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("label", String(10), default=lambda: "computed"),
    )
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        with pytest.raises(ValueError, match="label"):
            Prepared(insert(table)).run(db.connection_of(s), {"id": 1})


def test_rowcount_of_a_guarded_update(app):
    ids = _issue(app, 2)
    statement = Prepared(
        update(Ticket.__table__)
        .where(Ticket.__table__.c.id.in_(ids), Ticket.__table__.c.status == TicketStatus.WAITING)
        .values(priority="elderly")
    )
    with app.app_context(), db.unit_of_work() as s:
        assert statement.run(db.connection_of(s), {}).rowcount == 2
        assert statement.run(db.connection_of(s), {}).rowcount == 2


def test_its_own_plain_constants_are_written_into_the_sql(app):
    """On SQLite the statement's own integers and plain words go into its text (the tuple
    of parameters is built in Python on every execution); a value with a quote or a percent
    sign stays a parameter. The rows are SQLAlchemy's."""
    ids = _issue(app)
    statement = (
        select(Ticket.__table__.c.id, Ticket.number)
        .where(
            Ticket.id.in_(ids),
            Ticket.status == TicketStatus.WAITING,
            Ticket.transfer_note.not_in(["it's", "100%"]),
        )
        .order_by(Ticket.id)
    )
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        connection = db.connection_of(s)
        expected = [tuple(row) for row in connection.execute(statement).all()]
        seen = []
        listen = event.listens_for(connection.engine, "before_cursor_execute")
        listen(lambda _c, _cur, sql_, params, *_: seen.append((sql_, params)))
        got = Prepared(statement).run(connection, {}).all()
    assert got == expected and len(got) == 3
    sql_text, params = seen[-1]
    if connection.dialect.name == "sqlite":
        assert "'waiting'" in sql_text and str(ids[0]) in sql_text
        assert sorted(params) == ["100%", "it's"]
    else:  # PostgreSQL: one generic plan for every window's call-next; all stay bound
        assert "waiting" not in sql_text and len(params) == 3 + 1 + 2
