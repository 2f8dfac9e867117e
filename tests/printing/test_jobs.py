"""Print jobs end to end: a kiosk's ticket on a network printer played by a TCP listener."""

import threading
import time
from datetime import timedelta

from sqlalchemy import update

from hall import clock, db
from hall.printing import services as printing
from hall.printing.services import STALE_REASON
from hall.printing.worker import PrintWorker, run_due
from hall.queue.models import PrintJob, Ticket
from tests.conftest import build_app, login, statements_run
from tests.printers.escpos_decode import chinese_runs, contains_cut, qr_payloads, text_lines

from .conftest import (
    FAST,
    add_kiosk,
    device,
    jobs,
    offline_url,
    printed,
    received,
    socket_client,
    take,
)


def test_kiosk_ticket_prints_on_network_printer(app, printer):
    fake = printer()
    device_id, token = add_kiosk(app, fake.url)
    kiosk = socket_client(app, "/kiosk", {"token": token})
    kiosk.get_received("/kiosk")

    answer = take(app.test_client(), token)
    claimed = run_due(app)

    ticket = answer["ticket"]
    assert answer["print"]["state"] == "pending"
    assert claimed == 1
    data = fake.wait_for()
    assert ticket["number"] in text_lines(data)
    assert qr_payloads(data) == [ticket["status_url"]]
    assert ticket["status_url"].startswith("http://localhost/s/")
    assert "宽城区政务服务中心" in chinese_runs(data)
    assert contains_cut(data)
    assert [job.state for job in jobs(app)] == ["printed"]
    updates = received(kiosk, "/kiosk")["print.updated"]
    assert [(u["ticket_id"], u["device_id"], u["state"]) for u in updates] == [
        (ticket["id"], device_id, "printed")
    ]
    # Print jobs are notifications outside the hall's sequence: public screens never see a gap.
    assert "seq" not in updates[0]


def test_options_58mm_raster(lite_app, printer):
    fake = printer()
    _, token = add_kiosk(lite_app, fake.url, paper_mm=58, raster_text=True)

    answer = take(lite_app.test_client(), token)
    run_due(lite_app)

    data = fake.wait_for()
    assert chinese_runs(data) == []
    assert qr_payloads(data) == [answer["ticket"]["status_url"]]


def test_kiosk_without_printer_gets_no_job(lite_app):
    _, token = add_kiosk(lite_app, None)

    answer = take(lite_app.test_client(), token)

    assert answer["print"] is None
    assert jobs(lite_app) == []


def test_offline_printer_retries_and_prints_once(app, printer):
    url, port = offline_url()
    device_id, token = add_kiosk(app, url)
    kiosk = socket_client(app, "/kiosk", {"token": token})
    board = socket_client(
        app, "/board", {"token": login(app.test_client(), "manager")["Authorization"].split()[1]}
    )
    kiosk.get_received("/kiosk")
    board.get_received("/board")

    answer = take(app.test_client(), token)
    run_due(app)

    assert answer["ticket"]["status"] == "waiting"
    [job] = jobs(app)
    assert (job.state, job.attempts) == ("pending", 1)
    assert "printer not reachable" in job.last_error
    [update] = received(kiosk, "/kiosk")["print.updated"]
    assert update["state"] == "pending" and update["device_id"] == device_id
    assert update["retry_in_s"] == FAST["PRINT_RETRY_BASE_S"]
    assert update["reason"].startswith("无法连接打印机 / printer not reachable")
    assert url not in update["reason"]
    [fault] = received(board, "/board")["printer.fault"]
    assert fault["device_id"] == device_id
    assert device(app, device_id).printer_fault
    # A board that connects later still sees the fault, in its snapshot.
    snap = board.emit("snapshot", {}, namespace="/board", callback=True)["snapshot"]
    assert [p["device_id"] for p in snap["printer_faults"]] == [device_id]
    assert "printer not reachable" in snap["printer_faults"][0]["fault"]

    # Backing off: just before the next attempt is due, nothing is claimed.
    assert run_due(app, at=job.next_attempt_at - timedelta(milliseconds=50)) == 0
    fake = printer(port=port)
    time.sleep(FAST["PRINT_RETRY_BASE_S"] + 0.05)
    assert run_due(app) == 1
    for _ in range(3):
        time.sleep(0.2)
        run_due(app)

    data = fake.wait_for()
    assert qr_payloads(data) == [answer["ticket"]["status_url"]]
    assert fake.connections == 1
    [job] = jobs(app)
    assert (job.state, job.attempts) == ("printed", 2)
    assert [u["state"] for u in received(kiosk, "/kiosk")["print.updated"]] == ["printed"]
    events = received(board, "/board")
    assert [e["device_id"] for e in events["printer.ok"]] == [device_id]
    assert device(app, device_id).printer_fault is None
    snap = board.emit("snapshot", {}, namespace="/board", callback=True)["snapshot"]
    assert snap["printer_faults"] == []


