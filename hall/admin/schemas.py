"""Request schemas of administration: logging in."""

from apiflask import Schema
from apiflask.fields import String
from apiflask.validators import Length

from hall.schemas import BOOL, INT, STR, obj, opt


class TokenIn(Schema):
    """Staff login."""

    username = String(required=True, validate=Length(1, 64))
    password = String(required=True, validate=Length(1, 200))


TOKEN = obj(token=STR, staff=obj(id=INT, username=STR, name=STR, role=STR, hall_id=opt(INT)))
OK = obj(ok=BOOL)
