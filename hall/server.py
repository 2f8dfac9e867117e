"""`hall serve`: gunicorn with one worker, and the print worker beside it.

The serving model is gunicorn's **gevent** worker by default: one greenlet per connection,
so one process holds a thousand websockets (the threaded worker holds one thread per
websocket; see docs/performance.md, "Serving model", for the measurements). Flask-SocketIO
follows: gunicorn patches the worker with gevent before it imports the app, and
``hall.config.async_mode()`` then picks "gevent". ``--worker threads`` keeps the gthread
worker. Either way: one worker per process (Flask-SocketIO keeps socket state in it); scale
out with more processes behind a sticky load balancer and HALL_MESSAGE_QUEUE set to Redis.

Printing runs in a child process (`hall print-worker`), which this module supervises: it is
restarted when it dies and stopped when the hub stops. This file runs as a script
(``python hall/server.py``) and imports only the standard library, so the supervising
process stays a small one (~10 MB) instead of carrying the app's imports.
"""

import ctypes
import json
import os
import signal
import subprocess
import sys
import time

WORKERS = ("gevent", "threads")
RESTART_MIN_S = 1.0  # a print worker that died is started again after this …
RESTART_MAX_S = 30.0  # … doubling while it keeps dying young, up to this
HEALTHY_S = 30.0  # a worker that lived this long starts the doubling afresh


def gunicorn_command(
    *, host: str, port: int, worker: str, threads: int, connections: int
) -> list[str]:
    """The gunicorn command line that serves the hub."""
    if worker not in WORKERS:
        raise ValueError(f"worker must be one of {WORKERS}: {worker}")
    model = (
        # gunicorn's gevent worker patches the process before it loads the app, so psycopg
        # and everything else are imported patched.
        ["--worker-class", "gevent"]
        if worker == "gevent"
        else ["--worker-class", "gthread", "--threads", str(threads)]
    )
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        # Flask-SocketIO keeps socket state in the process: one worker per process.
        "--workers",
        "1",
        *model,
        # Open connections per process: with the threaded worker, also bounded by --threads.
        "--worker-connections",
        str(connections),
        "--timeout",
        "120",
        "--graceful-timeout",
        "5",
        "--keep-alive",
        "30",
        "--no-control-socket",
        # Above the hub's own limits (hall/security.py: 2048-character URIs, 8000-character
        # headers), so over-long requests get the hub's JSON 414/431, not gunicorn's page.
        "--limit-request-line",
        "8190",
        "--limit-request-field_size",
        "16380",
        "hall.wsgi:application",
    ]


def print_worker_command() -> list[str]:
    """The command line of the print worker process."""
    # Not `hall print-worker` (hall.cli imports every command's modules): the same worker,
    # started without the command line tool (docs/performance.md, memory).
    return [sys.executable, "-m", "hall.printing", "print-worker"]


def run(
    *,
    host: str,
    port: int,
    worker: str = "gevent",
    threads: int = 200,
    connections: int = 2000,
    print_worker: bool = True,
) -> None:
    """Replace this process with the small supervisor of gunicorn and the print worker."""
    print(f"OneWindow hub on http://{host}:{port}/ ({worker})", flush=True)
    plan = {
        "gunicorn": gunicorn_command(
            host=host, port=port, worker=worker, threads=threads, connections=connections
        ),
        "print_worker": print_worker_command() if print_worker else None,
    }
    argv = [sys.executable, os.path.abspath(__file__), json.dumps(plan)]
    os.execv(argv[0], argv)


def _die_with_parent() -> None:
    # Children end when the supervisor ends, even when it is killed outright (SIGKILL).
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _log(message: str) -> None:
    print(f"[hall serve {os.getpid()}] {message}", file=sys.stderr, flush=True)


class Supervisor:
    """Runs gunicorn and the print worker; restarts the worker, stops both on exit."""

    def __init__(self, gunicorn: list[str], print_worker: list[str] | None) -> None:
        self.gunicorn_argv = gunicorn
        self.worker_argv = print_worker
        self.stopping = False
        self.hub: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.worker_started = 0.0
        self.restart_delay = RESTART_MIN_S
        self.restart_at: float | None = None

    def _spawn(self, argv: list[str]) -> subprocess.Popen:
        parent = os.getpid()

        def prepare() -> None:
            _die_with_parent()
            if os.getppid() != parent:  # the supervisor died before prctl took effect
                os._exit(1)

        return subprocess.Popen(argv, preexec_fn=prepare)

    def _start_worker(self) -> None:
        self.worker = self._spawn(self.worker_argv)
        self.worker_started = time.monotonic()
        self.restart_at = None
        _log(f"print worker started (pid {self.worker.pid})")

    def _on_signal(self, signum: int, _frame) -> None:
        if signum == signal.SIGHUP:
            if self.hub and self.hub.poll() is None:
                self.hub.send_signal(signal.SIGHUP)  # gunicorn reloads its worker
            if self.worker and self.worker.poll() is None:
                self.worker.terminate()  # and the print worker is started afresh
            return
        self.stopping = True

    def _check_worker(self) -> None:
        now = time.monotonic()
        if self.worker is not None and self.worker.poll() is not None:
            lived = now - self.worker_started
            if lived >= HEALTHY_S:
                self.restart_delay = RESTART_MIN_S
            _log(
                f"print worker {self.worker.pid} exited ({self.worker.returncode}) after "
                f"{lived:.1f} s; restarting in {self.restart_delay:.0f} s"
            )
            self.worker = None
            self.restart_at = now + self.restart_delay
            self.restart_delay = min(RESTART_MAX_S, self.restart_delay * 2)
        if self.worker is None and self.restart_at is not None and now >= self.restart_at:
            self._start_worker()

    def _stop_all(self) -> None:
        """Ask both children to stop at once, then wait for each (killed past its time).

        Both at once: the hub stops taking connections as soon as ``hall serve`` is asked to
        stop, not only after the print worker has finished its pass (under load that wait
        alone could outlast whoever asked, who then killed the supervisor with the hub still
        answering)."""
        running = [
            (process, timeout)
            for process, timeout in ((self.worker, 10), (self.hub, 15))
            if process is not None and process.poll() is None
        ]
        for process, _ in running:
            process.terminate()
        for process, timeout in running:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def run(self) -> int:
        """Supervise until gunicorn exits or a signal asks to stop; gunicorn's exit status."""
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        self.hub = self._spawn(self.gunicorn_argv)
        if self.worker_argv:
            self._start_worker()
        status = 0
        while not self.stopping:
            if (code := self.hub.poll()) is not None:
                _log(f"gunicorn exited ({code})")
                status = code
                break
            if self.worker_argv:
                self._check_worker()
            time.sleep(0.2)
        self._stop_all()
        return status


if __name__ == "__main__":
    _plan = json.loads(sys.argv[1])
    sys.exit(Supervisor(_plan["gunicorn"], _plan["print_worker"]).run())
