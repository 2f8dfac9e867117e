"""The next ticket is found by index probes; the order must be the full sort's exactly."""

import random
from datetime import timedelta

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
