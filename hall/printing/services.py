"""Print jobs: queue a ticket or a case's receipt for a printer, claim due jobs, settle each
attempt, reprint.

A job is printed at most once: a worker claims it with a guarded UPDATE (pending → printing)
that only one process can win, and only an attempt that sent nothing is ever retried.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from hall import access, cache, clock
from hall.access import Permission
from hall.admin.models import Device, Hall, Staff
from hall.cases.models import Case
from hall.db import UTCDateTime
from hall.errors import Conflict, Forbidden, NotFound
from hall.events import Event, notify
from hall.printing import receipts
from hall.queue import presenters
from hall.queue.models import PrintJob, PrintKind, PrintState, Ticket, TicketStatus, Window
from printers import CaseReceipt, TicketLayout

JOBS = PrintJob.__table__
TICKETS = Ticket.__table__
DEVICES = Device.__table__
CASES = Case.__table__
# What a receipt shows of its case (hall/printing/receipts.py), read with the claimed jobs.
RECEIPT_COLUMNS = (
    "number",
    "status",
    "matter_id",
    "applicant_name_masked",
    "received_at",
    "deadline",
    "missing",
    "deferred",
    "reason",
    "decision",
    "delivery",
    "address_masked",
    "tracking_number",
    "handed_over_at",
    "handed_to_masked",
)

OPEN_STATES = (PrintState.PENDING, PrintState.PRINTING)
KIOSK_REPRINTS = 3  # a kiosk may print a ticket at most this many times more
DEFAULT_NOTICE = "请留意叫号屏幕与语音提示 Please watch the display"
REPRINT_NOTICE = "补打 Reprint · 请留意叫号屏幕 Please watch the display"
PRIORITY_LABELS = {
    "elderly": "老年人 Elderly",
    "disabled": "残疾人 Disabled",
    "military": "军人 Military",
    "pregnant": "孕妇 Pregnant",
    "appointment": "预约 Appointment",
}
EXPIRED_REASON = "票号已不在等候,不再打印 / the ticket is no longer waiting; not printed"
GAVE_UP_REASON = "打印机长时间未恢复,未打印 / the printer did not recover in time; not printed"
STALE_REASON = (
    "打印中断,结果未知,如未出票请补打 / printing was interrupted; reprint if no ticket came out"
)


@dataclass(frozen=True)
class PrintOrder:
    """Everything the worker needs to send one claimed job, read after the claim."""

    job_id: int
    printer_url: str
    layout: TicketLayout | CaseReceipt
    paper_mm: int = 80
    raster_text: bool = False
    require_ready: bool = False
    # Confirm each ticket by DLE EOT after it: "auto" (printers seen answering), "on", "off".
    confirm: str = "auto"
    # Enough of the job to settle a printed batch without reading it again.
    hall_id: int = 0
    ticket_id: int = 0
    device_id: int | None = None
    attempts: int = 0
    reprint: bool = False
    kind: str = PrintKind.TICKET
    case_id: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: printed, or an error and whether a retry is safe."""

    printed: bool
    error: str = ""
    retry: bool = False


def job_json(job: PrintJob) -> dict[str, Any]:
    """A print job as kiosks and counters see it."""
    return {
        "job_id": job.id,
        "kind": job.kind,
        "state": job.state,
        "attempts": job.attempts,
        "reprint": job.reprint,
        "reason": public_reason(job.last_error, job.printer_url) or None,
    }


def public_reason(error: str, printer_url: str) -> str:
    """The error without the printer's address (events reach public screens too)."""
    return error.split(f": {printer_url}", 1)[0].strip()


def backoff_s(attempts: int, base_s: float, max_s: float) -> float:
    """Seconds to wait before the next attempt: doubling from base_s, at most max_s."""
    return min(max_s, base_s * 2 ** max(0, attempts - 1))


def enqueue(
    session: Session,
    ticket: Ticket,
    device: Device | None,
    status_url: str,
    *,
    reprint: bool = False,
    staff_id: int | None = None,
    at: datetime | None = None,
) -> PrintJob | None:
    """Store a job to print the ticket on the device's printer; None when it has none."""
    if device is None or not device.printer_url:
        return None
    return _enqueue(
        session,
        device,
        status_url,
        reprint,
        staff_id,
        at,
        ticket_id=ticket.id,
        hall_id=ticket.hall_id,
    )


