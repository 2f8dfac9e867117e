"""Finding things by the names clients use, with clear errors for unknown ones."""

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from hall.admin.models import Hall
from hall.errors import NotFound
from hall.ids import as_id
from hall.queue.models import Matter, Queue, Ticket, Window


def active_matters(session: Session, hall: Hall) -> list[Matter]:
    """The hall's active matters with their queues, by category (the phone's lists)."""
    return list(
        session.scalars(
            select(Matter)
            .options(joinedload(Matter.queue))
            .where(Matter.hall_id == hall.id, Matter.active.is_(True))
            .order_by(Matter.category, Matter.id)
        ).all()
    )


def _is_id(ref: int | str) -> bool:
    """Clients name things by id (ASCII digits) or by code or token (text)."""
    return as_id(ref) is not None


def hall_by_code(session: Session, code: str) -> Hall:
    """The hall with this code."""
    hall = session.scalar(select(Hall).where(Hall.code == code))
    if hall is None:
        raise NotFound(f"大厅不存在 / no such hall: {code[:40]}", code="hall_not_found")
    return hall


def matter_in_hall(session: Session, hall: Hall, ref: int | str) -> Matter:
    """A matter of the hall, by id or code."""
    query = (
        select(Matter)
        .options(joinedload(Matter.queue))
        .where(Matter.hall_id == hall.id, Matter.active.is_(True))
    )
    if _is_id(ref):
        matter = session.scalar(query.where(Matter.id == as_id(ref)))
    else:
        matter = session.scalar(query.where(Matter.code == ref))
    if matter is None:
        raise NotFound(f"事项不存在 / no such matter: {str(ref)[:40]}", code="matter_not_found")
    return matter


def queue_in_hall(session: Session, hall_id: int, ref: int | str) -> Queue:
    """A queue of the hall, by id or code."""
    query = select(Queue).where(Queue.hall_id == hall_id)
    if _is_id(ref):
        queue = session.scalar(query.where(Queue.id == as_id(ref)))
    else:
        queue = session.scalar(query.where(Queue.code == ref))
    if queue is None:
        raise NotFound(f"队列不存在 / no such queue: {str(ref)[:40]}", code="queue_not_found")
    return queue


def window(session: Session, window_id: int, *, lock: bool = False) -> Window:
    """A window by id."""
    query = select(Window).where(Window.id == window_id)
    if lock:
        query = query.with_for_update()
    found = session.scalar(query)
    if found is None:
        raise NotFound(f"窗口不存在 / no such window: {window_id}", code="window_not_found")
    return found


def ticket(session: Session, ref: int | str, *, lock: bool = False) -> Ticket:
    """A ticket by id or by its status token."""
    if _is_id(ref):
        query = select(Ticket).where(Ticket.id == as_id(ref))
    else:
        query = select(Ticket).where(Ticket.token == ref)
    if lock:
        query = query.with_for_update()
    found = session.scalar(query)
    if found is None:
        raise NotFound(f"票号不存在 / no such ticket: {str(ref)[:40]}", code="ticket_not_found")
    return found
