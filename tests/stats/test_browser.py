"""The evaluator in a real headless Chromium against a real `hall serve`."""

import pytest
import requests

from tests.conftest import CHROMIUM, KIOSK, PAGE_TIMEOUT_MS, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium missing (make system)"),
]


def serve_one(url: str, window: str) -> dict:
    staff = login(url, "window1")
    ticket = requests.post(
        f"{url}/api/v1/halls/kuancheng/tickets",
        json={"matter": "samr-01"},
        headers=KIOSK,
        timeout=10,
    ).json()["ticket"]
    for action in ("open", "call-next", "start", "finish"):
        requests.post(f"{url}/api/v1/windows/{window}/{action}", headers=staff, timeout=10)
    return ticket


def test_a_resident_rates_at_the_window(hub, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1024, "height": 600})
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(f"{hub.url}/evaluator/?hall=kuancheng&window=1#token=demo-evaluator-kuancheng")
    page.wait_for_selector("html[data-hub='online']")
    assert "#token" not in page.url
    assert page.evaluate("localStorage.getItem('onewindow.evaluator.token')") == (
        "demo-evaluator-kuancheng"
    )
    page.screenshot(path="/tmp/evaluator-idle.png")
    ticket = serve_one(hub.url, "1")
    page.wait_for_selector("#ev-ask:not([hidden])")
    assert ticket["number"] in page.inner_text("#ev-prompt")
    page.click(".ev-level-1")
    page.wait_for_selector("#ev-bad:not([hidden])")
    page.click(".ev-send")
    assert "原因" in page.inner_text("#ev-error")
    page.screenshot(path="/tmp/evaluator-bad.png")
    page.check("input[value=wait]")
    page.click(".ev-send")
    page.wait_for_selector("#ev-thanks:not([hidden])")
    page.screenshot(path="/tmp/evaluator-thanks.png")
    manager = login(hub.url, "manager")
    bad = requests.get(
        f"{hub.url}/api/v1/halls/kuancheng/ratings?bad=1", headers=manager, timeout=10
    ).json()["ratings"]
    assert [(r["ticket_id"], r["score"], r["reasons"], r["channel"]) for r in bad] == [
        (ticket["id"], 1, ["wait"], "evaluator")
    ]
    context.close()


