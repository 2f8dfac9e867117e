"""The wait told at issue is stored with the ticket, and its error is reported per queue."""

from datetime import date, datetime

from sqlalchemy import select

from hall import db
from hall.queue.models import Ticket, TicketStatus
from tests import factories
from tests.conftest import KIOSK, login

DAY = date(2026, 11, 30)


def at(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{DAY.isoformat()}T{hhmm}:00+08:00")


def test_the_estimate_told_at_issue_is_stored(client, app):
    priority = client.get("/api/v1/halls/kuancheng").json["hall"]["priority_classes"][0]
    told = []
    for kind in (None, None, priority, None):
        body = {"matter": "samr-01", "priority": kind}
        answer = client.post("/api/v1/halls/kuancheng/tickets", json=body, headers=KIOSK)
        assert answer.status_code == 201, answer.json
        told.append(answer.json["ticket"])
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        stored = dict(
            s.execute(
                select(Ticket.id, Ticket.estimated_wait_s).where(
                    Ticket.id.in_([t["id"] for t in told])
                )
            ).all()
        )
    assert [stored[t["id"]] for t in told] == [t["estimated_wait_s"] for t in told]
    # The priority ticket is told it is next: nobody before it, no wait.
    assert told[2]["ahead"] == 0 and stored[told[2]["id"]] == 0
    assert stored[told[1]["id"]] > 0


def test_the_estimate_error_per_queue(client, app):
    with app.app_context(), db.unit_of_work() as s:
        matter = factories.matter(s, "samr-01")
        window = factories.window(s, "1")
        # Told 10 min, waited 16 (error 6 min); told 20 min, waited 16 (error 4 min);
        # told nothing (issued before the column): left out; never called: left out.
        for seq, (told, called) in enumerate(
            ((600, "09:16"), (1200, "09:16"), (None, "09:30"), (300, None)), start=1
        ):
            s.add(
                Ticket(
                    hall_id=matter.hall_id,
                    queue_id=matter.queue_id,
                    queue_prefix_scope=matter.queue_id,
                    matter_id=matter.id,
                    service_date=DAY,
                    seq=seq,
                    number=f"E{seq:03d}",
                    status=TicketStatus.NO_SHOW if called else TicketStatus.CANCELLED,
                    token=f"estimate-token-{seq:03d}-abcdefghijklmnop",
                    issued_at=at("09:00"),
                    queued_at=at("09:00"),
                    first_called_at=at(called) if called else None,
                    called_at=at(called) if called else None,
                    no_show_at=at(called) if called else None,
                    calls=1 if called else 0,
                    window_id=window.id if called else None,
                    estimated_wait_s=told,
                )
            )
        queue = matter.queue.code
    manager = login(client, "manager")
    url = "/api/v1/halls/kuancheng/stats?from=2026-11-30&by=queue"
    report = client.get(url, headers=manager).json
    assert report["tickets"]["estimated"] == 2
    assert report["tickets"]["estimate_mae_s"] == 300
    group = next(g for g in report["groups"] if g["name"] == queue)
    assert group["tickets"]["estimate_mae_s"] == 300 and group["tickets"]["estimated"] == 2
    book = client.get(url.replace("/stats?", "/stats.csv?"), headers=manager)
    header, total = book.data.decode("utf-8-sig").splitlines()[1:3]
    column = header.split(",").index("预计等候误差(秒) / estimate MAE s")
    assert total.split(",")[column] == "300"
    # The same from the roll-up (the day is closed and now stored).
    again = client.get(url, headers=manager).json
    assert again == report
