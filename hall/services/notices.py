"""The hall's notice: the line that scrolls along the bottom of every hall display."""

from datetime import datetime

from sqlalchemy.orm import Session

from hall import clock
from hall.errors import BadRequest, Forbidden
from hall.events import Event, record
from hall.models import Hall, Role, Staff

MAX_LENGTH = 500
EDITORS = {Role.MANAGER, Role.ADMIN}


def set_notice(
    session: Session, hall: Hall, staff: Staff, text: str, at: datetime | None = None
) -> list[Event]:
    """Replace the hall's notice (managers of the hall and admins); displays update at once."""
    at = at or clock.now()
    if staff.role not in EDITORS or staff.hall_id not in (None, hall.id):
        raise Forbidden(
            "只有本大厅的管理人员可以修改公告 / only the hall's managers set the notice"
        )
    text = " ".join(text.split())
    if len(text) > MAX_LENGTH:
        raise BadRequest(f"公告不超过 {MAX_LENGTH} 字 / at most {MAX_LENGTH} characters")
    hall.notice = text
    return [
        record(
            session, hall, "hall.notice", {"notice": text, "at": clock.iso_local(at, hall.timezone)}
        )
    ]
