"""Case receipts on the window's ESC/POS printer: queued at intake, reprinted on request,
retried through a printer fault, read back from a TCP printer; the masked name only."""

from datetime import timedelta

from sqlalchemy import select

from hall import db
from hall.admin.models import Device
from hall.printing import services as printing
from hall.printing.worker import run_due
from hall.queue.models import PrintJob
from tests.cases.conftest import APPLICANT
from tests.conftest import statements_run
from tests.printers.escpos_decode import chinese_runs, contains_cut, qr_payloads, text_lines
from tests.printers.fake_printer import FakePrinter
from tests.printing.conftest import offline_url

DESK_PRINTER = "1号窗口回执打印机"


def point_desk_printer(app, url: str) -> int:
    """Send the demo's window-1 receipt printer to ``url``; its device id."""
    with app.app_context(), db.unit_of_work() as s:
        device = s.scalar(select(Device).where(Device.name == DESK_PRINTER))
        device.printer_url = url
        return device.id


def jobs(app) -> list[PrintJob]:
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        return list(s.scalars(select(PrintJob).where(PrintJob.kind == "receipt")))


def no_personal_data(data: bytes) -> None:
    text = " ".join(chinese_runs(data) + text_lines(data))
    for secret in (APPLICANT["name"], APPLICANT["id_number"], APPLICANT["phone"], "2201**"):
        assert secret not in text
    assert "张*丰" in text


def test_the_correction_notice_prints_at_the_window_that_took_the_case(desk, app):
    fake = FakePrinter().start()
    try:
        device_id = point_desk_printer(app, fake.url)
        ticket = desk.serve("samr-02")
        entry = desk.matter("samr-02")
        required = [d for d in entry["documents"] if d["required"]]
        answer = desk.take(
            "samr-02",
            ticket=ticket["id"],
            documents=[required[0]["id"]],
            missing_reasons={str(required[1]["id"]): "章程未签字 / not signed"},
        )
        case = answer.json["case"]
        assert case["status"] == "awaiting_documents"
        assert answer.json["print"]["kind"] == "receipt"
        assert answer.json["print"]["state"] == "pending"
        assert run_due(app) == 1
        data = fake.wait_for()
    finally:
        fake.stop()
    runs = chinese_runs(data)
    assert "一次性告知书" in runs
    assert f"办件编号 No.：{case['number']}" in runs
    assert any(r.startswith(f"· {required[1]['name']}：章程未签字") for r in runs), runs
    for item in required[2:]:
        assert any(r.startswith(f"· {item['name']}") for r in runs), item["name"]
    assert any("材料齐全之日为受理之日" in r for r in runs)
    assert qr_payloads(data) == [case["status_url"]]
    assert contains_cut(data)
    no_personal_data(data)
    [job] = jobs(app)
    assert (job.state, job.case_id, job.ticket_id, job.device_id) == (
        "printed",
        case["id"],
        None,
        device_id,
    )


def test_a_printer_fault_keeps_the_receipt_until_it_prints_once(desk, app):
    url, port = offline_url()
    point_desk_printer(app, url)
    ticket = desk.serve("samr-02")
    case = desk.take("samr-02", ticket=ticket["id"]).json["case"]
    assert run_due(app) == 1
    [job] = jobs(app)
    assert (job.state, job.attempts) == ("pending", 1)
    assert "printer not reachable" in job.last_error
    assert run_due(app, at=job.next_attempt_at - timedelta(milliseconds=50)) == 0
    fake = FakePrinter(port=port).start()
    try:
        assert run_due(app, at=job.next_attempt_at + timedelta(seconds=1)) == 1
        data = fake.wait_for()
        assert fake.connections == 1
    finally:
        fake.stop()
    runs = chinese_runs(data)
    assert "受理通知书" in runs
    assert f"承诺办结 Promised by：{case['deadline']}" in runs
    assert any("统一出件窗口" in r for r in runs)
    no_personal_data(data)
    [job] = jobs(app)
    assert (job.state, job.attempts) == ("printed", 2)
    assert run_due(app, at=job.next_attempt_at + timedelta(minutes=5)) == 0  # never twice


