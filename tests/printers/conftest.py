"""Fixtures for the printer adapter tests: a sample ticket and fake network printers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from printers import TicketLayout

from .fake_printer import FakePrinter


@pytest.fixture
def layout() -> TicketLayout:
    """A ticket as the kiosk would print it."""
    return TicketLayout(
        hall="宽城区政务服务中心",
        number="A023",
        matter="营业执照办理",
        queue="综合受理",
        ahead=3,
        estimated_wait_s=840,
        issued_at="2026-11-29 09:41",
        status_url="https://hall.example.cn/s/kc/t/8f3a2c?lang=zh",
        priority="老年人优先",
    )


@pytest.fixture
def fake_printer() -> Iterator[Callable[..., FakePrinter]]:
    """Start fake network printers on ephemeral ports; all are stopped after the test."""
    started: list[FakePrinter] = []

    def start(**options: object) -> FakePrinter:
        printer = FakePrinter(**options).start()  # type: ignore[arg-type]
        started.append(printer)
        return printer

    yield start
    for printer in started:
        printer.stop()
