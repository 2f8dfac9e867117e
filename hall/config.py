"""Settings: defaults, then HALL_* environment variables, then the factory's argument."""

import os
import secrets
from typing import Any

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # None: a SQLite file in the instance folder
    "MESSAGE_QUEUE": None,  # e.g. redis://127.0.0.1:6379/0 for several processes
    "SECRET_KEY": None,  # None: a random key kept in the instance folder
    "PUBLIC_URL": None,  # base of status_url; None: the request's own host
    "TOKEN_TTL_HOURS": 12,  # a staff token's maximum age
    "TOKEN_IDLE_MINUTES": 30,  # a staff token unused this long ends (the counter re-asks)
    # Origins besides the page's own that may open Socket.IO connections (comma-separated).
    "SOCKET_ORIGINS": "",
    # Seconds between sweeps that cut sockets whose staff token expired or went idle
    # (None: 30, and no sweep in tests unless they set it).
    "SOCKET_SWEEP_S": None,
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "BABEL_DEFAULT_LOCALE": "zh",
    "PRINT_WORKER": True,  # `hall serve` starts `hall print-worker` as a child process
    # The print worker's CPU priority below the hub's (nice increment, 0-19): when both want
    # the CPU at once, answers and calls go first and paper a few milliseconds later.
    "PRINT_WORKER_NICE": 5,
    # Per client address: phones taking tickets without a token, and password guessing.
    "PHONE_TICKET_LIMIT": "20 per minute;200 per hour",
    "LOGIN_LIMIT": "30 per minute",
    # The public voice endpoint: new announcements made per address, and the bytes of
    # announcements kept in memory (each ~150 KiB).
    "VOICE_LIMIT": "30 per minute;300 per hour",
    "VOICE_CACHE_BYTES": 16 * 1024 * 1024,
    # Device pairing without a token: codes asked for, and polls of a waiting device.
    "PAIRING_LIMIT": "10 per minute;60 per hour",
    "PAIRING_POLL_LIMIT": "120 per minute",
    # How long this process may keep reference data and tokens it has not been told changed
    # (changes made through a hub process reach every process at once).
    "REFERENCE_TTL_S": 30.0,
    "TOKEN_CACHE_TTL_S": 10.0,
    # With several hub processes, how often each reads the queue figures again.
    "FIGURES_TTL_S": 2.0,
    # Key of the applicants' personal data at rest (Fernet, urlsafe base64 of 32 bytes);
    # None: derived from SECRET_KEY. Losing it makes stored names, IDs and phones unreadable.
    "PERSONAL_DATA_KEY": None,
    # Who tells residents that a case is decided: "log" (now); an SMS gateway plugs in later.
    "CASE_NOTIFIER": "log",
    # 好差评: days after service a resident may still rate on the status page (补充评价), and
    # working days to settle a 差评 (5 or 15 by province).
    "RATING_LATE_DAYS": 7,
    "BAD_RATING_FIX_DAYS": 5,
    # Retention (`hall retention run`): days after a case ended (handed over or refused) and
    # after a rating was given before the resident's personal data in them is anonymised.
    "RETENTION_CASE_DAYS": 1095,
    "RETENTION_RATING_DAYS": 365,
    # Seconds between rounds of the cases' deadline-warning sweep inside `hall serve` (one
    # process of the group runs each round); 0 turns it off (then `hall case sweep` from cron).
    "CASE_SWEEP_S": 60.0,
    # Seconds between the board's alert sweeps in `hall serve` (hall/stats/alerts.py).
    "BOARD_SWEEP_S": 60.0,
    # Seconds a hub process keeps today's counted stats (dropped sooner by the hall's events;
    # hall/stats/rollup.py: live_facts); 0: counted on every report.
    "STATS_LIVE_TTL_S": 5.0,
    # A resident on the status page may let this many people go first (让后), this many times
    # a ticket ("I'll be late" is one of them).
    "DEFER_PLACES": 3,
    "DEFER_MAX": 2,
    # Booking from the phone: bookings made per client address (the number of open bookings
    # per phone number, the slots and the window are the hall's, in its configuration), and
    # whether a phone number must be given (it is what that per-number limit counts). Off by
    # default: a resident books without giving any personal data; a number, if given, is
    # validated, kept sealed and masked, and counted against the hall's per-number limit.
    "BOOKING_LIMIT": "10 per minute;30 per hour",
    "BOOKING_PHONE_REQUIRED": False,
    # Days after a booking's slot before `hall retention run` empties its phone number.
    "BOOKING_RETENTION_DAYS": 7,
}

