"""Public addresses the hub hands out (the status page a ticket's QR code opens)."""

from flask import current_app, g, has_request_context, request


def base_url() -> str:
    """The hub's public base URL: HALL_PUBLIC_URL, else the address the client used."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    # Worked out once per request (werkzeug rebuilds the host URL on every access), or set
    # from the WSGI environ by the hot routes (hall/hot.py), which have no request context.
    if "hall_base_url" not in g:
        if not has_request_context():
            return "http://127.0.0.1:5000"
        # (scheme and host as the client sent them, without werkzeug's IRI round trip).
        g.hall_base_url = f"{request.scheme}://{request.host}"
    return g.hall_base_url


def status_url(token: str) -> str:
    """The resident's live status page for a ticket."""
    return f"{base_url()}/s/{token}"
