"""axe-core (vendored) on every page and the states we can reach: no serious or critical issue."""

from pathlib import Path

import pytest
import requests

from tests.clients.test_browser import counter_at, online, pick, wait_until
from tests.conftest import KIOSK_TOKEN

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor/axe-core/axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def serious(page) -> list[str]:
    """axe's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')))",
        TAGS,
    )
    return found


def test_kiosk_states_have_no_serious_accessibility_issue(hub, open_page):
    unset = open_page(f"{hub.url}/kiosk/", width=1080, height=1920)
    unset.wait_for_selector("#setup:not([hidden])")
    assert serious(unset) == []
    kiosk = open_page(f"{hub.url}/kiosk/", kiosk_token=KIOSK_TOKEN, width=1080, height=1920)
    kiosk.wait_for_selector(".category-tile")
    assert serious(kiosk) == [], "home"
    kiosk.click("#large-text")
    assert serious(kiosk) == [], "large text"
    kiosk.click("#keyboard-toggle")
    kiosk.click("[data-letter='Y']")
    assert serious(kiosk) == [], "search"
    pick(kiosk, "samr-01")
    kiosk.click("input[name=priority][value=elderly]")
    assert serious(kiosk) == [], "guide"
    kiosk.click("#take")
    kiosk.wait_for_selector("#ticket:not([hidden])")
    kiosk.wait_for_selector("#print-state[data-state='printed']")
    assert serious(kiosk) == [], "ticket"


def test_display_pages_have_no_serious_accessibility_issue(hub, open_page):
    display = open_page(f"{hub.url}/display/?hall=kuancheng", width=1920, height=1080)
    online(display)
    assert serious(display) == []
    screen = open_page(f"{hub.url}/display/window/4", width=1280, height=720)
    online(screen)
    assert serious(screen) == []


def test_counter_and_board_have_no_serious_accessibility_issue(hub, open_page):
    requests.post(
        f"{hub.url}/api/v1/halls/kuancheng/tickets",
        json={"matter": "re-02"},
        headers={"Authorization": f"Bearer {KIOSK_TOKEN}"},
        timeout=10,
    )
    login = open_page(f"{hub.url}/counter/?hall=kuancheng", width=1366, height=768)
    login.wait_for_selector("#login:not([hidden])")
    assert serious(login) == [], "counter login"
    counter = counter_at(open_page, hub.url, "window6", 6)
    assert serious(counter) == [], "counter"
    counter.click("[data-action='call_next']")
    counter.wait_for_selector("#current[data-status='called']")
    assert serious(counter) == [], "counter working"
    counter.keyboard.press("t")
    counter.wait_for_selector("#transfer-dialog[open]")
    assert serious(counter) == [], "transfer dialog"
    counter.keyboard.press("Escape")
    board = open_page(f"{hub.url}/board/?hall=kuancheng", width=1366, height=900)
    board.fill("input[name=username]", "manager")
    board.fill("input[name=password]", "demo123")
    board.click("#login-form button[type=submit]")
    board.wait_for_selector("#main:not([hidden])")
    assert serious(board) == [], "board"


def test_status_page_has_no_serious_accessibility_issue(hub, open_page):
    ticket = requests.post(
        f"{hub.url}/api/v1/halls/kuancheng/tickets",
        json={"matter": "hpf-01"},
        headers={"Authorization": f"Bearer {KIOSK_TOKEN}"},
        timeout=10,
    ).json()["ticket"]
    status = open_page(ticket["status_url"], width=360, height=740)
    status.wait_for_selector("html[data-hub='online']")
    assert serious(status) == []


def test_display_offline_page_has_no_serious_accessibility_issue(lite_server, open_page):
    """The page a display shows from its service worker's cache while the hub is away."""
    display = open_page(f"{lite_server.url}/display/?hall=kuancheng", width=1920, height=1080)
    online(display)
    wait_until(display, "navigator.serviceWorker.controller !== null")
    lite_server.stop()
    try:
        display.reload()
        display.wait_for_selector("#offline-page")
        assert serious(display) == []
        portrait = display.context.new_page()
        portrait.set_viewport_size({"width": 1080, "height": 1920})
        portrait.goto(f"{lite_server.url}/display/?hall=kuancheng")
        portrait.wait_for_selector("#offline-page")
        assert serious(portrait) == [], "portrait"
    finally:
        lite_server.start()
        # offline.js reloads each page once the hub answers: let that navigation finish before
        # the fixture reads the pages (else "execution context was destroyed" at teardown).
        for page in display.context.pages:
            page.wait_for_selector(".board", timeout=20000)


def _admin_sign_in(page, username: str) -> None:
    page.wait_for_selector("#login:not([hidden])")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo123")
    page.click("#login-form button[type=submit]")


