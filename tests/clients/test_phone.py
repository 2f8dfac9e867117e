"""The phone queue, its poster and the resident's own actions, in Chromium at a phone's size."""

import os
import re
import time

import pytest
import requests

from tests.clients.test_a11y import serious
from tests.conftest import KIOSK_TOKEN, PAGE_TIMEOUT_MS, login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("HALL_TEST_SHOTS")  # a folder: save the screens to look at


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=False)


def test_a_resident_takes_a_ticket_on_the_phone_and_lands_on_its_status(hub, open_page):
    phone = open_page(f"{hub.url}/m/kuancheng", **PHONE)
    phone.wait_for_selector("[data-take='hpf-02']")
    assert "等候" in phone.text_content(".phone-matter[data-matter='hpf-02'] [data-wait]")
    page_width = phone.evaluate("document.documentElement.scrollWidth")
    assert page_width <= PHONE["width"]
    assert serious(phone) == [], "phone page"
    heights = phone.eval_on_selector_all(
        "[data-take]", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert min(heights) >= 48
    shot(phone, "phone-home")
    phone.click("[data-take='hpf-02']")
    phone.wait_for_url("**/s/**")
    phone.wait_for_selector("html[data-hub='online']")
    number = phone.text_content("#number")
    assert re.fullmatch(r"[A-Z]\d{3}", number)
    # Back on the poster's page, the phone offers the ticket it holds before a second one.
    phone.goto(f"{hub.url}/m/kuancheng")
    phone.wait_for_selector("#mine:not([hidden])")
    assert number in phone.text_content("#mine")
    assert "本机已取号" in phone.text_content("#mine")
    phone.click("#mine-link")
    phone.wait_for_url("**/s/**")


def test_a_hall_without_phone_tickets_tells_the_resident_to_use_a_kiosk(hub, open_page):
    phone = open_page(f"{hub.url}/m/xinfa", **PHONE)
    assert "现场取号机" in phone.text_content("#phone-closed")
    assert phone.locator("[data-take]").count() == 0
    assert serious(phone) == []


def test_poster_fits_one_a4_page_with_its_qr_code(hub, open_page):
    # A4 at 96 dpi: 794 x 1123 CSS pixels.
    poster = open_page(f"{hub.url}/m/kuancheng/poster", width=794, height=1123)
    qr = poster.locator("#poster-qr")
    qr.wait_for()
    assert poster.evaluate("document.querySelector('#poster-qr').naturalWidth") > 0
    box = qr.bounding_box()
    assert box["width"] >= 300 and box["y"] + box["height"] <= 1123
    assert poster.evaluate("document.documentElement.scrollHeight") <= 1123
    assert serious(poster) == []
    shot(poster, "poster")
    pdf = poster.pdf(format="A4")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1


def kiosk_ticket(url: str, matter: str = "hpf-01") -> dict:
    answer = requests.post(
        f"{url}/api/v1/halls/kuancheng/tickets",
        json={"matter": matter},
        headers={"Authorization": f"Bearer {KIOSK_TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 201
    return answer.json()["ticket"]


def test_a_resident_says_late_then_cancels_from_the_status_page(hub, open_page):
    mine = kiosk_ticket(hub.url, "re-03")
    for _ in range(4):
        kiosk_ticket(hub.url, "re-03")
    status = open_page(mine["status_url"], **PHONE)
    status.wait_for_selector("html[data-hub='online']")
    assert status.is_visible("#own-actions")
    assert "还可让后 2 次" in status.text_content("#defers-left")
    assert "You can move back 2 more times" in status.text_content("#defers-left")
    assert "让后 3 位" in status.text_content(
        "#defer"
    ) and "Let 3 people go first" in status.text_content("#defer")
    before = int(status.text_content("#ahead"))
    status.click("#late")
    status.wait_for_selector("#own-result:not([hidden])")
    assert "已告知窗口您会晚到" in status.text_content("#own-result")
    assert int(status.text_content("#ahead")) == before + 3
    assert status.is_hidden("#late") and status.is_visible("#defer")
    left = status.text_content("#defers-left")
    assert "还可让后 1 次" in left
    assert "You can move back 1 more time" in left and "times" not in left  # Babel's plural
    assert serious(status) == [], "after late"
    shot(status, "status-late")
    status.click("#defer")
    status.wait_for_selector("#defer[hidden]", state="attached")
    assert status.is_hidden("#defers-left")
    # Cancel asks first; keeping the place changes nothing.
    status.click("#cancel")
    status.wait_for_selector("#cancel-dialog[open]")
    assert serious(status) == [], "cancel dialog"
    status.click("#cancel-dialog button[value=keep]")
    assert status.get_attribute("#status-app", "data-status") == "waiting"
    status.click("#cancel")
    status.click("#cancel-confirm")
    status.wait_for_selector("#status-app[data-status='cancelled']")
    assert status.is_hidden("#own-actions") and status.is_hidden("#alerts")
    assert "排队位置已释放" in status.text_content("#notice")
    token = mine["status_url"].rsplit("/", 1)[1]
    ticket = requests.get(f"{hub.url}/api/v1/tickets/{token}", timeout=10).json()["ticket"]
    assert ticket["status"] == "cancelled"


def test_a_missed_ticket_shows_its_grace_and_the_display_says_it_is_back(hub, open_page):
    mine = kiosk_ticket(hub.url, "samr-01")
    display = open_page(f"{hub.url}/display/?hall=kuancheng", width=1920, height=1080)
    display.wait_for_selector("html[data-hub='online'][data-seq]")
    status = open_page(mine["status_url"], **PHONE)
    status.wait_for_selector("html[data-hub='online']")
    staff = login(hub.url, "window1")
    act = lambda path, **body: requests.post(  # noqa: E731
        f"{hub.url}/api/v1/windows/1/{path}", json=body, headers=staff, timeout=10
    )
    assert act("open").ok and act("call", ticket=mine["id"]).ok and act("no-show").ok
    status.wait_for_selector("#status-app[data-status='no_show']")
    status.wait_for_selector("#notice[data-kind='grace']")
    notice = status.text_content("#notice")
    assert re.search(r"请于 \d\d:\d\d 前到服务台", notice), notice
    assert status.is_hidden("#own-actions")
    shot(status, "status-grace")
    back = requests.post(
        f"{hub.url}/api/v1/tickets/{mine['id']}/requeue", headers=staff, timeout=10
    )
    assert back.ok
    status.wait_for_selector("#requeued:not([hidden])")
    assert "您已重新排队" in status.text_content("#requeued")
    item = display.wait_for_selector(f"#back-in-line [data-number='{mine['number']}']")
    assert "过号后已恢复排队" in item.text_content()
    assert display.evaluate(
        "(() => { const r = document.querySelector('#back-in-line').getBoundingClientRect();"
        " const box = document.querySelector('.recent').getBoundingClientRect();"
        " return r.bottom <= box.bottom && r.height > 0; })()"
    )
    assert serious(display) == []
    shot(display, "display-back-in-line")
    # Called again, it is no longer "back in line": the call says where to go.
    again = act("call", ticket=mine["id"])
    assert again.ok, again.text
    display.wait_for_selector(f"#back-in-line [data-number='{mine['number']}']", state="detached")


NOTIFICATIONS = """async () => {
  const registration = await navigator.serviceWorker.getRegistration();
  if (!registration) return null;
  const shown = await registration.getNotifications();
  return {scope: registration.scope, shown: shown.map((n) => [n.tag, n.title, n.body])};
}"""


def test_status_page_notifies_through_its_service_worker(hub, browser):
    ahead = [kiosk_ticket(hub.url, "hrss-01") for _ in range(4)]
    mine = kiosk_ticket(hub.url, "hrss-01")  # queue C: no other test here uses it
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.grant_permissions(["notifications"], origin=hub.url)
    try:
        status = context.new_page()
        status.set_default_timeout(PAGE_TIMEOUT_MS)
        status.goto(mine["status_url"])
        status.wait_for_selector("html[data-hub='online']")
        seen = None
        deadline = time.monotonic() + 10
        while not (seen and seen["scope"].endswith("/s/")) and time.monotonic() < deadline:
            seen = status.evaluate(NOTIFICATIONS)
            time.sleep(0.1)
        assert seen["scope"] == f"{hub.url}/s/"
        sw = requests.get(f"{hub.url}/s/sw.js", timeout=10)
        assert sw.headers["Content-Type"].startswith("text/javascript")
        assert sw.headers["Cache-Control"] == "no-cache"
        assert "Content-Security-Policy" in sw.headers
        assert status.is_visible("#alerts-state") and "提醒已开启" in status.text_content("#alerts")
        staff = login(hub.url, "window8")
        act = lambda path, **body: requests.post(  # noqa: E731
            f"{hub.url}/api/v1/windows/8/{path}", json=body, headers=staff, timeout=10
        )
        assert status.text_content("#ahead") == "4" and seen["shown"] == []

        def shown_when(tag: str) -> dict:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                seen = status.evaluate(NOTIFICATIONS)
                if tag in {tag for tag, *_ in seen["shown"]}:
                    break
                time.sleep(0.1)
            return {tag: (title, body) for tag, title, body in seen["shown"]}

        # One called ahead: three left, "your turn soon".
        assert act("open").ok and act("call", ticket=ahead[0]["id"]).ok
        shown = shown_when("onewindow-near")
        assert shown["onewindow-near"][0].startswith("快到您了")
        assert f"{mine['number']} 前面只剩 3 人" in shown["onewindow-near"][1]
        assert act("no-show").ok and act("call", ticket=mine["id"]).ok
        status.wait_for_selector("#status-app[data-status='called']")
        shown = shown_when("onewindow-call")
        assert mine["number"] in shown["onewindow-call"][0]
        assert "请到 8 号窗口办理" in shown["onewindow-call"][1]
    finally:
        context.close()


def test_status_page_without_notification_permission_says_so(hub, open_page):
    mine = kiosk_ticket(hub.url, "psb-02")
    status = open_page(mine["status_url"], **PHONE)
    status.wait_for_selector("html[data-hub='online']")
    permission = status.evaluate("Notification.permission")
    if permission == "default":
        assert status.is_visible("#enable-alerts")
    else:
        assert status.is_hidden("#enable-alerts")
        assert "提醒" in status.text_content("#alerts-state")


NARROW = {"width": 360, "height": 780}


def test_a_resident_books_a_later_day_views_and_cancels_it_on_a_360_px_phone(hub, open_page):
    phone = open_page(f"{hub.url}/m/kuancheng", **NARROW)
    phone.click("#book-link")
    phone.wait_for_url("**/m/kuancheng/book")
    assert phone.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    assert serious(phone) == [], "booking form"
    phone.select_option("#book-matter", "re-01")
    slot = phone.locator(".slot:not(.full)").first
    slot.wait_for()
    assert not phone.locator("#book-day").is_disabled()
    day = phone.locator("#book-day option:checked").text_content()
    assert re.match(r"\d+月\d+日 周[一二三四五]", day), day  # working days only
    heights = phone.eval_on_selector_all(".slot", "els => els.map(e => e.offsetHeight)")
    assert min(heights) >= 48
    assert "剩余 2 个" in slot.text_content() and "2 places left" in slot.text_content()
    # Submitting without a time or with a wrong number says so and books nothing.
    phone.click("#book-submit")
    expect_text(phone, "#book-error", "请选择时段")
    time_text = slot.locator(".slot-time").text_content()
    slot.click()
    phone.fill("#book-phone", "12345")
    phone.click("#book-submit")
    expect_text(phone, "#book-error", "请输入 11 位手机号码")
    phone.fill("#book-phone", "138 0013 8000")
    assert phone.is_hidden("#book-error")
    assert phone.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    assert serious(phone) == [], "slots shown"
    phone.locator("#book-matter").scroll_into_view_if_needed()
    phone.evaluate(
        "window.scrollBy(0, document.querySelector('#book-matter').getBoundingClientRect().top - 90)"
    )
    shot(phone, "phone-booking")
    phone.click("#book-submit")
    phone.wait_for_url("**/b/**")
    code = phone.text_content("#booking-code").strip()
    assert re.fullmatch(r"[A-Z2-9]{8}", code)
    assert phone.text_content("#booking-phone").strip() == "138****8000"
    assert "13800138000" not in phone.content()
    assert time_text in phone.text_content("#booking-time")
    assert phone.evaluate("document.querySelector('#booking-qr').naturalWidth") > 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    assert serious(phone) == [], "booking page"
    shot(phone, "phone-booking-done")
    token = phone.url.rsplit("/", 1)[1]
    booking = requests.get(f"{hub.url}/api/v1/bookings/{token}", timeout=10).json()["booking"]
    assert booking["code"] == code and booking["status"] == "booked"

    # Back on the booking page, this phone offers its booking's link again.
    phone.goto(f"{hub.url}/m/kuancheng/book")
    phone.wait_for_selector("#my-bookings:not([hidden])")
    assert time_text in phone.text_content("#my-bookings")
    assert serious(phone) == [], "this phone's bookings"
    phone.click(".mine-booking")
    phone.wait_for_url(f"**/b/{token}")

    phone.click("#cancel-booking")
    phone.wait_for_selector("#cancel-booking-dialog[open]")
    assert serious(phone) == [], "cancel dialog"
    phone.click("#cancel-booking-dialog button[value=keep]")
    assert (
        requests.get(f"{hub.url}/api/v1/bookings/{token}", timeout=10).json()["booking"]["status"]
        == "booked"
    )
    phone.click("#cancel-booking")
    phone.click("#cancel-booking-confirm")
    phone.wait_for_selector("#booking-app[data-status='cancelled']")
    assert "此预约已取消" in phone.text_content("#booking-state")
    assert phone.locator("#booking-qr").count() == 0
    assert serious(phone) == [], "cancelled"
    phone.goto(f"{hub.url}/m/kuancheng/book")
    phone.wait_for_selector("#book-matter")
    phone.wait_for_load_state("networkidle")
    assert phone.is_hidden("#my-bookings")  # a cancelled booking is not offered


def expect_text(page, selector: str, text: str) -> None:
    page.wait_for_selector(f"{selector}:not([hidden])")
    assert text in page.text_content(selector)
