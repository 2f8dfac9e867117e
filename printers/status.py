"""Ask a printer how it is (DLE EOT real-time status) without ever hanging."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

# isort: off
from . import _escpos  # noqa: F401  (first: the capabilities cache, safely)
# isort: on

from escpos.escpos import Escpos
from escpos.printer import Network, Serial

from .errors import PrinterError
from .urls import connected

DLE_EOT = b"\x10\x04"
PRINTER_STATUS = 1  # n=1: bit 3 = offline
OFFLINE_CAUSE = 2  # n=2: bit 2 = cover open, bit 5 = stopped by paper end, bit 6 = error
PAPER_SENSOR = 4  # n=4: bits 2-3 = roll near end, bits 5-6 = roll end

Paper = Literal["ok", "near_end", "out", "unknown"]


@dataclass(frozen=True)
class PrinterStatus:
    """What a printer reported: reachable and ready, paper level, cover, a reason if not."""

    online: bool
    paper: Paper = "unknown"
    cover_open: bool | None = None
    error: str | None = None

    @property
    def ready(self) -> bool:
        """Whether a ticket sent now would come out."""
        return self.online and self.paper != "out" and not self.cover_open


def can_answer(printer: Escpos) -> bool:
    """Whether the printer's transport can carry a reply (network, USB, serial)."""
    return type(printer)._read is not Escpos._read


def _set_read_timeout(printer: Escpos, seconds: float) -> None:
    if isinstance(printer, Network) and printer.device:
        printer.device.settimeout(seconds)
    elif isinstance(printer, Serial) and printer.device:
        printer.device.timeout = seconds


def _status_byte(printer: Escpos, n: int, deadline: float) -> int:
    """Send DLE EOT n and return the reply byte, giving up at the deadline."""
    printer._raw(DLE_EOT + bytes((n,)))
    while (remaining := deadline - time.monotonic()) > 0:
        _set_read_timeout(printer, remaining)
        reply = bytes(printer._read())
        if not reply:
            break
        for byte in reply:
            # Every DLE EOT reply has bits 1 and 4 set and bits 0 and 7 clear; anything
            # else is an automatic status report or noise and is skipped.
            if byte & 0x93 == 0x12:
                return byte
    raise TimeoutError(f"no answer to DLE EOT {n}")


def read_status(printer: Escpos, *, timeout: float = 2.0) -> PrinterStatus:
    """Query an open printer's real-time status; transports that cannot answer report unknown."""
    if not can_answer(printer):
        return PrinterStatus(online=True)
    deadline = time.monotonic() + timeout
    offline = bool(_status_byte(printer, PRINTER_STATUS, deadline) & 0x08)
    cause = _status_byte(printer, OFFLINE_CAUSE, deadline)
    roll = _status_byte(printer, PAPER_SENSOR, deadline)
    cover_open = bool(cause & 0x04)
    paper: Paper = "out" if roll & 0x60 or cause & 0x20 else "near_end" if roll & 0x0C else "ok"
    reasons = []
    if cover_open:
        reasons.append("打印机盖未关 / cover open")
    if paper == "out":
        reasons.append("打印机缺纸 / paper out")
    if cause & 0x40:
        reasons.append("打印机故障 / printer error")
    if offline and not reasons:
        reasons.append("打印机脱机 / printer offline")
    return PrinterStatus(
        online=not offline and not cause & 0x40,
        paper=paper,
        cover_open=cover_open,
        error="; ".join(reasons) or None,
    )


def printer_status(url: str, *, timeout: float = 2.0) -> PrinterStatus:
    """Report a printer's status; an unreachable or silent printer is offline, not an error."""
    try:
        with connected(url, timeout=timeout) as printer:
            return read_status(printer, timeout=timeout)
    except PrinterError as exc:
        return PrinterStatus(online=False, error=str(exc))
