"""The deadline-warning sweep on a timer inside `hall serve`, once per round for the group.

Every hub process starts the same background task (``start``, from ``hall/wsgi.py``), and
each wakes a few times per interval. A round belongs to whichever process first moves the
``timers`` row's ``due_at`` forward with a guarded UPDATE: the others find it in the future
and sleep. That works across processes and machines on SQLite and PostgreSQL alike, with no
lock held while the sweep runs, so N processes still sweep once per interval, not N times.
"""

import logging
import os
import socket
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hall import clock
from hall.cases import services
from hall.cases.models import Timer
from hall.db import unit_of_work
from hall.events import publish
from hall.extensions import socketio

log = logging.getLogger(__name__)

NAME = "case_warnings"
DEFAULT_EVERY_S = 60.0


def _who() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def claim(session: Session, name: str, every_s: float, at: datetime, who: str = "") -> bool:
    """Take this round of the timer: True for exactly one caller per ``every_s``."""
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    if dialect in ("postgresql", "sqlite"):
        session.execute(
            make(Timer).values(name=name, due_at=at, ran_by="").on_conflict_do_nothing()
        )
    else:  # pragma: no cover - the hub runs on SQLite or PostgreSQL
        session.execute(insert(Timer).values(name=name, due_at=at, ran_by=""))
    won = session.execute(
        update(Timer)
        .where(Timer.name == name, Timer.due_at <= at)
        .values(due_at=at + timedelta(seconds=every_s), ran_at=at, ran_by=who or _who())
    )
    return won.rowcount == 1


def sweep_round(app: Flask, at: datetime | None = None) -> int | None:
    """One round: claim it, sweep, publish after the commit. Warnings changed, or None when
    another process has this round."""
    at = at or clock.now()
    # Most wake-ups find the round taken: a read says so without a write transaction (on
    # SQLite every write waits for the one writer).
    with unit_of_work(readonly=True, app=app) as session:
        due = session.scalar(select(Timer.due_at).where(Timer.name == NAME))
    if due is not None and due > at:
        return None
    with unit_of_work(app=app) as session:
        if not claim(session, NAME, app.config["CASE_SWEEP_S"], at):
            return None
        events = services.sweep_warnings(session, at)
    publish(events)
    return len(events)


def _loop(app: Flask) -> None:
    every = app.config["CASE_SWEEP_S"]
    while True:
        try:
            with app.app_context():
                changed = sweep_round(app)
            if changed:
                log.info("case warnings changed: %s", changed)
        except Exception:  # a database outage must not end the timer: try next time
            log.exception("case warning sweep failed")
        # Wake a few times per interval: a round is at most a fraction of it late.
        socketio.sleep(max(0.05, every / 4))


def start(app: Flask) -> bool:
    """Start the sweep's background task in this serving process (CASE_SWEEP_S > 0)."""
    every = float(app.config.get("CASE_SWEEP_S") or 0)
    if every <= 0 or "hall.case_sweeper" in app.extensions:
        return False
    app.config["CASE_SWEEP_S"] = every
    app.extensions["hall.case_sweeper"] = socketio.start_background_task(_loop, app)
    return True
