"""Between the hub and the print worker: wake-ups one way, the worker's events the other.

Both go over local datagram sockets named after the database, so a hub and the worker
serving the same database find each other and nothing else (tests run many at once). With
a message queue a wake-up also goes out on a Redis channel, so workers on other machines
wake too, and the worker publishes its events through Flask-SocketIO's write-only emitter.
Datagrams are fire-and-forget: a lost wake-up costs one poll interval (PRINT_POLL_S), a
lost event one snapshot (clients see the gap in ``seq``).
"""

import atexit
import contextlib
import hashlib
import hmac
import json
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable

from flask import Flask

from hall.config import queue_channel
from hall.events import Event
from hall.events import publish as route_and_publish

log = logging.getLogger(__name__)

WAKE_CHANNEL = "hall-print-wake"  # Redis pub/sub channel of wake-ups
MAX_DATAGRAM = 64 * 1024
Publish = Callable[[Iterable[Event]], None]


def local_address(app: Flask, name: str) -> str:
    """The datagram socket address of ``name`` ("wake", "events") for the app's database."""
    key = hashlib.sha256(app.config["DATABASE_URL"].encode()).hexdigest()[:16]
    if sys.platform.startswith("linux"):
        # Linux's abstract namespace: no file to clean up after a crash, no path length limit.
        return f"\0onewindow-{name}-{key}"
    os.makedirs(app.instance_path, exist_ok=True)
    return os.path.join(app.instance_path, f"{name}-{key}.sock")


def bind(address: str) -> socket.socket:
    """A datagram socket bound to ``address``; OSError when another process holds it."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if not address.startswith("\0"):
        try:
            # A socket file left by a process that died; a live owner is detected below.
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            probe.connect(address)
            probe.close()
            sock.close()
            raise OSError(f"in use: {address}")
        except (ConnectionRefusedError, FileNotFoundError):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(address)
    sock.bind(address)
    return sock


_outbox: tuple[int, socket.socket] | None = None


def _outgoing() -> socket.socket:
    """This process's one unbound, non-blocking datagram socket for sending (made on use)."""
    global _outbox
    # One per process, kept for its life: a socket per app or per request would cost a
    # system call each and leave sockets for the garbage collector to close.
    if _outbox is None or _outbox[0] != os.getpid():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setblocking(False)
        atexit.register(sock.close)
        _outbox = (os.getpid(), sock)
    return _outbox[1]


class Sender:
    """Sends datagrams to one address, fire-and-forget."""

    def __init__(self, address: str) -> None:
        self.address = address

    def send(self, data: bytes) -> bool:
        """Send one datagram; False when nobody listens or the receiver is full."""
        try:
            _outgoing().sendto(data, self.address)
        except OSError:  # no worker bound (refused, no file), or its queue is full: it is awake
            return False
        return True


class Waker:
    """Wakes the print worker: a local datagram, and with Redis a pub/sub message."""

    def __init__(self, address: str, redis_url: str | None = None) -> None:
        self.local = Sender(address)
        self.redis_url = redis_url
        self._due = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def wake(self) -> None:
        """Costs the caller a few microseconds: one sendto, and a flag for the Redis thread."""
        self.local.send(b"w")
        if self.redis_url:
            if self._pid != os.getpid():
                self._start_publisher()
            self._due.set()

    def _start_publisher(self) -> None:
        # A Redis round trip per request would cost more than the wake-up is worth: one
        # thread (a greenlet under gevent) publishes, and a burst of tickets is one message.
        self._pid = os.getpid()
        self._due = threading.Event()
        self._thread = threading.Thread(target=self._publish, name="hall-print-wake", daemon=True)
        self._thread.start()

    def _publish(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_timeout=5)
        channel = queue_channel(self.redis_url, WAKE_CHANNEL)
        while True:
            self._due.wait()
            self._due.clear()
            try:
                client.publish(channel, b"w")
            except redis.RedisError:
                log.warning("could not publish a print wake-up; the worker polls", exc_info=True)
                time.sleep(1)


