"""The resident's status page: served by token, and followed live in a real browser."""

import pytest
import requests

from tests.clients.test_browser import wait_until
from tests.conftest import KIOSK, PAGE_TIMEOUT_MS, login

# Records vibration: headless Chromium has no vibration motor to ask.
RECORD_VIBRATION = (
    "window.__vibrations = []; navigator.vibrate = (p) => (window.__vibrations.push(p), true);"
)


def take(client) -> dict:
    response = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    )
    assert response.status_code == 201
    return response.json["ticket"]


def test_page_shows_the_ticket_without_login(lite_app):
    client = lite_app.test_client()
    ticket = take(client)

    response = client.get(ticket["status_url"].removeprefix("http://localhost"))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ticket["number"] in html
    assert "您的号码" in html and "Your number" in html
    assert "socket.io.esm.min.js" in html and "//cdn" not in html
    assert response.headers["Cache-Control"] == "no-store"


def test_page_in_english(lite_app):
    client = lite_app.test_client()
    ticket = take(client)

    html = client.get(ticket["status_url"].removeprefix("http://localhost") + "?lang=en").text

    assert "Your number" in html and "您的号码" not in html


@pytest.mark.parametrize("path", ["/s/not-a-ticket-token-at-all", "/s/1", "/s/x"])
def test_unknown_or_guessed_tokens_are_not_found(lite_app, path):
    response = lite_app.test_client().get(path)

    assert response.status_code == 404
    assert "未找到票号" in response.text


@pytest.mark.browser
def test_status_page_follows_the_ticket_until_called(browser, lite_server):
    url = lite_server.url
    before = requests.post(
        f"{url}/api/v1/halls/kuancheng/tickets",
        json={"matter": "samr-01"},
        headers=KIOSK,
        timeout=10,
    ).json()["ticket"]
    ticket = requests.post(
        f"{url}/api/v1/halls/kuancheng/tickets",
        json={"matter": "samr-01"},
        headers=KIOSK,
        timeout=10,
    ).json()["ticket"]
    context = browser.new_context(locale="zh-CN", viewport={"width": 360, "height": 740})
    context.add_init_script(RECORD_VIBRATION)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        page.goto(ticket["status_url"])
        # hub.js's connection: the ticket first (data-seq is its place in the hall's events).
        page.wait_for_selector("html[data-hub=online][data-seq]")
        assert page.inner_text("#number") == ticket["number"]
        assert page.inner_text("#ahead") == "1"
        assert "前面只有 1 人" in page.inner_text("#notice")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        staff = login(url, "window1")
        requests.post(f"{url}/api/v1/windows/1/open", headers=staff, timeout=10)
        first = requests.post(f"{url}/api/v1/windows/1/call-next", headers=staff, timeout=10)
        assert first.json()["ticket"]["number"] == before["number"]
        # Polled from the test: the page's CSP forbids the eval wait_for_function needs.
        wait_until(page, "document.getElementById('ahead').textContent === '0'", timeout=2000)
        assert "下一位就是您" in page.inner_text("#notice")

        requests.post(f"{url}/api/v1/windows/1/start", headers=staff, timeout=10)
        requests.post(f"{url}/api/v1/windows/1/finish", headers=staff, timeout=10)
        requests.post(f"{url}/api/v1/windows/1/call-next", headers=staff, timeout=10)
        page.wait_for_selector("#call:not([hidden])", timeout=2000)

        call = page.inner_text("#call")
        assert "请到 1 号窗口办理" in call and "Please go to window 1 now" in call
        assert page.get_attribute("#status-app", "data-status") == "called"
        assert page.inner_text("#state").startswith("已呼叫")
        assert page.evaluate("window.__vibrations.length") == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
