"""Socket.IO namespaces, one per kind of client; rooms are scopes (hall:<id>)."""

from flask import Flask

from hall.extensions import socketio


def init_app(app: Flask) -> None:
    """Register the namespaces."""
    from hall.sockets.namespaces import (
        BoardNamespace,
        CounterNamespace,
        DisplayNamespace,
        KioskNamespace,
        StatusNamespace,
    )

    socketio.on_namespace(DisplayNamespace("/display"))
    socketio.on_namespace(KioskNamespace("/kiosk"))
    socketio.on_namespace(CounterNamespace("/counter"))
    socketio.on_namespace(BoardNamespace("/board"))
    socketio.on_namespace(StatusNamespace("/status"))
