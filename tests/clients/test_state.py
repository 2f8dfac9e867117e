"""The shared client reducer (hall/static/clients/state.js), run in headless Chromium."""

from pathlib import Path

import pytest

from tests.conftest import CHROMIUM

STATE_JS = Path(__file__).parents[2] / "hall" / "static" / "clients" / "state.js"
ORIGIN = "http://state.test"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium missing (make system)"),
]

STAFF = {"name": "王伟", "staff_no": "KC001"}
# A staff snapshot as hall_snapshot(staff_view=True) shapes it: window 1 serves A and B and is
# open with A001 called; window 2 serves B and is closed; A has two waiting, B none.
SNAPSHOT = {
    "hall": "kuancheng",
    "name": "宽城区政务服务中心",
    "name_en": "Kuancheng",
    "seq": 10,
    "now": "2025-03-03T09:00:00+08:00",
    "notice": "",
    "calls": [
        {
            "number": "A001",
            "window": "1",
            "window_name": "1号窗口",
            "queue": "A",
            "recall": False,
            "at": "2025-03-03T08:59:00+08:00",
        }
    ],
    "windows": [
        {
            "id": 11,
            "number": "1",
            "name": "1号窗口",
            "name_en": None,
            "status": "open",
            "reason": "",
            "queues": ["A", "B"],
            "current": "A001",
            "current_status": "called",
            "staff": STAFF,
        },
        {
            "id": 12,
            "number": "2",
            "name": "2号窗口",
            "name_en": None,
            "status": "closed",
            "reason": "",
            "queues": ["B"],
            "current": None,
            "current_status": None,
            "staff": None,
        },
    ],
    "queues": [
        {
            "code": "A",
            "name": "综合受理",
            "name_en": "Intake",
            "kind": "intake",
            "waiting": 2,
            "open_windows": 1,
            "longest_wait_s": 600,
            "estimated_wait_s": 1200,
        },
        {
            "code": "B",
            "name": "不动产",
            "name_en": "Real estate",
            "kind": "special",
            "waiting": 0,
            "open_windows": 1,
            "longest_wait_s": 0,
            "estimated_wait_s": 0,
        },
    ],
    "waiting": {
        "A": [
            {
                "id": 102,
                "number": "A002",
                "status": "waiting",
                "priority": None,
                "matter": "营业执照",
                "target_window": None,
                "queued_at": "2025-03-03T08:50:00+08:00",
            },
            {
                "id": 103,
                "number": "A003",
                "status": "waiting",
                "priority": "elderly",
                "matter": "营业执照",
                "target_window": None,
                "queued_at": "2025-03-03T08:55:00+08:00",
            },
        ],
        "B": [],
    },
    "printer_faults": [],
}


def ev(seq: int, **payload) -> dict:
    """An event payload with the hall and its sequence number."""
    return {"hall": "kuancheng", "seq": seq, **payload}


def ticket_ev(seq, ticket_id, number, queue, window, status, calls, waiting, at, **extra):
    """A ticket event's payload, as hall.queue.services._ticket_event builds it."""
    return ev(
        seq,
        ticket_id=ticket_id,
        number=number,
        queue=queue,
        window=window,
        window_name=f"{window}号窗口" if window else None,
        status=status,
        calls=calls,
        waiting=waiting,
        at=f"2025-03-03T{at}+08:00",
        **extra,
    )


def window_ev(seq, window_id, number, status, reason="", staff=STAFF):
    """A window event's payload, as hall.queue.services._window_event builds it."""
    return ev(
        seq,
        window_id=window_id,
        window=number,
        window_name=f"{number}号窗口",
        status=status,
        reason=reason,
        staff=staff,
        at="2025-03-03T09:30:00+08:00",
    )


