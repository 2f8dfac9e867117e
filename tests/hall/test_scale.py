"""Several hub processes on PostgreSQL with Redis between them: a call reaches every display."""

import threading

import pytest
import redis
import requests
import socketio

from tests.conftest import KIOSK, REDIS_URL, LiveServer, login


def _redis_missing() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as err:
        return f"Redis not reachable at {REDIS_URL}: {type(err).__name__}"
    return None


# The multi-process set-up is PostgreSQL's: SQLite serves one process.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_call_on_one_process_reaches_a_display_on_another(app):
    reason = _redis_missing()
    if reason:
        pytest.skip(reason)
    url = app.config["DATABASE_URL"]
    queue = REDIS_URL
    first = LiveServer(url, HALL_MESSAGE_QUEUE=queue).start()
    second = LiveServer(url, HALL_MESSAGE_QUEUE=queue).start()
    display = socketio.Client(reconnection=False)
    calls: list[dict] = []
    seen = threading.Event()
    ready = threading.Event()
    display.on("snapshot", lambda data: ready.set(), namespace="/display")

    def on_called(data: dict) -> None:
        calls.append(data)
        seen.set()

    display.on("ticket.called", on_called, namespace="/display")
    try:
        display.connect(
            first.url,
            namespaces=["/display"],
            auth={"hall": "kuancheng"},
            transports=["websocket"],
            wait_timeout=10,
        )
        assert ready.wait(10)
        requests.post(
            f"{second.url}/api/v1/halls/kuancheng/tickets",
            json={"matter": "samr-01"},
            headers=KIOSK,
            timeout=30,
        )
        headers = login(second.url, "window3")
        requests.post(f"{second.url}/api/v1/windows/3/open", headers=headers, timeout=30)
        requests.post(f"{second.url}/api/v1/windows/3/call-next", headers=headers, timeout=30)
        assert seen.wait(5), "the display on process 1 never heard the call made on process 2"
        assert (calls[0]["number"], calls[0]["window"]) == ("A001", "3")
    finally:
        display.disconnect()
        first.stop()
        second.stop()


def test_hubs_on_different_redis_databases_hear_only_their_own_messages():
    """Redis pub/sub ignores database numbers: the channels carry it (hall.config.queue_channel),
    so a hub group on another database of the same Redis hears none of this one's changes."""
    from hall.cache import RedisBroadcaster
    from hall.config import queue_channel

    assert queue_channel("redis://h:6379/0", "c") == "c"  # database 0: the names as before
    assert queue_channel("redis://h:6379/2", "c") == queue_channel("redis://h?db=2", "c")
    assert queue_channel("redis://h:6379/2", "c") != queue_channel("redis://h:6379/3", "c")
    assert queue_channel("amqp://h//", "c") == "c"
    reason = _redis_missing()
    if reason:
        pytest.skip(reason)

    class Cache:
        def __init__(self) -> None:
            self.cleared = 0
            self.event = threading.Event()

        def clear(self) -> None:
            self.cleared += 1
            self.event.set()

        def tokens_died(self) -> None:
            pass

    base = REDIS_URL.rsplit("/", 1)[0]
    ours, theirs = Cache(), Cache()
    here = RedisBroadcaster(REDIS_URL, ours)
    other_db = f"{base}/{(int(REDIS_URL.rsplit('/', 1)[1] or 0) + 8) % 16}"
    there = RedisBroadcaster(other_db, theirs)
    for broadcaster, cache in ((here, ours), (there, theirs)):
        broadcaster.listen()
        assert cache.event.wait(5)  # subscribed: it forgets its copy once
        cache.event.clear()
    here.send()
    assert ours.event.wait(5)
    assert not theirs.event.wait(0.5), "a hub on another Redis database heard the change"
    assert theirs.cleared == 1
