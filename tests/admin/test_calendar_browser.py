"""The holiday arrangement page (/admin/calendar) and the warning on every admin page, in a real
headless Chromium against a real `hall serve`. The days entered are illustrative."""

import pytest
import requests

from hall.admin import holidays
from hall.calendar import Calendar
from tests.admin.test_config_browser import SHOTS, sign_in
from tests.clients.test_a11y import serious
from tests.conftest import CHROMIUM, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium missing (make system)"),
]


def test_enter_change_and_remove_a_day_and_the_warning_goes(hub, open_page):
    today = holidays.today()
    # The hub runs on the real clock: the warning is due when a year nobody covers is near.
    year = Calendar().warning(today)
    page = open_page(f"{hub.url}/admin/staff")
    sign_in(page, "admin")
    page.wait_for_selector("#rows tr")
    if year is not None:
        page.wait_for_selector("#calendar-warning:not([hidden])")
        text = page.inner_text("#calendar-warning")
        assert f"{year} 年节假日安排尚未录入" in text
        assert f"The {year} holiday arrangement has not been entered" in text
    else:
        assert page.is_hidden("#calendar-warning")
    year = year or today.year + 1

    page.goto(f"{hub.url}/admin/calendar?year={year}")
    page.wait_for_selector("#main:not([hidden])")
    page.wait_for_selector(f"#coverage-years li[data-year='{year}']")
    assert page.get_attribute(f"#coverage-years li[data-year='{year}']", "data-source") == "none"
    assert "Nothing here yet" in page.inner_text("#rows")
    assert page.input_value("#year") == str(year)
    assert serious(page) == [], "the calendar page, nothing entered"
    page.screenshot(path=f"{SHOTS}/admin-calendar-empty.png", full_page=True)

    # Add a holiday.
    page.click("#add")
    page.fill("#add-slot input[name=date]", f"{year}-02-08")
    page.fill("#add-slot input[name=name]", "春节")
    page.click("#add-slot button[type=submit]")
    page.wait_for_selector("#rows td[data-col='date']")
    assert page.inner_text("#rows td[data-col='date']") == f"{year}-02-08"
    assert "放假" in page.inner_text("#rows td[data-col='workday']")
    assert page.get_attribute(f"#coverage-years li[data-year='{year}']", "data-source") == "table"
    page.wait_for_selector("#calendar-warning[hidden]", state="attached")
    assert serious(page) == [], "the calendar page with a day"
    page.screenshot(path=f"{SHOTS}/admin-calendar.png", full_page=True)

    # A name too long: the API's message beside the field, nothing saved.
    page.click("#rows button.edit")
    page.fill("tr.slot input[name=name]", "长" * 41)
    page.click("tr.slot button[type=submit]")
    page.wait_for_selector("tr.slot [data-field='name'] .field-error:not(:empty)")
    # Make it a make-up working day instead.
    page.fill("tr.slot input[name=name]", "春节调休上班")
    page.check("tr.slot input[name=workday]")
    page.click("tr.slot button[type=submit]")
    page.wait_for_selector("#rows td[data-col='name']:text('春节调休上班')")
    assert "调休上班" in page.inner_text("#rows td[data-col='workday']")
    admin = login(hub.url, "admin")
    read = requests.get(f"{hub.url}/api/v1/admin/calendar?year={year}", headers=admin, timeout=10)
    assert read.json()["days"] == [
        {"date": f"{year}-02-08", "workday": True, "name": "春节调休上班"}
    ]

    # Remove it, after a confirmation.
    page.click("#rows button[data-action='remove']")
    page.click("button[data-confirm='remove']")
    page.wait_for_selector("#rows td.empty")
    assert (
        requests.get(
            f"{hub.url}/api/v1/admin/calendar?year={year}", headers=admin, timeout=10
        ).json()["days"]
        == []
    )


def test_a_manager_reads_the_calendar_only(hub, open_page):
    page = open_page(f"{hub.url}/admin/calendar")
    sign_in(page, "manager")
    page.wait_for_selector("#coverage-years li")
    assert page.is_visible("#readonly")
    assert page.locator("#add").is_hidden()
    assert page.locator("#rows button").count() == 0
    assert page.locator("#bulk").is_hidden()


YEAR = 2090  # far from the years the other tests enter; the days are illustrative
OTHER = 2091


def _days(hub, year: int = YEAR) -> list[dict]:
    """The year's entered days as the REST API gives them."""
    admin = login(hub.url, "admin")
    answer = requests.get(f"{hub.url}/api/v1/admin/calendar?year={year}", headers=admin, timeout=10)
    return answer.json()["days"]


def _table(page) -> list[list[str]]:
    """The table's date, kind and name cells, row by row."""
    return page.eval_on_selector_all(
        "#rows tr",
        "rows => rows.map(r => ['date', 'workday', 'name'].map("
        "c => r.querySelector(`td[data-col='${c}']`)?.innerText ?? ''))",
    )


