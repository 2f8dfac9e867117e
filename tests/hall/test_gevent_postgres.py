"""Under gevent, psycopg waits for PostgreSQL on gevent's hub (``hall.db.wait_on_hub``)."""

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    from gevent import monkey; monkey.patch_all()
    import json, sys, time
    import gevent
    from psycopg import waiting
    from sqlalchemy import text
    from hall import db
    engine = db.make_engine(sys.argv[1])
    out = {"installed": waiting.wait is db.wait_on_hub}
    ticks = []
    def ticker():
        for _ in range(80):
            ticks.append(time.monotonic())
            gevent.sleep(0.005)
    def sleeper():
        with engine.connect() as c:
            out["slept"] = c.execute(text("SELECT 7 FROM pg_sleep(0.3)")).scalar()
    def counter(k):
        with engine.connect() as c:
            return [c.execute(text("SELECT :n * 2"), {"n": k * 100 + i}).scalar() for i in range(20)]
    def listener():
        # psycopg waits with a timeout here: nothing is notified, it gives up after 0.2 s.
        with engine.connect() as c:
            raw = c.connection.dbapi_connection
            raw.autocommit = True
            raw.execute("LISTEN hall_test_nothing")
            began = time.monotonic()
            out["notified"] = len(list(raw.notifies(timeout=0.2)))
            out["listened_ms"] = round((time.monotonic() - began) * 1000)
    jobs = [gevent.spawn(ticker), gevent.spawn(sleeper), gevent.spawn(listener)]
    counters = [gevent.spawn(counter, k) for k in range(8)]
    gevent.joinall(jobs + counters, raise_error=True)
    out["counted"] = all(
        job.value == [(k * 100 + i) * 2 for i in range(20)] for k, job in enumerate(counters)
    )
    out["gap_ms"] = round(max(b - a for a, b in zip(ticks, ticks[1:])) * 1000)
    engine.dispose()
    print(json.dumps(out))
    """
)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_psycopg_waits_on_the_hub_without_stalling_it(database_url):
    """Eight greenlets querying at once each get their own answers, a 300 ms statement holds
    no other greenlet up, and a wait with a timeout (LISTEN with nothing notified) ends on
    time. Without gevent, psycopg keeps its own C wait (the test suite's other tests)."""
    import json

    from psycopg import waiting

    from hall import db

    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, database_url], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["installed"] is True
    assert out["slept"] == 7
    assert out["counted"] is True
    assert out["notified"] == 0 and 150 <= out["listened_ms"] < 1000
    # A wait that held the loop would stop the ticker for the whole 300 ms.
    assert out["gap_ms"] < 150
    assert waiting.wait is not db.wait_on_hub
