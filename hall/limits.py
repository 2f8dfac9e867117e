"""Rate limits per client address on the two paths that need them: phone tickets taken
without a token, and password guessing at login.

Built on ``limits``, the library Flask-Limiter is made of, and called only on those paths.
Flask-Limiter's hooks run on every request, the kiosks' and counters' included: measured
in-process, an issue took 1.52 ms with them and 1.31 ms without. Limits are shared between
hub processes through Redis when the hub runs several.
"""

from flask import Flask, current_app, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from hall.errors import HallError


class TooManyRequests(HallError):
    """A client address went past a rate limit."""

    status = 429
    code = "too_many_requests"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__("请求过于频繁,请稍后再试 / too many requests; try again later")
        self.headers = {"Retry-After": str(max(1, retry_after_s))}


def check(name: str, setting: str) -> None:
    """Count one request of this address against the limits named by a setting; 429 past them."""
    limiter: FixedWindowRateLimiter = current_app.extensions["hall.limits"]
    key = request.remote_addr or "unknown"
    for item in parse_many(current_app.config[setting]):
        if not limiter.hit(item, name, key):
            reset_at, _ = limiter.get_window_stats(item, name, key)
            raise TooManyRequests(round(reset_at - _now()))


def _now() -> float:
    import time

    return time.time()


def init_app(app: Flask) -> None:
    """Attach the limiter: in memory for one process, in Redis for several."""
    queue = app.config.get("MESSAGE_QUEUE") or ""
    uri = app.config.get("RATELIMIT_STORAGE_URI") or (
        queue if queue.startswith("redis") else "memory://"
    )
    app.extensions["hall.limits"] = FixedWindowRateLimiter(storage_from_string(uri))
