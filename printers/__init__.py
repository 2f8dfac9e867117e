"""ESC/POS printer adapter: print queue tickets and read printer status by printer URL.

A pure adapter: it imports neither Flask nor the hall package. It takes a plain
TicketLayout and a printer URL, uses short timeouts and raises only PrinterError.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import datetime


def _capabilities_cache() -> str:
    """A folder holding python-escpos's capabilities pickle, written whole before first use.

    python-escpos parses its capabilities file at import and caches the result in a fresh
    mkdtemp() folder each time (so never reuses it, and leaves a folder behind): ~1 s per
    process. A stable folder alone is not enough: escpos writes the pickle in place, so a
    process starting beside one that writes it (hub processes, the print worker, parallel
    tests, another installation) reads half a file and fails to import. So the folder is
    named after this installation's capabilities file, and the pickle is written to a
    temporary name and renamed: a reader finds no file or a whole one.
    """
    import hashlib
    import pickle
    import platform
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("escpos")
    source = Path(spec.origin).parent / "capabilities.json" if spec and spec.origin else None
    if source is None or not source.exists():
        return tempfile.mkdtemp()  # escpos's own behaviour
    stamp = f"{source}:{source.stat().st_mtime_ns}".encode()
    folder = (
        Path(tempfile.gettempdir()) / f"onewindow-escpos-{hashlib.sha256(stamp).hexdigest()[:16]}"
    )
    target = folder / f"{platform.python_version()}.capabilities.pickle"
    if not target.exists():
        import yaml

        folder.mkdir(exist_ok=True)
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        part = folder / f".{os.getpid()}.part"
        part.write_bytes(pickle.dumps(data, protocol=2))
        os.replace(part, target)
    return str(folder)


if "ESCPOS_CAPABILITIES_PICKLE_DIR" not in os.environ:
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = _capabilities_cache()

from escpos.escpos import Escpos
from escpos.printer import Dummy

from .errors import TRANSPORT_ERRORS, PrinterError, PrintInterrupted, transport_error
from .layout import TicketLayout, paper_for, render_ticket
from .receipt import CaseReceipt, render_receipt
from .status import PrinterStatus, can_answer, printer_status, read_status
from .urls import connected, open_printer, parse_printer_url

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


NOT_CONFIRMED = "打印机未确认出票 / the printer did not confirm the ticket"


def _send(
    url: str,
    draw: Callable[[Escpos], None],
    *,
    timeout: float,
    check: bool,
    confirm: bool | None = False,
) -> PrinterStatus | None:
    # Render into memory first: a layout or font problem then never leaves half a
    # ticket on paper, and the connection is held only for one write.
    buffer = Dummy()
    draw(buffer)
    with connected(url, timeout=timeout) as printer:
        if check:
            status = read_status(printer, timeout=timeout)
            if not status.ready:
                raise PrinterError(status.error or "打印机未就绪 / printer not ready")
        try:
            # The socket's timeout bounds the whole write (sendall), not each chunk: a
            # printer that takes the connection and stops reading fails here in `timeout`.
            printer._raw(buffer.output)
        except TRANSPORT_ERRORS as exc:
            # Everything before this line failed with nothing sent; from here on the
            # printer may already have printed some or all of the ticket.
            raise PrintInterrupted(str(transport_error(exc, url))) from exc
        if confirm is False or not can_answer(printer):
            return None
        return _confirm(printer, url, timeout=timeout, required=confirm is True)


def _confirm(printer, url: str, *, timeout: float, required: bool) -> PrinterStatus | None:
    """Ask for the status after the ticket: a printer answers DLE EOT only once it has read
    what came before, so a reply means the ticket reached it; paper out or an open cover
    then means it may not have come out whole."""
    try:
        status = read_status(printer, timeout=timeout)
    except (*TRANSPORT_ERRORS, TimeoutError) as exc:
        if not required:
            return None  # a printer that never answers DLE EOT: nothing more to learn
        raise PrintInterrupted(f"{NOT_CONFIRMED}: {url}") from exc
    if not status.ready:
        raise PrintInterrupted(f"{status.error or NOT_CONFIRMED}: {url}")
    return status


def print_ticket(
    url: str,
    layout: TicketLayout,
    *,
    paper_mm: int = 80,
    raster_text: bool = False,
    timeout: float = 2.0,
    require_ready: bool = False,
    confirm: bool | None = False,
) -> PrinterStatus | None:
    """Print a queue ticket on the printer a URL names; raises PrinterError.

    PrintInterrupted (a PrinterError) means the link broke while the ticket was being
    sent, or the printer did not confirm it; any other PrinterError means nothing reached
    the printer.

    With require_ready, the printer's status is read first and a printer that is out of
    paper, open or offline raises PrinterError instead of swallowing the ticket.

    ``confirm`` asks for the status after the ticket (DLE EOT): True requires an answer
    and a ready printer (else PrintInterrupted); None asks but takes silence as "this
    printer does not answer" and returns None; False does not ask. The status read is
    returned (None when none was).
    """
    paper_for(paper_mm)
    return _send(
        url,
        lambda printer: render_ticket(printer, layout, paper_mm=paper_mm, raster_text=raster_text),
        timeout=timeout,
        check=require_ready,
        confirm=confirm,
    )


def print_receipt(
    url: str,
    receipt: CaseReceipt,
    *,
    paper_mm: int = 80,
    raster_text: bool = False,
    timeout: float = 2.0,
    require_ready: bool = False,
    confirm: bool | None = False,
) -> PrinterStatus | None:
    """Print a case's receipt (受理通知书, 一次性告知书, …) like a ticket; raises PrinterError."""
    paper_for(paper_mm)
    return _send(
        url,
        lambda printer: render_receipt(
            printer, receipt, paper_mm=paper_mm, raster_text=raster_text
        ),
        timeout=timeout,
        check=require_ready,
        confirm=confirm,
    )


def print_test_page(
    url: str, *, paper_mm: int = 80, raster_text: bool = False, timeout: float = 2.0
) -> PrinterStatus:
    """Print a sample ticket and return the printer's status afterwards; raises PrinterError."""
    paper_for(paper_mm)
    mode = "图像文字 raster text" if raster_text else "打印机字库 printer font"
    layout = TicketLayout(
        hall="打印机测试页 Printer test page",
        number="A000",
        matter=f"{paper_mm} mm · {mode}",
        queue="测试 Test",
        ahead=0,
        estimated_wait_s=None,
        issued_at=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
        status_url="ESC/POS TEST OK",
        notice="中文与二维码清晰即正常 / Clear Chinese text and QR code mean all is well",
    )
    _send(
        url,
        lambda printer: render_ticket(printer, layout, paper_mm=paper_mm, raster_text=raster_text),
        timeout=timeout,
        check=False,
    )
    return printer_status(url, timeout=timeout)
