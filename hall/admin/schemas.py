"""Request schemas of administration: logging in, the administration pages, pairing."""

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp
from marshmallow import ValidationError

from hall.schemas import BOOL, INT, STR, obj, opt


class TokenIn(Schema):
    """Staff login."""

    username = String(required=True, validate=Length(1, 64))
    password = String(required=True, validate=Length(1, 200))


TOKEN = obj(token=STR, staff=obj(id=INT, username=STR, name=STR, role=STR, hall_id=opt(INT)))
OK = obj(ok=BOOL)
# -- administration pages ----------------------------------------------------------------------

CODE = Regexp(
    r"^[a-z0-9][a-z0-9_-]{0,31}$",
    error="小写字母、数字、- 或 _ / lowercase letters, digits, - or _",
)
ROLES = ("window", "backoffice", "pickup", "manager", "admin")
Hours = Dict(keys=String(), values=List(List(String(validate=Length(1, 5)))), allow_none=True)


class HallIn(Schema):
    """A hall's settings; fields left out stay as they are."""

    name = String(validate=Length(1, 120))
    name_en = String(validate=Length(0, 120))
    timezone = String(validate=Length(1, 64))
    hours = Hours
    workdays_only = Boolean()
    allow_phone_tickets = Boolean()
    notice = String(validate=Length(0, 500))
    wait_target_min = Integer(validate=Range(1, 600))
    default_service_s = Integer(validate=Range(10, 7200))
    max_calls = Integer(validate=Range(1, 10))
    no_show_grace_min = Integer(validate=Range(0, 240))
    case_warning_days = Integer(validate=Range(0, 30))
    # Booking from the phone: days ahead (0: none), slot length, places per slot and matter,
    # open bookings per phone number.
    booking_days = Integer(validate=Range(0, 90))
    booking_slot_min = Integer(validate=Range(5, 480))
    booking_capacity = Integer(validate=Range(0, 1000))
    booking_per_phone = Integer(validate=Range(1, 20))


class NewHallIn(HallIn):
    """A new hall."""

    code = String(required=True, validate=CODE)
    name = String(required=True, validate=Length(1, 120))


class DepartmentIn(Schema):
    """A department; fields left out stay as they are."""

    code = String(validate=CODE)
    name = String(validate=Length(1, 120))
    name_en = String(validate=Length(0, 120))


class NewDepartmentIn(DepartmentIn):
    """A new department."""

    code = String(required=True, validate=CODE)
    name = String(required=True, validate=Length(1, 120))


QUEUE_CODE = Regexp(
    r"^[A-Z][A-Z0-9]{0,3}$", error="大写字母开头,至多 4 位 / an upper-case letter, at most 4"
)


class QueueIn(Schema):
    """A queue; fields left out stay as they are."""

    code = String(validate=QUEUE_CODE)
    prefix = String(validate=QUEUE_CODE)
    name = String(validate=Length(1, 60))
    name_en = String(validate=Length(0, 60))
    kind = String(validate=OneOf(("intake", "specialised", "consultation", "pickup")))


class NewQueueIn(QueueIn):
    """A new queue."""

    code = String(required=True, validate=QUEUE_CODE)
    prefix = String(required=True, validate=QUEUE_CODE)
    name = String(required=True, validate=Length(1, 60))


class MatterIn(Schema):
    """A matter's catalogue entry; its guide has its own route. Fields left out stay."""

    code = String(
        validate=Regexp(
            r"^[A-Za-z0-9_-]{1,32}$", error="字母、数字、- 或 _ / letters, digits, - or _"
        )
    )
    name = String(validate=Length(1, 120))
    name_en = String(validate=Length(0, 120))
    category = String(validate=Length(0, 60))
    queue_id = Integer(validate=Range(1, 2**31 - 1))
    department_id = Integer(validate=Range(1, 2**31 - 1), allow_none=True)
    daily_cap = Integer(validate=Range(1, 100000), allow_none=True)
    cap_warning = Integer(validate=Range(1, 100000), allow_none=True)
    hours = Hours
    active = Boolean()
    booking_slot_min = Integer(validate=Range(5, 480), allow_none=True)
    booking_capacity = Integer(validate=Range(0, 1000), allow_none=True)


