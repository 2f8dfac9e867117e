"""The next ticket is found by index probes; the order must be the full sort's exactly."""

import random
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hall import cache, db
from hall.errors import Conflict
from hall.queue import services
from hall.queue import statements as sql
from hall.queue.models import Matter, Ticket, TicketStatus, Window
from tests import factories as f

T0 = f.utc("2026-11-30T02:00:00+00:00")


def test_probes_pick_the_ticket_the_full_sort_picks(app):
    """Random lines (priority classes, transfers to windows, served tickets, streaks) over the
    demo's windows: for every window and streak, both statements choose the same ticket."""
    rng = random.Random(7)
    with app.app_context(), db.unit_of_work() as s:
        hall = f.hall(s)
        refs = cache.of(s).hall_by_id(hall.id)
        matters = s.scalars(select(Matter.code).where(Matter.hall_id == hall.id)).all()
        classes = [p for p in refs.priority_classes if p != services.APPOINTMENT_PRIORITY]
        at = T0
        for _ in range(400):
            at += timedelta(seconds=rng.randint(0, 3))
            priority = rng.choice(classes) if rng.random() < 0.15 else None
            try:
                services.issue(s, hall, rng.choice(matters), priority=priority, at=at)
            except Conflict:  # a matter outside its hours or over its cap
                pass
        windows = s.scalars(select(Window).where(Window.hall_id == hall.id)).all()
        ids = s.scalars(select(Ticket.id).where(Ticket.hall_id == hall.id)).all()
        for ticket_id in rng.sample(ids, 60):
            s.execute(
                update(Ticket)
                .where(Ticket.id == ticket_id)
                .values(target_window_id=rng.choice(windows).id)
            )
        for ticket_id in rng.sample(ids, 120):
            s.execute(update(Ticket).where(Ticket.id == ticket_id).values(status=TicketStatus.DONE))
        compared = found = 0
        for window in windows:
            queue_ids = tuple(window.queue_ids)
            for streak in range(0, refs.priority_streak_max + 2):
                s.execute(
                    update(Window).where(Window.id == window.id).values(priority_streak=streak)
                )
                params = {"p_hall": hall.id}
                by_sort = s.scalar(
                    select(sql._next_by_sort(window.id, queue_ids, refs.priority_streak_max)),
                    params,
                )
                for heads in (1, sql.HEADS_LOCKED):
                    by_probes = s.scalar(
                        select(
                            sql._next_by_probes(
                                window.id, queue_ids, refs.priority_streak_max, heads
                            )
                        ),
                        params,
                    )
                    assert by_probes == by_sort, (window.number, streak, heads)
                compared += 1
                found += by_sort is not None
        s.rollback()
    assert compared >= 20 and found >= 20


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_priority_probe_reads_only_priority_tickets_before_any_analyze(app):
    """A young tickets table has no statistics: PostgreSQL took ix_tickets_line for the
    priority probe and read every waiting ticket to find none (3.3 ms a call with 11,000
    waiting). The partial index of priority tickets is the only one that answers it."""
    with app.app_context(), db.unit_of_work() as s:
        hall = f.hall(s)
        for _ in range(300):
            services.issue(s, hall, "samr-01", at=T0)
        window, clerk = f.window(s, "1"), f.staff(s, "window1")
        services.open_window(s, window.id, clerk, at=T0)
        queue_ids = cache.of(s).window(window.id).queue_ids
        params = {
            "p_hall": hall.id,
            "p_at": T0,
            "p_staff": clerk.id,
            "p_scope": "none",
            "p_forever": T0.date(),
        }
        # The statement exactly as the hub sends it (hall/prepared.py), explained.
        form = sql.call_at_once(window.id, queue_ids, 3, False)._compile(
            s.bind.dialect, tuple(params)
        )
        values = dict(form.fixed)
        for key, value in params.items():
            process = form.bind.get(key)
            values[key] = process(value) if process else value
        cursor = s.connection().connection.dbapi_connection.cursor()
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + form.sql, values)
        plan = cursor.fetchall()
        lines = [line for (line,) in plan]
        s.rollback()
    assert sum("ix_tickets_priority_line" in line for line in lines) == len(queue_ids)
    removed = [int(line.split(":")[1]) for line in lines if "Rows Removed by Filter" in line]
    assert max(removed, default=0) < 20
