"""The case receipt rendered into ESC/POS bytes, read back through the decoder."""

from printers import open_printer
from printers.receipt import CaseReceipt, render_receipt

from .escpos_decode import chinese_runs, contains_cut, qr_payloads

RECEIPT = CaseReceipt(
    hall="宽城区政务服务中心",
    title="一次性告知书",
    number="20261203010001",
    matter="有限责任公司设立登记",
    applicant="张*丰",
    received_at="2026-12-03 09:41",
    status_url="http://hall.example/c/abcdefghijklmnopqrstuv",
    missing=("公司章程", "住所使用证明"),
)


def render(receipt: CaseReceipt, **options) -> bytes:
    printer = open_printer("dummy://")
    render_receipt(printer, receipt, **options)
    return printer.output


def test_the_receipt_lists_every_missing_document_and_the_status_qr() -> None:
    data = render(RECEIPT)
    runs = chinese_runs(data)
    assert "一次性告知书" in runs
    assert "办件编号 No.：20261203010001" in runs
    assert "· 公司章程" in runs and "· 住所使用证明" in runs
    assert "申请人 Applicant：张*丰" in runs
    assert qr_payloads(data) == [RECEIPT.status_url]
    assert contains_cut(data)
    assert "?" not in "".join(runs)


def test_the_receipt_fits_a_58_mm_roll_and_can_be_rastered() -> None:
    accepted = CaseReceipt(
        **{**RECEIPT.__dict__, "title": "受理回执", "missing": (), "deadline": "2026-12-08"}
    )
    narrow = render(accepted, paper_mm=58)
    assert "承诺办结 Promised by：2026-12-08" in chinese_runs(narrow)
    rastered = render(accepted, raster_text=True)
    assert qr_payloads(rastered) == [RECEIPT.status_url]