def test_a_refusal_receipt_states_the_reason_and_the_rights(desk, app):
    fake = FakePrinter().start()
    try:
        point_desk_printer(app, fake.url)
        ticket = desk.serve("samr-02")
        desk.take("samr-02", ticket=ticket["id"], outcome="refuse", reason="超出职权范围 / remit")
        run_due(app)
        data = fake.wait_for()
    finally:
        fake.stop()
    runs = chinese_runs(data)
    assert "不予受理通知书" in runs
    assert any("超出职权范围" in r for r in runs)
    assert any("行政复议" in r for r in runs) and any("行政诉讼" in r for r in runs)
    no_personal_data(data)


def test_reprinting_a_notice_at_the_window(desk, app):
    ticket = desk.serve("samr-02")
    quiet = desk.take("samr-02", ticket=ticket["id"], print_receipt=False).json
    assert quiet["print"] is None and jobs(app) == []
    case = quiet["case"]
    again = desk.post(f"/cases/{case['id']}/receipt", "window1")
    assert again.status_code == 201, again.json
    assert again.json["print"]["kind"] == "receipt" and again.json["print"]["reprint"] is True
    assert desk.post(f"/cases/{case['number']}/receipt", "bo-samr").status_code == 403
    assert desk.post("/cases/99999999/receipt", "window1").json["error"]["code"] == (
        "case_not_found"
    )
    # The pickup clerk has no window (and so no printer) yet: name a device or be refused.
    refused = desk.post(f"/cases/{case['id']}/receipt", "pickup")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "no_printer"
    device_id = jobs(app)[0].device_id
    named = desk.post(f"/cases/{case['id']}/receipt", "pickup", json={"device": device_id})
    assert named.status_code == 201
    street = desk.post(f"/cases/{case['id']}/receipt", "street1", json={"device": device_id})
    assert street.status_code == 403
    bad = desk.post(f"/cases/{case['id']}/receipt", "manager", json={"device": "x"})
    assert bad.status_code == 400
    assert len(jobs(app)) == 2
    timeline = [s["action"] for s in desk.case(case["id"])["timeline"]]
    assert timeline.count("receipt_reprinted") == 2


def test_claiming_receipts_takes_the_same_statements_whatever_the_batch(desk, app):
    point_desk_printer(app, "dummy://")
    ticket = desk.serve("samr-02")
    first = desk.take("samr-02", ticket=ticket["id"]).json["case"]
    with statements_run(db.engine(app)) as statements:
        with app.app_context(), db.unit_of_work() as s:
            assert len(printing.claim_due(s, desk.now)) == 1
        one = len(statements)
        for _ in range(5):
            desk.post(f"/cases/{first['id']}/receipt", "window1")
        statements.clear()
        with app.app_context(), db.unit_of_work() as s:
            assert len(printing.claim_due(s, desk.now)) == 5
        assert len(statements) == one


def test_a_receipt_whose_printer_never_comes_back_is_failed_and_told(desk, app):
    url, _port = offline_url()
    point_desk_printer(app, url)
    ticket = desk.serve("samr-02")
    case = desk.take("samr-02", ticket=ticket["id"]).json["case"]
    desk.finish()  # the ticket is done: a receipt does not expire with its ticket
    receipts = lambda events: [e for e in events if e.payload["kind"] == "receipt"]  # noqa: E731
    with app.app_context(), db.unit_of_work() as s:
        assert receipts(printing.sweep(s, desk.now, give_up_s=600, stale_s=120)) == []
    later = desk.now + timedelta(minutes=11)
    with app.app_context(), db.unit_of_work() as s:
        [told] = receipts(printing.sweep(s, later, give_up_s=600, stale_s=120))
    assert told.name == "print.updated"
    assert (told.payload["kind"], told.payload["state"]) == ("receipt", "failed")
    assert told.payload["number"] == case["number"] and told.payload["ticket_id"] is None
    [job] = jobs(app)
    assert job.state == "failed"  # kept and visible; staff can print it again
    assert desk.post(f"/cases/{case['id']}/receipt", "window1").status_code == 201
