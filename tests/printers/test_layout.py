"""Rendering tickets into ESC/POS bytes, read back through the decoder."""

from __future__ import annotations

import dataclasses

import pytest

from printers import PrinterError, TicketLayout, open_printer, render_ticket
from printers.layout import bilingual, display_width, wrap

from .escpos_decode import chinese_runs, contains_cut, qr_payloads, raster_images, text_lines

FS_CHINESE_ON = b"\x1c\x26"


def render(layout: TicketLayout, **options: object) -> bytes:
    printer = open_printer("dummy://")
    render_ticket(printer, layout, **options)  # type: ignore[arg-type]
    return printer.output


def test_ticket_sends_chinese_in_chinese_mode(layout: TicketLayout) -> None:
    data = render(layout)

    assert FS_CHINESE_ON + layout.hall.encode("gb18030") + b"\x1c\x2e" in data
    assert FS_CHINESE_ON + layout.matter.encode("gb18030") in data
    runs = chinese_runs(data)
    assert layout.hall in runs
    assert layout.matter in runs
    assert "队列 Queue：综合受理" in runs
    assert "优先 Priority：老年人优先" in runs
    assert "前面还有 3 人 / 3 people ahead" in runs
    assert "预计等候：约 14 分钟 / Wait: about 14 min" in runs
    assert "取号 Issued：2026-11-29 09:41" in runs
    assert "?" not in "".join(runs)


def test_ticket_number_is_printed_at_the_largest_size(layout: TicketLayout) -> None:
    data = render(layout)

    assert b"\x1d\x21\x77" in data  # GS ! 0x77: width and height x8
    size_at = data.index(b"\x1d\x21\x77")
    assert data.index(layout.number.encode(), size_at) > size_at
    assert layout.number in text_lines(data)


def test_ticket_has_qr_of_status_url_and_cut(layout: TicketLayout) -> None:
    data = render(layout)

    assert qr_payloads(data) == [layout.status_url]
    assert contains_cut(data)
    assert data.endswith(b"\x1dV\x00")  # the cut comes last


def test_ticket_without_priority_or_estimate(layout: TicketLayout) -> None:
    plain = dataclasses.replace(layout, priority=None, estimated_wait_s=None, ahead=1)
    runs = chinese_runs(render(plain))

    assert not any("优先" in run for run in runs)
    assert "预计等候：暂无估计 / Wait: unknown" in runs
    assert "前面还有 1 人 / 1 person ahead" in runs


def test_58mm_ticket_fits_32_columns(layout: TicketLayout) -> None:
    data = render(layout, paper_mm=58)

    assert qr_payloads(data) == [layout.status_url]
    assert contains_cut(data)
    lines = [line for line in text_lines(data) if line]
    assert layout.hall in lines
    assert "预计等候：约 14 分钟" in lines and "Wait: about 14 min" in lines
    for line in lines:
        if line != layout.number and line != layout.hall:
            assert display_width(line) <= 32, line


def test_raster_mode_prints_text_as_images(layout: TicketLayout) -> None:
    for paper_mm, dots in ((80, 576), (58, 384)):
        data = render(layout, paper_mm=paper_mm, raster_text=True)

        images = raster_images(data)
        assert images, "no GS v 0 image"
        assert all(width == dots for width, _ in images)
        assert chinese_runs(data) == []
        assert qr_payloads(data) == [layout.status_url]
        assert contains_cut(data)


def test_raster_mode_does_not_print_to_stdout(
    layout: TicketLayout, capsys: pytest.CaptureFixture[str]
) -> None:
    render(layout, raster_text=True)

    assert capsys.readouterr().out == ""


def test_unknown_paper_width_is_refused(layout: TicketLayout) -> None:
    with pytest.raises(PrinterError, match="unsupported paper width"):
        render(layout, paper_mm=76)


def test_wrap_breaks_between_words_and_counts_chinese_double() -> None:
    assert wrap("请留意叫号屏幕与语音提示 Please watch the display", 32) == [
        "请留意叫号屏幕与语音提示 Please",
        "watch the display",
    ]
    assert wrap("宽城区政务服务中心", 8) == ["宽城区政", "务服务中", "心"]
    assert wrap("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert wrap("", 10) == [""]


def test_bilingual_splits_the_languages_when_too_long() -> None:
    assert bilingual("前面还有 3 人", "3 people ahead", 48) == ["前面还有 3 人 / 3 people ahead"]
    assert bilingual("预计等候：约 14 分钟", "Wait: about 14 min", 32) == [
        "预计等候：约 14 分钟",
        "Wait: about 14 min",
    ]
