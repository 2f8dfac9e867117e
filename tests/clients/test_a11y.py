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