def enqueue_receipt(
    session: Session,
    case: Any,
    device: Device,
    status_url: str,
    *,
    reprint: bool = False,
    staff_id: int | None = None,
    at: datetime | None = None,
) -> PrintJob:
    """Store a job to print the case's receipt on the device's printer (a window's printer)."""
    return _enqueue(
        session,
        device,
        status_url,
        reprint,
        staff_id,
        at,
        kind=PrintKind.RECEIPT,
        ticket_id=None,
        case_id=case.id,
        hall_id=case.hall_id,
    )


def _enqueue(
    session: Session,
    device: Device,
    status_url: str,
    reprint: bool,
    staff_id: int | None,
    at: datetime | None,
    **what: Any,
) -> PrintJob:
    """Store a pending job for the device's printer; ``what``: the ticket or case it prints."""
    at = at or clock.now()
    job = PrintJob(
        device_id=device.id,
        printer_url=device.printer_url,
        status_url=status_url,
        reprint=reprint,
        requested_by=staff_id,
        state=PrintState.PENDING,
        attempts=0,
        next_attempt_at=at,
        last_error="",
        created_at=at,
        **what,
    )
    session.add(job)
    session.flush()
    return job


def window_printer(session: Session, hall_id: int, window: Window | None) -> Device | None:
    """The printer set up for a window (a device whose ``printer_options.window`` is the
    window's number, ``hall printer set ID --window N``), or None."""
    if window is None:
        return None
    devices = session.scalars(
        select(Device)
        .where(
            Device.hall_id == hall_id,
            Device.printer_url.is_not(None),
            Device.revoked_at.is_(None),
        )
        .order_by(Device.id)
    ).all()
    return next(
        (d for d in devices if str((d.printer_options or {}).get("window", "")) == window.number),
        None,
    )


def receipt_printer(
    session: Session, hall_id: int, window: Window | None, device_id: int | None
) -> Device:
    """The printer a receipt goes to: the named device, else the window's (409 ``no_printer``)."""
    if device_id is not None:
        device = session.get(Device, device_id)
        if device is None or device.hall_id != hall_id or device.revoked_at is not None:
            raise NotFound(f"设备不存在 / no such device: {device_id}", code="device_not_found")
    else:
        device = window_printer(session, hall_id, window)
    if device is None or not device.printer_url:
        raise Conflict(
            "此窗口没有打印机,请指定设备 / this window has no printer; name a device",
            code="no_printer",
        )
    return device


def _printer_of(session: Session, ticket: Ticket, device_id: int | None) -> Device:
    if device_id is None:
        device = session.get(Device, ticket.device_id) if ticket.device_id else None
    else:
        device = session.get(Device, device_id)
        if device is None or device.hall_id != ticket.hall_id:
            raise NotFound(f"设备不存在 / no such device: {device_id}", code="device_not_found")
    if device is None or not device.printer_url:
        raise Conflict(
            "没有可用的打印机,请指定设备 / no printer for this ticket; name a device",
            code="no_printer",
        )
    return device


def _check_waiting(ticket: Ticket) -> None:
    if ticket.status != TicketStatus.WAITING:
        raise Conflict(
            f"票号 {ticket.number} 不在等候中,无需补打 / ticket {ticket.number} is not waiting",
            code="ticket_not_waiting",
        )


def reprint_by_staff(
    session: Session,
    ticket: Ticket,
    staff: Staff,
    status_url: str,
    *,
    device_id: int | None = None,
    at: datetime | None = None,
) -> PrintJob:
    """Counter staff print a waiting ticket again (its kiosk's printer, or a named device)."""
    access.require(staff, Permission.REPRINT, hall=ticket.hall_id)
    _check_waiting(ticket)
    device = _printer_of(session, ticket, device_id)
    return enqueue(session, ticket, device, status_url, reprint=True, staff_id=staff.id, at=at)


def last_ticket(session: Session, device: Device) -> Ticket:
    """The ticket the kiosk issued last."""
    ticket = session.scalar(
        select(Ticket).where(Ticket.device_id == device.id).order_by(Ticket.id.desc()).limit(1)
    )
    if ticket is None:
        raise NotFound("本机尚未出过票 / this kiosk has issued no ticket", code="ticket_not_found")
    return ticket


