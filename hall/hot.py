"""The hot routes: taking a ticket and a window's call-next, start and finish, answered
without Flask's request machinery.

These four carry a hall's load. Through Flask each paid ~0.3 ms on top of its own work for
the request context, URL matching, the body's schema, the response object and the hooks:
about a third of an issue (docs/performance.md). Here the same work runs as plain WSGI:
the path is matched with one regular expression, the body is checked by hand against the
route's schema, and the route's own function (`hall.queue.api.issue_ticket`, `act`) runs in
an application context.

Nothing about the contract changes, because anything out of the ordinary is handed to
Flask untouched, before any work is done:
- a query string, a body over 4 KiB or not plain JSON, or one the payload check must read;
- no bearer token (a phone's ticket goes by its rate limit, which reads the request);
- a token the cache does not know (Flask answers 401);
- a body the schema would refuse, or any key it does not know (Flask answers 400).

A domain error (404, 403, 409 …) raised by the route's own function is answered here with
Flask's body, status and headers. It is raised before the commit, so nothing was changed.
`tests/hall/test_hot.py` holds both ways to the same answers.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from flask import g

from hall import security
from hall.admin.api import bearer_of
from hall.admin.services import token_hash
from hall.errors import HallError
from hall.ids import as_id

if TYPE_CHECKING:
    from flask import Flask

MAX_BODY = 4096  # bytes; larger bodies (all refused anyway) go through Flask's limits
_TICKETS = re.compile(r"/api/v1/halls/([A-Za-z0-9_-]{1,60})/tickets")
_WINDOW = re.compile(r"/api/v1/windows/([1-9][0-9]{0,9})/(call-next|start|finish)")
_STATUS = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}
_JSON_HEADERS = [("Content-Type", "application/json")]
_SECURITY_HEADERS = list(security.HEADERS.items())


class HotRoutes:
    """WSGI middleware in front of the Flask app (see the module's docstring)."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        from hall.queue import api

        self.app = app
        self.next = wsgi_app
        self.cache = app.extensions["hall.cache"]
        self.issue_ticket = api.issue_ticket
        self.act = api.act
        self.served = 0  # requests answered here (tests read it)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] != "POST" or environ.get("QUERY_STRING"):
            return self.next(environ, start_response)
        path = environ.get("PATH_INFO", "")
        tickets = _TICKETS.fullmatch(path)
        window = None if tickets else _WINDOW.fullmatch(path)
        if tickets is None and window is None:
            return self.next(environ, start_response)
        token = bearer_of(environ.get("HTTP_AUTHORIZATION", ""))
        if (
            token is None
            or "HTTP_TRANSFER_ENCODING" in environ
            or security.headers_too_large(environ)
            or self.cache.who(token_hash(token)) is None
        ):
            return self.next(environ, start_response)
        raw = _read_body(environ)
        if raw is None:
            return self.next(environ, start_response)
        if tickets:
            body = _ticket_body(environ, raw)
            if body is None:
                return self.next(environ, start_response)

            def work() -> tuple[dict, int]:
                return self.issue_ticket(tickets.group(1), body, token), 201

        else:
            window_id = int(window.group(1))
            if window_id > security.MAX_ID:
                return self.next(environ, start_response)

            def work() -> tuple[dict, int]:
                return self.act(window_id, window.group(2), {}, token), 200

        return self._answer(environ, start_response, work)

    def _answer(self, environ: dict, start_response: Callable, work) -> Iterable[bytes]:
        headers: dict[str, str] = {}
        with self.app.app_context():
            g.hall_base_url = f"{environ['wsgi.url_scheme']}://{_host(environ)}"
            try:
                payload, status = work()
            except HallError as err:
                payload, status = err.to_dict(), err.status
                headers = getattr(err, "headers", None) or {}
            except Exception as err:  # what Flask's last-resort handler answers
                payload, status, headers = security.api_failure(
                    err, environ["REQUEST_METHOD"], environ["PATH_INFO"]
                )
            text = self.app.json.dumps(payload, separators=(",", ":"))
        self.served += 1
        data = f"{text}\n".encode()
        start_response(
            _STATUS[status],
            [
                *_JSON_HEADERS,
                ("Content-Length", str(len(data))),
                *headers.items(),
                *_SECURITY_HEADERS,
            ],
        )
        return [data]


def install(app: Flask) -> None:
    """Put the hot routes in front of the app's WSGI stack (the Socket.IO middleware too)."""
    app.wsgi_app = HotRoutes(app, app.wsgi_app)


def _read_body(environ: dict) -> bytes | None:
    """The request's body, left readable again for Flask; None when it is not a small one."""
    length = environ.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY:
        return None
    raw = environ["wsgi.input"].read(int(length)) if int(length) else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    if raw and security.suspect_body(raw):
        return None
    return raw


def _ticket_body(environ: dict, raw: bytes) -> dict[str, Any] | None:
    """The body as `TicketIn` loads it, or None for anything it might not accept as is."""
    mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
    if mimetype != "application/json":
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or not data.keys() <= {"matter", "priority"}:
        return None
    matter, priority = data.get("matter"), data.get("priority")
    if type(matter) is int:
        if not 1 <= matter <= security.MAX_ID:
            return None
    elif type(matter) is not str or not 1 <= len(matter) <= 40 or as_id(matter) == 0:
        return None
    if priority is not None and (type(priority) is not str or not 1 <= len(priority) <= 20):
        return None
    return {"matter": matter, "priority": priority}


def _host(environ: dict) -> str:
    """The host as werkzeug's ``request.host`` gives it (no trusted-hosts list is set)."""
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    scheme = environ["wsgi.url_scheme"]
    if scheme == "http" and host.endswith(":80"):
        return host[:-3]
    if scheme == "https" and host.endswith(":443"):
        return host[:-4]
    return host