@pytest.fixture(scope="module")
def page(browser):
    """A blank page whose origin serves state.js, with the module loaded as `window.S`."""
    page = browser.new_page()
    page.route(
        f"{ORIGIN}/state.js",
        lambda route: route.fulfill(
            body=STATE_JS.read_text(), content_type="text/javascript; charset=utf-8"
        ),
    )
    page.route(f"{ORIGIN}/", lambda route: route.fulfill(body="<!doctype html><title>t</title>"))
    page.goto(f"{ORIGIN}/")
    page.evaluate("async () => { window.S = await import('/state.js'); }")
    yield page
    page.close()


def run(page, events, snapshot=SNAPSHOT):
    """Apply the events in order to the snapshot's state; the final state and a purity check."""
    return page.evaluate(
        """([snap, events]) => {
            let state = S.fromSnapshot(snap);
            const states = [];
            for (const [name, payload] of events) {
                const frozen = JSON.stringify(state);
                const next = S.apply(state, name, payload);
                // apply() must never change the state it was given.
                if (JSON.stringify(state) !== frozen) throw new Error(`${name} mutated its input`);
                states.push(next);
                state = next;
            }
            const { known, ...shown } = state;
            return { state: shown };
        }""",
        [snapshot, events],
    )["state"]


def numbers(state, code):
    return [(x["number"], x["status"]) for x in state["waiting"][code]]


def window(state, number):
    return next(w for w in state["windows"] if w["number"] == number)


def queue(state, code):
    return next(q for q in state["queues"] if q["code"] == code)


def test_snapshot_becomes_the_state(page):
    state = run(page, [])

    assert state["seq"] == 10
    assert numbers(state, "A") == [("A002", "waiting"), ("A003", "waiting")]
    assert window(state, "1")["current"] == "A001"
    assert queue(state, "A")["estimated_wait_s"] == 1200


def test_issue_call_start_finish(page):
    issued = ev(
        11,
        ticket_id=104,
        number="A004",
        queue="A",
        matter="samr-01",
        priority=None,
        waiting=3,
        at="2025-03-03T09:01:00+08:00",
    )
    state = run(
        page,
        [
            ["ticket.issued", issued],
            ["ticket.started", ticket_ev(12, 101, "A001", "A", "1", "serving", 1, 3, "09:02:00")],
            ["ticket.finished", ticket_ev(13, 101, "A001", "A", "1", "done", 1, 3, "09:10:00")],
            [
                "ticket.called",
                ticket_ev(14, 102, "A002", "A", "1", "called", 1, 2, "09:10:05", recall=False),
            ],
        ],
    )

    assert state["seq"] == 14
    assert numbers(state, "A") == [("A003", "waiting"), ("A004", "waiting")]
    new = state["waiting"]["A"][1]
    assert new["id"] == 104 and new["matter_code"] == "samr-01"
    assert new["queued_at"] == "2025-03-03T09:01:00+08:00"
    assert queue(state, "A")["waiting"] == 2
    # 1200 s for 2 people at 1 window: 600 s a head.
    assert queue(state, "A")["estimated_wait_s"] == 1200
    assert window(state, "1")["current"] == "A002"
    assert window(state, "1")["current_status"] == "called"
    assert [c["number"] for c in state["calls"]] == ["A002", "A001"]


def test_recall_is_a_new_call_marked_as_such(page):
    state = run(
        page,
        [
            [
                "ticket.called",
                ticket_ev(11, 101, "A001", "A", "1", "called", 2, 2, "09:01", recall=True),
            ]
        ],
    )

    assert [(c["number"], c["recall"]) for c in state["calls"]] == [("A001", True), ("A001", False)]
    assert window(state, "1")["current"] == "A001"


