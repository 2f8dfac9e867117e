"""The stats report as CSV and Excel: one row for the hall, then one per group."""

import csv
import io
from typing import Any

from hall.stats.models import LEVEL_NAMES, SCORE_TO_GBT

COLUMNS = (
    ("分组 / group", lambda t, r, c: None),
    ("取号 / issued", lambda t, r, c: t["issued"]),
    ("办结 / served", lambda t, r, c: t["served"]),
    ("办结率 / served rate", lambda t, r, c: t["served_rate"]),
    ("过号 / no-shows", lambda t, r, c: t["no_show"]),
    ("过号率 / no-show rate", lambda t, r, c: t["no_show_rate"]),
    ("转办 / transfers", lambda t, r, c: t["transfers"]),
    ("等候中位数(秒) / wait p50 s", lambda t, r, c: t["wait_s"]["p50"]),
    ("等候P90(秒) / wait p90 s", lambda t, r, c: t["wait_s"]["p90"]),
    ("最长等候(秒) / wait max s", lambda t, r, c: t["wait_s"]["max"]),
    ("到窗中位数(秒) / walk p50 s", lambda t, r, c: t["walk_s"]["p50"]),
    ("到窗P90(秒) / walk p90 s", lambda t, r, c: t["walk_s"]["p90"]),
    ("最长到窗(秒) / walk max s", lambda t, r, c: t["walk_s"]["max"]),
    ("办理中位数(秒) / service p50 s", lambda t, r, c: t["service_s"]["p50"]),
    ("办理P90(秒) / service p90 s", lambda t, r, c: t["service_s"]["p90"]),
    ("最长办理(秒) / service max s", lambda t, r, c: t["service_s"]["max"]),
    ("服务水平 / service level", lambda t, r, c: t["service_level"]),
    ("超时 / over target", lambda t, r, c: t["over_target"]),
    ("预计等候误差(秒) / estimate MAE s", lambda t, r, c: t.get("estimate_mae_s")),
    ("评价数 / ratings", lambda t, r, c: r["count"]),
    ("好评率 / good rate", lambda t, r, c: r["good_rate"]),
    ("差评 / bad", lambda t, r, c: r["bad"]),
    ("回访率 / callback rate", lambda t, r, c: r["callback_rate"]),
    ("整改率 / fixed rate", lambda t, r, c: r["fixed_rate"]),
    ("办件结转 / cases carried over", lambda t, r, c: c.get("carried_over")),
    ("办件受理 / cases received", lambda t, r, c: c.get("received")),
    ("办件办结 / cases decided", lambda t, r, c: c.get("decided")),
    ("办件逾期 / cases late", lambda t, r, c: c.get("late")),
    ("办件在办 / cases in progress", lambda t, r, c: c.get("in_progress")),
    ("按时办结率 / on-time rate", lambda t, r, c: c.get("on_time_rate")),
    ("最多跑一次率 / one-trip rate", lambda t, r, c: c.get("one_trip_rate")),
    ("即办率 / on-the-spot share", lambda t, r, c: c.get("on_the_spot_share")),
)


def rows(report: dict[str, Any]) -> list[list[Any]]:
    """The report as a table: a header, the hall's total, then each group."""
    table = [[name for name, _ in COLUMNS]]
    entries = [("合计 / total", report["tickets"], report["ratings"], report.get("cases") or {})]
    entries += [
        (g["name"], g["tickets"], g["ratings"], g.get("cases") or {}) for g in report["groups"]
    ]
    for label, tickets, ratings, cases in entries:
        table.append([label] + [get(tickets, ratings, cases) for _, get in COLUMNS[1:]])
    return table


def to_csv(report: dict[str, Any]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headers right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"{report['hall']} {report['from']}..{report['to']}"])
    writer.writerows(rows(report))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: dict[str, Any]) -> bytes:
    """A workbook: the report sheet, and the rating levels with their GB/T 39046 codes."""
    from openpyxl import Workbook  # here, not at import: only an export needs it (memory)

    book = Workbook()
    sheet = book.active
    sheet.title = "统计 stats"
    sheet.append([f"{report['hall']} {report['from']}..{report['to']}"])
    for row in rows(report):
        sheet.append(row)
    levels = book.create_sheet("评价等级 levels")
    levels.append(["评分 / score", "等级 / level", "GB/T 39046 代码 / code"])
    for score in (5, 4, 3, 2, 1):
        zh, en = LEVEL_NAMES[score]
        levels.append([score, f"{zh} / {en}", SCORE_TO_GBT[score]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
