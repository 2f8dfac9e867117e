"""`hall serve`: gunicorn with one threaded worker (Flask-SocketIO's threading mode).

Each websocket holds a worker thread, so --threads bounds the open connections; scale out
with more processes behind a sticky load balancer and HALL_MESSAGE_QUEUE set to Redis.
"""

from gunicorn.app.base import BaseApplication


class HubServer(BaseApplication):
    """A gunicorn application serving an already-built Flask app."""

    def __init__(self, app, options: dict) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply our options to gunicorn's config."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        """The WSGI app."""
        return self.application


def run(app, *, host: str, port: int, threads: int) -> None:
    """Serve until interrupted."""
    print(f"OneWindow hub on http://{host}:{port}/", flush=True)
    HubServer(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": 1,  # Flask-SocketIO keeps socket state in the process: one worker each
            "worker_class": "gthread",
            "threads": threads,
            "worker_connections": max(1000, threads * 2),
            "timeout": 120,
            "graceful_timeout": 5,
            "keepalive": 30,
            "control_socket_disable": True,
            "accesslog": None,
        },
    ).run()
