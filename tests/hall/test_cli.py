"""The `hall` command as an operator runs it."""

import os
import subprocess

from tests.conftest import HALL_BIN


def hall(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HALL_DATABASE_URL": url}
    return subprocess.run(
        [str(HALL_BIN), *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_init_demo_user_and_device(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    first = hall("init", "--demo", url=url)
    assert first.returncode == 0, first.stderr
    assert "window1" in first.stdout and "demo123" in first.stdout
    again = hall("init", "--demo", url=url)
    assert again.returncode == 0 and "已存在" in again.stdout

    added = hall(
        "user",
        "add",
        "clerk9",
        "--password",
        "s3cret!",
        "--role",
        "window",
        "--hall",
        "kuancheng",
        url=url,
    )
    assert added.returncode == 0, added.stderr
    dup = hall("user", "add", "clerk9", "--password", "s3cret!", "--role", "window", url=url)
    assert dup.returncode != 0 and "username taken" in dup.stderr
    bad_role = hall("user", "add", "x", "--password", "s3cret!", "--role", "king", url=url)
    assert bad_role.returncode != 0

    device = hall(
        "device",
        "add",
        "kiosk",
        "--hall",
        "kuancheng",
        "--name",
        "东门取号机",
        "--printer",
        "network://127.0.0.1:9100",
        url=url,
    )
    assert device.returncode == 0, device.stderr
    token = device.stdout.strip().splitlines()[-1]
    assert len(token) >= 40 and " " not in token

    from tests.conftest import build_app

    client = build_app(url).test_client()
    response = client.post(
        "/api/v1/halls/kuancheng/tickets",
        json={"matter": "samr-01"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201 and response.json["ticket"]["source"] == "kiosk"
    login = client.post("/api/v1/auth/token", json={"username": "clerk9", "password": "s3cret!"})
    assert login.status_code == 200

    unknown = hall("device", "add", "kiosk", "--hall", "nowhere", url=url)
    assert unknown.returncode != 0 and "no such hall" in unknown.stderr


def test_calendar_status_names_the_sources_and_fails_near_an_uncovered_year(lite_app, monkeypatch):
    from datetime import datetime

    from click.testing import CliRunner

    from hall import clock
    from hall.calendar import PACKAGE_YEARS
    from hall.cli import main

    last = PACKAGE_YEARS[-1]
    monkeypatch.setenv("HALL_DATABASE_URL", lite_app.config["DATABASE_URL"])
    monkeypatch.setattr(
        clock, "now", lambda: datetime.fromisoformat(f"{last}-12-04T02:00:00+00:00")
    )
    near = CliRunner().invoke(main, ["calendar", "status"])
    assert near.exit_code == 1
    assert f"{last}: chinesecalendar" in near.output and f"{last + 1}: 无 / none" in near.output
    assert f"{last + 1} 年节假日安排尚未录入" in near.output
    monkeypatch.setattr(
        clock, "now", lambda: datetime.fromisoformat(f"{last}-06-01T02:00:00+00:00")
    )
    far = CliRunner().invoke(main, ["calendar", "status"])
    assert far.exit_code == 0, far.output
    assert f"uncovered from: {last + 1}-01-01" in far.output
