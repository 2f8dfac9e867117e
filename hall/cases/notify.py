"""Telling residents that a case is decided: a small interface, a log backend for now.

An SMS gateway plugs in as another backend (``HALL_CASE_NOTIFIER``); the hub calls
``deliver`` after the commit, never inside the transaction.
"""

import logging
from typing import Any, Protocol

from flask import current_app

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """Something that can tell a resident their result is ready."""

    def case_ready(self, number: str, phone: str, status_url: str, decision: str) -> None:
        """Tell the resident that case ``number`` is decided."""


class LogNotifier:
    """Writes the notice to the log, with the phone masked (logs never hold personal data)."""

    def case_ready(self, number: str, phone: str, status_url: str, decision: str) -> None:
        """Log the notice."""
        from hall.cases.privacy import mask_phone

        log.info(
            "办件 %s 已办结(%s),请领取 / case %s is ready (%s): notify %s, %s",
            number,
            decision,
            number,
            decision,
            mask_phone(phone) or "-",
            status_url,
        )


class NullNotifier:
    """Tells nobody (tests, halls without notices)."""

    def case_ready(self, number: str, phone: str, status_url: str, decision: str) -> None:
        """Do nothing."""


BACKENDS: dict[str, type] = {"log": LogNotifier, "none": NullNotifier}


def notifier() -> Notifier:
    """The configured backend (``HALL_CASE_NOTIFIER``)."""
    return BACKENDS.get(current_app.config.get("CASE_NOTIFIER") or "log", LogNotifier)()


def deliver(ready: list[dict[str, Any]]) -> None:
    """Send the notices of cases that became ready; a failing gateway never fails a request."""
    backend = notifier()
    for item in ready:
        try:
            backend.case_ready(**item)
        except Exception:  # the decision is committed; a gateway outage must not undo it
            log.exception("could not notify for case %s", item.get("number"))
