"""ESC/POS printer adapter: print queue tickets and read printer status by printer URL.

A pure adapter: it imports neither Flask nor the hall package. It takes a plain
TicketLayout and a printer URL, uses short timeouts and raises only PrinterError.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import TRANSPORT_ERRORS, PrinterError, PrintInterrupted, transport_error
from .layout import TicketLayout, paper_for, render_ticket
from .receipt import CaseReceipt, render_receipt

# What drives a device (python-escpos's printers, ~15 MiB) is imported on first use: the
# hub builds TicketLayout and CaseReceipt, only the print worker and `hall printer` print.
_LAZY = {
    "Escpos": "printers.driver",
    "Dummy": "printers.driver",
    "PrinterStatus": "printers.status",
    "can_answer": "printers.status",
    "printer_status": "printers.status",
    "read_status": "printers.status",
    "connected": "printers.urls",
    "open_printer": "printers.urls",
    "parse_printer_url": "printers.urls",
    "NOT_CONFIRMED": "printers.driver",
    "print_receipt": "printers.driver",
    "print_test_page": "printers.driver",
    "print_ticket": "printers.driver",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'printers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "CaseReceipt",
    "PrintInterrupted",
    "PrinterError",
    "PrinterStatus",
    "TicketLayout",
    "open_printer",
    "parse_printer_url",
    "print_receipt",
    "print_test_page",
    "print_ticket",
    "printer_status",
    "render_ticket",
]


__all__ += ["TRANSPORT_ERRORS", "paper_for", "render_receipt", "transport_error"]
