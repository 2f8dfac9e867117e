"""A case's short intake receipt (受理回执): outcome, case number, dates and a QR code.

A pure layout like the ticket's: plain strings in, ESC/POS out through ``render_blocks``.
The receipt never carries the applicant's full name, ID number or phone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .layout import Block, Line, QrCode, bilingual, paper_for, render_blocks, wrap

if TYPE_CHECKING:
    from escpos.escpos import Escpos


@dataclass(frozen=True)
class CaseReceipt:
    """Everything a printed case receipt shows, already formatted for people."""

    hall: str
    title: str  # 受理回执 / 一次性告知 / 不予受理
    number: str  # the case number
    matter: str
    applicant: str  # masked: 张*丰
    received_at: str
    status_url: str
    deadline: str | None = None
    missing: tuple[str, ...] = field(default_factory=tuple)
    reason: str = ""
    title_en: str = ""
    # Further lines under the facts: what the law says the notice must tell (rights of
    # review, where and how the result is collected).
    notes: tuple[str, ...] = field(default_factory=tuple)


def receipt_blocks(receipt: CaseReceipt, paper_mm: int = 80) -> list[Block]:
    """Lay a receipt out as lines and a QR code, top to bottom."""
    paper = paper_for(paper_mm)
    columns = paper.columns
    blocks: list[Block] = [Line(text, bold=True) for text in wrap(receipt.hall, columns)]
    blocks += [Line(text, scale=2, bold=True) for text in wrap(receipt.title, columns // 2)]
    if receipt.title_en:
        blocks += [Line(text) for text in wrap(receipt.title_en, columns)]
    blocks.append(Line(""))
    blocks += [Line(text, bold=True) for text in wrap(f"办件编号 No.：{receipt.number}", columns)]
    blocks += [Line(text) for text in wrap(f"事项 Matter：{receipt.matter}", columns)]
    blocks += [Line(text) for text in wrap(f"申请人 Applicant：{receipt.applicant}", columns)]
    blocks += [Line(text) for text in wrap(f"收件 Received：{receipt.received_at}", columns)]
    if receipt.deadline:
        blocks += [
            Line(text, bold=True)
            for text in wrap(f"承诺办结 Promised by：{receipt.deadline}", columns)
        ]
    if receipt.missing:
        blocks += [Line(text) for text in bilingual("请补正以下材料", "Please bring:", columns)]
        for item in receipt.missing:
            blocks += [Line(text, align="left") for text in wrap(f"· {item}", columns)]
    if receipt.reason:
        blocks += [
            Line(text, align="left") for text in wrap(f"理由 Reason：{receipt.reason}", columns)
        ]
    for note in receipt.notes:
        blocks += [Line(text, align="left") for text in wrap(note, columns)]
    blocks.append(QrCode(receipt.status_url))
    blocks += [
        Line(text)
        for text in bilingual("扫码查看进度、领取结果", "Scan for the status and pickup", columns)
    ]
    return blocks


def render_receipt(
    printer: Escpos, receipt: CaseReceipt, *, paper_mm: int = 80, raster_text: bool = False
) -> None:
    """Write a case receipt to any Escpos printer (a Dummy for tests, an open device otherwise)."""
    paper = paper_for(paper_mm)
    render_blocks(printer, receipt_blocks(receipt, paper_mm), paper, raster_text=raster_text)
