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
