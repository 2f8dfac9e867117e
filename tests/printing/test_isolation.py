"""A stalled printer beside a healthy one: the healthy kiosk's tickets never wait for it, and
the stalled printer's ticket is a fault shown to staff, never counted as printed."""

import time

from hall.printing.worker import PrintWorker
from tests.conftest import login
from tests.printers.fake_printer import READY

from .conftest import add_kiosk, jobs, printed, take


def wait_for_state(app, job_id: int, states: set[str], timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        state = {job.id: job.state for job in jobs(app)}[job_id]
        if state in states or time.monotonic() > deadline:
            return state
        time.sleep(0.05)


def test_a_stalled_printer_never_delays_another_and_is_a_fault(app, printer):
    app.config["PRINT_TIMEOUT_S"] = 4.0  # the stalled lane stays busy long after the other prints
    stalled, healthy = printer(status=READY), printer(status=READY)
    _, stalled_kiosk = add_kiosk(app, stalled.url)
    _, healthy_kiosk = add_kiosk(app, healthy.url)
    client = app.test_client()
    worker = PrintWorker(app).start()
    try:
        # The first ticket prints and shows the worker that this printer answers DLE EOT.
        first = take(client, stalled_kiosk)["print"]["job_id"]
        assert wait_for_state(app, first, {"printed", "failed"}) == "printed"
        stalled.reading = False

        stuck = take(client, stalled_kiosk)["print"]["job_id"]
        assert wait_for_state(app, stuck, {"printing"}) == "printing"
        fine = take(client, healthy_kiosk)
        assert wait_for_state(app, fine["print"]["job_id"], {"printed", "failed"}) == "printed"
        # The healthy ticket came out while the stalled printer's job was still in its lane.
        assert {job.id: job.state for job in jobs(app)}[stuck] == "printing"
        assert fine["ticket"]["status_url"] in str(printed(healthy, 1))

        # The stalled printer never confirmed: a fault, not a printed ticket, shown to staff.
        assert wait_for_state(app, stuck, {"printed", "failed"}) == "failed"
        job = {job.id: job for job in jobs(app)}[stuck]
        assert "did not confirm" in job.last_error
        listed = client.get(
            "/api/v1/halls/kuancheng/printers", headers=login(client, "manager")
        ).json["printers"]
        faults = {p["printer_url"]: p["fault"] for p in listed}
        assert "did not confirm" in faults[stalled.url] and faults[healthy.url] is None
    finally:
        worker.stop()


def test_paper_out_after_a_ticket_is_a_fault_with_its_reason(lite_app, printer):
    empty = printer(status={**READY, 4: 0x12 | 0x60})
    _, kiosk = add_kiosk(lite_app, empty.url, confirm="on")
    worker = PrintWorker(lite_app).start()
    try:
        job = take(lite_app.test_client(), kiosk)["print"]["job_id"]
        assert wait_for_state(lite_app, job, {"printed", "failed"}) == "failed"
        assert "paper out" in {j.id: j for j in jobs(lite_app)}[job].last_error
    finally:
        worker.stop()
