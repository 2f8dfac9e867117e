"""Under gevent, a writer waiting for another process's SQLite writer never stalls the loop."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    from gevent import monkey; monkey.patch_all()
    import sqlite3, sys, time
    import gevent
    from hall import create_app, db, demo, migrate
    path = sys.argv[1]
    app = create_app({"DATABASE_URL": "sqlite:///" + path})
    with app.app_context():
        migrate.upgrade(db.engine())
        with db.unit_of_work() as s:
            demo.create(s)
    other = sqlite3.connect(path, isolation_level=None)  # the print worker, the CLI …
    other.execute("BEGIN IMMEDIATE")
    ticks, result = [], {}
    def ticker():
        for _ in range(60):
            ticks.append(time.monotonic())
            gevent.sleep(0.005)
    def release():
        gevent.sleep(0.3)
        other.execute("COMMIT")
    def issue():
        client = app.test_client()
        r = client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"},
                        headers={"Authorization": "Bearer demo-kiosk-kuancheng"})
        result["status"] = r.status_code
    gevent.joinall([gevent.spawn(ticker), gevent.spawn(release), gevent.spawn(issue)])
    gap = max(b - a for a, b in zip(ticks, ticks[1:]))
    print(result["status"], round(gap * 1000))
    """
)


def test_a_locked_database_does_not_stall_other_greenlets(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "hall.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    status, gap_ms = out.stdout.split()[-2:]
    assert status == "201"  # it waited for the other writer, then issued
    # SQLite's own busy handler would hold the loop for the whole 300 ms.
    assert int(gap_ms) < 150


LOGINS = textwrap.dedent(
    """
    from gevent import monkey; monkey.patch_all()
    import sqlite3, sys, time
    import gevent
    from werkzeug.security import check_password_hash, generate_password_hash
    from hall import create_app, db, demo, migrate
    path = sys.argv[1]
    app = create_app({"DATABASE_URL": "sqlite:///" + path})
    with app.app_context():
        migrate.upgrade(db.engine())
        with db.unit_of_work() as s:
            demo.create(s)
    began = time.monotonic()
    check_password_hash(generate_password_hash("x"), "x")  # one hash, on the loop
    hash_ms = (time.monotonic() - began) * 1000
    ticks, statuses = [], []
    def ticker():
        for _ in range(100):
            ticks.append(time.monotonic())
            gevent.sleep(0.005)
    def logins():
        client = app.test_client()
        for password in ("demo123", "wrong-one", "demo123"):
            r = client.post("/api/v1/auth/token", json={"username": "window1", "password": password})
            statuses.append(r.status_code)
    gevent.joinall([gevent.spawn(ticker), gevent.spawn(logins)])
    gap = max(b - a for a, b in zip(ticks, ticks[1:]))
    print(",".join(map(str, statuses)), round(hash_ms), round(gap * 1000))
    """
)


def test_a_login_does_not_stall_other_greenlets(tmp_path):
    """A password's scrypt (~0.1 s) runs in gevent's thread pool: the loop keeps ticking
    through three logins, the wrong password is still refused."""
    out = subprocess.run(
        [sys.executable, "-c", LOGINS, str(tmp_path / "hall.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    statuses, hash_ms, gap_ms = out.stdout.split()[-3:]
    assert statuses == "200,401,200"
    # On the loop, each login would stop the ticker for a whole hash.
    assert int(gap_ms) < max(40, int(hash_ms) // 2), (gap_ms, hash_ms)
