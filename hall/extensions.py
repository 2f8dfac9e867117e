"""Extensions, created unbound and attached in the factory."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_socketio import SocketIO

socketio = SocketIO()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
