"""Socket.IO: the base of every namespace (auth, snapshot first, acks); rooms are scopes."""

import functools
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, current_app, request, session
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room
from marshmallow import ValidationError

from hall import access, cache
from hall.access import Permission
from hall.admin import services as auth
from hall.admin.models import Hall
from hall.db import unit_of_work
from hall.errors import HallError, Unauthorized
from hall.extensions import socketio
from hall.queue import lookup, presenters
from hall.schemas import describe, field_messages
from hall.security import check_payload

log = logging.getLogger(__name__)


def acked(handler: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Turn a handler's result into an ack: {"ok": true, …} or {"error": {"code", "message"}}."""

    @functools.wraps(handler)
    def wrapper(self, data: Any = None, *extra: Any) -> dict[str, Any]:
        try:
            if data is not None and not isinstance(data, dict):
                raise ValidationError("需要 JSON 对象 / expected an object")
            check_payload(data)
            return {"ok": True, **handler(self, data or {})}
        except ValidationError as err:
            return {
                "error": {
                    "code": "validation_error",
                    "message": describe(err.messages),
                    "fields": field_messages(err.messages),
                }
            }
        except HallError as err:
            return err.to_dict()
        except Exception as err:  # still an answer: the client never waits forever
            return unexpected(err, handler.__name__)

    return wrapper


def unexpected(err: Exception, where: str) -> dict[str, Any]:
    """The ack of an unexpected failure: 503 body when the database is away, else logged."""
    from hall.security import MAINTENANCE, _is_db_failure

    if _is_db_failure(err):
        log.warning("database unavailable in %s: %s", where, type(err).__name__)
        return {"error": {"code": "service_unavailable", "message": MAINTENANCE}}
    if isinstance(err, RecursionError):
        return {"error": {"code": "too_deep", "message": "JSON 嵌套过深 / JSON nested too deeply"}}
    log.exception("unexpected error in socket handler %s", where)
    return {"error": {"code": "internal_error", "message": "服务器内部错误 / internal error"}}


def refuse(err: HallError) -> ConnectionRefusedError:
    """A connection refusal that carries the error body to the client.

    It must be python-socketio's ConnectionRefusedError: the builtin of the same name reaches
    the client only as "Connection refused by server". The client gets the message and, as
    its data, the error body {"code", "message"}.
    """
    return ConnectionRefusedError(err.message, err.to_dict()["error"])


def _unavailable(err: Exception) -> HallError:
    from hall.errors import ServiceUnavailable
    from hall.security import MAINTENANCE, _is_db_failure

    if _is_db_failure(err):
        return ServiceUnavailable(MAINTENANCE)
    log.exception("unexpected error on connect")
    error = HallError("服务器内部错误 / internal error")
    error.code = "internal_error"
    return error


def auth_value(auth_data: Any, key: str) -> str | None:
    value = auth_data.get(key) if isinstance(auth_data, dict) else None
    return value[:200] if isinstance(value, str) and value else None


class HallNamespace(Namespace):
    """Joins the hall's room on connect and sends a snapshot first."""

    staff_view = False

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Every message gets an answer: an unknown event is acked ``unknown_event``."""
        if event in ("connect", "disconnect") or hasattr(self, f"on_{event}"):
            try:
                return super().trigger_event(event, *args)
            except ConnectionRefusedError:
                raise
            except Exception as err:
                if event in ("connect", "disconnect"):
                    if event == "connect":
                        raise refuse(_unavailable(err)) from None
                    return None
                return unexpected(err, event)
        return {
            "error": {
                "code": "unknown_event",
                "message": f"未知消息 / unknown event: {str(event)[:40]}",
            }
        }

    def identify(self, db, auth_data: Any) -> Hall:
        """Check the credentials and return the hall this connection follows."""
        raise NotImplementedError

    def on_connect(self, auth_data: Any = None) -> None:
        """Authorise, join the hall room, then send the snapshot."""
        try:
            with unit_of_work(readonly=True) as db:
                hall = self.identify(db, auth_data)
                session["hall_id"] = hall.id
                # Join before reading the snapshot: an event racing the read arrives twice at
                # worst, and clients drop events whose seq the snapshot already covers.
                join_room(f"hall:{hall.id}")
                for room in self.rooms():
                    join_room(room)
            snap = self.shared_snapshot(session["hall_id"])
        except HallError as err:
            raise refuse(err) from None
        emit("snapshot", snap)

    def rooms(self) -> list[str]:
        """Rooms besides the hall's that this connection joins (e.g. its device's)."""
        return []

    @acked
    def on_snapshot(self, data: dict) -> dict[str, Any]:
        """A client that noticed a gap in seq asks for the state again."""
        return {"snapshot": self.shared_snapshot(session["hall_id"])}

    def snapshot(self, db, hall: Hall) -> dict[str, Any]:
        """What this kind of client gets first and after a gap."""
        return presenters.hall_snapshot(db, hall, staff_view=self.staff_view)

    def shared_snapshot(self, hall_id: int) -> dict[str, Any]:
        """This namespace's snapshot of the hall, read once for the sockets asking together
        (:class:`SharedReads`), in a unit of its own: no socket holds a pooled connection
        while it waits."""

        def read() -> dict[str, Any]:
            with unit_of_work(readonly=True) as db:
                return self.snapshot(db, db.get(Hall, hall_id))

        reads = current_app.extensions.setdefault("hall.shared_reads", SharedReads())
        return reads.read((self.namespace, hall_id), read)


class _Read:
    __slots__ = ("started", "done", "result", "error")

    def __init__(self, started: int) -> None:
        self.started = started
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class SharedReads:
    """Reads that the callers asking at the same time share: a hall's snapshot for a burst of
    sockets.

    A hub restart or a network blip reconnects every screen and phone of a hall at once. Each
    connection read the snapshot on its own (five queries), holding a pooled connection; on
    PostgreSQL a burst of 1,000 sockets queued for the pool's 30 connections until some gave
    up (503, ``bench/queue_bench.py``). Now a caller shares a read that *started after it
    asked*, so after it joined its rooms: every event it could miss is in that read. A read
    already under way when it asked may be older than its join, so it waits for that one to
    end, then starts or shares the next. A burst costs two reads, not a thousand. (gevent
    patches ``threading``: a waiting greenlet yields.)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ticks = itertools.count()
        self._reads: dict[Any, _Read] = {}

    def read(self, key: Any, build: Callable[[], Any]) -> Any:
        asked = next(self._ticks)
        while True:
            with self._lock:
                current = self._reads.get(key)
                leading = current is None or (current.done.is_set() and current.started < asked)
                if leading:
                    current = self._reads[key] = _Read(next(self._ticks))
            if leading:
                return self._lead(current, build)
            current.done.wait()
            if current.started > asked:
                if current.error is not None:
                    raise current.error
                return current.result
            # That read began before this caller asked: take the next one (the last read of
            # each key stays, so a caller that wakes late still finds the one after).

    @staticmethod
    def _lead(current: _Read, build: Callable[[], Any]) -> Any:
        try:
            current.result = build()
            return current.result
        except BaseException as err:
            current.error = err
            raise
        finally:
            current.done.set()