def reprint_by_kiosk(
    session: Session,
    ticket: Ticket,
    device: Device,
    status_url: str,
    *,
    window_s: float,
    at: datetime | None = None,
) -> PrintJob:
    """A kiosk prints its own last ticket again, within a few minutes of issuing it."""
    at = at or clock.now()
    if device.kind != "kiosk" or ticket.device_id != device.id:
        raise Forbidden("只能补打本机刚出的票 / a kiosk may reprint only its own last ticket")
    if last_ticket(session, device).id != ticket.id:
        raise Conflict(
            "只能补打本机最后一张票 / only the kiosk's last ticket can be reprinted",
            code="not_last_ticket",
        )
    if at - ticket.issued_at > timedelta(seconds=window_s):
        raise Conflict(
            f"已超过 {round(window_s / 60)} 分钟,请到窗口补打 / too late to reprint here; "
            "please ask at a window",
            code="reprint_too_late",
        )
    _check_waiting(ticket)
    jobs = session.scalars(select(PrintJob.state).where(PrintJob.ticket_id == ticket.id)).all()
    if any(state in OPEN_STATES for state in jobs):
        raise Conflict("正在打印,请稍候 / the ticket is being printed", code="print_pending")
    if len(jobs) > KIOSK_REPRINTS:
        raise Conflict("补打次数已满 / no more reprints here", code="reprint_limit")
    return enqueue(session, ticket, _printer_of(session, ticket, None), status_url, reprint=True)


def _number(session: Session, job: PrintJob) -> str:
    if job.ticket_id is not None:
        return job.ticket.number
    return session.get(Case, job.case_id).number


def _event(session: Session, job: PrintJob, state: str, **extra: Any) -> Event:
    return notify(
        session.get(Hall, job.hall_id),
        "print.updated",
        {
            "job_id": job.id,
            "kind": job.kind,
            "ticket_id": job.ticket_id,
            "case_id": job.case_id,
            "number": _number(session, job),
            "device_id": job.device_id,
            "state": state,
            "reason": public_reason(job.last_error, job.printer_url) or None,
            "attempts": job.attempts,
            "reprint": job.reprint,
            **extra,
        },
        device_id=job.device_id,
    )


def _close(session: Session, job_id: int, state: str, error: str, at: datetime) -> PrintJob | None:
    """Move a job from pending to a final state, unless another process got there first."""
    done = session.execute(
        update(PrintJob)
        .where(PrintJob.id == job_id, PrintJob.state == PrintState.PENDING)
        .values(state=state, last_error=error[:300], finished_at=at)
    )
    if done.rowcount != 1:
        return None
    job = session.get(PrintJob, job_id)
    session.refresh(job)
    return job


def sweep(session: Session, at: datetime, *, give_up_s: float, stale_s: float) -> list[Event]:
    """Expire jobs whose ticket left the queue, give up on old ones, fail interrupted ones."""
    return sweep_batch(session, at, give_up_s=give_up_s, stale_s=stale_s)[0]


def sweep_batch(
    session: Session, at: datetime, *, give_up_s: float, stale_s: float, limit: int | None = None
) -> tuple[list[Event], int]:
    """:func:`sweep` over at most ``limit`` jobs; its events and the number of jobs it found
    (``limit`` found: there may be more, for another transaction)."""
    events: list[Event] = []
    found = 0

    def capped(query):
        return query if limit is None else query.order_by(PrintJob.id).limit(limit - found)

    def full() -> bool:
        return limit is not None and found >= limit

    not_waiting = session.scalars(
        capped(
            select(PrintJob.id)
            .join(Ticket, Ticket.id == PrintJob.ticket_id)
            .where(PrintJob.state == PrintState.PENDING, Ticket.status != TicketStatus.WAITING)
        )
    ).all()
    for job_id in not_waiting:
        if job := _close(session, job_id, PrintState.EXPIRED, EXPIRED_REASON, at):
            events.append(_event(session, job, PrintState.EXPIRED))
    found += len(not_waiting)
    if full():
        return events, found
    too_old = session.scalars(
        capped(
            select(PrintJob.id).where(
                PrintJob.state == PrintState.PENDING,
                PrintJob.created_at < at - timedelta(seconds=give_up_s),
            )
        )
    ).all()
    for job_id in too_old:
        if job := _close(session, job_id, PrintState.FAILED, GAVE_UP_REASON, at):
            events.append(_event(session, job, PrintState.FAILED))
    found += len(too_old)
    if full():
        return events, found
    # A worker that died mid-print leaves its job "printing": whether paper came out is
    # unknown, so the job fails (staff can reprint) instead of risking a second copy.
    stale = session.scalars(
        capped(
            select(PrintJob).where(
                PrintJob.state == PrintState.PRINTING,
                PrintJob.claimed_at < at - timedelta(seconds=stale_s),
            )
        )
    ).all()
    for job in stale:
        job.state, job.last_error, job.finished_at = PrintState.FAILED, STALE_REASON, at
        events.append(_event(session, job, PrintState.FAILED))
    return events, found + len(stale)


