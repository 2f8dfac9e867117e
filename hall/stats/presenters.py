"""What clients see of the figures and ratings; presenters only read.

The stats answer has one section per domain (``tickets``, ``cases``, ``ratings``); a domain
adds its section to ``SECTIONS`` and its per-group figures beside the others.
"""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hall import clock
from hall.queue.models import Ticket, TicketStep, Window
from hall.stats.cases import case_report
from hall.stats.figures import ticket_figures
from hall.stats.models import BAD_SCORES, LEVEL_NAMES, REASONS, SCORE_TO_GBT, Rating

# Further domains add a section here: (session, hall, start, end) -> dict.
SECTIONS: dict[str, Callable[..., dict[str, Any]]] = {}


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


def rating_dict(rating: Rating, tz: str, *, private: bool = True) -> dict[str, Any]:
    """A rating as managers see it (``private=False``: as the resident who gave it sees it)."""
    zh, en = LEVEL_NAMES[rating.score]
    data: dict[str, Any] = {
        "id": rating.id,
        "subject": rating.subject,
        "ticket_id": rating.ticket_id,
        "case_id": rating.case_id,
        "stage": rating.stage or None,
        "score": rating.score,
        "level": zh,
        "level_en": en,
        "gbt_code": SCORE_TO_GBT[rating.score],
        "bad": rating.bad,
        "channel": rating.channel,
        "added": rating.added,
        "at": clock.iso_local(rating.at, tz),
        "reasons": rating.reasons,
        "reason_names": [REASONS[r][0] for r in rating.reasons if r in REASONS],
        "text": rating.text,
    }
    if private:
        data.update(
            {
                "matter_id": rating.matter_id,
                "window_id": rating.window_id,
                "staff_id": rating.staff_id,
                "department_id": rating.department_id,
                "device_id": rating.device_id,
                "resident_name": rating.resident_name,
                "due_on": rating.due_on.isoformat() if rating.due_on else None,
                "callback_at": clock.iso_local(rating.callback_at, tz),
                "callback_note": rating.callback_note,
                "outcome": rating.outcome,
                "outcome_at": clock.iso_local(rating.outcome_at, tz),
                "outcome_note": rating.outcome_note,
                "fixed_at": clock.iso_local(rating.fixed_at, tz),
                "appeal": rating.appeal,
                "appeal_note": rating.appeal_note,
                "closed": rating.closed,
                "overdue": overdue(rating, clock.service_date(clock.now(), tz)),
            }
        )
    return data


def overdue(rating: Rating, today: date) -> bool:
    """Whether a 差评's follow-up is past its deadline and not done."""
    return rating.bad and not rating.closed and rating.due_on is not None and today > rating.due_on


def open_bad_ratings(session: Session, hall: Any, limit: int = 50) -> list[dict[str, Any]]:
    """The hall's 差评 whose follow-up is not done, oldest deadline first (board alerts)."""
    from hall.cases.models import Case

    rows = session.execute(
        select(Rating, func.coalesce(Ticket.number, Case.number), Window.number)
        .outerjoin(Ticket, Ticket.id == Rating.ticket_id)
        .outerjoin(Case, Case.id == Rating.case_id)
        .outerjoin(Window, Window.id == Rating.window_id)
        .where(Rating.hall_id == hall.id, Rating.score.in_(BAD_SCORES))
        .order_by(Rating.due_on, Rating.id)
        .limit(limit * 4)
    ).all()
    today = clock.service_date(clock.now(), hall.timezone)
    return [
        {
            "rating_id": rating.id,
            "number": number,
            "window": window,
            "score": rating.score,
            "due_on": rating.due_on.isoformat() if rating.due_on else None,
            "overdue": overdue(rating, today),
            "at": clock.iso_local(rating.at, hall.timezone),
        }
        for rating, number, window in rows
        if not rating.closed
    ][:limit]


