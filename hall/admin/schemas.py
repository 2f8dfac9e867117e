"""Request schemas of administration: logging in."""

from apiflask import Schema
from apiflask.fields import String
from apiflask.validators import Length


class TokenIn(Schema):
    """Staff login."""

    username = String(required=True, validate=Length(1, 64))
    password = String(required=True, validate=Length(1, 200))
