"""CPU the print worker spends per ticket, by batch size (in one process, lanes run inline).

    .venv/bin/python bench/print_worker_cpu.py

Issues tickets from the demo kiosk (its printer is ``dummy://``) through the test client, then
times one worker pass over them with ``time.process_time``: the claim, the layout, the
ESC/POS rendering and the printed-batch update. Figures in docs/performance.md.
"""

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hall import create_app, db, demo, migrate  # noqa: E402
from hall.printing import worker  # noqa: E402

KIOSK = {"Authorization": "Bearer demo-kiosk-kuancheng"}


def main() -> None:
    folder = tempfile.mkdtemp()
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/hall.sqlite3", "PRINT_WORKER": False})
    migrate.upgrade(db.engine(app))
    with app.app_context(), db.unit_of_work() as session:
        demo.create(session)
    client = app.test_client()
    pass_worker = worker.PrintWorker(app, publish=lambda events: None)
    # Lanes inline, so process_time counts their work in this thread.
    pass_worker._start_lane = lambda url, orders: worker._send_to_printer(
        app, orders, pass_worker.publish
    )
    for batch in (1, 5, 20):
        printed, cpu = 0, 0.0
        for _ in range(20):
            for _ in range(batch):
                answer = client.post(
                    "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
                )
                assert answer.status_code == 201, answer.json
            started = time.process_time()
            with app.app_context():
                printed += pass_worker.run_pass(False)
            cpu += time.process_time() - started
        print(f"{batch:2d} tickets per pass: {cpu / printed * 1000:.2f} ms CPU per ticket")


if __name__ == "__main__":
    main()
