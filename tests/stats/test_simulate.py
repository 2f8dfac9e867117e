"""`hall simulate` plays a compressed hall day against a real `hall serve`."""

import pytest
import requests
from click.testing import CliRunner

from hall import create_app, db, demo, migrate
from hall.cli import main as cli
from hall.stats import simulate
from tests.conftest import LiveServer, login


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('sim') / 'hall.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "PRINT_WORKER": False})
    migrate.upgrade(db.engine(app))
    with app.app_context(), db.unit_of_work() as session:
        demo.create(session)
    db.engine(app).dispose()
    server = LiveServer(url).start()
    yield server
    server.stop()


def test_a_compressed_day_fills_the_figures(hub, monkeypatch):
    day = simulate.Day(
        url=hub.url,
        hall="kuancheng",
        speed=7200,
        per_hour=10,
        hours=(9, 10),
        windows=("1", "2"),
        priority=0.3,
        rated=0.8,
        bad=0.4,
    )
    paths = []
    rest = simulate.Hub.call

    def call(self, method, path, body=None, token=""):
        paths.append(path)
        return rest(self, method, path, body, token)

    monkeypatch.setattr(simulate.Hub, "call", call)
    said = []
    counts = simulate.play(day, say=said.append)
    # The clerks' window actions went over the /counter socket, acked; none over REST.
    assert not [p for p in paths if p.startswith("/windows/")]
    assert not [k for k in counts if k.startswith("refused_")], counts
    assert counts["priority"] >= 1
    assert counts["issued"] >= 8 and counts["served"] >= 1
    # The windows serve until nobody waits: everyone was served, missed or moved on.
    assert counts["served"] + counts["no_show"] + counts["transfers"] >= counts["issued"]
    assert counts["cases"] >= 1 and counts["ratings"] >= 1
    assert "模拟结束" in said[0] and "day played" in said[0]
    manager = login(hub.url, "manager")
    report = requests.get(
        f"{hub.url}/api/v1/halls/kuancheng/stats?by=queue", headers=manager, timeout=10
    ).json()
    tickets = report["tickets"]
    assert tickets["issued"] == counts["issued"]
    assert tickets["served"] == counts["served"]
    assert tickets["no_show"] == counts["no_show"]
    # Every issued ticket was told an estimate; the called ones measure its error.
    assert tickets["estimated"] >= 1 and tickets["estimate_mae_s"] is not None
    assert report["ratings"]["count"] == counts["ratings"]
    assert report["cases"]["received"] >= counts["cases"]
    # Every 差评 was called back and settled (立行立改, 解释说明, or 限期整改 then fixed).
    ratings = report["ratings"]
    assert ratings["bad"] == counts["bad_ratings"] >= 1
    assert ratings["called_back"] == counts["called_back"] == ratings["bad"]
    assert ratings["callback_rate"] == 1.0 and ratings["fixed_rate"] == 1.0


def test_the_command_refuses_an_unknown_hall(hub):
    result = CliRunner().invoke(cli, ["simulate", "--url", hub.url, "--hall", "nowhere"])
    assert result.exit_code != 0 and "nowhere" in result.output
