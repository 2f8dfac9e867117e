"""Printer URLs: parse them and open the python-escpos printer they name."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

# isort: off
from . import _escpos  # noqa: F401  (first: the capabilities cache, safely)
# isort: on

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy, File, Network, Serial, Usb
from escpos.printer import serial as escpos_serial
from escpos.printer import usb as escpos_usb

from .errors import TRANSPORT_ERRORS, PrinterError, transport_error

DEFAULT_NETWORK_PORT = 9100


@dataclass(frozen=True)
class PrinterUrl:
    """A parsed printer URL: its scheme and the keyword arguments of its escpos class."""

    scheme: str
    options: Mapping[str, Any] = field(default_factory=dict)


def _invalid(url: str, detail: str) -> PrinterError:
    return PrinterError(f"打印机地址无效 / invalid printer URL: {url!r} ({detail})")


def _query(
    url: str, parts: SplitResult, allowed: Mapping[str, Callable[[str], Any]]
) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for key, raw in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if key not in allowed:
            raise _invalid(
                url, f"unknown option {key!r}; allowed: {', '.join(sorted(allowed)) or 'none'}"
            )
        try:
            options[key] = allowed[key](raw)
        except ValueError:
            raise _invalid(url, f"bad value for {key!r}: {raw!r}") from None
    return options


def _boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(raw)


def _parity(raw: str) -> str:
    if raw.upper() not in {"N", "E", "O", "M", "S"}:
        raise ValueError(raw)
    return raw.upper()


def _parse_network(url: str, parts: SplitResult) -> dict[str, Any]:
    host, _, port_text = (
        parts.netloc.rpartition(":") if ":" in parts.netloc else (parts.netloc, "", "")
    )
    if not host or "@" in host or "[" in host:
        raise _invalid(url, "expected network://host:port")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise _invalid(url, "network URLs take only a host and a port")
    port = DEFAULT_NETWORK_PORT
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise _invalid(url, f"bad port {port_text!r}")
        port = int(port_text)
    return {"host": host, "port": port}


def _parse_usb(url: str, parts: SplitResult) -> dict[str, Any]:
    vendor, sep, product = parts.netloc.partition(":")
    try:
        if not sep or parts.path not in ("", "/"):
            raise ValueError
        vendor_id, product_id = int(vendor, 16), int(product, 16)
        if not (0 < vendor_id <= 0xFFFF and 0 < product_id <= 0xFFFF):
            raise ValueError
    except ValueError:
        raise _invalid(url, "expected usb://VID:PID in hex, e.g. usb://04b8:0202") from None
    options = _query(url, parts, {"in_ep": lambda v: int(v, 0), "out_ep": lambda v: int(v, 0)})
    return {"idVendor": vendor_id, "idProduct": product_id, **options}


def _parse_serial(url: str, parts: SplitResult) -> dict[str, Any]:
    if parts.netloc or not parts.path.startswith("/") or len(parts.path) < 2:
        raise _invalid(url, "expected serial:///dev/ttyUSB0?baudrate=9600")
    options = _query(
        url,
        parts,
        {
            "baudrate": int,
            "bytesize": int,
            "parity": _parity,
            "stopbits": int,
            "xonxoff": _boolean,
            "dsrdtr": _boolean,
        },
    )
    return {"devfile": parts.path, **options}


def _parse_file(url: str, parts: SplitResult) -> dict[str, Any]:
    if parts.netloc or not parts.path.startswith("/") or len(parts.path) < 2 or parts.query:
        raise _invalid(url, "expected file:///dev/usb/lp0")
    return {"devfile": parts.path}


def _parse_dummy(url: str, parts: SplitResult) -> dict[str, Any]:
    if parts.netloc or parts.path or parts.query:
        raise _invalid(url, "expected dummy://")
    return {}


class _Network(Network):
    """python-escpos's network printer, without leaking its socket when connecting fails."""

    def open(self, raise_not_found: bool = True) -> None:
        """Connect to the printer within the timeout; raises DeviceNotFoundError."""
        if self._device:
            self.close()
        try:
            # Network.open drops a socket whose connect failed without closing it.
            self.device = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            self.device = None
            if raise_not_found:
                raise DeviceNotFoundError(f"Could not open socket for {self.host}: {exc}") from exc

    def close(self) -> None:
        """Close the connection, letting data still queued for the printer go out."""
        if isinstance(self._device, socket.socket):
            # Closing with unread bytes from the printer (automatic status reports)
            # resets the link and drops what the kernel has not sent yet.
            with contextlib.suppress(OSError):
                self._device.setblocking(False)
                for _ in range(64):
                    if not self._device.recv(4096):
                        break
        super().close()