def stats_report(
    session: Session,
    hall: Any,
    start: date,
    end: date,
    by: str | None,
    *,
    now: datetime | None = None,
    use_rollup: bool = True,
) -> dict[str, Any]:
    """The hall's figures over the range, one section per domain, with groups when asked."""
    now = now or clock.now()
    figures = ticket_figures(
        session,
        hall,
        start,
        end,
        by,
        now=now,
        target_s=hall.wait_target_min * 60,
        use_rollup=use_rollup,
    )
    cases, case_groups = case_report(session, hall, start, end, by, now=now)
    report: dict[str, Any] = {
        "hall": hall.code,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "by": by,
        "tickets": figures["tickets"],
        "cases": cases,
        "ratings": figures["ratings"],
    }
    for name, section in SECTIONS.items():
        report[name] = section(session, hall, start, end)
    groups = []
    for group in figures["groups"]:
        key, name, ratings = group.pop("key"), group.pop("name"), group.pop("ratings")
        groups.append({"key": key, "name": name, "tickets": group, "ratings": ratings})
    if by is not None:
        _add_case_groups(session, hall, groups, case_groups, by)
    report["groups"] = groups
    return report


def _add_case_groups(
    session: Session, hall: Any, groups: list[dict[str, Any]], cases: dict[Any, Any], by: str
) -> None:
    """Each group's case figures beside its ticket figures; a group that only cases have
    (a clerk who took in cases but called no ticket) is added with zero ticket figures."""
    from hall.stats.figures import _key_text, _names, empty_group

    empty = case_figures_empty()
    seen = set()
    for group in groups:
        raw = group["key"]
        found = cases.get(date.fromisoformat(raw) if by == "day" and raw else raw)
        group["cases"] = found if found is not None else dict(empty)
        seen.add(raw)
    extra = [(k, v) for k, v in cases.items() if _key_text(k) not in seen and _any(v)]
    if not extra:
        return
    names = _names(session, hall, by)
    for raw, figures in extra:
        key = _key_text(raw)
        tickets, ratings = empty_group()
        if by == "window":
            tickets["idle_s"] = 0
        groups.append(
            {
                "key": key,
                "name": names.get(raw, key),
                "tickets": tickets,
                "ratings": ratings,
                "cases": figures,
            }
        )
    groups.sort(key=lambda g: (g["key"] is None, str(g["key"]).zfill(12)))


def _any(figures: dict[str, Any]) -> bool:
    return any(
        figures[k]
        for k in ("carried_over", "received", "refused", "decided", "handed_over", "in_progress")
    ) or bool(figures["returned"] or figures["ratings"]["count"])


def case_figures_empty() -> dict[str, Any]:
    """A group's case figures when none of its cases touch the range."""
    from hall.stats.cases import Tally, _figures

    return _figures(Tally())


def open_figures(session: Session, hall: Any, now: datetime | None = None) -> dict[str, Any]:
    """The public page's figures: today and this month; counts and rates, never a person."""
    now = now or clock.now()
    today = clock.service_date(now, hall.timezone)
    month = today.replace(day=1)
    data: dict[str, Any] = {"hall": hall.code, "name": hall.name, "name_en": hall.name_en}
    for label, start in (("today", today), ("month", month)):
        report = stats_report(session, hall, start, today, None, now=now)
        tickets, ratings = report["tickets"], report["ratings"]
        data[label] = {
            "from": start.isoformat(),
            "to": today.isoformat(),
            "issued": tickets["issued"],
            "served": tickets["served"],
            "median_wait_s": tickets["wait_s"]["p50"],
            "service_level": tickets["service_level"],
            "target_min": hall.wait_target_min,
            "one_trip_rate": report["cases"].get("one_trip_rate"),
            "on_time_rate": report["cases"].get("on_time_rate"),
            "good_rate": ratings["good_rate"],
            "bad": ratings["bad"],
            "fixed": ratings["fixed"],
        }
    return data
