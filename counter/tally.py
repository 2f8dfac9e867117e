"""Today's figures for one window: served, no-shows, transfers, mean handling time."""

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hall import clock
from hall.queue.models import Ticket, TicketStep, Window


def day_start(window: Window, at: datetime) -> datetime:
    """Local midnight of the hall's service day, as an aware instant."""
    tz = ZoneInfo(window.hall.timezone)
    return datetime.combine(clock.service_date(at, window.hall.timezone), time(0), tzinfo=tz)


def window_tally(session: Session, window: Window, at: datetime | None = None) -> dict[str, Any]:
    """Counts of today's steps at the window and the mean service time of finished tickets."""
    at = at or clock.now()
    since = day_start(window, at)
    counts = dict(
        session.execute(
            select(TicketStep.action, func.count(TicketStep.id))
            .where(TicketStep.window_id == window.id, TicketStep.at >= since)
            .group_by(TicketStep.action)
        ).all()
    )
    spans = session.execute(
        select(Ticket.started_at, Ticket.finished_at).where(
            Ticket.window_id == window.id,
            Ticket.finished_at >= since,
            Ticket.started_at.is_not(None),
        )
    ).all()
    seconds = [(done - start) / timedelta(seconds=1) for start, done in spans if start and done]
    return {
        "called": counts.get("called", 0),
        "served": counts.get("finished", 0),
        "no_show": counts.get("no_show", 0),
        "transferred": counts.get("transferred", 0),
        "recalled": counts.get("recalled", 0),
        "mean_service_s": round(sum(seconds) / len(seconds)) if seconds else None,
    }
