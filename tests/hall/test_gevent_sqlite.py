"""Under gevent, nothing a request waits for (another process's SQLite writer, a password's
hash) stalls the loop that serves every other socket."""

import subprocess
import sys
import textwrap

# Each script: a patched process with the demo hall on SQLite, and a ticker greenlet whose
# longest gap between ticks shows how long the loop stood still.
PREAMBLE = textwrap.dedent(
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
    ticks = []
    def ticker(n):
        for _ in range(n):
            ticks.append(time.monotonic())
            gevent.sleep(0.005)
    def longest_gap_ms():
        return round(max(b - a for a, b in zip(ticks, ticks[1:])) * 1000)
    """
)

LOCKED = textwrap.dedent(
    """
    other = sqlite3.connect(path, isolation_level=None)  # the print worker, the CLI …
    other.execute("BEGIN IMMEDIATE")
    result = {}
    def release():
        gevent.sleep(0.3)
        other.execute("COMMIT")
    def issue():
        client = app.test_client()
        r = client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"},
                        headers={"Authorization": "Bearer demo-kiosk-kuancheng"})
        result["status"] = r.status_code
    gevent.joinall([gevent.spawn(ticker, 60), gevent.spawn(release), gevent.spawn(issue)])
    print(result["status"], longest_gap_ms())
    """
)

LOGINS = textwrap.dedent(
    """
    from werkzeug.security import check_password_hash, generate_password_hash
    began = time.monotonic()
    check_password_hash(generate_password_hash("x"), "x")  # one hash, on the loop
    hash_ms = (time.monotonic() - began) * 1000
    statuses = []
    def logins():
        client = app.test_client()
        for password in ("demo123", "wrong-one", "demo123"):
            r = client.post("/api/v1/auth/token", json={"username": "window1", "password": password})
            statuses.append(r.status_code)
    gevent.joinall([gevent.spawn(ticker, 100), gevent.spawn(logins)])
    print(",".join(map(str, statuses)), round(hash_ms), longest_gap_ms())
    """
)


def _run(script: str, tmp_path) -> list[str]:
    """The script after the preamble, in a process of its own; the words it printed."""
    out = subprocess.run(
        [sys.executable, "-c", PREAMBLE + script, str(tmp_path / "hall.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split()


def test_a_locked_database_does_not_stall_other_greenlets(tmp_path):
    status, gap_ms = _run(LOCKED, tmp_path)[-2:]
    assert status == "201"  # it waited for the other writer, then issued
    # SQLite's own busy handler would hold the loop for the whole 300 ms.
    assert int(gap_ms) < 150


def test_a_login_does_not_stall_other_greenlets(tmp_path):
    """A password's scrypt (~0.1 s) runs in gevent's thread pool: the loop keeps ticking
    through three logins, the wrong password is still refused."""
    statuses, hash_ms, gap_ms = _run(LOGINS, tmp_path)[-3:]
    assert statuses == "200,401,200"
    # On the loop, each login would stop the ticker for a whole hash.
    assert int(gap_ms) < max(40, int(hash_ms) // 2), (gap_ms, hash_ms)
