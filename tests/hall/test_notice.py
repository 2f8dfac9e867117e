"""The hall's notice: managers set it, every display shows it at once."""

from hall.extensions import socketio
from tests.conftest import login


def test_a_manager_sets_the_notice_and_displays_get_it(app, client):
    display = socketio.test_client(app, namespace="/display", auth={"hall": "kuancheng"})
    display.get_received("/display")
    manager = login(client, "manager")
    answer = client.put(
        "/api/v1/halls/kuancheng/notice",
        json={"notice": "  今日 12:00–13:00 午间  照常办理  "},
        headers=manager,
    )
    assert answer.status_code == 200
    assert answer.json["hall"]["notice"] == "今日 12:00–13:00 午间 照常办理"
    [event] = [e for e in display.get_received("/display") if e["name"] == "hall.notice"]
    assert event["args"][0]["notice"] == "今日 12:00–13:00 午间 照常办理"
    assert client.get("/api/v1/halls/kuancheng/snapshot").json["notice"].startswith("今日")


def test_only_the_halls_managers_set_it(lite_client):
    for username, status in (("window1", 403), ("manager-xinfa", 403)):
        answer = lite_client.put(
            "/api/v1/halls/kuancheng/notice",
            json={"notice": "x"},
            headers=login(lite_client, username),
        )
        assert answer.status_code == status and "error" in answer.json
    too_long = lite_client.put(
        "/api/v1/halls/kuancheng/notice",
        json={"notice": "长" * 501},
        headers=login(lite_client, "manager"),
    )
    assert too_long.status_code == 400
    assert (
        lite_client.put("/api/v1/halls/kuancheng/notice", json={"notice": "x"}).status_code == 401
    )


def test_the_board_sets_it_over_its_socket(lite_app):
    token = login(lite_app.test_client(), "manager")["Authorization"].split()[1]
    board = socketio.test_client(lite_app, namespace="/board", auth={"token": token})
    ack = board.emit(
        "set_notice", {"notice": "系统维护 / maintenance"}, namespace="/board", callback=True
    )
    assert ack == {"ok": True, "notice": "系统维护 / maintenance"}
    bad = board.emit("set_notice", {"notice": 5}, namespace="/board", callback=True)
    assert bad["error"]["code"] == "validation_error"