def layout_for(session: Session, job: PrintJob) -> TicketLayout | CaseReceipt:
    """What the printed ticket (or receipt) says, from the ticket (or case) as it stands now."""
    if job.kind == PrintKind.RECEIPT:
        case = session.get(Case, job.case_id)
        return _receipt(session, job.hall_id, case, case.matter_id, job.status_url, job.reprint)
    ticket = job.ticket
    return _layout(
        session,
        hall_id=ticket.hall_id,
        ticket_id=ticket.id,
        number=ticket.number,
        queue_id=ticket.queue_id,
        matter_id=ticket.matter_id,
        priority=ticket.priority,
        issued_at=ticket.issued_at,
        queued_at=ticket.queued_at,
        waiting=ticket.status == TicketStatus.WAITING,
        status_url=job.status_url,
        reprint=job.reprint,
    )


def _layout(
    session: Session,
    *,
    hall_id: int,
    ticket_id: int,
    number: str,
    queue_id: int,
    matter_id: int | None,
    priority: str | None,
    issued_at: datetime,
    queued_at: datetime,
    waiting: bool,
    status_url: str,
    reprint: bool,
    told: int | None = None,
) -> TicketLayout:
    """A ticket's layout; ``told``: the people ahead its answer gave (a new ticket's first
    attempt), printed as they are instead of counting the line (O(people ahead) a ticket)."""
    refs = cache.of(session)
    hall = refs.hall_by_id(hall_id)
    queue = refs.queue(hall_id, queue_id)
    matter = refs.matter_by_id(hall_id, matter_id)
    if not waiting:
        ahead = 0
    elif told is not None:
        ahead = told
    else:
        ahead = (
            session.connection()
            .execute(AHEAD, {"queue_id": queue_id, "queued_at": queued_at, "ticket_id": ticket_id})
            .scalar_one()
        )
    return TicketLayout(
        hall=hall.name,
        number=number,
        matter=matter.name if matter else queue.name,
        queue=f"{queue.name} {queue.name_en}".strip(),
        ahead=ahead,
        estimated_wait_s=presenters.estimate_wait_s(session, hall, queue_id, ahead),
        issued_at=clock.local(issued_at, hall.timezone).strftime("%Y-%m-%d %H:%M"),
        status_url=status_url,
        notice=REPRINT_NOTICE if reprint else DEFAULT_NOTICE,
        priority=PRIORITY_LABELS.get(priority, priority) if priority else None,
    )


def _receipt(
    session: Session,
    hall_id: int,
    case: Any,
    matter_id: int,
    status_url: str,
    reprint: bool,
) -> CaseReceipt:
    refs = cache.of(session)
    hall = refs.hall_by_id(hall_id)
    matter = refs.matter_by_id(hall_id, matter_id)
    return receipts.receipt(
        case,
        hall_name=hall.name,
        matter_name=matter.name if matter else "",
        tz=hall.timezone,
        status_url=status_url,
        reprint=reprint,
    )


# Waiting tickets of the same queue that came before this one (what presenters.ahead_of
# counts), as one statement built once: the worker lays out every ticket it prints.
AHEAD = select(func.count(TICKETS.c.id)).where(
    TICKETS.c.queue_id == bindparam("queue_id"),
    TICKETS.c.status == TicketStatus.WAITING,
    or_(
        TICKETS.c.queued_at < bindparam("queued_at", type_=UTCDateTime()),
        and_(
            TICKETS.c.queued_at == bindparam("queued_at", type_=UTCDateTime()),
            TICKETS.c.id < bindparam("ticket_id"),
        ),
    ),
)

