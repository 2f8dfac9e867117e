"""What residents and clerks meet on the pages, in headless Chromium at the screens' real sizes."""

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.clients.test_browser import counter_at, online, pick
from tests.conftest import KIOSK_TOKEN, login

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("HALL_TEST_SHOTS")  # a folder: save the screens to look at

# Every visible text's font size (px), smallest first, with where it is.
SMALLEST_TEXT = """() => {
  const found = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el.checkVisibility()) continue;
    if (!el.getBoundingClientRect().width) continue;
    found.push([parseFloat(getComputedStyle(el).fontSize), node.textContent.trim().slice(0, 30)]);
  }
  return found.sort((a, b) => a[0] - b[0])[0];
}"""

ON_ONE_SCREEN = """(selector) => {
  const el = document.querySelector(selector);
  const box = el.getBoundingClientRect();
  const doc = document.documentElement;
  return {
    inside: box.top >= 0 && box.left >= 0 && box.bottom <= innerHeight && box.right <= innerWidth,
    pageWidth: doc.scrollWidth,
    pageHeight: doc.scrollHeight,
  };
}"""


def kiosk_page(open_page, url):
    kiosk = open_page(f"{url}/kiosk/", kiosk_token=KIOSK_TOKEN, width=1080, height=1920)
    kiosk.wait_for_selector(".category-tile")
    return kiosk


def assert_on_screen(page, selector):
    seen = page.evaluate(ON_ONE_SCREEN, selector)
    assert seen["inside"], (selector, seen)
    assert seen["pageWidth"] <= 1080, seen
    assert seen["pageHeight"] <= 1920, seen


@pytest.mark.parametrize("large", [False, True])
def test_kiosk_keeps_everything_on_one_screen(hub, open_page, large):
    kiosk = kiosk_page(open_page, hub.url)
    if large:
        kiosk.click("#large-text")
    # Categories, then one category's matters, page by page: every card on screen.
    for selector in (".category-tile:last-child", "#page-next"):
        assert_on_screen(kiosk, selector)
    kiosk.click("[data-category='企业开办']")
    kiosk.wait_for_selector("#matter-page .matter-card")
    pages = int(kiosk.get_attribute("#home .pager", "data-pages"))
    codes = []
    for page in range(pages):
        assert_on_screen(kiosk, "#matter-page .matter-card:last-child")
        codes += kiosk.eval_on_selector_all(".matter-card", "els => els.map(e => e.dataset.matter)")
        if page < pages - 1:
            kiosk.click("#page-next")
    assert sorted(codes) == ["samr-01", "samr-02", "samr-03", "samr-04", "tax-01"]
    if large:
        assert pages > 1  # one column of big cards: the category takes more than one page
    # A long guide scrolls inside the view; 取号 and 返回 never leave the screen.
    kiosk.click(".matter-card")
    kiosk.wait_for_selector("#matter:not([hidden])")
    assert_on_screen(kiosk, "#take")
    assert_on_screen(kiosk, "#matter .back")
    kiosk.click("#take")
    kiosk.wait_for_selector("#ticket:not([hidden])")
    assert_on_screen(kiosk, "#done")
    # The QR code to photograph fits whole on the screen, large text or not, no scrolling.
    kiosk.wait_for_selector("#ticket-qr:not([hidden])")
    assert_on_screen(kiosk, "#ticket-qr")
    qr = kiosk.locator("#ticket-qr").bounding_box()
    assert qr["width"] >= 240 and qr["height"] >= 240, qr
    assert kiosk.evaluate("document.querySelector('.kiosk-main').scrollHeight") <= 1920
    if SHOTS:
        kiosk.screenshot(path=f"{SHOTS}/kiosk-ticket-{'large' if large else 'normal'}.png")
    number = kiosk.locator("#ticket-number").bounding_box()
    card = kiosk.locator(".ticket-body").bounding_box()
    assert number["x"] >= card["x"] and number["x"] + number["width"] <= card["x"] + card["width"]
    assert ("large-text" in kiosk.get_attribute("html", "class")) is large
    kiosk.click("#done")
    kiosk.wait_for_selector("#home:not([hidden])")
    assert "large-text" not in kiosk.get_attribute("html", "class")


