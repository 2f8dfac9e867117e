"""Ratings: given once per channel and service, a 差评 with a reason, and its follow-up."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall import cache, clock
from hall.errors import BadRequest, Conflict, NotFound
from hall.events import Event, notify
from hall.queue.models import Ticket, TicketStatus
from hall.stats.models import BAD_SCORES, REASONS, Channel, Outcome, Rating, Stage


def rate_ticket(
    session: Session,
    ticket: Ticket,
    channel: Channel,
    body: dict[str, Any],
    *,
    device_id: int | None = None,
    late_days: int = 7,
    fix_days: int = 5,
    at: datetime | None = None,
) -> tuple[Rating, list[Event]]:
    """Record a rating of a served ticket; refuse an unserved ticket, a second rating or a
    差评 without a reason or text (nothing is stored then)."""
    at = at or clock.now()
    if ticket.status != TicketStatus.DONE or ticket.finished_at is None:
        raise Conflict(
            "只能评价已办结的服务 / only a finished service can be rated", code="not_served"
        )
    if channel == Channel.STATUS and at - ticket.finished_at > timedelta(days=late_days):
        raise Conflict(
            f"已超过 {late_days} 天的补充评价期限 / the {late_days}-day window to rate has passed",
            code="rating_closed",
        )
    score, reasons, text = _said(body)
    earlier = session.scalars(select(Rating.channel).where(Rating.ticket_id == ticket.id)).all()
    if channel in earlier:
        raise Conflict(
            "此服务已评价 / this service has already been rated here", code="already_rated"
        )
    hall = cache.of(session).hall_by_id(ticket.hall_id)
    return _record(
        session,
        hall,
        channel,
        body,
        (score, reasons, text),
        earlier=earlier,
        device_id=device_id,
        at=at,
        fix_days=fix_days,
        columns={
            "subject": "ticket",
            "ticket_id": ticket.id,
            "matter_id": ticket.matter_id,
            "window_id": ticket.window_id,
            "staff_id": ticket.staff_id,
        },
        told={
            "ticket_id": ticket.id,
            "number": ticket.number,
            "window": ticket.window.number if ticket.window else None,
        },
    )


def _record(
    session: Session,
    hall: Any,
    channel: Channel,
    body: dict[str, Any],
    said: tuple[int, list[str], str],
    *,
    earlier: list,
    device_id: int | None,
    at: datetime,
    fix_days: int,
    columns: dict[str, Any],
    told: dict[str, Any],
) -> tuple[Rating, list[Event]]:
    """Store a rating of a ticket or a case (``columns``: what it rates) and tell the staff
    clients (``told``: how they name it); a 差评 is due to be fixed in ``fix_days`` working
    days."""
    score, reasons, text = said
    matter = cache.of(session).matter_by_id(hall.id, columns["matter_id"])
    rating = Rating(
        hall_id=hall.id,
        department_id=getattr(matter, "department_id", None),
        channel=channel,
        device_id=device_id,
        at=at,
        added=bool(earlier),
        score=score,
        reasons=list(dict.fromkeys(reasons)),
        text=text[:500],
        resident_name=(body.get("name") or "").strip()[:40] or None,
        callback_note="",
        outcome_note="",
        appeal_note="",
        **columns,
    )
    if rating.bad:
        rating.due_on = (
            cache.of(session)
            .calendar()
            .add_workdays(clock.service_date(at, hall.timezone), fix_days)
        )
    session.add(rating)
    session.flush()
    payload = {
        "rating_id": rating.id,
        **told,
        "score": score,
        "bad": rating.bad,
        "channel": str(channel),
        "at": clock.iso_local(at, hall.timezone),
    }
    if rating.bad:
        payload["due_on"] = rating.due_on.isoformat()
        payload["overdue"] = False
    # Notifications for staff clients (/counter, /board), not sequenced hall events: a public
    # screen has no business hearing of one resident's rating.
    return rating, [notify(hall, "rating.bad" if rating.bad else "rating.given", payload)]


def rate_case(
    session: Session,
    case: Any,
    channel: Channel,
    body: dict[str, Any],
    *,
    device_id: int | None = None,
    late_days: int = 7,
    fix_days: int = 5,
    at: datetime | None = None,
) -> tuple[Rating, list[Event]]:
    """Record a rating of a case at intake or at hand-over (一事一评), by the same rules as a
    ticket's: once per stage and channel, a 差评 with a reason, the hand-over only once the
    result was handed over, and on the status page within the days allowed."""
    from hall.cases.models import CaseStep

    at = at or clock.now()
    stage = Stage(body.get("stage") or ("handover" if case.handed_over_at else "intake"))
    served_at = case.received_at if stage == Stage.INTAKE else case.handed_over_at
    if served_at is None:
        raise Conflict(
            "办件尚未领取,不能评价领取环节 / the result has not been handed over yet",
            code="not_served",
        )
    if channel == Channel.STATUS and at - served_at > timedelta(days=late_days):
        raise Conflict(
            f"已超过 {late_days} 天的补充评价期限 / the {late_days}-day window to rate has passed",
            code="rating_closed",
        )
    score, reasons, text = _said(body)
    earlier = session.scalars(
        select(Rating.channel).where(Rating.case_id == case.id, Rating.stage == stage)
    ).all()
    if channel in earlier:
        raise Conflict(
            "此环节已评价 / this stage of the case has already been rated here",
            code="already_rated",
        )
    hall = cache.of(session).hall_by_id(case.hall_id)
    window_id, staff_id = case.window_id, case.staff_id
    if stage == Stage.HANDOVER:
        staff_id = case.handed_over_by
        window_id = session.scalar(
            select(CaseStep.window_id)
            .where(CaseStep.case_id == case.id, CaseStep.action == "handed_over")
            .order_by(CaseStep.id.desc())
            .limit(1)
        )
    return _record(
        session,
        hall,
        channel,
        body,
        (score, reasons, text),
        earlier=earlier,
        device_id=device_id,
        at=at,
        fix_days=fix_days,
        columns={
            "subject": "case",
            "case_id": case.id,
            "stage": stage,
            "matter_id": case.matter_id,
            "window_id": window_id,
            "staff_id": staff_id,
        },
        told={"case_id": case.id, "number": case.number, "stage": str(stage)},
    )


def _said(body: dict[str, Any]) -> tuple[int, list[str], str]:
    """The score, reasons and text, refusing an unknown reason or a 差评 without either."""
    score, reasons, text = (
        body["score"],
        body.get("reasons") or [],
        (body.get("text") or "").strip(),
    )
    unknown = [r for r in reasons if r not in REASONS]
    if unknown:
        raise BadRequest(
            f"评价原因无效 / unknown reason: {str(unknown[0])[:20]}", code="bad_reason"
        )
    if score in BAD_SCORES and not reasons and not text:
        raise BadRequest(
            "差评请至少选择一个原因或填写说明 / a 差评 needs a reason or a comment",
            code="reason_required",
        )
    return score, reasons, text


def rating_by_id(session: Session, rating_id: int) -> Rating:
    """A rating by id."""
    rating = session.get(Rating, rating_id)
    if rating is None:
        raise NotFound(f"评价不存在 / no such rating: {rating_id}", code="rating_not_found")
    return rating


def follow_up(
    session: Session,
    rating: Rating,
    staff: Any,
    body: dict[str, Any],
    *,
    fix_days: int = 5,
    at: datetime | None = None,
) -> tuple[Rating, list[Event]]:
    """Record the call-back, the outcome, a fix done, or an appeal and its decision."""
    at = at or clock.now()
    hall = cache.of(session).hall_by_id(rating.hall_id)
    note = (body.get("note") or "").strip()[:500]
    did = False
    if body.get("callback"):
        rating.call_back(staff.id, note or str(body["callback"])[:500], at)
        did = True
    if body.get("outcome"):
        due = (
            cache.of(session)
            .calendar()
            .add_workdays(clock.service_date(at, hall.timezone), fix_days)
        )
        rating.settle(Outcome(body["outcome"]), note, at, due)
        did = True
    if body.get("fixed"):
        rating.mark_fixed(note, at)
        did = True
    appeal = body.get("appeal")
    if appeal:
        if appeal == "open":
            if rating.appeal is not None:
                raise Conflict("已申诉 / already appealed", code="already_appealed")
        elif rating.appeal != "open":
            raise Conflict("没有待复核的申诉 / no appeal to decide", code="no_appeal")
        elif staff.role not in ("manager", "admin"):
            raise Conflict("申诉由管理人员复核 / a manager decides appeals", code="manager_decides")
        rating.appeal = appeal
        rating.appeal_note = note
        did = True
    if not did:
        raise BadRequest(
            "请填写回访、处理结果、整改或申诉 / nothing to record", code="empty_follow_up"
        )
    session.flush()
    payload = {"rating_id": rating.id, "closed": rating.closed, "outcome": rating.outcome}
    return rating, [notify(hall, "rating.followed_up", payload)]
