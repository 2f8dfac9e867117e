"""Printing to and asking the status of a network printer played by a real TCP listener."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest

from printers import (
    PrinterError,
    PrinterStatus,
    PrintInterrupted,
    TicketLayout,
    print_test_page,
    print_ticket,
    printer_status,
)
from printers.urls import connected

from .escpos_decode import chinese_runs, contains_cut, qr_payloads, raster_images, text_lines
from .fake_printer import READY, FakePrinter

StartPrinter = Callable[..., FakePrinter]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"network://127.0.0.1:{port}"


def test_ticket_reaches_network_printer(fake_printer: StartPrinter, layout: TicketLayout) -> None:
    printer = fake_printer()

    print_ticket(printer.url, layout)

    data = printer.wait_for()
    assert layout.hall in chinese_runs(data)
    assert layout.matter in chinese_runs(data)
    assert layout.number in text_lines(data)
    assert qr_payloads(data) == [layout.status_url]
    assert contains_cut(data)
    assert printer.connections == 1


def test_raster_58mm_ticket_reaches_network_printer(
    fake_printer: StartPrinter, layout: TicketLayout
) -> None:
    printer = fake_printer()

    print_ticket(printer.url, layout, paper_mm=58, raster_text=True)

    data = printer.wait_for()
    assert raster_images(data) and all(width == 384 for width, _ in raster_images(data))
    assert chinese_runs(data) == []
    assert qr_payloads(data) == [layout.status_url]


def test_closed_port_fails_fast(layout: TicketLayout) -> None:
    url = closed_port_url()
    started = time.monotonic()

    with pytest.raises(PrinterError, match="printer not reachable"):
        print_ticket(url, layout)
    status = printer_status(url)

    assert time.monotonic() - started < 3
    assert not status.online
    assert status.error and "无法连接打印机" in status.error


def test_silent_printer_is_offline_within_timeout(fake_printer: StartPrinter) -> None:
    printer = fake_printer(reading=False)
    started = time.monotonic()

    status = printer_status(printer.url)

    assert time.monotonic() - started < 3
    assert status == PrinterStatus(online=False, error=status.error)
    assert status.error and "did not respond" in status.error


def test_printer_that_stops_reading_raises_printer_error(fake_printer: StartPrinter) -> None:
    printer = fake_printer(reading=False, rcvbuf=4096)
    started = time.monotonic()

    with pytest.raises(PrinterError, match="did not respond"):
        with connected(printer.url, timeout=0.5) as device:
            device._raw(b"\x00" * (64 << 20))

    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("replies", "expected"),
    [
        (READY, PrinterStatus(online=True, paper="ok", cover_open=False)),
        (
            {**READY, 4: 0x12 | 0x0C},
            PrinterStatus(online=True, paper="near_end", cover_open=False),
        ),
        (
            {1: 0x12 | 0x08, 2: 0x12 | 0x20, 4: 0x12 | 0x60},
            PrinterStatus(
                online=False, paper="out", cover_open=False, error="打印机缺纸 / paper out"
            ),
        ),
        (
            {1: 0x12 | 0x08, 2: 0x12 | 0x04, 4: 0x12},
            PrinterStatus(
                online=False, paper="ok", cover_open=True, error="打印机盖未关 / cover open"
            ),
        ),
    ],
    ids=["ready", "near-end", "paper-out", "cover-open"],
)
def test_status_bytes_are_reported(
    fake_printer: StartPrinter, replies: dict[int, int], expected: PrinterStatus
) -> None:
    printer = fake_printer(status=replies)

    assert printer_status(printer.url) == expected


def test_require_ready_refuses_a_printer_without_paper(
    fake_printer: StartPrinter, layout: TicketLayout
) -> None:
    printer = fake_printer(status={**READY, 4: 0x72})

    with pytest.raises(PrinterError, match="paper out"):
        print_ticket(printer.url, layout, require_ready=True)

    assert qr_payloads(printer.wait_for(9)) == []


def test_require_ready_prints_on_a_ready_printer(
    fake_printer: StartPrinter, layout: TicketLayout
) -> None:
    printer = fake_printer(status=READY)

    print_ticket(printer.url, layout, require_ready=True)

    assert qr_payloads(printer.wait_for()) == [layout.status_url]


def test_test_page_prints_and_reports_status(fake_printer: StartPrinter) -> None:
    printer = fake_printer(status=READY)

    status = print_test_page(printer.url, paper_mm=58)

    assert status == PrinterStatus(online=True, paper="ok", cover_open=False)
    data = printer.wait_for()
    assert qr_payloads(data) == ["ESC/POS TEST OK"]
    assert any("打印机测试页" in run for run in chinese_runs(data))
    assert printer.connections == 2


def test_dummy_printer_status_is_unknown_but_online() -> None:
    assert printer_status("dummy://") == PrinterStatus(online=True, paper="unknown")


def test_confirmation_after_the_ticket_catches_a_printer_that_stopped_reading(
    fake_printer: StartPrinter, layout: TicketLayout
) -> None:
    """The ticket fits in the socket buffers, so the write succeeds; only the missing
    answer to DLE EOT afterwards shows that nothing reached the printer."""
    printer = fake_printer(status=READY, reading=False)

    with pytest.raises(PrintInterrupted, match="did not confirm"):
        print_ticket(printer.url, layout, timeout=0.5, confirm=True)
    # Asked without requiring an answer, the same silence means "does not answer DLE EOT".
    assert print_ticket(printer.url, layout, timeout=0.3, confirm=None) is None


@pytest.mark.parametrize(
    ("replies", "reason"),
    [
        ({**READY, 4: 0x12 | 0x60}, "paper out"),
        ({1: 0x12 | 0x08, 2: 0x12 | 0x04, 4: 0x12}, "cover open"),
    ],
    ids=["paper-out", "cover-open"],
)
def test_confirmation_reports_paper_out_or_cover_open_after_the_ticket(
    fake_printer: StartPrinter, layout: TicketLayout, replies: dict[int, int], reason: str
) -> None:
    printer = fake_printer(status=replies)

    with pytest.raises(PrintInterrupted, match=reason):
        print_ticket(printer.url, layout, confirm=None)


def test_a_confirmed_ticket_returns_the_status(
    fake_printer: StartPrinter, layout: TicketLayout
) -> None:
    printer = fake_printer(status=READY)

    status = print_ticket(printer.url, layout, confirm=True)

    assert status == PrinterStatus(online=True, paper="ok", cover_open=False)
    assert qr_payloads(printer.wait_for()) == [layout.status_url]
    assert print_ticket("dummy://", layout, confirm=True) is None  # cannot answer: not asked
