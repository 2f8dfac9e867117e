"""What a case's printed receipt says (受理通知书, 一次性告知书, 不予受理通知书, 领取通知, 出件回执).

Plain values in, a ``printers.CaseReceipt`` out, so that the print worker builds receipts from
the one statement that reads its claimed jobs. Paper leaves the hall in the resident's
pocket: the applicant appears by the masked name only (no ID number, no phone), a postal
address masked. The A4 notice (``/c/<code>/notice``) is the full document.
"""

from datetime import date, datetime
from typing import Any

from hall import clock
from printers import CaseReceipt

REPRINT_MARK = "补打 Reprint"
RIGHTS = (
    "如不服，可自收到之日起六十日内申请行政复议，或六个月内提起行政诉讼。"
    " You may apply for administrative review within 60 days, or sue within six months."
)
COMPLETE_RULE = (
    "请一次补齐以上全部材料，材料齐全之日为受理之日。"
    " Bring all of the above; the case is accepted on the day they are complete."
)
ACCEPTED_RULE = "材料齐全、符合法定形式，予以受理。 Documents complete and in legal form: accepted."
AT_WINDOW = (
    "请凭本回执到统一出件窗口领取结果。 Collect the result at the pickup window with this slip."
)

TITLES = {
    "awaiting_documents": ("一次性告知书", "Notice of all missing documents"),
    "refused": ("不予受理通知书", "Notice of non-acceptance"),
    "in_review": ("受理通知书", "Notice of acceptance"),
    "returned": ("补正告知", "Documents asked for"),
    "ready": ("领取通知", "Your result is ready"),
    "closed": ("出件回执", "Result handed over"),
}


def _when(at: datetime | None, tz: str) -> str:
    return clock.local(at, tz).strftime("%Y-%m-%d %H:%M") if at else ""


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _delivery(case: Any) -> str:
    if case.delivery == "post":
        return f"邮寄送达 By post：{case.address_masked}"
    return AT_WINDOW


def receipt(
    case: Any, *, hall_name: str, matter_name: str, tz: str, status_url: str, reprint: bool
) -> CaseReceipt:
    """The receipt of the case as it stands now: ``case`` is a row or object with the case's
    columns (status, number, applicant_name_masked, dates, missing, deferred, …)."""
    status = str(case.status)
    title, title_en = TITLES.get(status, TITLES["in_review"])
    missing: tuple[str, ...] = ()
    notes: list[str] = []
    reason = ""
    deadline = _day(case.deadline) if status in ("in_review", "returned") else None
    if status == "awaiting_documents":
        missing = tuple(f"{m['name']}：{m['reason']}" for m in case.missing or [])
        notes.append(COMPLETE_RULE)
    elif status == "refused":
        reason = case.reason
        notes.append(RIGHTS)
    elif status in ("in_review", "returned"):
        if status == "returned":
            missing = tuple(f"{m['name']}：{m['reason']}" for m in case.missing or [])
        missing += tuple(
            f"{d['name']}（容缺，请于 {d['due']} 前补交 / by {d['due']}）"
            for d in case.deferred or []
        )
        notes += [ACCEPTED_RULE, _delivery(case)]
    elif status == "ready":
        if case.decision == "rejected":
            notes.append("决定 Decision：不予许可 Not granted")
            reason = case.reason
            notes.append(RIGHTS)
        else:
            notes.append("决定 Decision：准予许可 Granted")
        notes.append(_delivery(case))
    elif status == "closed":
        notes.append(f"出件 Handed over：{_when(case.handed_over_at, tz)}")
        notes.append(f"领取人 To：{case.handed_to_masked}")
        if case.tracking_number:
            notes.append(f"邮寄运单 Tracking：{case.tracking_number}")
    if reprint:
        notes.append(REPRINT_MARK)
    return CaseReceipt(
        hall=hall_name,
        title=title,
        title_en=title_en,
        number=case.number,
        matter=matter_name,
        applicant=case.applicant_name_masked,
        received_at=_when(case.received_at, tz),
        status_url=status_url,
        deadline=deadline,
        missing=missing,
        reason=reason,
        notes=tuple(notes),
    )
