"""The baseline for the benchmark: a bare Flask JSON endpoint, no database, no Socket.IO.

Served by queue_bench.py under the same gunicorn set-up as `hall serve` (one gthread worker,
the same thread count), so the ratio issue/bare shows what the hub's own work costs.
"""

from flask import Flask, request


def create_app() -> Flask:
    """A Flask app answering the ticket URL with a small JSON body, like the hub's shape."""
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

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    return app