def test_admin_pages_have_no_serious_accessibility_issue(hub, open_page):
    """Every administration page (/admin/…), its login, an edit and an add form, the refusal
    a clerk sees, and the configuration file page."""
    from admin import NAV

    page = open_page(f"{hub.url}/admin/")
    page.wait_for_selector("#login:not([hidden])")
    assert serious(page) == [], "admin login"
    _admin_sign_in(page, "admin")
    page.wait_for_selector("#main:not([hidden])")
    for name in NAV:
        page.goto(f"{hub.url}/admin/{name}?hall=kuancheng")
        page.wait_for_selector("#main:not([hidden])")
        page.wait_for_selector("#rows tr")
        assert serious(page) == [], name
    page.goto(f"{hub.url}/admin/queues?hall=kuancheng")
    page.wait_for_selector("#rows tr")
    page.locator("#rows button.edit").first.click()
    page.wait_for_selector("tr.slot form")
    page.locator("tr.slot form input[name=name]").fill("")
    page.locator("tr.slot form button[type=submit]").click()
    page.wait_for_selector("tr.slot [data-field=name] .field-error:not(:empty)")
    assert serious(page) == [], "edit form with an error"
    page.goto(f"{hub.url}/admin/halls")
    page.wait_for_selector("#rows tr")
    page.click("#add")
    page.wait_for_selector("#add-slot form")
    assert serious(page) == [], "add form"
    page.goto(f"{hub.url}/admin/config")
    page.wait_for_selector("#main:not([hidden])")
    assert serious(page) == [], "configuration file"

    clerk = open_page(f"{hub.url}/admin/")
    _admin_sign_in(clerk, "window1")
    clerk.wait_for_selector("#refused:not([hidden])")
    assert serious(clerk) == [], "refused"


def test_booking_pages_have_no_serious_accessibility_issue(hub, open_page):
    """The phone booking form, its slots and a booking's own page, booked and cancelled."""
    book = open_page(f"{hub.url}/m/kuancheng/book", width=360, height=740)
    book.wait_for_selector("#book-matter")
    assert serious(book) == [], "form"
    book.select_option("#book-matter", "hpf-01")
    book.locator(".slot:not(.full)").first.click()
    book.fill("#book-phone", "13900001234")
    assert serious(book) == [], "slots"
    book.click("#book-submit")
    book.wait_for_url("**/b/**")
    assert serious(book) == [], "booking"
    book.click("#cancel-booking")
    book.wait_for_selector("#cancel-booking-dialog[open]")
    book.click("#cancel-booking-confirm")
    book.wait_for_selector("#booking-app[data-status='cancelled']")
    assert serious(book) == [], "cancelled"
    closed = open_page(f"{hub.url}/m/xinfa/book", width=360, height=740)
    closed.wait_for_selector("#book-closed")
    assert serious(closed) == [], "a hall without phone booking"


def test_the_other_pages_have_no_serious_accessibility_issue(hub, open_page):
    """The pages no other axe run reaches: the open figures, the evaluator, the managers'
    report and the plain 404 page."""
    pages = {
        "open figures": (f"{hub.url}/open/kuancheng", 360, 740, "main"),
        "missing": (f"{hub.url}/s/not-a-real-status-token-xx", 360, 740, "body"),
        "evaluator": (
            f"{hub.url}/evaluator/?hall=kuancheng&window=1#token=demo-evaluator-kuancheng",
            1280,
            800,
            "html[data-hub='online']",
        ),
    }
    for name, (url, width, height, ready) in pages.items():
        page = open_page(url, width=width, height=height)
        page.wait_for_selector(ready)
        assert serious(page) == [], name
    report = open_page(f"{hub.url}/board/report?hall=kuancheng&kind=daily", width=1366, height=768)
    report.fill("input[name=username]", "manager")
    report.fill("input[name=password]", "demo123")
    report.click("#login-form button[type=submit]")
    report.wait_for_selector("html[data-report='ready']")
    assert serious(report) == [], "report"


def test_case_pages_have_no_serious_accessibility_issue(lite_server, open_page):
    """The resident's case page and the back office's inbox, on a hub of their own (taking a
    case needs window 1 to call the very ticket it just issued)."""
    from tests.clients.test_backoffice import _take_case

    case = _take_case(lite_server.url)
    page = open_page(f"{lite_server.url}/c/{case['receipt_code']}", width=360, height=740)
    page.wait_for_selector("html[data-hub='online']")
    assert serious(page) == [], "case page"
    office = open_page(f"{lite_server.url}/backoffice/", width=1366, height=900)
    assert serious(office) == [], "back office login"
    office.fill("input[name=username]", "bo-samr")
    office.fill("input[name=password]", "demo123")
    office.click("button[type=submit]")
    office.locator(f"tr[data-case='{case['number']}']").wait_for()
    assert serious(office) == [], "back office inbox"