def test_no_show_goes_back_to_its_place_and_requeues(page):
    state = run(
        page,
        [
            [
                "ticket.called",
                ticket_ev(11, 102, "A002", "A", "1", "called", 1, 1, "09:01", recall=False),
            ],
            ["ticket.no_show", ticket_ev(12, 102, "A002", "A", "1", "no_show", 1, 1, "09:03")],
        ],
    )
    assert numbers(state, "A") == [("A002", "no_show"), ("A003", "waiting")]
    assert window(state, "1")["current"] is None
    assert state["waiting"]["A"][0]["matter"] == "营业执照"

    state = run(
        page,
        [
            [
                "ticket.called",
                ticket_ev(11, 102, "A002", "A", "1", "called", 1, 1, "09:01", recall=False),
            ],
            ["ticket.no_show", ticket_ev(12, 102, "A002", "A", "1", "no_show", 1, 1, "09:03")],
            ["ticket.requeued", ticket_ev(13, 102, "A002", "A", None, "waiting", 1, 2, "09:05")],
        ],
    )
    assert numbers(state, "A") == [("A002", "waiting"), ("A003", "waiting")]
    assert state["waiting"]["A"][0]["queued_at"] == "2025-03-03T08:50:00+08:00"
    assert queue(state, "A")["waiting"] == 2


def test_transfer_to_a_window_and_to_a_queue(page):
    to_window = ticket_ev(
        11, 101, "A001", "A", None, "waiting", 1, 3, "09:01",
        from_queue="A", from_waiting=3, from_window="1", to_window="2",
    )  # fmt: skip
    state = run(page, [["ticket.transferred", to_window]])
    assert window(state, "1")["current"] is None
    first = state["waiting"]["A"][-1]
    assert (first["number"], first["target_window"]) == ("A001", 12)
    assert queue(state, "A")["waiting"] == 3

    to_queue = ticket_ev(
        11, 101, "A001", "B", None, "waiting", 1, 1, "09:01",
        from_queue="A", from_waiting=2, from_window="1", to_window=None,
    )  # fmt: skip
    state = run(page, [["ticket.transferred", to_queue]])
    assert numbers(state, "B") == [("A001", "waiting")]
    assert state["waiting"]["B"][0]["target_window"] is None
    assert (queue(state, "A")["waiting"], queue(state, "B")["waiting"]) == (2, 1)


def test_windows_open_pause_and_close(page):
    state = run(
        page,
        [
            ["window.opened", window_ev(11, 12, "2", "open")],
            ["window.paused", window_ev(12, 11, "1", "paused", reason="午休")],
        ],
    )
    assert window(state, "2")["status"] == "open"
    assert window(state, "2")["staff"] == STAFF
    assert window(state, "1")["reason"] == "午休"
    # A is served by window 1 only (now paused); B by window 2 (now open).
    assert queue(state, "A")["open_windows"] == 0
    assert queue(state, "B")["open_windows"] == 1

    state = run(page, [["window.closed", window_ev(11, 11, "1", "closed", staff=None)]])
    assert window(state, "1")["status"] == "closed"
    assert window(state, "1")["current"] is None
    assert window(state, "1")["staff"] is None


def test_notice_prints_and_printers(page):
    print_ev = {"job_id": 7, "ticket_id": 103, "number": "A003", "device_id": 3}
    state = run(
        page,
        [
            ["hall.notice", ev(11, notice="今日下午暂停", at="2025-03-03T09:00:00+08:00")],
            ["print.updated", ev(12, **print_ev, state="pending", reason="缺纸 / out of paper")],
            [
                "printer.fault",
                ev(
                    13,
                    device_id=3,
                    device="取号机1",
                    reason="缺纸",
                    since="2025-03-03T09:00:00+08:00",
                ),
            ],
        ],
    )
    assert state["notice"] == "今日下午暂停"
    assert state["print_faults"] == [
        {"number": "A003", "ticket_id": 103, "job_id": 7, "reason": "缺纸 / out of paper"}
    ]
    assert [(p["device"], p["fault"]) for p in state["printer_faults"]] == [("取号机1", "缺纸")]

    state = run(
        page,
        [
            ["print.updated", ev(11, **print_ev, state="pending", reason="缺纸")],
            ["printer.fault", ev(12, device_id=3, device="取号机1", reason="缺纸")],
            ["print.updated", ev(13, **print_ev, state="printed", reason=None)],
            ["printer.ok", ev(14, device_id=3, device="取号机1", reason=None)],
        ],
    )
    assert state["print_faults"] == [] and state["printer_faults"] == []

    # A job that expired (its ticket was called first) is no fault, before or after a retry.
    expired = {**print_ev, "state": "expired", "reason": "票号已不在等候,不再打印"}
    state = run(
        page,
        [
            ["print.updated", ev(11, **print_ev, state="pending", reason="缺纸")],
            ["print.updated", ev(12, **expired)],
            ["print.updated", ev(13, **{**expired, "number": "A004", "ticket_id": 104})],
        ],
    )
    assert state["print_faults"] == []