def _build_network(options: Mapping[str, Any], timeout: float) -> Escpos:
    # python-escpos waits 60 s by default; a kiosk must not hang on a dead printer.
    return _Network(timeout=timeout, **options)


def _build_usb(options: Mapping[str, Any], timeout: float) -> Escpos:
    if not escpos_usb.is_usable():
        raise PrinterError(
            "USB 打印需要安装 pyusb 与 libusb / USB printers need pyusb and libusb "
            "(pip install 'python-escpos[usb]', apt-get install libusb-1.0-0)"
        )
    return Usb(timeout=int(timeout * 1000), **options)


def _build_serial(options: Mapping[str, Any], timeout: float) -> Escpos:
    if not escpos_serial.is_usable():
        raise PrinterError(
            "串口打印需要安装 pyserial / serial printers need pyserial "
            "(pip install 'python-escpos[serial]')"
        )
    return Serial(timeout=timeout, **options)


def _build_file(options: Mapping[str, Any], timeout: float) -> Escpos:
    return File(**options)


def _build_dummy(options: Mapping[str, Any], timeout: float) -> Escpos:
    return Dummy()


@dataclass(frozen=True)
class _Scheme:
    parse: Callable[[str, SplitResult], dict[str, Any]]
    build: Callable[[Mapping[str, Any], float], Escpos]


#: Like python-escpos's configuration type names: one entry per printer URL scheme.
SCHEMES: Mapping[str, _Scheme] = {
    "network": _Scheme(_parse_network, _build_network),
    "usb": _Scheme(_parse_usb, _build_usb),
    "serial": _Scheme(_parse_serial, _build_serial),
    "file": _Scheme(_parse_file, _build_file),
    "dummy": _Scheme(_parse_dummy, _build_dummy),
}


def parse_printer_url(url: str) -> PrinterUrl:
    """Check a printer URL and return its scheme and printer options."""
    if not isinstance(url, str) or "://" not in url:
        raise _invalid(str(url), f"expected one of {', '.join(f'{s}://' for s in SCHEMES)}")
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise _invalid(url, str(exc)) from None
    scheme = SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise _invalid(url, f"unknown scheme {parts.scheme!r}; use one of {', '.join(SCHEMES)}")
    return PrinterUrl(parts.scheme.lower(), scheme.parse(url, parts))


def open_printer(url: str, *, timeout: float = 2.0) -> Escpos:
    """Open the printer a URL names, with a short timeout; raises PrinterError."""
    parsed = parse_printer_url(url)
    printer = SCHEMES[parsed.scheme].build(parsed.options, timeout)
    try:
        printer.open()
    except (*TRANSPORT_ERRORS, ValueError, RuntimeError) as exc:
        # pyusb reports a missing libusb as a ValueError, pyserial its bad settings too.
        raise transport_error(exc, url) from exc
    if isinstance(printer, Serial) and printer.device:
        # Without a write timeout a serial printer holding flow control blocks forever.
        printer.device.write_timeout = timeout
    return printer


def close_quietly(printer: Escpos) -> None:
    """Close a printer connection, ignoring errors from an already broken link."""
    with contextlib.suppress(*TRANSPORT_ERRORS, ValueError, RuntimeError):
        printer.close()


@contextlib.contextmanager
def connected(url: str, *, timeout: float = 2.0) -> Iterator[Escpos]:
    """Open a printer for a block, map transport errors to PrinterError, always close."""
    printer = open_printer(url, timeout=timeout)
    try:
        yield printer
    except TRANSPORT_ERRORS as exc:
        raise transport_error(exc, url) from exc
    finally:
        close_quietly(printer)