def test_kiosk_finds_matters_by_pinyin_initials_and_keywords(hub, open_page):
    kiosk = kiosk_page(open_page, hub.url)
    kiosk.click("#keyboard-toggle")
    for letter in "YYZZ":
        kiosk.click(f"[data-letter='{letter}']")
    assert kiosk.input_value("#search") == "yyzz"
    found = kiosk.eval_on_selector_all(".matter-card", "els => els.map(e => e.dataset.matter)")
    # 营业执照变更登记 by its name; the registrations that issue a licence by their keyword.
    assert {"samr-01", "samr-02", "samr-03"} <= set(found)
    assert "hrss-01" not in found
    kiosk.fill("#search", "营业执照")
    found = kiosk.eval_on_selector_all(".matter-card", "els => els.map(e => e.dataset.matter)")
    assert {"samr-01", "samr-02", "samr-03"} <= set(found)
    kiosk.fill("#search", "fcz")  # 房产证: the real estate matters
    found = kiosk.eval_on_selector_all(".matter-card", "els => els.map(e => e.dataset.matter)")
    assert set(found) == {"re-01", "re-02", "re-03"}
    kiosk.fill("#search", "qqqqqq")
    kiosk.wait_for_selector("#no-results:not([hidden])")


def test_kiosk_offers_no_appointment_priority_and_asks_for_a_certificate(hub, open_page):
    kiosk = kiosk_page(open_page, hub.url)
    pick(kiosk, "psb-03")
    values = kiosk.eval_on_selector_all("input[name=priority]", "els => els.map(e => e.value)")
    assert values == ["", "elderly", "disabled", "military", "pregnant"]
    assert not kiosk.is_visible("#priority-proof")
    kiosk.click("input[name=priority][value=elderly]")
    assert kiosk.is_visible("#priority-proof")
    assert "请向工作人员出示证件" in kiosk.text_content("#priority-proof")
    # Every radio's label is a 48 px touch target.
    heights = kiosk.eval_on_selector_all(
        ".priority-option", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert min(heights) >= 48


def test_kiosk_tells_residents_where_to_go_when_the_hub_is_lost(lite_server, open_page):
    kiosk = kiosk_page(open_page, lite_server.url)
    assert not kiosk.is_visible("#outage")
    lite_server.stop()
    kiosk.wait_for_selector("#outage:not([hidden])", timeout=10000)
    assert "请到咨询台取号" in kiosk.text_content("#outage")
    lite_server.start()
    kiosk.wait_for_selector("#outage", state="hidden", timeout=15000)


def test_display_marks_a_recall_and_lists_each_number_once(hub, open_page):
    display = open_page(f"{hub.url}/display/?hall=kuancheng", width=1920, height=1080)
    online(display)
    kiosk = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    for _ in range(2):
        requests.post(
            f"{hub.url}/api/v1/halls/kuancheng/tickets",
            json={"matter": "zixun-01"},
            headers=kiosk,
            timeout=10,
        )
    staff = login(hub.url, "window10")
    requests.post(f"{hub.url}/api/v1/windows/10/open", headers=staff, timeout=10)
    first = requests.post(f"{hub.url}/api/v1/windows/10/call-next", headers=staff, timeout=10)
    number = first.json()["ticket"]["number"]
    display.wait_for_selector(f"#latest[data-number='{number}'][data-recall='false']")
    requests.post(f"{hub.url}/api/v1/windows/10/recall", headers=staff, timeout=10)
    display.wait_for_selector(f"#latest[data-number='{number}'][data-recall='true']")
    assert "再次呼叫" in display.text_content("#latest-recall")
    assert display.get_attribute("#announcer", "data-last-recall") == "true"
    listed = display.eval_on_selector_all("#recent li", "els => els.map(e => e.dataset.number)")
    assert number not in listed
    # Read from 3 m: nothing under 32 px on the 1080p hall board.
    size, text = display.evaluate(SMALLEST_TEXT)
    assert size >= 32, text


def test_display_reloaded_in_an_outage_shows_its_own_page_and_comes_back(lite_server, open_page):
    url = f"{lite_server.url}/display/?hall=kuancheng"
    display = open_page(url, width=1920, height=1080)
    online(display)
    display.wait_for_function(
        "navigator.serviceWorker.controller !== null || "
        "navigator.serviceWorker.ready.then(() => false)"
    )
    display.reload()  # the worker controls the page from its first reload or claim
    display.wait_for_function("navigator.serviceWorker.controller !== null")
    lite_server.stop()
    display.reload()
    display.wait_for_selector("#offline-page")
    assert "大屏暂时无法连接服务器" in display.text_content("#offline-page")
    lite_server.start()
    display.wait_for_selector("#latest", timeout=20000)
    online(display)


def test_counter_transfers_to_an_open_window_with_a_note_the_window_sees(hub, open_page):
    url = hub.url
    requests.post(
        f"{url}/api/v1/halls/kuancheng/tickets",
        json={"matter": "tax-02"},
        headers={"Authorization": f"Bearer {KIOSK_TOKEN}"},
        timeout=10,
    )
    receiving = counter_at(open_page, url, "window3", 3)
    sending = counter_at(open_page, url, "window12", 12)
    sending.set_viewport_size({"width": 1366, "height": 768})
    sending.click("[data-action='call_next']")
    sending.wait_for_selector("#current[data-status='called']")
    assert "null" not in sending.text_content("#current-facts")
    number = sending.get_attribute("#current", "data-number")
    sending.keyboard.press("t")
    sending.wait_for_selector("#transfer-dialog[open]")
    # A queue or a window, never both: the window list is off until "a window" is chosen.
    assert sending.is_enabled("#transfer-queue")
    assert not sending.is_enabled("#transfer-window")
    sending.check("#transfer-to-window")
    assert not sending.is_enabled("#transfer-queue")
    assert not sending.is_visible("#transfer-queue")
    offered = sending.eval_on_selector_all(
        "#transfer-window option", "els => els.map(e => [e.textContent, e.dataset.status])"
    )
    statuses = {status for _, status in offered}
    assert statuses <= {"open", "paused"}, offered
    assert any("3" in name for name, _ in offered)
    assert not any(name.startswith("7") for name, _ in offered)  # window 7 is closed
    window3 = sending.eval_on_selector(
        "#transfer-window", "s => [...s.options].find(o => o.textContent.startsWith('3')).value"
    )
    sending.select_option("#transfer-window", window3)
    sending.fill("#transfer-note", "材料已初审 / documents checked")
    sending.click("#transfer-ok")
    sending.wait_for_selector("#info:not([hidden])")
    info = sending.text_content("#info")
    assert f"{number} 已转到 3 号窗口" in info and "材料已初审" in info
    sending.wait_for_selector("#current[data-status='idle']")

    # The receiving window sees the note beside the number, then on its current ticket.
    row = f"[data-number='{number}']"
    receiving.wait_for_selector(f"{row} .row-note")
    assert "材料已初审" in receiving.text_content(f"{row} .row-note")
    receiving.click(f"{row} button:not(.reprint)")
    receiving.wait_for_selector(f"#current[data-number='{number}']")
    assert "材料已初审" in receiving.text_content("#current-note")


def test_counter_says_a_paused_window_is_paused_and_once(hub, open_page):
    counter = counter_at(open_page, hub.url, "window9", 9)
    counter.keyboard.press("p")
    counter.wait_for_selector("#pause-dialog[open]")
    counter.fill("#pause-reason", "会议 / Meeting")
    counter.click("#pause-form button.primary")
    counter.wait_for_selector("#window-status.is-paused")
    facts = counter.text_content("#current-facts")
    assert "暂停中：会议" in facts
    assert "请呼叫下一位" not in facts
    page = counter.inner_text("#work")
    assert page.count("会议") == 1  # the reason is shown once
    assert "Called 1 times" not in page


def test_status_page_drops_the_alert_offer_once_called_and_keeps_hall_time(hub, open_page, browser):
    ticket = requests.post(
        f"{hub.url}/api/v1/halls/kuancheng/tickets",
        json={"matter": "hpf-02"},
        headers={"Authorization": f"Bearer {KIOSK_TOKEN}"},
        timeout=10,
    ).json()["ticket"]
    # A phone in the United States with a 12-hour clock: the page keeps the hall's 24-hour time.
    context = browser.new_context(
        locale="en-US", timezone_id="America/New_York", viewport={"width": 360, "height": 740}
    )
    try:
        phone = context.new_page()
        phone.goto(ticket["status_url"])
        phone.wait_for_selector("html[data-hub='online']")
        assert phone.is_visible("#alerts")
        staff = login(hub.url, "window1")
        requests.post(f"{hub.url}/api/v1/windows/1/open", headers=staff, timeout=10)
        called = requests.post(
            f"{hub.url}/api/v1/windows/1/call",
            json={"ticket": ticket["id"]},
            headers=staff,
            timeout=10,
        )
        assert called.status_code == 200, called.text
        phone.wait_for_selector("#status-app[data-status='called']")
        assert not phone.is_visible("#alerts")
        updated = phone.text_content("#updated")
        assert "AM" not in updated and "PM" not in updated
        offset = ticket["issued_at"][-6:]
        assert re.search(r"\d\d:\d\d:\d\d", updated)
        hours = int(re.search(r"(\d\d):\d\d:\d\d", updated).group(1))
        hall_hour = (datetime.now(UTC) + _offset(offset)).hour
        assert hours in (hall_hour, (hall_hour + 1) % 24)
    finally:
        context.close()


def _offset(text: str) -> timedelta:
    sign = -1 if text[0] == "-" else 1
    return sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6]))


