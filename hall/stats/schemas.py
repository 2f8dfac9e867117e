"""Request schemas of statistics and ratings."""

from apiflask import Schema
from apiflask.fields import Boolean, Integer, List, String
from apiflask.validators import Length, OneOf, Range

from hall.schemas import BOOL, INT, OBJ, STR, also, arr, obj, opt
from hall.stats.models import REASONS, Outcome, Stage


class RatingIn(Schema):
    """A rating: score 5 (非常满意) … 1 (非常不满意); a 差评 (1, 2) needs reasons or text."""

    score = Integer(required=True, validate=Range(1, 5), strict=True)
    reasons = List(String(validate=OneOf(list(REASONS))), load_default=list, validate=Length(max=7))
    text = String(load_default="", validate=Length(max=500))
    name = String(load_default=None, allow_none=True, validate=Length(max=40))


class CaseRatingIn(RatingIn):
    """A case's rating (一事一评) at ``intake`` or ``handover`` (default: the latest reached)."""

    stage = String(load_default=None, allow_none=True, validate=OneOf([s.value for s in Stage]))


class FollowUpIn(Schema):
    """The follow-up of a 差评: call-back, outcome, fix done, or an appeal (open/upheld/rejected)."""

    callback = Boolean(load_default=False)
    outcome = String(load_default=None, allow_none=True, validate=OneOf([o.value for o in Outcome]))
    fixed = Boolean(load_default=False)
    appeal = String(
        load_default=None, allow_none=True, validate=OneOf(["open", "upheld", "rejected"])
    )
    note = String(load_default="", validate=Length(max=500))


# -- answers ------------------------------------------------------------------------------------

RATING = also(
    obj(
        id=INT,
        subject=STR,
        ticket_id=opt(INT),
        score=INT,
        level=STR,
        level_en=STR,
        gbt_code=INT,
        bad=BOOL,
        channel=STR,
        at=STR,
        added=BOOL,
        reasons=arr(STR),
        reason_names=arr(STR),
        text=STR,
    ),
    # Staff of the hall only: who served, the follow-up of a 差评.
    resident_name=opt(STR),
    matter_id=opt(INT),
    window_id=opt(INT),
    staff_id=opt(INT),
    department_id=opt(INT),
    device_id=opt(INT),
    due_on=opt(STR),
    overdue=BOOL,
    closed=BOOL,
    callback_at=opt(STR),
    callback_note=STR,
    outcome=opt(STR),
    outcome_at=opt(STR),
    outcome_note=STR,
    fixed_at=opt(STR),
    appeal=opt(STR),
    appeal_note=STR,
)
STATS = also(
    obj(hall=STR, tickets=OBJ, ratings=OBJ, cases=OBJ),
    **{"from": STR, "to": STR},
    by=opt(STR),
    groups=arr(OBJ),
)
OPEN_FIGURES = obj(hall=STR, name=STR, name_en=STR, today=OBJ, month=OBJ)
