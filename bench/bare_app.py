"""The baseline for the benchmark: a bare Flask JSON endpoint, no database, no Socket.IO.

Served by queue_bench.py under the same gunicorn command line as `hall serve` (the bench reads
the hub's own command line and swaps the app), so the ratios hub/bare show what the hub's own
work costs on top of the server and Flask.
"""

from flask import Flask, request


def create_app() -> Flask:
    """A Flask app answering the ticket and window-action URLs with small JSON bodies."""
    app = Flask(__name__)
    counter = {"n": 0}

    @app.post("/api/v1/halls/<code>/tickets")
    def take_ticket(code: str):
        body = request.get_json(silent=True) or {}
        counter["n"] += 1  # not atomic across threads; the baseline does not promise numbers
        n = counter["n"]
        return {
            "ticket": {
                "id": n,
                "number": f"A{n:03d}",
                "status": "waiting",
                "hall": code[:40],
                "matter": str(body.get("matter", ""))[:40],
                "ahead": 0,
                "estimated_wait_s": 0,
            }
        }, 201

    @app.post("/api/v1/windows/<int:window>/<action>")
    def window_action(window: int, action: str):
        counter["n"] += 1
        n = counter["n"]
        return {
            "window": {"id": window, "number": str(window), "status": "open"},
            "ticket": {"id": n, "number": f"A{n:03d}", "status": action[:20]},
        }

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    return app