def test_unknown_events_and_public_snapshots(page):
    same = page.evaluate(
        """(snap) => {
            const state = S.fromSnapshot(snap);
            return S.apply(state, "stats.updated", { seq: 11 }) === state;
        }""",
        SNAPSHOT,
    )
    assert same

    public = {k: v for k, v in SNAPSHOT.items() if k not in ("waiting", "printer_faults")}
    issued = ev(11, ticket_id=104, number="A004", queue="A", matter="x", waiting=3, at="09:01")
    state = run(page, [["ticket.issued", issued]], snapshot=public)
    assert state["waiting"] is None
    assert queue(state, "A")["waiting"] == 3


def test_a_later_snapshot_keeps_what_only_events_told(page):
    kept = page.evaluate(
        """(snap) => {
            let state = S.fromSnapshot(snap);
            state = S.apply(state, "print.updated",
                { seq: 11, number: "A003", ticket_id: 103, job_id: 7, state: "failed", reason: "卡纸" });
            return S.fromSnapshot({ ...snap, seq: 20 }, state).print_faults.map((p) => p.number);
        }""",
        SNAPSHOT,
    )
    assert kept == ["A003"]


def test_apply_to_ticket_follows_one_ticket(page):
    ticket = {
        "id": 103,
        "number": "A003",
        "status": "waiting",
        "queue": "A",
        "ahead": 1,
        "estimated_wait_s": 600,
        "calls": 0,
        "window": None,
        "window_name": None,
    }
    result = page.evaluate(
        """([ticket, called, other]) => {
            const same = S.applyToTicket(ticket, "ticket.called", other) === ticket;
            const next = S.applyToTicket(ticket, "ticket.called", called);
            return { same, next, before: ticket.status };
        }""",
        [
            ticket,
            ticket_ev(11, 103, "A003", "A", "1", "called", 1, 1, "09:05", recall=False),
            ticket_ev(11, 102, "A002", "A", "1", "called", 1, 1, "09:05", recall=False),
        ],
    )
    assert result["same"] and result["before"] == "waiting"
    assert result["next"]["status"] == "called"
    assert (result["next"]["window"], result["next"]["calls"], result["next"]["ahead"]) == (
        "1",
        1,
        0,
    )
    assert result["next"]["called_at"] == "2025-03-03T09:05+08:00"


def test_a_resident_defers_late_and_cancels(page):
    late = ticket_ev(
        11, 102, "A002", "A", None, "waiting", 0, 2, "09:01",
        queued_at="2025-03-03T08:56:00+08:00", late=True, places=1, defers_left=1,
    )  # fmt: skip
    state = run(page, [["ticket.deferred", late]])
    assert numbers(state, "A") == [("A003", "waiting"), ("A002", "waiting")]
    moved = state["waiting"]["A"][-1]
    assert moved["late"] is True and moved["matter"] == "营业执照"
    assert moved["queued_at"] == "2025-03-03T08:56:00+08:00"

    cancelled = ticket_ev(12, 103, "A003", "A", None, "cancelled", 0, 1, "09:02")
    state = run(page, [["ticket.deferred", late], ["ticket.cancelled", cancelled]])
    assert numbers(state, "A") == [("A002", "waiting")]
    assert queue(state, "A")["waiting"] == 1
