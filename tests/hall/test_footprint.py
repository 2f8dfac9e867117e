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


def _loaded(tmp_path, **env: str) -> dict[str, bool]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HALL_")}
    environ.update(HALL_DATABASE_URL=f"sqlite:///{tmp_path / 'h.sqlite3'}", **env)
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
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
