"""Window actions: order, priority fairness, recall, no-show, transfer, and refused steps."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from hall import db
from hall.errors import BadRequest, Conflict, Forbidden
from hall.events import current_seq
from hall.queue import services
from hall.queue.models import Ticket, TicketStep
from tests import factories as f

T0 = f.utc("2026-11-30T02:00:00+00:00")


class Hall_:
    """Drive the demo hall through the services, one transaction per step."""

    def __init__(self, app) -> None:
        self.app = app
        self.clock = T0

    def tick(self, seconds: int = 1):
        self.clock += timedelta(seconds=seconds)
        return self.clock

    def issue(self, matter="samr-01", priority=None) -> str:
        with self.app.app_context(), db.unit_of_work() as s:
            ticket = services.issue(s, f.hall(s), matter, priority=priority, at=self.tick()).ticket
            return ticket.number

    def act(self, action, window="1", clerk="window1", **kwargs):
        with self.app.app_context(), db.unit_of_work() as s:
            w = f.window(s, window)
            result, events = getattr(services, action)(
                s, w.id, f.staff(s, clerk), at=self.tick(), **kwargs
            )
            number = getattr(result, "number", None)
            return number, events

    def call(self, window="1", clerk="window1"):
        return self.act("call_next", window, clerk)[0]

    def serve(self, window="1", clerk="window1"):
        number = self.call(window, clerk)
        self.act("start", window, clerk)
        self.act("finish", window, clerk)
        return number

    def ticket(self, number) -> Ticket:
        with self.app.app_context(), db.unit_of_work(readonly=True) as s:
            return s.scalar(select(Ticket).where(Ticket.number == number))

    def seq(self) -> int:
        with self.app.app_context(), db.unit_of_work(readonly=True) as s:
            return current_seq(s, f.hall(s).id)


@pytest.fixture
def hall(app):
    h = Hall_(app)
    h.act("open_window")
    return h


def test_first_come_first_served_within_a_queue(hall):
    issued = [hall.issue() for _ in range(3)]
    assert [hall.serve() for _ in range(3)] == issued
    assert hall.call() is None


def test_the_window_queue_order_comes_before_arrival(hall):
    # Window 5 serves A first, then B.
    b = hall.issue("re-01")
    a = hall.issue()
    hall.act("open_window", "5", "window5")
    assert hall.serve("5", "window5") == a
    assert hall.serve("5", "window5") == b


def test_priority_goes_first_but_normal_tickets_never_starve(hall):
    normal = [hall.issue() for _ in range(2)]
    elderly = [hall.issue(priority="elderly") for _ in range(4)]
    order = [hall.serve() for _ in range(6)]
    # At most two priority tickets in a row (the hall's rule), then one normal.
    assert order == [elderly[0], elderly[1], normal[0], elderly[2], elderly[3], normal[1]]


def test_every_step_is_logged_with_time_window_and_staff(hall, app):
    number = hall.issue()
    hall.serve()
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        ticket = s.scalar(select(Ticket).where(Ticket.number == number))
        steps = s.scalars(select(TicketStep).where(TicketStep.ticket_id == ticket.id)).all()
        assert [st.action for st in steps] == ["issued", "called", "started", "finished"]
        assert all(st.at is not None for st in steps)
        assert {st.staff_id for st in steps[1:]} == {f.staff(s, "window1").id}
        assert ticket.issued_at < ticket.called_at < ticket.started_at < ticket.finished_at


def test_recall_counts_calls_up_to_the_hall_maximum(hall):
    hall.issue()
    hall.call()
    hall.act("recall")
    hall.act("recall")
    before = hall.seq()
    with pytest.raises(Conflict) as err:
        hall.act("recall")
    assert err.value.code == "call_limit"
    assert hall.seq() == before
    assert hall.ticket("A001").calls == 3


def test_no_show_then_requeue_within_grace_keeps_the_old_place(hall, app):
    first, second = hall.issue(), hall.issue()
    hall.call()
    hall.act("no_show")
    assert hall.ticket(first).status == "no_show"
    with app.app_context(), db.unit_of_work() as s:
        services.requeue(
            s, f.hall(s), hall.ticket(first).id, f.staff(s, "window2"), at=hall.tick(60)
        )
    assert hall.serve() == first
    assert hall.serve() == second


def test_requeue_after_the_grace_is_refused(hall, app):
    hall.issue()
    hall.call()
    hall.act("no_show")
    with app.app_context(), db.unit_of_work() as s, pytest.raises(Conflict) as err:
        services.requeue(
            s, f.hall(s), hall.ticket("A001").id, f.staff(s, "window1"), at=hall.tick(31 * 60)
        )
    assert err.value.code == "grace_expired"
    assert hall.ticket("A001").status == "no_show"


def test_transfer_to_a_queue_keeps_the_issue_time(hall):
    a1 = hall.issue()
    b1 = hall.issue("re-01")
    hall.call()
    hall.act("transfer", queue="B")
    # A001 was issued before B001, so it is first in queue B.
    hall.act("open_window", "7", "window7")
    assert hall.serve("7", "window7") == a1
    assert hall.serve("7", "window7") == b1
    assert hall.ticket(a1).number == "A001"


def test_transfer_to_a_window_goes_to_that_window_first(hall):
    a1, a2 = hall.issue(), hall.issue()
    hall.call()
    # Window 2 is open: a closed window takes no transfers (409 window_closed, issue 11).
    hall.act("open_window", "2", "window2")
    hall.act("transfer", to_window=f_window_id(hall, "2"))
    hall.act("open_window", "3", "window3")
    # Window 3 cannot take it; window 2 gets it ahead of A002.
    assert hall.call("3", "window3") == a2
    assert hall.call("2", "window2") == a1


def f_window_id(hall, number):
    with hall.app.app_context(), db.unit_of_work(readonly=True) as s:
        return f.window(s, number).id


def test_call_a_chosen_ticket_out_of_order(hall, app):
    hall.issue()
    second = hall.issue()
    number, _ = hall.act("call_ticket", ticket_ref=hall.ticket(second).id)
    assert number == second
    # Window 7 serves only queue B and may not call an A ticket.
    hall.act("open_window", "7", "window7")
    with pytest.raises(Conflict) as err:
        hall.act("call_ticket", "7", "window7", ticket_ref=hall.ticket("A001").id)
    assert err.value.code == "not_served_here"


@pytest.mark.parametrize(
    ("steps", "action", "code"),
    [
        ([], "recall", "no_current"),
        ([], "start", "no_current"),
        ([], "finish", "no_current"),
        ([], "no_show", "no_current"),
        ([], "resume", "invalid_transition"),
        (["call_next"], "call_next", "window_busy"),
        (["call_next"], "finish", "invalid_transition"),
        (["call_next", "start"], "no_show", "invalid_transition"),
        (["call_next", "start"], "recall", "invalid_transition"),
        (["call_next", "start"], "start", "invalid_transition"),
        (["call_next"], "close", "window_busy"),
        (["pause"], "call_next", "window_paused"),
        (["pause"], "pause", "invalid_transition"),
    ],
)
def test_invalid_steps_are_refused_and_change_nothing(hall, steps, action, code):
    hall.issue()
    hall.issue()
    for step in steps:
        hall.act(step, **({"reason": "会议"} if step == "pause" else {}))
    before_seq = hall.seq()
    before = [(t.status, t.calls, t.window_id) for t in map(hall.ticket, ("A001", "A002"))]
    with pytest.raises(Conflict) as err:
        hall.act(action, **({"reason": "会议"} if action == "pause" else {}))
    assert err.value.code == code
    assert hall.seq() == before_seq
    assert [(t.status, t.calls, t.window_id) for t in map(hall.ticket, ("A001", "A002"))] == before


def test_pause_needs_a_reason(hall):
    with pytest.raises(BadRequest):
        hall.act("pause", reason="  ")


def test_a_window_held_by_someone_else(hall):
    with pytest.raises(Conflict) as err:
        hall.act("open_window", "1", "window2")
    assert err.value.code == "window_taken"
    with pytest.raises(Forbidden):
        hall.act("call_next", "1", "window2")
    # One person, one window.
    with pytest.raises(Conflict) as err:
        hall.act("open_window", "2", "window1")
    assert err.value.code == "staff_busy"


def test_closed_window_cannot_call_and_close_frees_it(hall):
    hall.act("close")
    with pytest.raises(Conflict) as err:
        hall.call()
    assert err.value.code == "window_closed"
    hall.act("open_window", "1", "window2")
    hall.issue()
    assert hall.call("1", "window2") == "A001"


def test_staff_of_another_hall_cannot_work_this_window(hall):
    with pytest.raises(Forbidden):
        hall.act("open_window", "4", "street1")