# The claimed jobs with what their tickets (or, for receipts, their cases) say, in one statement.
CLAIMED = (
    select(
        JOBS.c.id,
        JOBS.c.kind,
        JOBS.c.case_id,
        JOBS.c.hall_id,
        JOBS.c.device_id,
        JOBS.c.printer_url,
        JOBS.c.status_url,
        JOBS.c.reprint,
        JOBS.c.attempts,
        JOBS.c.ahead,
        TICKETS.c.id.label("ticket_id"),
        TICKETS.c.number,
        TICKETS.c.queue_id,
        TICKETS.c.matter_id,
        TICKETS.c.priority,
        TICKETS.c.issued_at,
        TICKETS.c.queued_at,
        TICKETS.c.status,
        DEVICES.c.printer_options,
        *(CASES.c[name].label(f"case_{name}") for name in RECEIPT_COLUMNS),
    )
    .select_from(JOBS)
    .outerjoin(TICKETS, TICKETS.c.id == JOBS.c.ticket_id)
    .outerjoin(CASES, CASES.c.id == JOBS.c.case_id)
    .outerjoin(DEVICES, DEVICES.c.id == JOBS.c.device_id)
    .where(JOBS.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(JOBS.c.id)
)


def _due(skipping: bool):
    """Due jobs of waiting tickets (and case receipts), oldest first, up to :limit."""
    busy = [JOBS.c.printer_url.not_in(bindparam("busy", expanding=True))] if skipping else []
    return (
        select(JOBS.c.id)
        .select_from(JOBS)
        .outerjoin(TICKETS, TICKETS.c.id == JOBS.c.ticket_id)
        .where(
            JOBS.c.state == PrintState.PENDING,
            JOBS.c.next_attempt_at <= bindparam("at", type_=UTCDateTime()),
            or_(TICKETS.c.status == TicketStatus.WAITING, JOBS.c.kind == PrintKind.RECEIPT),
            *busy,
        )
        .order_by(JOBS.c.id)
        .limit(bindparam("limit"))
        # PostgreSQL: workers of other processes skip each other's rows; the guarded
        # UPDATE (CLAIM) is what makes a claim unique on SQLite (and everywhere).
        .with_for_update(skip_locked=True, of=JOBS)
    )


# The worker's statements, built once (building them cost more than running them).
DUE = _due(False)
DUE_SKIPPING = _due(True)
CLAIM = (
    update(JOBS)
    .where(JOBS.c.id.in_(bindparam("ids", expanding=True)), JOBS.c.state == PrintState.PENDING)
    .values(state=PrintState.PRINTING, claimed_at=bindparam("at", type_=UTCDateTime()))
    .returning(JOBS.c.id)
)
PRINTED = (
    update(JOBS)
    .where(JOBS.c.id.in_(bindparam("ids", expanding=True)), JOBS.c.state == PrintState.PRINTING)
    .values(
        state=PrintState.PRINTED,
        attempts=JOBS.c.attempts + 1,
        claimed_at=None,
        last_error="",
        finished_at=bindparam("at", type_=UTCDateTime()),
    )
    .returning(JOBS.c.id)
)
FAULTY = select(DEVICES.c.id).where(
    DEVICES.c.id.in_(bindparam("ids", expanding=True)), DEVICES.c.printer_fault.is_not(None)
)


def _confirm_option(value: object) -> str:
    if value is True:
        return "on"
    if value is False:
        return "off"
    return value if value in ("auto", "on", "off") else "auto"


class _CaseColumns:
    """A claimed row's case columns under the names the receipt reads."""

    def __init__(self, row: Any) -> None:
        for name in RECEIPT_COLUMNS:
            setattr(self, name, getattr(row, f"case_{name}"))


def _order_layout(session: Session, row: Any) -> TicketLayout | CaseReceipt:
    if row.kind == PrintKind.RECEIPT:
        case = _CaseColumns(row)
        return _receipt(session, row.hall_id, case, case.matter_id, row.status_url, row.reprint)
    return _layout(
        session,
        hall_id=row.hall_id,
        ticket_id=row.ticket_id,
        number=row.number,
        queue_id=row.queue_id,
        matter_id=row.matter_id,
        priority=row.priority,
        issued_at=row.issued_at,
        queued_at=row.queued_at,
        waiting=row.status == TicketStatus.WAITING,
        status_url=row.status_url,
        reprint=row.reprint,
        # A retried job counts afresh: the line has moved since the resident was told.
        told=row.ahead if row.attempts == 0 and not row.reprint else None,
    )


def claim_due(
    session: Session, at: datetime, *, limit: int = 20, skip: Collection[str] = ()
) -> list[Any]:
    """Claim due jobs of waiting tickets (and case receipts) for this worker; each is claimed
    by one worker only. Jobs of the printers in ``skip`` (busy with earlier jobs) are left for
    a later pass. The claimed jobs' rows, for :func:`orders_for` once this unit committed.

    Three statements whatever the batch: pick the candidates, claim them with one guarded
    UPDATE (only rows still pending move, so two workers never share a job), read them. The
    layouts (people ahead, the estimate, a case's details) are not made here: on SQLite this
    transaction holds the one write lock every request of the hub waits for.
    """
    connection = session.connection()
    params: dict[str, Any] = {"at": at, "limit": limit}
    if skip:
        params["busy"] = list(skip)
    candidates = connection.execute(DUE_SKIPPING if skip else DUE, params).scalars().all()
    if not candidates:
        return []
    claimed = connection.execute(CLAIM, {"ids": list(candidates), "at": at}).scalars().all()
    if not claimed:
        return []
    return list(connection.execute(CLAIMED, {"ids": list(claimed)}))


def orders_for(session: Session, rows: list[Any]) -> list[PrintOrder]:
    """What the worker sends for claimed jobs (:func:`claim_due`): read in a read-only unit."""
    orders = []
    for row in rows:
        options = row.printer_options or {}
        orders.append(
            PrintOrder(
                job_id=row.id,
                printer_url=row.printer_url,
                layout=_order_layout(session, row),
                paper_mm=int(options.get("paper_mm", 80)),
                raster_text=bool(options.get("raster_text", False)),
                require_ready=bool(options.get("require_ready", False)),
                confirm=_confirm_option(options.get("confirm")),
                hall_id=row.hall_id,
                ticket_id=row.ticket_id or 0,
                device_id=row.device_id,
                attempts=row.attempts,
                reprint=row.reprint,
                kind=row.kind,
                case_id=row.case_id,
            )
        )
    return orders


def release(session: Session, job_id: int, at: datetime) -> None:
    """Hand a claimed job back untried (its printer just failed another job)."""
    session.execute(
        update(PrintJob)
        .where(PrintJob.id == job_id, PrintJob.state == PrintState.PRINTING)
        .values(state=PrintState.PENDING, claimed_at=None, next_attempt_at=at)
    )


def settle_printed(session: Session, orders: list[PrintOrder], at: datetime) -> list[Event]:
    """Record a batch of jobs that printed, in one guarded UPDATE; a printer that was at
    fault and has just printed is reported well again."""
    if not orders:
        return []
    connection = session.connection()
    done = set(connection.execute(PRINTED, {"ids": [o.job_id for o in orders], "at": at}).scalars())
    refs = cache.of(session)
    events = [
        notify(
            refs.hall_by_id(order.hall_id),
            "print.updated",
            {
                "job_id": order.job_id,
                "kind": order.kind,
                "ticket_id": order.ticket_id or None,
                "case_id": order.case_id,
                "number": order.layout.number,
                "device_id": order.device_id,
                "state": PrintState.PRINTED,
                "reason": None,
                "attempts": order.attempts + 1,
                "reprint": order.reprint,
            },
            device_id=order.device_id,
        )
        for order in orders
        if order.job_id in done  # else the sweep already failed it as interrupted
    ]
    device_ids = {o.device_id for o in orders if o.job_id in done and o.device_id is not None}
    # Most passes find no printer at fault: ask with a statement built once before loading any.
    if device_ids and connection.execute(FAULTY, {"ids": list(device_ids)}).first():
        for device in session.scalars(
            select(Device).where(Device.id.in_(device_ids), Device.printer_fault.is_not(None))
        ):
            hall = refs.hall_by_id(device.hall_id)
            device.printer_fault, device.printer_fault_since = None, None
            payload = {"device_id": device.id, "device": device.name, "reason": None}
            events.append(notify(hall, "printer.ok", payload))
    return events


def _device_events(session: Session, job: PrintJob, fault: str | None, at: datetime) -> list[Event]:
    device = job.device
    if device is None or device.printer_fault == fault:
        return []
    was_faulty = device.printer_fault is not None
    device.printer_fault = fault
    device.printer_fault_since = at if fault else None
    hall = session.get(Hall, job.hall_id)
    payload = {"device_id": device.id, "device": device.name, "reason": fault}
    if fault is None:
        return [notify(hall, "printer.ok", payload)] if was_faulty else []
    return [notify(hall, "printer.fault", {**payload, "since": clock.iso_local(at, hall.timezone)})]


def settle(
    session: Session,
    job_id: int,
    outcome: Outcome,
    at: datetime,
    *,
    retry_base_s: float,
    retry_max_s: float,
) -> list[Event]:
    """Record one attempt: printed, retried later (nothing was sent) or failed for good."""
    job = session.scalar(select(PrintJob).where(PrintJob.id == job_id).with_for_update())
    if job is None or job.state != PrintState.PRINTING:
        return []  # the sweep already failed it as interrupted
    job.attempts += 1
    job.claimed_at = None
    if outcome.printed:
        job.state, job.last_error, job.finished_at = PrintState.PRINTED, "", at
        return [_event(session, job, PrintState.PRINTED), *_device_events(session, job, None, at)]
    job.last_error = outcome.error[:300]
    fault = public_reason(job.last_error, job.printer_url)[:200] or "打印失败 / print failed"
    if outcome.retry:
        wait = backoff_s(job.attempts, retry_base_s, retry_max_s)
        job.state = PrintState.PENDING
        job.next_attempt_at = at + timedelta(seconds=wait)
        # Still pending; the reason and retry_in_s tell clients it is a retry after a fault.
        event = _event(session, job, PrintState.PENDING, retry_in_s=round(wait, 1))
    else:
        job.state, job.finished_at = PrintState.FAILED, at
        event = _event(session, job, PrintState.FAILED)
    return [event, *_device_events(session, job, fault, at)]


def printers_in_hall(session: Session, hall: Hall) -> list[dict[str, Any]]:
    """The hall's devices with a printer: fault state and jobs not yet printed."""
    open_jobs = dict(
        session.execute(
            select(PrintJob.device_id, func.count(PrintJob.id))
            .where(PrintJob.hall_id == hall.id, PrintJob.state.in_(OPEN_STATES))
            .group_by(PrintJob.device_id)
        ).all()
    )
    devices = session.scalars(
        select(Device)
        .where(Device.hall_id == hall.id, Device.printer_url.is_not(None))
        .order_by(Device.id)
    ).all()
    return [
        {
            "device_id": device.id,
            "device": device.name,
            "kind": device.kind,
            "printer_url": device.printer_url,
            "options": device.printer_options or {},
            "fault": device.printer_fault,
            "fault_since": clock.iso_local(device.printer_fault_since, hall.timezone),
            "open_jobs": open_jobs.get(device.id, 0),
        }
        for device in devices
    ]


def device_by_token(session: Session, token: str) -> Device:
    """The unrevoked device a token names (404 ``device_not_found``)."""
    from hall.admin.services import token_hash

    device = session.scalar(select(Device).where(Device.token_hash == token_hash(token)))
    if device is None or device.revoked_at is not None:
        raise NotFound("设备不存在或已停用 / no such device", code="device_not_found")
    return device


def device_state(session: Session, device: Device) -> dict[str, Any]:
    """A device, its hall and its printer's state, for its maintenance view."""
    hall = session.get(Hall, device.hall_id)
    open_jobs = session.scalar(
        select(func.count(PrintJob.id)).where(
            PrintJob.device_id == device.id, PrintJob.state.in_(OPEN_STATES)
        )
    )
    return {
        "id": device.id,
        "kind": device.kind,
        "name": device.name,
        "hall": hall.code,
        "hall_name": hall.name,
        "printer_url": device.printer_url,
        "printer_fault": device.printer_fault,
        "printer_fault_since": clock.iso_local(device.printer_fault_since, hall.timezone),
        "open_jobs": open_jobs or 0,
    }