def test_job_expires_when_ticket_is_called_first(lite_app, printer):
    url, port = offline_url()
    _, token = add_kiosk(lite_app, url)
    client = lite_app.test_client()
    staff = login(client, "window1")
    answer = take(client, token)
    run_due(lite_app)
    kiosk = socket_client(lite_app, "/kiosk", {"token": token})
    kiosk.get_received("/kiosk")

    assert client.post("/api/v1/windows/1/open", headers=staff).status_code == 200
    called = client.post("/api/v1/windows/1/call-next", headers=staff).json["ticket"]
    fake = printer(port=port)
    time.sleep(0.3)
    run_due(lite_app)

    assert called["id"] == answer["ticket"]["id"]
    assert [job.state for job in jobs(lite_app)] == ["expired"]
    [update] = received(kiosk, "/kiosk")["print.updated"]
    assert update["state"] == "expired" and update["ticket_id"] == called["id"]
    assert fake.wait_for(timeout=0.3) == b""


def test_two_workers_never_print_a_job_twice(app, printer):
    fake = printer()
    _, token = add_kiosk(app, fake.url)
    client = app.test_client()
    urls = [take(client, token)["ticket"]["status_url"] for _ in range(6)]
    # A second process on the same database: its own engine and worker pass.
    other = build_app(app.config["DATABASE_URL"], **FAST)
    start = threading.Barrier(2)

    def work(each):
        start.wait()
        for _ in range(3):
            run_due(each)

    threads = [threading.Thread(target=work, args=(a,)) for a in (app, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    db.engine(other).dispose()

    # Both passes have sent everything; the listener may still be accepting the second one.
    data = printed(fake, len(urls))
    assert sorted(qr_payloads(data)) == sorted(urls)
    assert {job.state for job in jobs(app)} == {"printed"}


def test_job_of_a_dead_worker_fails_and_is_never_retried(lite_app, printer):
    fake = printer()
    _, token = add_kiosk(lite_app, fake.url)
    take(lite_app.test_client(), token)
    with lite_app.app_context(), db.unit_of_work() as session:
        # A worker claimed the job and then died before it could tell what happened.
        printing.claim_due(session, clock.now())
    lite_app.config["PRINT_STALE_S"] = 0

    run_due(lite_app)

    [job] = jobs(lite_app)
    assert (job.state, job.last_error) == ("failed", STALE_REASON)
    assert fake.wait_for(timeout=0.3) == b""


def test_worker_loop_prints_after_the_printer_comes_back(sqlite_url, printer):
    app = build_app(sqlite_url, PRINT_POLL_S=0.1, **FAST)
    worker = PrintWorker(app).start()
    url, port = offline_url()
    _, token = add_kiosk(app, url)
    kiosk = socket_client(app, "/kiosk", {"token": token})
    try:
        answer = take(app.test_client(), token)
        deadline = time.monotonic() + 5
        states: list[str] = []
        while not states and time.monotonic() < deadline:
            time.sleep(0.05)
            states += [
                u["state"]
                for u in received(kiosk, "/kiosk").get("print.updated", [])
                if u["reason"] and "retry_in_s" in u
            ]
        fake = printer(port=port)
        data = fake.wait_for(timeout=5)
        time.sleep(1)
        data = fake.wait_for()
    finally:
        worker.stop()
        db.engine(app).dispose()

    assert states[0] == "pending"
    assert qr_payloads(data) == [answer["ticket"]["status_url"]]


def test_a_burst_is_claimed_and_recorded_together(app, printer):
    fake = printer()
    device_id, token = add_kiosk(app, fake.url)
    kiosk = socket_client(app, "/kiosk", {"token": token})
    kiosk.get_received("/kiosk")
    client = app.test_client()

    tickets = [take(client, token)["ticket"] for _ in range(5)]
    app.config["PRINT_SETTLE_S"] = 60.0  # one write records the whole burst
    assert run_due(app, sweep=False) == 5

    data = printed(fake, 5)
    # (The fake printer serves each connection in a thread of its own, so their bytes may
    # interleave: compare as sets.)
    assert sorted(qr_payloads(data)) == sorted(t["status_url"] for t in tickets)
    # Each ticket says how many came before it, as its answer did.
    lines = text_lines(data)
    for ticket in tickets:
        assert any(
            f"{ticket['ahead']} {'person' if ticket['ahead'] == 1 else 'people'} ahead" in line
            for line in lines
        )
    assert [t["ahead"] for t in tickets] == [0, 1, 2, 3, 4]
    assert [(job.state, job.attempts, job.claimed_at) for job in jobs(app)] == [
        ("printed", 1, None)
    ] * 5
    updates = received(kiosk, "/kiosk")["print.updated"]
    assert [(u["ticket_id"], u["device_id"], u["state"], u["attempts"]) for u in updates] == [
        (t["id"], device_id, "printed", 1) for t in tickets
    ]
    # Nothing is left to claim, and a second pass prints nothing twice.
    assert run_due(app, sweep=False) == 0
    assert len(qr_payloads(fake.wait_for(1, timeout=0.1))) == 5


def test_the_claim_is_three_statements_and_tickets_are_laid_out_after_it(lite_app, printer):
    """The claim holds SQLite's one write lock: the layouts are made after it commits, in a
    read-only unit. A new ticket's first attempt prints the people ahead its answer gave; a
    retried job counts the line afresh (one query), since the line has moved."""
    fake = printer()
    _, token = add_kiosk(lite_app, fake.url)
    client = lite_app.test_client()
    answers = [take(client, token)["ticket"] for _ in range(4)]
    with lite_app.app_context(), db.unit_of_work() as session:
        # A001 was served meanwhile, and A004's first attempt failed.
        session.execute(update(Ticket).where(Ticket.id == answers[0]["id"]).values(status="done"))
        session.execute(
            update(PrintJob).where(PrintJob.ticket_id == answers[3]["id"]).values(attempts=1)
        )
    with statements_run(db.engine(lite_app)) as statements:
        with lite_app.app_context(), db.unit_of_work() as session:
            rows = printing.claim_due(session, clock.now())
        claim = len(statements)
        with lite_app.app_context(), db.unit_of_work(readonly=True) as session:
            orders = printing.orders_for(session, rows)

    assert claim == 3
    assert [order.layout.number for order in orders] == [t["number"] for t in answers[1:]]
    assert [t["ahead"] for t in answers] == [0, 1, 2, 3]
    # A002 and A003 as they were told; A004 counted now: A001 is gone from the line.
    assert [order.layout.ahead for order in orders] == [1, 2, 2]
    assert len(statements) - claim == 1  # the one count, for the retried job
    assert {job.state for job in jobs(lite_app) if job.ticket_id != answers[0]["id"]} == {
        "printing"
    }


def test_a_large_sweep_runs_in_short_transactions(lite_app):
    """After the worker was away, many jobs expire at once: each write transaction of the
    sweep closes at most SWEEP_BATCH of them (SQLite's writers wait for each one), and every
    job is closed and announced in the end."""
    from sqlalchemy import event

    from hall.printing.worker import SWEEP_BATCH, sweep_in_batches
    from hall.queue.models import TicketStatus

    url, _ = offline_url()
    _, token = add_kiosk(lite_app, url)
    client = lite_app.test_client()
    count = 2 * SWEEP_BATCH + 20
    for _ in range(count):
        take(client, token)
    with lite_app.app_context(), db.unit_of_work() as session:
        session.execute(update(Ticket).values(status=TicketStatus.CANCELLED))
    commits = []

    def committed(_conn) -> None:
        commits.append(1)

    engine = db.engine(lite_app)
    event.listen(engine, "commit", committed)
    published = []
    try:
        sweep_in_batches(lite_app, clock.now(), published.extend)
    finally:
        event.remove(engine, "commit", committed)
    assert [job.state for job in jobs(lite_app)] == ["expired"] * count
    assert len(published) == count and {e.payload["state"] for e in published} == {"expired"}
    assert len(commits) == 3  # 50, 50 and 20: the last batch found fewer than a whole one
