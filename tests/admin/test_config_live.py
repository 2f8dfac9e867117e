"""An imported configuration reaches every hub process at once (PostgreSQL, Redis between)."""

import os
import subprocess
import threading

import pytest
import requests
import socketio

from hall.admin import config_file
from tests.conftest import HALL_BIN, KIOSK, REDIS_URL, LiveServer, login
from tests.hall.test_scale import _redis_missing

NEW_MATTER = {"code": "new-01", "name": "新设事项", "name_en": "A new matter", "queue": "A"}


def _take(server: LiveServer, matter: str) -> int:
    """Take a ticket at the kiosk: the hub finds the matter in its cached reference data."""
    answer = requests.post(
        f"{server.url}/api/v1/halls/kuancheng/tickets",
        json={"matter": matter},
        headers=KIOSK,
        timeout=30,
    )
    return answer.status_code


# The multi-process set-up is PostgreSQL's: SQLite serves one process.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_second_hub_process_sees_an_imported_change(app, tmp_path):
    reason = _redis_missing()
    if reason:
        pytest.skip(reason)
    url = app.config["DATABASE_URL"]
    # Reference data is otherwise kept for REFERENCE_TTL_S (30 s), longer than this test
    # takes: only the broadcast through Redis can refresh the second process's copy at once.
    env = {"HALL_MESSAGE_QUEUE": REDIS_URL}
    first = LiveServer(url, **env).start()
    second = LiveServer(url, **env).start()
    display = socketio.Client(reconnection=False)
    ready = threading.Event()
    changed: list[dict] = []
    heard = threading.Event()
    display.on("snapshot", lambda data: ready.set(), namespace="/display")

    def on_changed(data: dict) -> None:
        changed.append(data)
        heard.set()

    display.on("config.changed", on_changed, namespace="/display")
    try:
        display.connect(
            second.url,
            namespaces=["/display"],
            auth={"hall": "kuancheng"},
            transports=["websocket"],
            wait_timeout=10,
        )
        assert ready.wait(10)
        # The second process now holds the hall's matters in its cache.
        assert (_take(second, "samr-01"), _take(second, "new-01")) == (201, 404)
        admin = login(first.url, "admin")
        exported = requests.get(f"{first.url}/api/v1/config?format=json", headers=admin, timeout=30)
        data = exported.json()
        data["halls"][0]["matters"].append(NEW_MATTER)
        body = {"text": config_file.dumps(data, "json"), "format": "json", "dry_run": False}
        done = requests.post(
            f"{first.url}/api/v1/config/import", json=body, headers=admin, timeout=30
        )
        assert done.status_code == 200 and "+ matter kuancheng/new-01" in done.json()["changes"]
        assert heard.wait(5), "the display on process 2 never heard config.changed"
        assert changed[0]["hall"] == "kuancheng" and isinstance(changed[0]["seq"], int)
        assert _take(second, "new-01") == 201

        # The command line publishes through the message queue too.
        heard.clear()
        data["halls"][0]["matters"] = [
            m for m in data["halls"][0]["matters"] if m["code"] != "new-01"
        ]
        path = tmp_path / "hall.json"
        path.write_text(config_file.dumps(data, "json"), encoding="utf-8")
        result = subprocess.run(
            [str(HALL_BIN), "config", "import", str(path), "--prune"],
            env={**os.environ, "HALL_DATABASE_URL": url, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "- matter kuancheng/new-01 (retired: in use)" in result.stdout
        assert heard.wait(5), "the display never heard the command line's import"
        assert _take(second, "new-01") == 404
        assert _take(first, "new-01") == 404
    finally:
        display.disconnect()
        first.stop()
        second.stop()


def test_one_hub_without_a_message_queue_hears_the_command_line(lite_server, tmp_path):
    url = lite_server.env["HALL_DATABASE_URL"]
    display = socketio.Client(reconnection=False)
    ready = threading.Event()
    heard = threading.Event()
    display.on("snapshot", lambda data: ready.set(), namespace="/display")
    display.on("config.changed", lambda data: heard.set(), namespace="/display")
    admin = login(lite_server.url, "admin")
    data = requests.get(
        f"{lite_server.url}/api/v1/config?format=json", headers=admin, timeout=30
    ).json()
    data["halls"][0]["matters"].append(NEW_MATTER)
    path = tmp_path / "hall.json"
    path.write_text(config_file.dumps(data, "json"), encoding="utf-8")
    try:
        display.connect(
            lite_server.url,
            namespaces=["/display"],
            auth={"hall": "kuancheng"},
            transports=["websocket"],
            wait_timeout=10,
        )
        assert ready.wait(10)
        # The hub now holds the hall's matters in its cache (for 30 s).
        assert (_take(lite_server, "samr-01"), _take(lite_server, "new-01")) == (201, 404)
        env = {k: v for k, v in os.environ.items() if k != "HALL_MESSAGE_QUEUE"}
        result = subprocess.run(
            [str(HALL_BIN), "config", "import", str(path)],
            env={**env, "HALL_DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert heard.wait(5), "the display never heard the command line's import"
        assert _take(lite_server, "new-01") == 201
    finally:
        display.disconnect()
