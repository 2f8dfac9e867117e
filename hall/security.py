"""Request hardening: security headers, input that never reaches a 500, the database away (503).

- Every answer carries a Content-Security-Policy with no inline script, ``X-Content-Type-Options``,
  ``frame-ancestors 'none'`` (and ``X-Frame-Options``) and a ``Referrer-Policy``.
- Ids in paths are 1 … 2³¹ (the ``int`` converter); ASCII digits only.
- Over-long URIs and headers, deeply nested JSON and invalid Unicode (lone surrogates) answer
  a 4xx JSON error before any view runs.
- A database that refuses, times out or hangs answers 503 ``service_unavailable`` with a calm
  message; any other unexpected error answers a JSON 500 and is logged (never an HTML page).
- Socket.IO accepts the page's own origin and the origins of ``SOCKET_ORIGINS``.
"""

import base64
import hashlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from flask import Flask, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from hall.errors import HallError, HeadersTooLarge, ServiceUnavailable, UriTooLong

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_HEADERS_LOWERED = [(name.lower(), name, value) for name, value in HEADERS.items()]
MAX_URI = 2048  # characters of path and query
MAX_HEADER = 8000  # characters of any one header
MAX_HEADERS = 16000  # characters of all headers together
MAX_DEPTH = 20  # nesting of JSON bodies
# Endpoints that take a larger body than MAX_CONTENT_LENGTH (e.g. a configuration file).
BODY_LIMITS: dict[str, int] = {}
MAX_ID = 2**31 - 1