def listen_for_wakeups(app: Flask, wake: Callable[[], None], stop: threading.Event) -> None:
    """Call ``wake`` on every wake-up (local datagram, and Redis when configured); threads."""
    try:
        sock = bind(local_address(app, "wake"))
    except OSError as err:
        log.warning("print wake-ups: %s; another worker listens here, this one polls", err)
    else:
        threading.Thread(
            target=_drain, args=(sock, wake, stop), name="hall-wake-local", daemon=True
        ).start()
    queue = app.config.get("MESSAGE_QUEUE") or ""
    if queue.startswith("redis"):
        threading.Thread(
            target=_subscribe, args=(queue, wake, stop), name="hall-wake-redis", daemon=True
        ).start()


def _drain(sock: socket.socket, wake: Callable[[], None], stop: threading.Event) -> None:
    sock.settimeout(1.0)
    while not stop.is_set():
        try:
            sock.recv(MAX_DATAGRAM)
        except TimeoutError:
            continue
        except OSError:
            return
        wake()


def _subscribe(url: str, wake: Callable[[], None], stop: threading.Event) -> None:
    import redis

    while not stop.is_set():
        try:
            pubsub = redis.Redis.from_url(url, socket_timeout=None).pubsub(
                ignore_subscribe_messages=True
            )
            pubsub.subscribe(queue_channel(url, WAKE_CHANNEL))
            wake()  # anything queued while unsubscribed
            for message in pubsub.listen():
                if message and message.get("type") == "message":
                    wake()
        except redis.RedisError:
            log.warning("print wake-ups from Redis lost; retrying in 2 s", exc_info=True)
            time.sleep(2)


# Events the worker caused: from the worker process to the clients.


def _sign(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def _secret(app: Flask) -> bytes:
    # The events socket is reachable by any local process: only datagrams signed with the
    # hub's secret key are published to the screens.
    return hashlib.sha256(b"print-events:" + app.config["SECRET_KEY"].encode()).digest()


def relay_publisher(app: Flask) -> Publish:
    """Send the worker's events to the hub on this machine, which publishes them."""
    sender = Sender(local_address(app, "events"))
    key = _secret(app)

    def publish(events: Iterable[Event]) -> None:
        for ev in events:
            body = json.dumps(
                {
                    "name": ev.name,
                    "hall_id": ev.hall_id,
                    "payload": ev.payload,
                    "device_id": ev.device_id,
                }
            ).encode()
            if not sender.send(_sign(key, body) + body):
                log.info("hub not listening: %s #%s left to the snapshot", ev.name, ev.seq)

    return publish


def queue_publisher(url: str) -> Publish:
    """Publish the worker's events through the message queue (Flask-SocketIO write-only)."""
    from flask_socketio import SocketIO

    emitter = SocketIO(message_queue=url, channel=queue_channel(url, "flask-socketio"))

    def publish(events: Iterable[Event]) -> None:
        route_and_publish(events, emit=emitter.emit)

    return publish


def worker_publisher(app: Flask) -> Publish:
    """How the worker process publishes: the message queue if there is one, else the hub."""
    queue = app.config.get("MESSAGE_QUEUE")
    return queue_publisher(queue) if queue else relay_publisher(app)


def relay_events(app: Flask, publish: Publish) -> bool:
    """In the serving process: publish the events the worker sends; False if not listening.

    Runs as a Socket.IO background task (a thread, or a greenlet under gevent).
    """
    from hall.extensions import socketio

    try:
        sock = bind(local_address(app, "events"))
    except OSError as err:
        log.warning("print events: %s; a printer fault reaches screens by snapshot only", err)
        return False
    key = _secret(app)

    def loop() -> None:
        while True:
            data = sock.recv(MAX_DATAGRAM)
            signature, body = data[:32], data[32:]
            if not hmac.compare_digest(signature, _sign(key, body)):
                log.warning("dropped an unsigned print event datagram")
                continue
            try:
                message = json.loads(body)
                event = Event(message["name"], message["hall_id"], message["payload"])
                event.device_id = message.get("device_id")
                if event.name == "config.changed":
                    # `hall config import` changed reference data in another process and no
                    # message queue told this one: forget it before the screens reload.
                    app.extensions["hall.cache"].clear()
                publish([event])
            except Exception:  # one bad datagram must not end the relay
                log.exception("could not relay a print event")

    socketio.start_background_task(loop)
    return True
