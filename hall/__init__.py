"""OneWindow (一窗通): the hub of a unified service-hall queue and one-window intake system."""

from typing import TYPE_CHECKING, Any

from flask.sessions import SecureCookieSession, SessionInterface

from hall import config as settings

if TYPE_CHECKING:
    from apiflask import APIFlask

# The web framework is imported in create_app: the print worker imports `hall.*` modules
# without building the web app, and without paying for APIFlask and the schemas (~11 MiB).

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    429: "too_many_requests",
    431: "headers_too_large",
    503: "service_unavailable",
}


def create_app(config: dict[str, Any] | None = None) -> "APIFlask":
    """Build the hub: defaults, then HALL_* environment variables, then ``config``."""
    from apiflask import APIFlask

    app = APIFlask(
        __name__,
        title="OneWindow 一窗通 API",
        version="1",
        spec_path="/api/v1/openapi.json",
        docs_path=None,  # the interactive docs load scripts from a CDN; halls are offline
        instance_relative_config=True,
    )
    app.config.update(settings.load(config))
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = settings.instance_secret(app.instance_path)
    app.config["VALIDATION_ERROR_STATUS_CODE"] = 400
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.security_schemes = {"BearerAuth": {"type": "http", "scheme": "bearer"}}
    app.session_interface = _NoCookieSessions()

    from hall import api, db, hot, i18n, limits, pages, printing, security, sockets
    from hall.extensions import socketio

    # The extension outlives an app: forget a message queue a previous app configured.
    socketio.server_options.pop("client_manager", None)
    security.init_app(app)
    db.init_app(app)
    limits.init_app(app)
    i18n.init_app(app)
    queue = app.config["MESSAGE_QUEUE"]
    socketio.init_app(
        app,
        async_mode=settings.async_mode(),
        message_queue=queue,
        channel=settings.queue_channel(queue or "", "flask-socketio"),
        # Never [] (python-engineio reads it as "no origin check at all").
        cors_allowed_origins=security.origin_check(app.config["SOCKET_ORIGINS"]),
        max_http_buffer_size=64 * 1024,
    )
    api.init_app(app)
    sockets.init_app(app)
    pages.init_app(app)
    printing.init_app(app)
    _register_errors(app)
    hot.install(app)
    return app


class _NoCookieSessions(SessionInterface):
    """No session cookie: REST and pages authenticate with bearer tokens, and Flask-SocketIO
    keeps each socket's session on the server. Flask's cookie session would still build a
    signing serializer and read the cookie header on every request (~3% of a window action)."""

    def open_session(self, app, request) -> SecureCookieSession:
        return SecureCookieSession()

    def save_session(self, app, session, response) -> None:
        return None


def _register_errors(app: "APIFlask") -> None:
    from apiflask.exceptions import HTTPError

    from hall.errors import HallError
    from hall.schemas import describe, field_messages

    @app.errorhandler(HallError)
    def domain_error(err: HallError):
        return err.to_dict(), err.status, getattr(err, "headers", None) or {}

    @app.error_processor
    def http_error(err: HTTPError):
        code = HTTP_CODES.get(err.status_code, "error")
        message = err.message or code
        if err.status_code == 400 and err.detail:
            code = "validation_error"
            message = describe(err.detail)
        elif err.status_code == 400 and message in ("Bad Request", code):
            # No field to name, no message of its own: the body as a whole (malformed JSON).
            message = "请求无效,请检查 JSON 格式 / bad request: check the JSON body"
        elif err.status_code == 404:
            message = "未找到 / not found"
        elif err.status_code == 413:
            message = "请求过大 / request too large"
        elif err.status_code == 429:
            message = "请求过于频繁,请稍后再试 / too many requests; try again later"
        body = {"error": {"code": code, "message": message}}
        # One rule on every route: a validation error names each field's message, {field:
        # text} ({} when the body as a whole is wrong), for forms to show beside the field.
        if code == "validation_error":
            body["error"]["fields"] = field_messages(err.detail)
        return body, err.status_code, err.headers
