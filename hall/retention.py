"""Retention: residents' personal data is anonymised once its period has passed.

A case keeps its applicant's name, ID number and phone (encrypted) until
``RETENTION_CASE_DAYS`` after it ended (handed over, or refused); a rating keeps the
resident's name and comment until ``RETENTION_RATING_DAYS`` after it was given, and longer
while its 差评 follow-up is open. Then those fields are emptied in place: the rows stay, with
their dates, matters, statuses, scores and reasons, so every statistic keeps its counts.

A phone booking keeps its phone number (sealed, masked and as a keyed hash, which counts the
number's open bookings) until ``BOOKING_RETENTION_DAYS`` after its slot; then all three are
emptied.

Tickets hold no personal data (no name, no phone: a phone ticket is found by its status token),
so there is nothing to anonymise there. The audit trail holds none either (it names staff,
devices and counts), and is never rewritten: a run appends one entry with its counts.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hall import audit, clock
from hall.cases.models import Case, CaseStatus, CaseStep
from hall.queue.models import Appointment
from hall.stats.models import Rating, is_closed

ANONYMOUS = "***"  # what screens show for an anonymised applicant


@dataclass(frozen=True)
class Outcome:
    """What a run anonymised (or, dry, would)."""

    cases: int
    ratings: int
    bookings: int = 0


def run(
    session: Session,
    case_days: int,
    rating_days: int,
    *,
    dry_run: bool = False,
    booking_days: int = 7,
) -> Outcome:
    """Anonymise the cases, ratings and bookings past their period; one audit entry unless dry."""
    now = clock.now()
    bookings = session.scalars(
        select(Appointment).where(
            Appointment.starts_at < now - timedelta(days=booking_days),
            or_(Appointment.phone_enc != "", Appointment.phone_hash.is_not(None)),
        )
    ).all()
    case_cutoff = now - timedelta(days=case_days)
    ended = or_(
        (Case.status == CaseStatus.CLOSED) & (Case.closed_at < case_cutoff),
        (Case.status == CaseStatus.REFUSED) & (Case.refused_at < case_cutoff),
    )
    holding = or_(
        Case.applicant_name_enc != "",
        Case.applicant_id_enc != "",
        Case.applicant_phone_enc != "",
    )
    cases = session.scalars(select(Case).where(ended, holding).order_by(Case.id)).all()
    rating_cutoff = now - timedelta(days=rating_days)
    said = or_(Rating.resident_name.is_not(None), Rating.text != "")
    ratings = [
        rating
        for rating in session.scalars(
            select(Rating).where(Rating.at < rating_cutoff, said).order_by(Rating.id)
        )
        if is_closed(rating.score, rating.outcome, rating.fixed_at is not None, rating.appeal)
    ]
    if dry_run:
        return Outcome(len(cases), len(ratings), len(bookings))
    for booking in bookings:
        booking.phone_enc = booking.phone_masked = ""
        booking.phone_hash = None
    for case in cases:
        case.applicant_name_enc = case.applicant_id_enc = case.applicant_phone_enc = ""
        case.applicant_name_masked = ANONYMOUS
        case.applicant_id_masked = case.applicant_phone_masked = ""
        if case.handed_to_masked:
            case.handed_to_masked = ANONYMOUS
    if cases:
        # The hand-over step names who collected the result ("A003 → 张*").
        steps = session.scalars(
            select(CaseStep).where(
                CaseStep.case_id.in_([c.id for c in cases]), CaseStep.action == "handed_over"
            )
        )
        for step in steps:
            step.detail = step.detail.split(" → ")[0]
    for rating in ratings:
        rating.resident_name = None
        rating.text = ""
    outcome = Outcome(len(cases), len(ratings), len(bookings))
    audit.record(
        session,
        None,
        "retention.run",
        "personal data",
        after={
            "cases": outcome.cases,
            "ratings": outcome.ratings,
            "bookings": outcome.bookings,
            "case_days": case_days,
            "rating_days": rating_days,
        },
    )
    return outcome
