"""The displays' maintenance view in headless Chromium: a paired display connects with its own
token, staff press and hold its name, log in and see the device, hall, connection, hub address
and last event; they play a test announcement, forget the token or pair again; revoking the
display cuts its socket and the page goes back to a pairing code."""

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.clients.test_browser import online
from tests.clients.test_maintenance import hold
from tests.conftest import login

pytestmark = pytest.mark.browser

DISPLAY_TOKEN = "demo-display-kuancheng"


def log_in(page, username, password="demo123"):
    page.fill("#maint-user", username)
    page.fill("#maint-password", password)
    page.click("#maint-login button[type=submit]")


def open_view(page, selector, username="window1"):
    hold(page, selector)
    page.wait_for_selector("#maintenance[open] #maint-login:not([hidden])")
    log_in(page, username)
    page.wait_for_selector("#maint-panel:not([hidden])")


def test_an_anonymous_board_shows_staff_it_is_not_paired_and_pairs_again(hub, open_page):
    board = open_page(f"{hub.url}/display/?hall=kuancheng", width=1920, height=1080)
    online(board)
    assert board.get_attribute("html", "data-display-auth") == "hall"
    # A tap on the hall's name does nothing; a wrong password and staff of another hall are
    # refused and the panel stays shut.
    board.click("[data-maint-hold]")
    assert not board.is_visible("#maintenance")
    hold(board, "[data-maint-hold]")
    board.wait_for_selector("#maintenance[open] #maint-login:not([hidden])")
    log_in(board, "window1", "wrong")
    board.wait_for_selector("#maint-error:not([hidden])")
    log_in(board, "manager-xinfa")
    board.wait_for_selector("#maint-error:not([hidden])")
    assert not board.is_visible("#maint-panel")
    log_in(board, "window1")
    board.wait_for_selector("#maint-panel:not([hidden])")
    assert "未配对" in board.text_content("#maint-device")
    assert "kuancheng" in board.text_content("#maint-hall")
    connection = board.text_content("#maint-connection")
    assert "已连接" in connection and "仅凭大厅代码" in connection
    assert board.text_content("#maint-hub").strip() == hub.url
    # "Pair again": a fresh pairing code on the hall chooser.
    board.click("#maint-repair")
    board.wait_for_selector("#pairing:not([hidden])")
    assert re.fullmatch(r"\d{6}", board.text_content("#pairing-code").strip())


def test_a_window_screen_with_a_token_can_forget_it_and_goes_on_by_hall_code(hub, open_page):
    screen = open_page(f"{hub.url}/display/window/1#token={DISPLAY_TOKEN}", width=1280, height=720)
    online(screen)
    assert DISPLAY_TOKEN not in screen.url
    assert screen.get_attribute("html", "data-display-auth") == "token"
    open_view(screen, "[data-maint-hold]")
    assert "大厅主屏" in screen.text_content("#maint-device")
    assert "display" in screen.text_content("#maint-device")
    assert "设备令牌" in screen.text_content("#maint-connection")
    # Reload: the page comes back connected with its token; then forget it.
    screen.evaluate("document.documentElement.dataset.beforeReload = '1'")
    screen.click("#maint-reload")
    expect(screen.locator("html")).not_to_have_attribute("data-before-reload", "1")
    online(screen)
    assert screen.get_attribute("html", "data-display-auth") == "token"
    open_view(screen, "[data-maint-hold]")
    screen.click("#maint-forget")
    expect(screen.locator("html")).to_have_attribute("data-display-auth", "hall")
    online(screen)
    assert screen.evaluate("localStorage.getItem('onewindow.display.token')") is None
    assert screen.is_visible("#screen-number")


def test_a_paired_board_shows_its_state_plays_a_test_and_is_cut_when_revoked(hub, open_page):
    url = hub.url
    board = open_page(
        f"{url}/display/?hall=kuancheng#token={DISPLAY_TOKEN}", width=1920, height=1080
    )
    online(board)
    assert DISPLAY_TOKEN not in board.url
    assert board.get_attribute("html", "data-display-auth") == "token"
    assert board.get_attribute("html", "data-last-event")  # the snapshot

    hold(board, "[data-maint-hold]")
    board.wait_for_selector("#maintenance[open] #maint-login:not([hidden])")
    with board.expect_response(re.compile(r"/api/v1/auth/token$")) as login_answer:
        log_in(board, "window1")
    staff_token = login_answer.value.json()["token"]
    board.wait_for_selector("#maint-panel:not([hidden])")
    device = board.text_content("#maint-device")
    assert "大厅主屏" in device and "display" in device and re.search(r"#\d+", device)
    assert "kuancheng" in board.text_content("#maint-hall")
    connection = board.text_content("#maint-connection")
    assert "已连接" in connection and "设备令牌" in connection
    assert board.text_content("#maint-hub").strip() == url
    last = re.search(r"(\d\d):(\d\d):\d\d", board.text_content("#maint-last-event"))
    # In the hall's time zone, like the board's clock (the screen's own zone is UTC here).
    clock = re.search(r"(\d\d):(\d\d)", board.text_content("#clock-time"))
    minutes = [int(m[1]) * 60 + int(m[2]) for m in (last, clock)]
    assert abs(minutes[0] - minutes[1]) % 1440 in (0, 1, 2, 1438, 1439)
    assert board.text_content("#maint-version").strip() not in ("", "—")
    # Nothing personal on the view; the test announcement asks the hub for a number it never
    # issues, and plays (or says it could not) on this display only.
    with board.expect_request(re.compile(r"/display/voice\?number=A000&window=0")):
        board.click("#maint-test")
    expect(board.locator("#maint-test-state")).to_have_attribute(
        "data-state", re.compile("done|failed"), timeout=20000
    )
    board.screenshot(path="/tmp/display-maintenance.png")
    # Closing logs the staff member out.
    board.click("#maint-panel [data-maint-close]")
    assert not board.is_visible("#maintenance")
    bearer = {"Authorization": f"Bearer {staff_token}"}
    assert requests.post(f"{url}/api/v1/auth/logout", headers=bearer, timeout=10).status_code == 401

    # An admin revokes the display: its socket is cut and the page shows a pairing code.
    admin = login(url, "admin")
    devices = requests.get(f"{url}/api/v1/admin/devices", headers=admin, timeout=10).json()
    display_id = next(
        d["id"] for d in devices["devices"] if d["kind"] == "display" and d["hall"] == "kuancheng"
    )
    revoked = requests.post(
        f"{url}/api/v1/admin/devices/{display_id}/revoke", headers=admin, timeout=10
    )
    assert revoked.ok
    board.wait_for_selector("#pairing:not([hidden])")
    assert board.evaluate("localStorage.getItem('onewindow.display.token')") is None
