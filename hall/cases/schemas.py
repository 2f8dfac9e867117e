"""Request schemas of cases, tasks and pickup (REST bodies and the OpenAPI document)."""

import re

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from marshmallow import ValidationError, validates_schema

from hall.cases.services import SUSPENSION_KINDS
from hall.schemas import ANY, BOOL, INT, OBJ, STR, IdOrCode, also, arr, obj, opt

# 18-character resident ID (last character a digit or X) and unified social credit code.
ID_NUMBER = re.compile(r"^[0-9]{17}[0-9Xx]$")
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
PHONE = re.compile(r"^\+?[0-9][0-9-]{4,19}$")

DocumentId = Integer(validate=Range(1, 10_000))


class ApplicantIn(Schema):
    """The applicant: a person (ID number) or a company (unified social credit code)."""

    kind = String(load_default="person", validate=OneOf(["person", "company"]))
    name = String(required=True, validate=Length(1, 100))
    id_number = String(required=True, validate=Length(1, 18))
    phone = String(load_default="", validate=Length(0, 20))

    @validates_schema
    def _check(self, data: dict, **_kwargs) -> None:
        pattern = ID_NUMBER if data.get("kind", "person") == "person" else CREDIT_CODE
        if not pattern.match(data.get("id_number", "")):
            raise ValidationError(
                "证件号码格式无效 / not a valid ID number or credit code", "id_number"
            )
        if data.get("phone") and not PHONE.match(data["phone"]):
            raise ValidationError("电话号码格式无效 / not a valid phone number", "phone")


class CaseIn(Schema):
    """Register a case from the ticket being served."""

    ticket = IdOrCode(required=True, metadata={"description": "the ticket you are serving"})
    matter = IdOrCode(required=True)
    applicant = Nested(ApplicantIn, required=True)
    documents = List(DocumentId, load_default=list, validate=Length(0, 100))
    outcome = String(load_default="accept", validate=OneOf(["accept", "partial", "refuse"]))
    reason = String(load_default="", validate=Length(0, 500))
    missing_reasons = Dict(
        keys=String(validate=Length(1, 8)),
        values=String(validate=Length(0, 200)),
        load_default=dict,
        metadata={"description": "a reason per missing document id (一次性告知书)"},
    )
    delivery = String(load_default="in_person", validate=OneOf(["in_person", "post"]))
    address = String(
        load_default="",
        validate=Length(0, 200),
        metadata={"description": "the postal address, required with delivery=post (邮寄)"},
    )
    print_receipt = Boolean(
        load_default=True,
        metadata={"description": "print the receipt on the window's printer, where it has one"},
    )


class DocumentsIn(Schema):
    """Documents the resident brings on a later visit (the ticket being served)."""

    ticket = IdOrCode(required=True)
    documents = List(DocumentId, load_default=list, validate=Length(0, 100))


class TaskActionIn(Schema):
    """A back-office step; a reason where it applies (reject, return, suspend)."""

    reason = String(load_default="", validate=Length(0, 500))
    documents = List(String(validate=Length(1, 200)), load_default=list, validate=Length(0, 30))
    procedure = String(load_default="other", validate=OneOf(list(SUSPENSION_KINDS)))


class ExtendIn(Schema):
    """A manager's approval of an extension."""

    days = Integer(required=True, validate=Range(1, 15))
    reason = String(required=True, validate=Length(1, 500))


class HandOverIn(Schema):
    """Hand the result over: to whom (masked in the record); a tracking number for post."""

    to = String(load_default="", validate=Length(0, 100))
    tracking = String(load_default="", validate=Length(0, 60))


class ReceiptIn(Schema):
    """Print a case's receipt again: on the named printer device, else the window's."""

    device = Integer(load_default=None, validate=Range(1, 2**31 - 1))


class PickupIn(Schema):
    """A pickup ticket for a case, by number or receipt code (the QR code)."""

    case = String(required=True, validate=Length(1, 60))


class ChecklistItemIn(Schema):
    """One document of a guide's checklist."""

    id = Integer(load_default=None, validate=Range(1, 10_000))
    name = String(required=True, validate=Length(1, 200))
    name_en = String(load_default="", validate=Length(0, 200))
    required = Boolean(load_default=True)
    core = Boolean(load_default=False)
    original = Boolean(load_default=True)
    copies = Integer(load_default=1, validate=Range(0, 20))


class GuideIn(Schema):
    """A new version of a matter's guide; fields left out stay as they are."""

    documents = List(Nested(ChecklistItemIn), load_default=None, validate=Length(0, 60))
    conditions = String(load_default=None, validate=Length(0, 4000))
    fee = String(load_default=None, validate=Length(0, 120))
    legal_basis = String(load_default=None, validate=Length(0, 4000))
    time_limit_days = Integer(load_default=None, validate=Range(0, 365))
    statutory_limit_days = Integer(load_default=None, validate=Range(0, 365))


# -- answers ------------------------------------------------------------------------------------

CASE = also(
    obj(
        id=INT,
        number=STR,
        status=STR,
        status_label=STR,
        hall=STR,
        kind=STR,
        matter=obj(id=INT, code=STR, name=STR),
        applicant=obj(kind=STR, name=STR, id_number=STR, phone=STR),
        received_at=STR,
        deadline=opt(STR),
        statutory_deadline=opt(STR),
        warning=STR,
        decision=STR,
        reason=STR,
        delivery=STR,
        one_trip=BOOL,
        visits=INT,
        guide_version=INT,
        documents_received=arr(INT),
        missing_documents=arr(ANY),
        deferred_documents=arr(ANY),
        clock=OBJ,
        receipt_code=STR,
        status_url=STR,
        notice_url=STR,
    ),
    accepted_at=opt(STR),
    refused_at=opt(STR),
    decided_at=opt(STR),
    ready_at=opt(STR),
    handed_over_at=opt(STR),
    closed_at=opt(STR),
    handed_to=STR,
    pickup_ticket=opt(STR),
    tasks=arr(OBJ),
    timeline=arr(OBJ),
    visit_log=arr(OBJ),
)
TASK = also(
    obj(
        id=INT,
        case_id=INT,
        department=STR,
        department_name=STR,
        lead=BOOL,
        status=STR,
        reason=STR,
        created_at=STR,
        claimed_at=opt(STR),
        claimed_by=opt(STR),
        decided_at=opt(STR),
    ),
    case=OBJ,
)
GUIDE = also(
    obj(
        id=INT,
        code=STR,
        name=STR,
        name_en=STR,
        kind=STR,
        version=INT,
        time_limit_days=INT,
        statutory_limit_days=INT,
        fee=STR,
        conditions=STR,
        legal_basis=STR,
        documents=arr(OBJ),
        departments=arr(OBJ),
        versions=arr(OBJ),
        partial_allowed=BOOL,
        result_pickup=BOOL,
    ),
    basic_code=STR,
    implementation_code=STR,
    updated_at=opt(STR),
)
PUBLIC_CASE = obj(
    number=STR,
    status=STR,
    status_label=STR,
    hall=STR,
    hall_name=STR,
    matter_name=STR,
    deadline=opt(STR),
    decision=STR,
    delivery=STR,
    ready=BOOL,
    missing_documents=arr(ANY),
)
CASE_WARNING = obj(
    id=INT, number=STR, matter_name=STR, deadline=opt(STR), warning=STR, departments=arr(STR)
)
