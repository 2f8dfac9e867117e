"""Window actions over REST; the same service calls as the /counter socket namespace."""

from typing import Any

from hall.api import bp
from hall.api.identity import require_staff
from hall.db import unit_of_work
from hall.events import publish
from hall.presenters import window_state
from hall.schemas import WINDOW_ACTIONS
from hall.services import lookup
from hall.services.calling import ACTIONS


def _run(window_id: int, action: str, body: dict[str, Any]) -> dict[str, Any]:
    with unit_of_work() as session:
        staff = require_staff(session)
        result, events = ACTIONS[action](session, window_id, staff, body)
        answer = window_state(session, lookup.window(session, window_id), result)
    publish(events)
    return answer


@bp.get("/windows/<int:window_id>")
@bp.doc(summary="A window's state and current ticket")
def get_window(window_id: int) -> dict:
    """One window."""
    with unit_of_work(readonly=True) as session:
        window = lookup.window(session, window_id)
        return window_state(session, window, None)


def _register(action: str, schema, summary: str) -> None:
    def view(window_id: int, body: dict[str, Any] | None = None) -> dict:
        return _run(window_id, action, body or {})

    view.__name__ = f"window_{action.replace('-', '_')}"
    view.__doc__ = summary
    decorated = bp.doc(summary=summary, security="BearerAuth")(view)
    if schema is not None:
        decorated = bp.input(schema, arg_name="body")(decorated)
    bp.post(f"/windows/<int:window_id>/{action}")(decorated)


for _action in WINDOW_ACTIONS:
    _register(_action.name, _action.schema, _action.summary)
