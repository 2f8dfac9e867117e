"""`hall serve`: gunicorn with one threaded worker (Flask-SocketIO's threading mode).

Each websocket holds a worker thread, so --threads bounds the open connections; scale out
with more processes behind a sticky load balancer and HALL_MESSAGE_QUEUE set to Redis.
"""

import os
import sys


def command(*, host: str, port: int, threads: int) -> list[str]:
    """The gunicorn command line that serves the hub."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        # Flask-SocketIO keeps socket state in the process: one worker per process.
        "--workers",
        "1",
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--worker-connections",
        str(max(1000, threads * 2)),
        "--timeout",
        "120",
        "--graceful-timeout",
        "5",
        "--keep-alive",
        "30",
        "--no-control-socket",
        "hall.wsgi:application",
    ]


def run(*, host: str, port: int, threads: int) -> None:
    """Replace this process with gunicorn; the app is built in the worker, the master stays small."""
    print(f"OneWindow hub on http://{host}:{port}/", flush=True)
    argv = command(host=host, port=port, threads=threads)
    os.execv(argv[0], argv)