class NewMatterIn(MatterIn):
    """A new matter."""

    code = String(required=True, validate=Regexp(r"^[A-Za-z0-9_-]{1,32}$"))
    name = String(required=True, validate=Length(1, 120))
    queue_id = Integer(required=True, validate=Range(1, 2**31 - 1))


class WindowIn(Schema):
    """A window; fields left out stay as they are."""

    number = String(
        validate=Regexp(
            r"^[A-Za-z0-9-]{1,8}$", error="至多 8 位字母或数字 / at most 8 letters or digits"
        )
    )
    name = String(validate=Length(1, 60))
    name_en = String(validate=Length(0, 60))
    queues = List(Integer(validate=Range(1, 2**31 - 1)), validate=Length(0, 20))
    roles = List(String(validate=OneOf(ROLES)), allow_none=True, validate=Length(0, 5))


class NewWindowIn(WindowIn):
    """A new window."""

    number = String(required=True, validate=Regexp(r"^[A-Za-z0-9-]{1,8}$"))
    name = String(required=True, validate=Length(1, 60))
    queues = List(Integer(validate=Range(1, 2**31 - 1)), required=True, validate=Length(1, 20))


class StaffIn(Schema):
    """A staff account's name, number, role and scope; fields left out stay as they are."""

    name = String(validate=Length(1, 60))
    staff_no = String(validate=Length(0, 20))
    role = String(validate=OneOf(ROLES))
    hall_id = Integer(validate=Range(1, 2**31 - 1), allow_none=True)
    department_id = Integer(validate=Range(1, 2**31 - 1), allow_none=True)


class NewStaffIn(StaffIn):
    """A new staff account."""

    username = String(
        required=True,
        validate=Regexp(
            r"^[A-Za-z0-9_.-]{1,64}$", error="字母、数字、. - _ / letters, digits, . - _"
        ),
    )
    password = String(required=True, validate=Length(6, 200))
    role = String(required=True, validate=OneOf(ROLES))


class PasswordIn(Schema):
    """A new password."""

    password = String(required=True, validate=Length(6, 200))


class DeviceIn(Schema):
    """A device's name, hall and printer; fields left out stay as they are."""

    name = String(validate=Length(1, 60))
    hall_id = Integer(validate=Range(1, 2**31 - 1))
    printer_url = String(validate=Length(0, 300), allow_none=True)


class PairIn(Schema):
    """An admin claims a pairing code shown by a device."""

    code = String(required=True, validate=Regexp(r"^[0-9]{6}$", error="6 位数字 / six digits"))
    kind = String(required=True, validate=OneOf(("kiosk", "display", "evaluator")))
    hall_id = Integer(required=True, validate=Range(1, 2**31 - 1))
    name = String(load_default="", validate=Length(0, 60))
    printer_url = String(load_default=None, validate=Length(0, 300), allow_none=True)
    window = String(load_default=None, validate=Regexp(r"^[A-Za-z0-9-]{1,8}$"), allow_none=True)


class PollIn(Schema):
    """A waiting device asks whether it was paired."""

    secret = String(required=True, validate=Length(20, 100))


# -- the national holiday arrangement ----------------------------------------------------------


class StrictBoolean(Boolean):
    """true or false only: not 1, "yes" or "true"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("应为 true 或 false / must be true or false")
        return value


class CalendarDayIn(Schema):
    """A day of the national arrangement: a holiday (workday false) or a make-up working day."""

    workday = StrictBoolean(required=True)
    name = String(load_default="", validate=Length(0, 40))


class CalendarEntryIn(CalendarDayIn):
    """One day (``date``) or a range of days (``from`` … ``to``, both included) of a year."""

    date = String(validate=Length(10, 10))
    from_ = String(data_key="from", validate=Length(10, 10))
    to = String(validate=Length(10, 10))


class CalendarYearIn(Schema):
    """A year's whole arrangement: its entries replace the year's entered days."""

    days = List(Nested(CalendarEntryIn), required=True, validate=Length(0, 366))


class CalendarQuery(Schema):
    """The year to list (this year when left out)."""

    year = Integer(load_default=None, validate=Range(2000, 2100))