ENV_KEYS = (
    "DATABASE_URL",
    "MESSAGE_QUEUE",
    "SECRET_KEY",
    "PUBLIC_URL",
    "TOKEN_TTL_HOURS",
    "TOKEN_IDLE_MINUTES",
    "SOCKET_ORIGINS",
    "SOCKET_SWEEP_S",
    "PHONE_TICKET_LIMIT",
    "LOGIN_LIMIT",
    "VOICE_LIMIT",
    "PAIRING_LIMIT",
    "PRINT_WORKER",
    "PRINT_POLL_S",
    "PRINT_WORKER_NICE",
    "PERSONAL_DATA_KEY",
    "CASE_NOTIFIER",
    "RATING_LATE_DAYS",
    "BAD_RATING_FIX_DAYS",
    "RETENTION_CASE_DAYS",
    "RETENTION_RATING_DAYS",
    "CASE_SWEEP_S",
    "BOARD_SWEEP_S",
    "STATS_LIVE_TTL_S",
    "DEFER_PLACES",
    "DEFER_MAX",
    "BOOKING_LIMIT",
    "BOOKING_PHONE_REQUIRED",
    "BOOKING_RETENTION_DAYS",
)
FALSE = ("0", "false", "no", "off")


def load(config: dict[str, Any] | None) -> dict[str, Any]:
    """Merge defaults, the HALL_* environment and the given mapping, in that order."""
    merged = dict(DEFAULTS)
    for key in ENV_KEYS:
        value = os.environ.get(f"HALL_{key}")
        if value:
            if key in (
                "TOKEN_TTL_HOURS",
                "RATING_LATE_DAYS",
                "BAD_RATING_FIX_DAYS",
                "PRINT_WORKER_NICE",
                "RETENTION_CASE_DAYS",
                "RETENTION_RATING_DAYS",
                "DEFER_PLACES",
                "DEFER_MAX",
                "BOOKING_RETENTION_DAYS",
            ):
                merged[key] = int(value)
            elif key == "TOKEN_IDLE_MINUTES":
                merged[key] = float(value)
            elif key in (
                "PRINT_POLL_S",
                "SOCKET_SWEEP_S",
                "CASE_SWEEP_S",
                "BOARD_SWEEP_S",
                "STATS_LIVE_TTL_S",
            ):
                merged[key] = float(value)
            elif key in ("PRINT_WORKER", "BOOKING_PHONE_REQUIRED"):
                merged[key] = value.strip().lower() not in FALSE
            else:
                merged[key] = value
    merged.update(config or {})
    return merged


def instance_secret(instance_path: str) -> str:
    """A random secret key made once and kept in the instance folder (mode 0600)."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    with open(path) as key:
        return key.read().strip()


def async_mode() -> str:
    """Flask-SocketIO's async mode for this process: gevent where gevent patched it."""
    import sys

    monkey = sys.modules.get("gevent.monkey")
    return "gevent" if monkey is not None and monkey.is_module_patched("socket") else "threading"


def queue_channel(url: str, name: str) -> str:
    """The Redis pub/sub channel ``name`` for the message queue at ``url``.

    Redis pub/sub ignores database numbers: hubs given different databases of one Redis
    (a training hall beside the real one, parallel test workers) would hear each other's
    events. Database 0 keeps the plain name; another database's channels carry its number.
    """
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return name  # another kind of queue (Flask-SocketIO's Kombu, Kafka): as configured
    from redis.connection import parse_url

    db = int(parse_url(url).get("db") or 0)
    return name if db == 0 else f"{name}:db{db}"
