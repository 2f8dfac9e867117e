"""WSGI entry point for `hall serve` (gunicorn imports it in its worker).

The one module that builds the app at import: that is what a WSGI entry point is for.
Under the gevent worker, gunicorn has patched the process before this import, so the app
(and psycopg, which picks its wait method at import) comes up patched.
"""

import gc
import os
import sys

# python-socketio imports its clients at import, with what they run on (aiohttp, requests,
# websocket-client) and redis for its Redis manager, each guarded by ``try: import …
# except ImportError``. A serving worker runs no client, and needs redis only when it is
# configured: a None in sys.modules makes their import fail at once, and the worker keeps the
# 20 MiB they would take (docs/performance.md).
# Python's defaults are (700, 10, 10).
GC_THRESHOLDS = (10_000, 10, 100)
_REDIS_SETTINGS = ("HALL_MESSAGE_QUEUE", "HALL_RATELIMIT_STORAGE_URI")
_UNUSED = ["aiohttp", "requests", "websocket"]
if not any(
    _name in os.environ.get(key, "") for key in _REDIS_SETTINGS for _name in ("redis", "unix")
):
    _UNUSED.append("redis")
for _module in _UNUSED:
    sys.modules.setdefault(_module, None)

from hall import create_app, printing  # noqa: E402 - after the modules kept out above
from hall.cases import sweeper  # noqa: E402
from hall.stats import alerts  # noqa: E402

application = create_app()
# Printing runs in its own process; without a message queue its events reach the screens
# through this serving process.
printing.relay_worker_events(application)
# The cases' deadline warnings, swept on a timer (one process of the group per round).
sweeper.start(application)
# Board alerts the clock raises (overdue follow-ups, case deadlines, stranded transfers).
alerts.start(application)
# A serving worker holds up to thousands of sockets, each a few hundred objects the garbage
# collector walks in every full collection: with 1,000 displays a full collection took
# 150-270 ms, and a call's fan-out waited behind it (docs/performance.md). So the app's own
# objects (modules, classes, schemas, the routes), built once, move out of the collector's
# reach, and young objects are collected less often: fewer of a fan-out's objects in flight
# are promoted to the old generation, whose growth is what triggers a full collection.
gc.collect()
gc.freeze()
gc.set_threshold(*GC_THRESHOLDS)
