"""The hot path's statements, built once per shape and run on the session's connection.

Building a Core statement costs more than running it on SQLite (measured with cProfile on
an issue: ~0.3 ms to build an INSERT with ``.values()`` against ~0.1 ms to run it), and the
ORM's execute path adds its own work on top. So the hot path keeps one statement per shape,
with bound parameters, cached by what shapes it (a window's queue order, the priority rule's
limit), and runs it with ``session.connection().execute(statement, params)``.
"""

from functools import lru_cache

from sqlalchemy import (
    Date,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert

from hall.db import UTCDateTime
from hall.prepared import Prepared
from hall.queue.models import (
    DailyCounter,
    PrintJob,
    PrintKind,
    PrintState,
    Ticket,
    TicketAction,
    TicketStatus,
    TicketStep,
    Window,
    WindowStatus,
    ticket_sources,
    ticket_target,
)

TICKETS = Ticket.__table__
STEPS = TicketStep.__table__
WINDOWS = Window.__table__
JOBS = PrintJob.__table__
COUNTERS = DailyCounter.__table__

# What the hot path's statements hand back of a ticket, enough to answer without reading it.
TICKET_COLUMNS = (
    TICKETS.c.id,
    TICKETS.c.hall_id,
    TICKETS.c.queue_id,
    TICKETS.c.matter_id,
    TICKETS.c.number,
    TICKETS.c.priority,
    TICKETS.c.source,
    TICKETS.c.status,
    TICKETS.c.token,
    TICKETS.c.issued_at,
    TICKETS.c.called_at,
    TICKETS.c.started_at,
    TICKETS.c.finished_at,
    TICKETS.c.calls,
    TICKETS.c.window_id,
    TICKETS.c.queued_at,
    TICKETS.c.transfer_note,
)

INSERT_TICKET = Prepared(insert(TICKETS).returning(TICKETS.c.id))
INSERT_STEP = Prepared(insert(STEPS))
INSERT_JOB = Prepared(insert(JOBS).returning(JOBS.c.id))


@lru_cache(maxsize=8)
def issue_at_once(scopes: int, capped: bool, printed: bool) -> Prepared:
    """PostgreSQL: an issue's four writes in one statement, one round trip instead of four.

    Each statement costs PostgreSQL a round trip and psycopg its own work under gevent: the
    bump, the ticket, its step and its print job took two thirds of an issue's time in the
    hub (py-spy, docs/performance.md). Here the counters (``scope0``… as in
    ``hall.events.bump``) are bumped first; the ticket is inserted from the queue's new
    value (``queue_scope``); its ``issued`` step and, when ``printed``, its print job are
    inserted from its id. When ``capped`` and the matter's counter (``cap_scope``) passed
    ``cap``, the statement refuses itself (``hall_refuse('matter_full')``) and writes nothing:
    it runs in autocommit (``hall.db.alone``), with no transaction to roll back.
    Answers one row per counter: scope, new value, the ticket's id and number, the job's id.
    SQLite runs the same writes as four statements (no round trips to save there).
    """
    values = ", ".join(f"(:scope{i}, :day{i}, 1)" for i in range(scopes))
    refuse = (
        "\nWHERE CASE WHEN EXISTS (SELECT 1 FROM counts WHERE scope = :cap_scope AND value > :cap)"
        " THEN hall_refuse('matter_full') ELSE true END"
        if capped
        else ""
    )
    job = (
        f""", job AS (
    INSERT INTO print_jobs (kind, ticket_id, hall_id, device_id, printer_url, status_url,
        reprint, ahead, requested_by, state, attempts, next_attempt_at, last_error, created_at,
        claimed_at, finished_at)
    SELECT '{PrintKind.TICKET.value}', id, CAST(:hall_id AS INTEGER), CAST(:device_id AS INTEGER),
        :printer_url, :status_url, false, CAST(:ahead AS INTEGER), CAST(NULL AS INTEGER),
        '{PrintState.PENDING.value}', 0, :at, '', :at,
        CAST(NULL AS TIMESTAMPTZ), CAST(NULL AS TIMESTAMPTZ)
    FROM ticket RETURNING id
)"""
        if printed
        else ""
    )
    statement = text(
        f"""WITH counts AS (
    INSERT INTO daily_counters (scope, day, value) VALUES {values}
    ON CONFLICT (scope, day) DO UPDATE SET value = daily_counters.value + 1
    RETURNING scope, value
), seq AS (
    SELECT value FROM counts WHERE scope = :queue_scope
), ticket AS (
    INSERT INTO tickets (hall_id, queue_id, queue_prefix_scope, matter_id, service_date, seq,
        number, priority, source, status, token, device_id, issued_at, queued_at, calls,
        transfer_note, estimated_wait_s, defers)
    SELECT CAST(:hall_id AS INTEGER), CAST(:queue_id AS INTEGER), CAST(:queue_id AS INTEGER),
        CAST(:matter_id AS INTEGER), :service_date, value,
        :prefix || lpad(value::text, greatest(3, length(value::text)), '0'),
        CAST(:priority AS VARCHAR), :source, '{TicketStatus.WAITING.value}', :token, CAST(:device_id AS INTEGER),
        :at, :at, 0, '', CAST(:estimated_wait_s AS INTEGER), 0
    FROM seq RETURNING id, number
), step AS (
    INSERT INTO ticket_steps (ticket_id, hall_id, action, at, staff_id, window_id, queue_id,
        detail)
    SELECT id, CAST(:hall_id AS INTEGER), 'issued', :at, CAST(NULL AS INTEGER),
        CAST(NULL AS INTEGER), CAST(:queue_id AS INTEGER), :source
    FROM ticket
){job}
SELECT counts.scope, counts.value, (SELECT id FROM ticket), (SELECT number FROM ticket),
    {"(SELECT id FROM job)" if printed else "CAST(NULL AS INTEGER)"}
FROM counts{refuse}"""
    ).bindparams(
        *[bindparam(f"day{i}", type_=Date()) for i in range(scopes)],
        bindparam("service_date", type_=Date()),
        bindparam("at", type_=UTCDateTime()),
    )
    return Prepared(statement)


FREE_WINDOW = Prepared(
    update(WINDOWS).where(WINDOWS.c.id == bindparam("p_window")).values(current_ticket_id=None)
)


# How many tickets from the head of each place PostgreSQL looks at: windows calling at the same
# moment lock heads, and the others skip them, so each place offers more than one.
HEADS_LOCKED = 16


@lru_cache(maxsize=4096)
def claim(window_id: int, queue_ids: tuple[int, ...], streak_max: int, dialect: str = "sqlite"):
    """Call the next ticket for a window in one guarded UPDATE … RETURNING.

    The order: tickets transferred to this window, then the window's queues in its order;
    within that, the priority rule (priority first, but at most ``streak_max`` in a row, then
    a normal ticket); then arrival. The candidates come from index probes
    (:func:`_next_by_probes`), so a call costs the same with 30 or 3,000 people waiting.
    SQLite has one writer (BEGIN IMMEDIATE serialises the callers) and takes the first
    candidate; PostgreSQL takes the first it can lock, skipping the rows that windows calling
    at the same moment hold.
    """
    heads = 1 if dialect == "sqlite" else HEADS_LOCKED
    return Prepared(_claim(window_id, _next_by_probes(window_id, queue_ids, streak_max, heads)))


@lru_cache(maxsize=4096)
def claim_by_sort(window_id: int, queue_ids: tuple[int, ...], streak_max: int):
    """The same call, choosing among all the waiting tickets of the window's queues: for
    PostgreSQL when every probed head was locked by other windows (many calling at once)."""
    return Prepared(_claim(window_id, _next_by_sort(window_id, queue_ids, streak_max)))


def _claim(window_id: int, candidate):
    c = TICKETS.c
    at = bindparam("p_at", type_=UTCDateTime())
    return (
        update(TICKETS)
        .where(c.id == candidate, c.status.in_(ticket_sources(TicketAction.CALL)))
        .values(
            status=ticket_target(TicketAction.CALL),
            called_at=at,
            first_called_at=func.coalesce(c.first_called_at, at),
            calls=c.calls + 1,
            window_id=window_id,
            staff_id=bindparam("p_staff"),
            target_window_id=None,
        )
        .returning(*TICKET_COLUMNS)
    )


def _fairness(window_id: int, streak_max: int):
    """0 while priority tickets go first, 1 once the window has called ``streak_max`` in a row."""
    streak = select(WINDOWS.c.priority_streak).where(WINDOWS.c.id == window_id).scalar_subquery()
    return case((streak < streak_max, 0), else_=1)


def _next_by_sort(window_id: int, queue_ids: tuple[int, ...], streak_max: int):
    c = TICKETS.c
    order = list(queue_ids)
    # Transferred to this window first (whatever their queue), then the window's queues.
    position = case(
        (c.target_window_id == window_id, -1),
        *[(c.queue_id == qid, pos) for pos, qid in enumerate(order)],
        else_=len(order),
    )
    priority_first = case((c.priority.is_not(None), 0), else_=1)
    normal_first = case((c.priority.is_(None), 0), else_=1)
    fairness = case((_fairness(window_id, streak_max) == 0, priority_first), else_=normal_first)
    return (
        select(c.id)
        .where(
            c.hall_id == bindparam("p_hall"),
            c.status == TicketStatus.WAITING,
            or_(
                c.target_window_id == window_id,
                and_(c.target_window_id.is_(None), c.queue_id.in_(order)),
            ),
        )
        .order_by(
            position,
            fairness,
            c.queued_at,
            c.id,
        )
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )


def _next_by_probes(window_id: int, queue_ids: tuple[int, ...], streak_max: int, heads: int = 1):
    """The window's next ticket, from the heads of the places it can come from.

    Places, each read off an index in arrival order with no sort: tickets transferred to
    this window (``ix_tickets_target``; few, so sorted by class), then for each of the
    window's queues in order its first priority tickets (``ix_tickets_priority_line``, which
    holds only them) and its first normal ones (``ix_tickets_next``: queue, status, priority,
    arrival). A place's rank is
    ``2 + 2 * position + class``, where ``class`` puts priority or normal first by the
    fairness rule; the lowest rank, then arrival, wins: the order of :func:`_next_by_sort`.
    Each place offers ``heads`` tickets; the first unlocked one is taken.
    """
    c = TICKETS.c
    fair = _fairness(window_id, streak_max)
    priority_first = case((c.priority.is_not(None), 0), else_=1)
    normal_first = case((c.priority.is_(None), 0), else_=1)
    by_class = case((fair == 0, priority_first), else_=normal_first)
    waiting = c.status == TicketStatus.WAITING
    places = [
        select(c.id, by_class.label("rank"))
        .where(c.target_window_id == window_id, waiting)
        .order_by(by_class, c.queued_at, c.id)
        .limit(heads)
        .subquery()
    ]
    for position, queue_id in enumerate(queue_ids):
        for is_priority in (True, False):
            behind = fair if is_priority else 1 - fair  # 0: this class goes first
            places.append(
                select(c.id, (2 + 2 * position + behind).label("rank"))
                .where(
                    c.queue_id == queue_id,
                    waiting,
                    # ">= ''" is IS NOT NULL for a string, written so that the index takes it.
                    c.priority >= "" if is_priority else c.priority.is_(None),
                    c.target_window_id.is_(None),
                )
                .order_by(c.queued_at, c.id)
                .limit(heads)
                .subquery()
            )
    offered = union_all(*[select(place.c.id, place.c.rank) for place in places]).subquery()
    return (
        select(c.id)
        .join(offered, offered.c.id == c.id)
        .where(waiting)
        .order_by(offered.c.rank, c.queued_at, c.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=TICKETS)
        .scalar_subquery()
    )


@lru_cache(maxsize=2)
def take_window(priority: bool):
    """The window takes its called ticket, if it is still open, held by the caller and idle."""
    w = WINDOWS.c
    return Prepared(
        update(WINDOWS)
        .where(
            w.id == bindparam("p_window"),
            w.status == WindowStatus.OPEN,
            w.staff_id == bindparam("p_staff"),
            w.current_ticket_id.is_(None),
        )
        .values(
            current_ticket_id=bindparam("p_ticket"),
            priority_streak=w.priority_streak + 1 if priority else 0,
        )
    )


@lru_cache(maxsize=8)
def advance(action: TicketAction, stamp: str):
    """Move a window's current ticket by the state machine, stamping ``stamp`` with the time."""
    w = WINDOWS.c
    current = (
        select(w.current_ticket_id)
        .where(
            w.id == bindparam("p_window"),
            w.staff_id == bindparam("p_staff"),
            w.status == WindowStatus.OPEN,
        )
        .scalar_subquery()
    )
    c = TICKETS.c
    return Prepared(
        update(TICKETS)
        .where(c.id == current, c.status.in_(ticket_sources(action)))
        .values({"status": ticket_target(action), stamp: bindparam("p_at", type_=UTCDateTime())})
        .returning(*TICKET_COLUMNS)
    )


# -- PostgreSQL: a window action's writes in one statement -----------------------------------
#
# Each statement costs PostgreSQL a round trip and psycopg its own work under gevent (py-spy,
# docs/performance.md), so on PostgreSQL the hot window actions run as one statement of
# data-modifying CTEs: the ticket's move (the same guarded UPDATE as on SQLite), then from its
# row the window's update, the ticket's step and the hall's event number. Every part is
# guarded by the move: when no ticket moved, nothing is written and no row comes back. The
# answer is the ticket's row, then the event number (and for a call, whether the window took
# the ticket: 0 means it changed meanwhile, and the caller rolls everything back).


def _step_from(moved, action: str, window):
    return insert(STEPS).from_select(
        ["ticket_id", "hall_id", "action", "at", "staff_id", "window_id", "queue_id", "detail"],
        select(
            moved.c.id,
            moved.c.hall_id,
            literal(action),
            bindparam("p_at", type_=UTCDateTime()),
            bindparam("p_staff"),
            window,
            moved.c.queue_id,
            literal(""),
        ),
    )


def _event_number_if(moved):
    """The hall's next event number (``p_scope``), taken only when a ticket moved."""
    bumped = pg_insert(COUNTERS).from_select(
        ["scope", "day", "value"],
        select(bindparam("p_scope"), bindparam("p_forever", type_=Date()), literal(1)).where(
            exists(select(moved.c.id))
        ),
    )
    return bumped.on_conflict_do_update(
        index_elements=[COUNTERS.c.scope, COUNTERS.c.day],
        set_={"value": COUNTERS.c.value + 1},
    ).returning(COUNTERS.c.value)


@lru_cache(maxsize=4096)
def call_at_once(window_id: int, queue_ids: tuple[int, ...], streak_max: int, by_sort: bool):
    """PostgreSQL: call-next in one statement (the claim of :func:`claim`, or of
    :func:`claim_by_sort` when every probed head was locked)."""
    candidate = (
        _next_by_sort(window_id, queue_ids, streak_max)
        if by_sort
        else _next_by_probes(window_id, queue_ids, streak_max, HEADS_LOCKED)
    )
    claimed = _claim(window_id, candidate).cte("claimed")
    w = WINDOWS.c
    taken = (
        update(WINDOWS)
        .where(
            w.id == window_id,
            w.status == WindowStatus.OPEN,
            w.staff_id == bindparam("p_staff"),
            w.current_ticket_id.is_(None),
            exists(select(claimed.c.id)),
        )
        .values(
            current_ticket_id=select(claimed.c.id).scalar_subquery(),
            priority_streak=case(
                (
                    exists(select(claimed.c.id).where(claimed.c.priority.is_not(None))),
                    w.priority_streak + 1,
                ),
                else_=0,
            ),
        )
        .returning(w.id)
        .cte("taken")
    )
    stepped = _step_from(claimed, "called", literal(window_id)).cte("stepped")
    numbered = _event_number_if(claimed).cte("numbered")
    count_taken = select(func.count()).select_from(taken).scalar_subquery()
    # A window that cannot take the ticket just claimed (closed, another clerk's, busy)
    # voids the whole statement: it runs in autocommit (hall.db.alone), no rollback follows.
    refuse = case(
        (count_taken != 1, func.hall_refuse(literal_column("'window_busy'"))), else_=true()
    )
    return Prepared(
        select(*claimed.c, select(numbered.c.value).scalar_subquery(), count_taken)
        .where(refuse)
        .add_cte(stepped)
    )


@lru_cache(maxsize=8)
def advance_at_once(action: TicketAction, stamp: str, step: str, frees_window: bool):
    """PostgreSQL: start or finish in one statement (the move of :func:`advance`)."""
    moved = advance(action, stamp).statement.cte("moved")
    w = WINDOWS.c
    parts = [_step_from(moved, step, bindparam("p_window")).cte("stepped")]
    if frees_window:
        parts.append(
            update(WINDOWS)
            .where(w.id == bindparam("p_window"), exists(select(moved.c.id)))
            .values(current_ticket_id=None)
            .cte("freed")
        )
    numbered = _event_number_if(moved).cte("numbered")
    return Prepared(select(*moved.c, select(numbered.c.value).scalar_subquery()).add_cte(*parts))
