"""What a serving worker loads: the clients python-socketio imports are kept out of it."""

import json
import os
import subprocess
import sys

PROBE = (
    "import sys, json; import hall.wsgi; "
    "print(json.dumps({m: sys.modules.get(m) is not None "
    "for m in ('aiohttp', 'requests', 'websocket', 'redis', 'qrcode')}))"
)


GC_PROBE = (
    "import gc, json; import hall.wsgi; "
    "print(json.dumps({'thresholds': gc.get_threshold(), 'frozen': gc.get_freeze_count(), "
    "'wanted': hall.wsgi.GC_THRESHOLDS}))"
)


def _loaded(tmp_path, probe: str = PROBE, **env: str) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HALL_")}
    environ.update(HALL_DATABASE_URL=f"sqlite:///{tmp_path / 'h.sqlite3'}", **env)
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_worker_without_redis_loads_no_client_and_no_redis(tmp_path):
    assert _loaded(tmp_path) == {
        "aiohttp": False,
        "requests": False,
        "websocket": False,
        "redis": False,
        "qrcode": False,  # drawn on demand (hall/qr.py)
    }


def test_a_worker_with_a_redis_queue_keeps_redis(tmp_path):
    loaded = _loaded(tmp_path, HALL_MESSAGE_QUEUE="redis://127.0.0.1:6379/0")
    assert loaded["redis"] is True and loaded["aiohttp"] is False


def test_a_worker_keeps_its_app_out_of_the_garbage_collectors_walks(tmp_path):
    """The app's objects are frozen and young collections are rarer: a full collection with
    1,000 sockets held up the fan-out (docs/performance.md)."""
    found = _loaded(tmp_path, GC_PROBE)
    assert found["thresholds"] == found["wanted"]
    assert found["thresholds"][0] > 700  # above Python's default
    assert found["frozen"] > 50_000  # the modules, classes and schemas of the app
