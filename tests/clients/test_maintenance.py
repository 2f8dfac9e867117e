"""The kiosk's maintenance view: staff press and hold, log in, and see the device; residents
never do. The REST answer behind it needs both a staff login of the hall and the device token."""

import pytest
import requests

from tests.conftest import KIOSK, KIOSK_TOKEN, login

pytestmark = pytest.mark.browser


def maintenance(url, headers, device_token=KIOSK_TOKEN):
    return requests.post(
        f"{url}/api/v1/devices/maintenance",
        json={"device_token": device_token},
        headers=headers,
        timeout=10,
    )


def test_an_unpaired_display_refuses_staff_of_another_hall_before_saying_not_paired(hub):
    url = hub.url
    ask = lambda who, hall: requests.post(  # noqa: E731
        f"{url}/api/v1/devices/maintenance",
        json={"device_token": "-", "hall": hall},
        headers=login(url, who),
        timeout=10,
    )
    assert ask("manager-xinfa", "kuancheng").status_code == 403
    mine = ask("window1", "kuancheng")
    assert mine.status_code == 404 and mine.json()["error"]["code"] == "device_not_found"
    assert ask("window1", "nowhere").status_code == 404
    assert ask("window1", "x" * 41).status_code == 400


def test_the_device_state_needs_a_staff_login_of_its_hall(hub):
    url = hub.url
    answer = maintenance(url, login(url, "manager"))
    assert answer.status_code == 200, answer.text
    device = answer.json()["device"]
    assert device["hall"] == "kuancheng" and device["kind"] == "kiosk"
    assert {"printer_url", "printer_fault", "open_jobs"} <= set(device)
    assert answer.json()["version"]
    # No login, a device's own token, staff of another hall, a token that names nothing.
    assert maintenance(url, {}).status_code == 401
    assert maintenance(url, KIOSK).status_code == 401
    refused = maintenance(url, login(url, "manager-xinfa"))
    assert refused.status_code == 403 and "personal" not in refused.text
    assert maintenance(url, login(url, "manager"), "nope").status_code == 404


def hold(page, selector: str, ms: int = 3200) -> None:
    box = page.locator(selector).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(ms)
    page.mouse.up()


def test_staff_long_press_opens_the_maintenance_view_residents_never_see_it(hub, open_page):
    # The token comes by the address (stored, then dropped from it), not by an init script that
    # would store it again when the page reloads.
    kiosk = open_page(f"{hub.url}/kiosk/#token={KIOSK_TOKEN}", width=1080, height=1920)
    kiosk.wait_for_selector("#home:not([hidden])")
    # A tap on the hall's name does nothing; nothing about the device is on the page.
    kiosk.click("#kiosk-title")
    assert not kiosk.is_visible("#maintenance")
    hold(kiosk, "#kiosk-title")
    kiosk.wait_for_selector("#maintenance[open] #maint-login:not([hidden])")
    assert not kiosk.is_visible("#maint-panel")
    # A wrong password, then staff of another hall: refused, the panel stays shut.
    kiosk.fill("#maint-user", "manager")
    kiosk.fill("#maint-password", "wrong")
    kiosk.click("#maint-login button[type=submit]")
    kiosk.wait_for_selector("#maint-error:not([hidden])")
    kiosk.fill("#maint-user", "manager-xinfa")
    kiosk.fill("#maint-password", "demo123")
    kiosk.click("#maint-login button[type=submit]")
    kiosk.wait_for_selector("#maint-error:not([hidden])")
    assert not kiosk.is_visible("#maint-panel")
    kiosk.fill("#maint-user", "window1")
    kiosk.fill("#maint-password", "demo123")
    kiosk.click("#maint-login button[type=submit]")
    kiosk.wait_for_selector("#maint-panel:not([hidden])")
    assert "已连接" in kiosk.text_content("#maint-connection")
    assert "kuancheng" in kiosk.text_content("#maint-hall")
    assert "kiosk" in kiosk.text_content("#maint-device")
    assert kiosk.text_content("#maint-version").strip() not in ("", "—")
    assert kiosk.text_content("#maint-printer").strip()
    kiosk.screenshot(path="/tmp/kiosk-maintenance.png")
    # Closing logs the staff member out; "forget the token" leaves a kiosk that is not set up.
    kiosk.click("#maint-panel [data-maint-close]")
    assert not kiosk.is_visible("#maintenance")
    hold(kiosk, "#kiosk-title")
    kiosk.fill("#maint-user", "window1")
    kiosk.fill("#maint-password", "demo123")
    kiosk.click("#maint-login button[type=submit]")
    kiosk.wait_for_selector("#maint-panel:not([hidden])")
    kiosk.click("#maint-forget")
    kiosk.wait_for_selector("#setup:not([hidden])")
    assert kiosk.evaluate("localStorage.getItem('onewindow.kiosk.token')") is None