def test_window_screen_text_is_readable_on_a_small_screen(hub, open_page):
    """A window screen is small (1280x720): the board's rule, no text under 32 px at 1080
    lines, scaled to 720 lines is 21.3 px; in every state the screen can be in."""
    screen = open_page(f"{hub.url}/display/window/5", width=1280, height=720)
    online(screen)

    def smallest(state: str) -> None:
        size, text = screen.evaluate(SMALLEST_TEXT)
        assert size >= 21, (state, size, text)
        doc = screen.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        assert doc[0] <= 1280 and doc[1] <= 720, (state, doc)

    smallest("closed")
    staff = login(hub.url, "window5")
    act = lambda path, **body: requests.post(  # noqa: E731
        f"{hub.url}/api/v1/windows/5/{path}", json=body, headers=staff, timeout=10
    )
    assert act("open").ok
    screen.wait_for_selector("#screen-state.is-open")
    smallest("idle")
    requests.post(
        f"{hub.url}/api/v1/halls/kuancheng/tickets",
        json={"matter": "re-01"},
        headers={"Authorization": f"Bearer {KIOSK_TOKEN}"},
        timeout=10,
    )
    assert act("call-next").ok
    screen.wait_for_selector("#screen-number:not([data-number=''])")
    smallest("called")
    if SHOTS:
        screen.screenshot(path=f"{SHOTS}/window-screen-called.png")
    assert act("no-show").ok and act("pause", reason="午间休息，13:30 恢复").ok
    screen.wait_for_selector("#screen-state.is-paused")
    smallest("paused")
    assert act("resume").ok and act("close").ok
