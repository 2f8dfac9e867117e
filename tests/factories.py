"""Builders for test data beyond the demo halls."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall.admin.models import Hall, Staff
from hall.queue.models import Matter, Ticket, Window


def hall(session: Session, code: str = "kuancheng") -> Hall:
    """A demo hall by code."""
    return session.scalar(select(Hall).where(Hall.code == code))


def staff(session: Session, username: str) -> Staff:
    """A demo staff member."""
    return session.scalar(select(Staff).where(Staff.username == username))


def matter(session: Session, code: str, hall_code: str = "kuancheng") -> Matter:
    """A demo matter of a hall."""
    h = hall(session, hall_code)
    return session.scalar(select(Matter).where(Matter.hall_id == h.id, Matter.code == code))


def window(session: Session, number: str, hall_code: str = "kuancheng") -> Window:
    """A demo window by its number."""
    h = hall(session, hall_code)
    return session.scalar(select(Window).where(Window.hall_id == h.id, Window.number == number))


def tickets(session: Session) -> list[Ticket]:
    """Every ticket, oldest first."""
    return list(session.scalars(select(Ticket).order_by(Ticket.id)))


def utc(text: str) -> datetime:
    """An aware UTC datetime from ISO text with an offset."""
    return datetime.fromisoformat(text)
