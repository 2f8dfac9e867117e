"""WSGI entry point for `hall serve` (gunicorn imports it in its worker).

The one module that builds the app at import: that is what a WSGI entry point is for.
"""

from hall import create_app

application = create_app()
