"""Today's figures kept a few seconds (hall/stats/rollup.py: live_facts): an event of the
hall drops them at once; a change no event announced shows when they expire."""

from sqlalchemy import text

from hall import db
from hall.stats import rollup
from tests.conftest import KIOSK, login


def issued_today(client, manager) -> int:
    answer = client.get("/api/v1/halls/kuancheng/stats", headers=manager)
    assert answer.status_code == 200, answer.json
    return answer.json["tickets"]["issued"]


def test_an_event_drops_todays_cached_figures(client, app):
    rollup.forget_live()
    manager = login(client, "manager")
    before = issued_today(client, manager)
    assert any(key[1] for key in rollup._LIVE)  # today is kept
    made = client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK)
    assert made.status_code == 201, made.json
    assert issued_today(client, manager) == before + 1


def test_a_silent_change_shows_when_the_cache_expires(client, app):
    rollup.forget_live()
    manager = login(client, "manager")
    client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK)
    before = issued_today(client, manager)
    # A change that no event announces (another process, a plain UPDATE): the cache holds.
    with app.app_context():
        with db.engine(app).begin() as conn:
            conn.execute(
                text(
                    "UPDATE tickets SET service_date = '2000-01-03' "
                    "WHERE id = (SELECT MAX(id) FROM tickets)"
                )
            )
    assert issued_today(client, manager) == before
    kept = app.config["STATS_LIVE_TTL_S"]
    assert kept == 5.0  # the default
    app.config["STATS_LIVE_TTL_S"] = 0  # expired (or no cache): counted again
    try:
        assert issued_today(client, manager) == before - 1
    finally:
        app.config["STATS_LIVE_TTL_S"] = kept