class StaffNamespace(HallNamespace):
    """Staff clients: a staff token, a permission of the access policy, the staff view."""

    staff_view = True
    permission: Permission

    def identify(self, db, auth_data: Any) -> Hall:
        token = auth_value(auth_data, "token")
        staff = cache.of(db).who(auth.token_hash(token)) if token else None
        if not access.is_staff(staff):
            raise Unauthorized("请先登录 / please log in", code="bad_token")
        access.require(staff, self.permission)
        session["staff_id"] = staff.id
        session["token_hash"] = auth.token_hash(token)
        code = auth_value(auth_data, "hall")
        if code is not None:
            hall = lookup.hall_by_code(db, code)
        elif staff.hall_id is None:
            raise Unauthorized("请指定大厅 / give auth={'hall': code}", code="hall_required")
        else:
            hall = db.get(Hall, staff.hall_id)
        access.require(staff, self.permission, hall=hall.id)
        return hall

    def rooms(self) -> list[str]:
        """A staff socket hears when its login ends (``session_ended``)."""
        return [f"staff:{session['staff_id']}"]

    def on_connect(self, auth_data: Any = None) -> None:
        super().on_connect(auth_data)
        track(self.namespace)

    def on_disconnect(self, *args: Any) -> None:
        forget(self.namespace)


def current_staff(db) -> Any:
    """The staff member of this connection, while their token is valid: checked on every
    message, so a logout, an expiry or a disabled account stops an open socket at once."""
    staff = cache.of(db).who(session.get("token_hash", ""))
    if not access.is_staff(staff):
        raise Unauthorized(
            "登录已失效,请重新登录 / your login has ended; log in again", code="bad_token"
        )
    return staff


