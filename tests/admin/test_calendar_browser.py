"""The holiday arrangement page (/admin/calendar) and the warning on every admin page, in a real
headless Chromium against a real `hall serve`. The days entered are illustrative."""

import pytest
import requests

from hall import demo
from hall.admin import holidays
from hall.calendar import Calendar
from tests.clients.test_a11y import serious
from tests.conftest import CHROMIUM, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium missing (make system)"),
]
SHOTS = "/tmp/onewindow-shots"


def sign_in(page, username: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo.PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#main:not([hidden])")


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