MAINTENANCE = "系统维护中,请稍候 / the service is under maintenance; please wait a moment"
PAGE_TYPE = "text/html; charset=utf-8"
MAINTENANCE_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>系统维护中 / Under maintenance</title></head>
<body><main><h1>系统维护中,请稍候</h1><p lang="en">Under maintenance; please wait a moment.
This page tries again by itself.</p></main></body></html>
"""


class IdConverter(BaseConverter):
    """``<int:…>`` in paths: ASCII digits, 1 … 2³¹−1 (anything else is 404, never a 500)."""

    regex = r"[0-9]{1,10}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            from werkzeug.routing import ValidationError

            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


_IMPORTMAP = re.compile(r'<script type="importmap">(.*?)</script>', re.S)


def page_csp(html: str) -> str:
    """A page's CSP: the base policy, plus the hash of its import map (data, not code: the
    one inline ``<script>`` a module page needs; nothing else inline ever runs)."""
    found = _IMPORTMAP.search(html)
    if not found:
        return CSP
    digest = base64.b64encode(hashlib.sha256(found.group(1).encode()).digest()).decode()
    return CSP.replace("script-src 'self'", f"script-src 'self' 'sha256-{digest}'")


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply a decoded JSON value nests (stops counting past ``limit``)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return level
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def has_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds a lone surrogate (invalid Unicode) anywhere."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def check_payload(value: Any) -> None:
    """Refuse nested or invalid-Unicode payloads (REST bodies and socket messages alike)."""
    from hall.errors import BadRequest

    if depth(value) > MAX_DEPTH:
        raise BadRequest(
            f"JSON 嵌套过深 / JSON nested deeper than {MAX_DEPTH} levels", code="too_deep"
        )
    if has_surrogate(value):
        raise BadRequest("文字编码无效 / invalid Unicode (lone surrogate)", code="bad_unicode")


def origin_check(setting: str) -> Callable[[str | None, dict], bool]:
    """Socket.IO's origin test: the page's own origin, and the origins of the setting."""
    extra = {o.strip().rstrip("/") for o in (setting or "").split(",") if o.strip()}

    def allowed(origin: str | None, environ: dict | None = None) -> bool:
        if not origin:
            return True  # not a browser: nothing to forge across sites
        if origin in extra:
            return True
        environ = environ or {}
        host = environ.get("HTTP_HOST", "")
        own = {f"{environ.get('wsgi.url_scheme', 'http')}://{host}"}
        forwarded = environ.get("HTTP_X_FORWARDED_PROTO")
        if forwarded:
            own.add(f"{forwarded.split(',')[0].strip()}://{host}")
        return origin in own

    return allowed


def _is_db_failure(err: BaseException) -> bool:
    if isinstance(err, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if isinstance(err, sa_exc.OperationalError | sa_exc.InterfaceError):
        return True
    if isinstance(err, sa_exc.DBAPIError) and err.connection_invalidated:
        return True
    return False


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                # Every validation_error (any route, any socket ack): {field: message}.
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}
ERROR_STATUSES = {
    "400": "参数无效 / invalid input",
    "401": "需要登录或令牌无效 / no or dead credentials",
    "403": "无权 / not allowed",
    "404": "不存在 / not found",
    "409": "状态不允许 / not allowed in the current state",
    "413": "请求过大 / request too large",
    "414": "地址过长 / URI too long",
    "429": "请求过于频繁 / too many requests",
    "431": "请求头过大 / headers too large",
    "503": MAINTENANCE,
}


def document_errors(spec: dict) -> dict:
    """Every operation of the OpenAPI document lists the error statuses and their body."""
    spec.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for item in spec.get("paths", {}).values():
        for op in item.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            for status, text in ERROR_STATUSES.items():
                # The hub's error body, also where APIFlask put its own HTTPError shape.
                responses[status] = {
                    "description": responses.get(status, {}).get("description") or text,
                    "content": {"application/json": {"schema": ref}},
                }
    return spec


def init_app(app: Flask) -> None:
    """Install the converter, the early checks, the headers and the last-resort handlers."""
    app.url_map.converters["int"] = IdConverter
    app.spec_processor(document_errors)

    @app.before_request
    def _early_checks() -> None:
        # Every request passes here: the request object once, and the headers' values read
        # off the WSGI environ (request.headers builds each name back from its HTTP_ key).
        req = request._get_current_object()
        uri = req.full_path if req.query_string else req.path
        if len(uri) > MAX_URI:
            raise UriTooLong(f"地址过长 / URI longer than {MAX_URI} characters")
        if headers_too_large(req.environ):
            raise HeadersTooLarge("请求头过大 / request headers too large")
        if BODY_LIMITS and req.endpoint in BODY_LIMITS:
            req.max_content_length = BODY_LIMITS[req.endpoint]
        if req.method in ("POST", "PUT", "PATCH") and req.content_length:
            body = req.get_data(cache=True)
            if suspect_body(body) and req.mimetype == "application/json":
                try:
                    data = json.loads(body or b"null")
                except RecursionError:
                    raise _deep() from None
                except ValueError:
                    return None  # the schema layer answers malformed JSON
                check_payload(data)
        return None

    @app.after_request
    def _headers(response):
        # Not Headers.setdefault: it raises and catches an HTTPException per missing name
        # (20 -> 10 us for these five on every answer, timeit).
        present = {name.lower() for name in response.headers.keys()}
        for lowered, name, value in _HEADERS_LOWERED:
            if lowered not in present:
                response.headers.add(name, value)
        if response.mimetype == "text/html" and not response.direct_passthrough:
            response.headers["Content-Security-Policy"] = page_csp(response.get_data(as_text=True))
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        if isinstance(err, HTTPException | HallError):
            raise err  # handled by their own handlers
        if _is_db_failure(err) and not request.path.startswith("/api/"):
            log.warning("database unavailable: %s", type(err).__name__)
            # A page: a calm one that retries.
            return MAINTENANCE_PAGE, 503, {"Retry-After": "5", "Content-Type": PAGE_TYPE}
        return api_failure(err, request.method, request.path)


def api_failure(err: Exception, method: str, path: str) -> tuple[dict, int, dict[str, str]]:
    """The JSON answer to an error no handler expected: 503 (retry shortly) when the database
    is unavailable, 400 for JSON nested too deep, else a logged 500."""
    if _is_db_failure(err):
        log.warning("database unavailable: %s", type(err).__name__)
        return ServiceUnavailable(MAINTENANCE).to_dict(), 503, {"Retry-After": "5"}
    if isinstance(err, RecursionError):
        return _deep().to_dict(), 400, {}
    log.exception("unexpected error in %s %s", method, path)
    body = {"error": {"code": "internal_error", "message": "服务器内部错误 / internal error"}}
    return body, 500, {}


def headers_too_large(environ: dict) -> bool:
    """Whether one header, or all of them together, is longer than the hub takes."""
    total = 0
    for key, value in environ.items():
        if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            total += len(value)
            if len(value) > MAX_HEADER or total > MAX_HEADERS:
                return True
    return False


def suspect_body(body: bytes) -> bool:
    """Whether a JSON body needs the full payload check: only one with more than MAX_DEPTH
    brackets can nest that deep, and only an escape can hold a lone surrogate (raw UTF-8
    cannot), so most bodies need no parse."""
    return body.count(b"[") + body.count(b"{") > MAX_DEPTH or b"\\u" in body


def _deep():
    from hall.errors import BadRequest

    return BadRequest(
        f"JSON 嵌套过深 / JSON nested deeper than {MAX_DEPTH} levels", code="too_deep"
    )
