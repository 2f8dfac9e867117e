"""Browser pages: the client blueprints (kiosk, counter, display) and the hub's index."""

import importlib

from flask import Flask

CLIENTS = ("kiosk", "counter", "display")


def init_app(app: Flask) -> None:
    """Register each client package's blueprint that is installed."""
    for name in CLIENTS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:
                raise
            continue
        module.init_app(app)