def test_the_open_page_at_phone_size(hub, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{hub.url}/open/kuancheng")
    assert "政务公开数据" in page.inner_text("h1")
    page.screenshot(path="/tmp/open-page.png", full_page=True)
    context.close()


def test_the_board_hears_a_bad_rating_live(hub, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    board = context.new_page()
    board.set_default_timeout(PAGE_TIMEOUT_MS)
    board.goto(f"{hub.url}/board/?hall=kuancheng")
    board.fill("input[name=username]", "manager")
    board.fill("input[name=password]", "demo123")
    board.click("#login-form button[type=submit]")
    board.wait_for_selector("#main:not([hidden])")
    snapshots = board.evaluate("document.documentElement.dataset.seq")
    # A traffic light per queue against the hall's target (30 min): nobody waits, all green.
    board.wait_for_selector("#queues tr[data-queue='A'][data-light='green'] .light")
    ticket = serve_one(hub.url, "1")
    rated = requests.post(
        f"{hub.url}/api/v1/tickets/{ticket['id']}/rating",
        json={"score": 2, "text": "等了很久"},
        headers={"Authorization": "Bearer demo-evaluator-kuancheng"},
        timeout=10,
    )
    assert rated.status_code == 201
    alert = board.wait_for_selector(f"#alerts li:has-text('{ticket['number']}')")
    assert "差评" in alert.inner_text()
    board.screenshot(path="/tmp/board-bad-rating.png")
    manager = login(hub.url, "manager")
    rating_id = rated.json()["rating"]["id"]
    for body in ({"callback": True}, {"outcome": "explained", "note": "已解释"}):
        answer = requests.post(
            f"{hub.url}/api/v1/ratings/{rating_id}/follow-up",
            json=body,
            headers=manager,
            timeout=10,
        )
        assert answer.status_code == 200
    board.wait_for_selector(f"#alerts li:has-text('{ticket['number']}')", state="detached")
    assert snapshots is not None
    context.close()


def test_a_resident_adds_a_rating_on_the_phone(hub, browser):
    ticket = serve_one(hub.url, "1")
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(f"{hub.url}/s/{ticket['status_url'].rsplit('/', 1)[1]}")
    page.wait_for_selector("#rate:not([hidden])")
    page.click(".rate-level[data-score='2']")
    page.click("#rate-bad button[type=submit]")
    assert "原因" in page.inner_text("#rate-result")
    page.fill("#rate-text", "材料清单不清楚")
    page.click("#rate-bad button[type=submit]")
    page.wait_for_selector("#rate-result:has-text('感谢')")
    page.screenshot(path="/tmp/status-rated.png", full_page=True)
    manager = login(hub.url, "manager")
    mine = [
        r
        for r in requests.get(
            f"{hub.url}/api/v1/halls/kuancheng/ratings", headers=manager, timeout=10
        ).json()["ratings"]
        if r["ticket_id"] == ticket["id"]
    ]
    assert [(r["channel"], r["score"], r["text"]) for r in mine] == [
        ("status", 2, "材料清单不清楚")
    ]
    context.close()


def test_the_daily_report_draws_its_charts_and_prints(hub, browser):
    for _ in range(3):
        serve_one(hub.url, "1")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{hub.url}/board/report?hall=kuancheng&kind=daily")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", "demo123")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("html[data-report='ready']")
    assert page.text_content("[data-figure=served]").strip() not in ("", "–", "0")
    assert page.locator("#chart-wait svg rect.bar").count() >= 2  # p50 and p90 of an hour
    assert page.locator("#chart-matter svg rect.bar").count() >= 1
    assert page.locator("#chart-level svg circle.dot").count() >= 1
    assert "日报" in page.text_content("#report-title")
    # The demo's open cases, per matter, from the same answer's case groups.
    assert page.locator("#matter-case-rows tr").count() >= 1
    assert "各事项办件" in page.content()
    assert "各时段等候时间" in page.content() and "Wait by hour" in page.content()
    page.screenshot(path="/tmp/report-daily.png", full_page=True)
    with page.expect_download() as download:
        page.click("#csv")
    assert download.value.suggested_filename.endswith(".csv")
    page.emulate_media(media="print")
    assert page.locator("#print").is_hidden() and page.locator("#period").is_hidden()
    page.screenshot(path="/tmp/report-print.png", full_page=True)
    page.emulate_media(media="screen")
    page.select_option("#kind", "monthly")
    page.click("#period button[type=submit]")
    page.wait_for_selector("html[data-report='ready']")
    page.wait_for_selector("#report-title >> text=月报")
    page.screenshot(path="/tmp/report-monthly.png", full_page=True)
    context.close()


def test_the_report_opens_on_the_halls_date_not_the_browsers(hub, browser):
    """A browser in another time zone (and on another date) opens the report on the hall's
    day: rendered by the server for ?hall=, and in the hall's zone when the hall comes from
    the login."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    hall_day = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    context = browser.new_context(
        locale="zh-CN", timezone_id="Pacific/Honolulu", viewport={"width": 1366, "height": 768}
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    # The browser's clock two days behind: its own date (local or UTC) is never the hall's.
    page.clock.set_fixed_time(datetime.now(UTC) - timedelta(days=2))
    page.goto(f"{hub.url}/board/report?hall=kuancheng&kind=daily")
    assert page.locator("#day").input_value() == hall_day
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", "demo123")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("html[data-report='ready']")
    assert page.text_content("#period-text").strip() == hall_day
    context.close()

    # No hall in the address: the hall comes with the login, its date from its own zone.
    # The browser's zone is one whose date differs from the hall's right now (UTC+14 or -10).
    zone = next(
        z
        for z in ("Pacific/Kiritimati", "Pacific/Honolulu")
        if datetime.now(ZoneInfo(z)).date().isoformat() != hall_day
    )
    context = browser.new_context(
        locale="zh-CN", timezone_id=zone, viewport={"width": 1366, "height": 768}
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{hub.url}/board/report?kind=daily")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", "demo123")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("html[data-report='ready']")
    assert page.locator("#day").input_value() == hall_day
    context.close()
