"""Printer URLs: each scheme, and the ones that must be refused."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy, File

from printers import PrinterError, open_printer, parse_printer_url
from printers.urls import PrinterUrl


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "network://192.168.1.50:9100",
            PrinterUrl("network", {"host": "192.168.1.50", "port": 9100}),
        ),
        ("network://printer.local", PrinterUrl("network", {"host": "printer.local", "port": 9100})),
        ("NETWORK://10.0.0.7:9101/", PrinterUrl("network", {"host": "10.0.0.7", "port": 9101})),
        ("usb://04b8:0202", PrinterUrl("usb", {"idVendor": 0x04B8, "idProduct": 0x0202})),
        (
            "usb://0416:5011?in_ep=0x81&out_ep=0x03",
            PrinterUrl(
                "usb", {"idVendor": 0x0416, "idProduct": 0x5011, "in_ep": 0x81, "out_ep": 0x03}
            ),
        ),
        (
            "serial:///dev/ttyUSB0?baudrate=9600",
            PrinterUrl("serial", {"devfile": "/dev/ttyUSB0", "baudrate": 9600}),
        ),
        (
            "serial:///dev/ttyS1?baudrate=19200&parity=e&dsrdtr=false",
            PrinterUrl(
                "serial",
                {"devfile": "/dev/ttyS1", "baudrate": 19200, "parity": "E", "dsrdtr": False},
            ),
        ),
        ("file:///dev/usb/lp0", PrinterUrl("file", {"devfile": "/dev/usb/lp0"})),
        ("dummy://", PrinterUrl("dummy", {})),
    ],
)
def test_valid_urls_parse(url: str, expected: PrinterUrl) -> None:
    assert parse_printer_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "192.168.1.50:9100",
        "ipp://printer/queue",
        "network://",
        "network://host:port",
        "network://host:70000",
        "network://host:9100/path",
        "usb://04b8",
        "usb://zz:0202",
        "usb://04b8:0202?speed=1",
        "serial://",
        "serial:///dev/ttyUSB0?baudrate=fast",
        "serial:///dev/ttyUSB0?parity=X",
        "file://",
        "file://host/dev/lp0",
        "dummy://anything",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(PrinterError, match="打印机地址无效 / invalid printer URL"):
        open_printer(url)


def test_dummy_url_opens_a_dummy_printer() -> None:
    printer = open_printer("dummy://")

    printer.text("ok\n")

    assert isinstance(printer, Dummy)
    assert printer.output.endswith(b"ok\n")


def test_file_url_writes_to_the_file(tmp_path: object) -> None:
    path = f"{tmp_path}/lp0"
    printer = open_printer(f"file://{path}")
    printer.text("ok\n")
    printer.close()

    assert isinstance(printer, File)
    with open(path, "rb") as written:
        assert written.read().endswith(b"ok\n")


def test_missing_file_device_is_a_printer_error() -> None:
    with pytest.raises(PrinterError, match="printer not reachable"):
        open_printer("file:///nonexistent-dir/lp0")


def test_usb_and_serial_fail_with_a_clear_reason() -> None:
    # Without pyusb/pyserial (or without the device) the reason names what is missing.
    with pytest.raises(PrinterError, match="pyusb|not reachable|could not be opened"):
        open_printer("usb://04b8:0202")
    with pytest.raises(PrinterError, match="pyserial|not reachable|could not be opened"):
        open_printer("serial:///dev/ttyNONEXISTENT?baudrate=9600")