ENDED = {
    "code": "bad_token",
    "message": "登录已失效,请重新登录 / your login has ended; log in again",
}


SWEEP_EVERY_S = 30.0  # expired and idle tokens: their sockets are cut within this long


def track(namespace: str) -> None:
    """Note this connection's token; start the app's sweeper once (expiry, idle)."""
    from flask import current_app

    app = current_app._get_current_object()
    live(app)[(namespace, request.sid)] = session["token_hash"]
    every = app.config.get("SOCKET_SWEEP_S")
    # Tests build many short-lived apps: their sockets are checked on every message instead,
    # unless the test sets SOCKET_SWEEP_S itself.
    if every is None and not app.config.get("TESTING"):
        every = SWEEP_EVERY_S
    if every and "hall.sweeper" not in app.extensions:
        app.extensions["hall.sweeper"] = threading.Event()
        socketio.start_background_task(_sweep_forever, app, float(every))


def stop_sweeper(app: Flask) -> None:
    """End the app's sweeper (at its next wake-up), e.g. before its engine is disposed."""
    stop = app.extensions.get("hall.sweeper")
    if stop is not None:
        stop.set()


def live(app: Flask) -> dict[tuple[str, str], str]:
    """The staff and kiosk sockets open in this process: (namespace, sid) -> token hash."""
    return app.extensions.setdefault("hall.live", {})


def forget(namespace: str) -> None:
    """A tracked socket closed."""
    from flask import current_app

    live(current_app).pop((namespace, request.sid), None)


def _sweep_forever(app: Flask, every: float) -> None:
    stop = app.extensions["hall.sweeper"]
    while not stop.is_set():
        socketio.sleep(every)
        if stop.is_set():
            return
        try:
            with app.app_context():
                cut_dead_sockets(app)
        except Exception:
            log.exception("socket sweep failed")


def cut_dead_sockets(app: Flask) -> int:
    """Disconnect this process's sockets whose token died (logout, disabled, revoked,
    expired, idle), telling each first with ``session_ended``; how many were cut.

    One pass over the cache's token entries (``ReferenceCache.dead``): no statement for the
    entries it holds fresh, one batch for the rest; judging a token is not a use of it.
    """
    refs = app.extensions["hall.cache"]
    tracked = live(app)
    sockets = list(tracked.items())
    try:
        dead = refs.dead(token_hash for _, token_hash in sockets)
    except Exception:  # the database is away: judge again at the next sweep
        log.warning("socket sweep: tokens not read", exc_info=True)
        return 0
    cut = 0
    for (namespace, sid), token_hash in sockets:
        if token_hash not in dead:
            continue
        tracked.pop((namespace, sid), None)
        socketio.emit("session_ended", ENDED, to=sid, namespace=namespace)
        socketio.server.disconnect(sid, namespace=namespace)
        cut += 1
    return cut


def _route_socket_events(app: Flask) -> None:
    """A route for the Socket.IO path, so each socket event's request context matches one.

    Flask-SocketIO runs every event (connect, a snapshot request, disconnect) in a request
    context built from the socket's handshake, ``/socket.io/``, and Flask matches that path
    against the app's routes. With none there, each event raised a ``NotFound`` and kept it on
    the request: its traceback refers to the frame that holds the request, a reference cycle
    (30 objects an event) that only the garbage collector frees, and the collections it
    brought held up the fan-out to 1,000 displays (docs/performance.md).
    The Socket.IO server answers the path before Flask does, so the view never runs; were it
    reached, it answers 404 like any unknown path.
    """
    from apiflask import APIFlask

    def socket_io_path():
        abort(404)

    view = app.doc(hide=True)(socket_io_path) if isinstance(app, APIFlask) else socket_io_path
    # Long-polling sockets (GET and POST), and websockets: werkzeug matches an upgrade request
    # only against a rule marked as a websocket one.
    app.add_url_rule("/socket.io/", "socket_io_path", view, methods=["GET", "POST"])
    app.add_url_rule("/socket.io/", "socket_io_path", view, methods=["GET"], websocket=True)


def init_app(app: Flask) -> None:
    """Register every domain's namespaces; cut sockets whose token dies."""
    from hall.cases.sockets import NAMESPACES as CASES
    from hall.queue.sockets import NAMESPACES

    for namespace in [*NAMESPACES, *CASES]:
        socketio.on_namespace(namespace)
    _route_socket_events(app)

    def sweep() -> None:
        socketio.start_background_task(cut_dead_sockets, app)

    app.extensions["hall.cache"].on_revoked.append(sweep)
