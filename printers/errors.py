"""The one error the printer adapter raises, and how transport failures map to it."""

from __future__ import annotations

from escpos.exceptions import DeviceNotFoundError
from escpos.exceptions import Error as EscposError

#: Exceptions a transport may raise while a printer is opened, written or read.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (OSError, EscposError)


class PrinterError(Exception):
    """A printer could not be configured, reached or driven."""


class PrintInterrupted(PrinterError):
    """The link failed while a ticket was being sent: part or all of it may be on paper.

    Callers that promise to print at most once must not retry this one by themselves.
    """


def transport_error(exc: BaseException, url: str) -> PrinterError:
    """Translate a transport exception into a PrinterError with a readable reason."""
    if isinstance(exc, PrinterError):
        return exc
    # TimeoutError and ConnectionError are OSError subclasses: test them first.
    if isinstance(exc, TimeoutError):
        reason = "打印机无响应 / printer did not respond in time"
    elif isinstance(exc, DeviceNotFoundError):
        reason = "无法连接打印机 / printer not reachable"
    elif isinstance(exc, ConnectionError):
        reason = "与打印机的连接中断 / connection to the printer was lost"
    elif isinstance(exc, OSError):
        reason = "打印机通信失败 / printer I/O failed"
    elif isinstance(exc, EscposError):
        reason = "打印机指令失败 / printer command failed"
    else:
        # pyusb without libusb, or pyserial refusing its settings, fail when opening.
        reason = "无法打开打印机 / printer could not be opened"
    detail = " ".join(str(exc).split())
    message = f"{reason}: {url}"
    return PrinterError(f"{message} ({detail})" if detail else message)
