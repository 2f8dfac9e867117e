"""Public addresses the hub hands out (the status page a ticket's QR code opens)."""

from flask import current_app, g, has_request_context, request


def base_url() -> str:
    """The hub's public base URL: HALL_PUBLIC_URL, else the address the client used."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        # Worked out once per request: werkzeug rebuilds the host URL on every access.
        if "hall_base_url" not in g:
            # (scheme and host as the client sent them, without werkzeug's IRI round trip).
            g.hall_base_url = f"{request.scheme}://{request.host}"
        return g.hall_base_url
    return "http://127.0.0.1:5000"


def status_url(token: str) -> str:
    """The resident's live status page for a ticket."""
    return f"{base_url()}/s/{token}"