def test_an_admin_enters_a_whole_year_in_one_box(hub, open_page):
    page = open_page(f"{hub.url}/admin/calendar?year={YEAR}")
    sign_in(page, "admin")
    page.wait_for_selector("#bulk:not([hidden])")
    page.wait_for_selector(f"#coverage-years li[data-year='{YEAR}']")
    assert page.input_value("#bulk-text") == ""
    assert page.inner_text("#head th:nth-child(3)") == "名称 Name"

    # Two runs of holidays and a make-up working day; comment and blank lines are ignored.
    page.fill(
        "#bulk-text",
        f"# {YEAR} 年安排（示例）\n"
        f"{YEAR}-01-01 放假 元旦\n"
        "\n"
        f"{YEAR}-01-28 {YEAR}-01-31 off 春节\n"
        f"{YEAR}-02-03 班 春节调休\n",
    )
    page.click("#bulk-save")
    page.wait_for_selector("#bulk-confirm:not([hidden])")
    assert "用这 6 天替换 2090 年已录入的 0 天" in page.inner_text("#bulk-confirm")
    page.click("button[data-confirm='year']")
    page.wait_for_selector(f"#rows td[data-col='date']:text('{YEAR}-02-03')")
    saved = page.inner_text("#saved")
    assert "已新增 6 天，已修改 0 天，已删除 0 天" in saved and "6 added" in saved

    entered = [
        (f"{YEAR}-01-01", False, "元旦"),
        *((f"{YEAR}-01-{d}", False, "春节") for d in range(28, 32)),
        (f"{YEAR}-02-03", True, "春节调休"),
    ]
    assert _table(page) == [
        [day, "调休上班 Make-up working day" if workday else "放假 Holiday", name]
        for day, workday, name in entered
    ]
    coverage = f"#coverage-years li[data-year='{YEAR}']"
    assert page.get_attribute(coverage, "data-source") == "table"
    assert "entered by the administrators" in page.inner_text(coverage)
    assert [(d["date"], d["workday"], d["name"]) for d in _days(hub)] == entered
    # The box shows the year again as runs, ready to be edited.
    assert page.input_value("#bulk-text").splitlines() == [
        f"{YEAR}-01-01 放假 元旦",
        f"{YEAR}-01-28 {YEAR}-01-31 放假 春节",
        f"{YEAR}-02-03 上班 春节调休",
    ]
    assert serious(page) == [], "the calendar page with the year's box"
    page.screenshot(path=f"{SHOTS}/admin-calendar-year.png", full_page=True)

    # Saving a shorter arrangement replaces the year: what is no longer listed is removed.
    page.fill("#bulk-text", f"{YEAR}-01-01 放假 元旦")
    page.click("#bulk-save")
    page.click("button[data-confirm='year']")
    page.wait_for_selector("#saved:has-text('已删除 5 天')")
    assert [d["date"] for d in _days(hub)] == [f"{YEAR}-01-01"]
    assert _table(page) == [[f"{YEAR}-01-01", "放假 Holiday", "元旦"]]


def test_a_line_the_box_cannot_read_is_named_and_nothing_is_sent(hub, open_page):
    admin = login(hub.url, "admin")
    requests.put(
        f"{hub.url}/api/v1/admin/calendar/{OTHER}-10-01",
        json={"workday": False, "name": "国庆节"},
        headers=admin,
        timeout=10,
    ).raise_for_status()
    page = open_page(f"{hub.url}/admin/calendar?year={OTHER}")
    sign_in(page, "admin")
    page.wait_for_selector(f"#rows td[data-col='date']:text('{OTHER}-10-01')")
    before = _table(page)
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "PUT" else None)

    for text, message in [
        (
            f"{OTHER}-01-01 放假 元旦\n{OTHER}-02-30 {OTHER}-03-01 放假 春节",
            "第 2 行的日期无效 Line 2: not a date",
        ),
        (f"# 注释\n\n{OTHER}-05-01 sometimes", "第 3 行应写“放假”或“上班”"),
        (
            f"{OTHER}-01-01 {OTHER}-01-03 休\n{OTHER}-01-03 上班",
            f"Line 2: {OTHER}-01-03 is also on line 1",
        ),
        (f"{OTHER + 1}-01-01 放假 元旦", f"Line 1: the days must lie in {OTHER}"),
        (f"{OTHER}-01-01 放假 " + "长" * 41, "第 1 行的名称超过 40 个字"),
    ]:
        page.fill("#bulk-text", text)
        page.click("#bulk-save")
        page.wait_for_selector(f"#bulk-error:has-text('{message}')")
        assert page.locator("#bulk-confirm").is_hidden()

    assert sent == []
    assert _table(page) == before
    assert [d["date"] for d in _days(hub, OTHER)] == [f"{OTHER}-10-01"]
    page.screenshot(path=f"{SHOTS}/admin-calendar-year-error.png", full_page=True)
