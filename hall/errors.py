"""Domain errors: each carries an HTTP status, a stable code and a bilingual message."""


class HallError(Exception):
    """Base of every error a client may see; nothing was changed when one is raised."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def to_dict(self) -> dict[str, dict[str, str]]:
        """The JSON error body shared by REST answers and socket acks."""
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(HallError):
    """The input is malformed or out of range."""

    status = 400
    code = "bad_request"


class Unauthorized(HallError):
    """No valid credentials were given."""

    status = 401
    code = "unauthorized"


class Forbidden(HallError):
    """The caller may not do this."""

    status = 403
    code = "forbidden"


class NotFound(HallError):
    """The named thing does not exist."""

    status = 404
    code = "not_found"


class Conflict(HallError):
    """The action is not valid in the current state."""

    status = 409
    code = "invalid_state"


class ServiceUnavailable(HallError):
    """The database (or another part the hub needs) is away; try again shortly."""

    status = 503
    code = "service_unavailable"


class UriTooLong(HallError):
    """The request line is longer than the hub reads."""

    status = 414
    code = "uri_too_long"


class HeadersTooLarge(HallError):
    """A request header is larger than the hub reads."""

    status = 431
    code = "headers_too_large"
