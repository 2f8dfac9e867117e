"""WSGI entry point for `hall serve` (gunicorn imports it in its worker).

The one module that builds the app at import: that is what a WSGI entry point is for.
Under the gevent worker, gunicorn has patched the process before this import, so the app
(and psycopg, which picks its wait method at import) comes up patched.
"""

from hall import create_app, printing
from hall.cases import sweeper
from hall.stats import alerts

application = create_app()
# Printing runs in its own process; without a message queue its events reach the screens
# through this serving process.
printing.relay_worker_events(application)
# The cases' deadline warnings, swept on a timer (one process of the group per round).
sweeper.start(application)
# Board alerts the clock raises (overdue follow-ups, case deadlines, stranded transfers).
alerts.start(application)
