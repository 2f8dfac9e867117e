"""The resident's case page (/c/<code>) on a phone in headless Chromium: live over /case."""

import pytest
import requests

from tests.cases.conftest import APPLICANT
from tests.clients.test_backoffice import _take_case
from tests.conftest import login

pytestmark = pytest.mark.browser


def _decide(url: str, case_id: int) -> None:
    api = f"{url}/api/v1"
    officer = login(url, "bo-samr")
    tasks = requests.get(f"{api}/cases/{case_id}", headers=login(url, "admin"), timeout=10)
    task = next(t for t in tasks.json()["case"]["tasks"] if t["department"] == "samr")
    for action in ("claim", "approve"):
        done = requests.post(f"{api}/tasks/{task['id']}/{action}", headers=officer, timeout=10)
        assert done.ok, done.text


def test_the_case_page_follows_the_case_live_on_a_phone(lite_server, open_page):
    case = _take_case(lite_server.url)
    page = open_page(f"{lite_server.url}/c/{case['receipt_code']}", width=390, height=844)
    page.wait_for_selector("html[data-hub='online']")
    state = page.locator("#case-state")
    assert state.get_attribute("data-status") == "in_review"
    assert state.inner_text().startswith("审批中")  # Chinese first …
    assert "in review" in state.inner_text()  # … English second
    facts = page.locator("#case-facts").inner_text()
    assert f"承诺办结日期 {case['deadline']}" in facts
    html = page.content()
    for secret in (APPLICANT["name"], "张*丰", APPLICANT["id_number"], APPLICANT["phone"]):
        assert secret not in html
    page.screenshot(path="/tmp/case-status-review.png")
    # No page reload: the decision reaches the phone over the socket.
    _decide(lite_server.url, case["id"])
    page.wait_for_selector("#case-state[data-status='ready']")
    where = page.locator("#case-where")
    where.wait_for()
    text = where.inner_text()
    assert "统一出件窗口" in text and "11" in text  # the pickup window of the demo hall
    assert "取号机" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    page.screenshot(path="/tmp/case-status-ready.png")


def test_an_unknown_code_gets_the_missing_page(lite_server):
    page = requests.get(f"{lite_server.url}/c/not-a-real-receipt-code-x", timeout=10)
    assert page.status_code == 404 and "未找到办件" in page.text


def test_a_clerk_takes_a_case_by_post_at_window_1_and_its_receipt_prints(lite_server, open_page):
    url = lite_server.url
    requests.post(
        f"{url}/api/v1/halls/kuancheng/tickets",
        json={"matter": "samr-02"},
        headers={"Authorization": "Bearer demo-kiosk-kuancheng"},
        timeout=10,
    )
    page = open_page(f"{url}/counter/?hall=kuancheng", width=1366, height=768)
    page.fill("input[name=username]", "window1")
    page.fill("input[name=password]", "demo123")
    page.click("#login-form button[type=submit]")
    page.click("[data-window='1']")
    page.wait_for_selector("#work:not([hidden])")
    page.click("[data-action='call_next']")
    page.wait_for_selector("#current[data-status='called']")
    page.click("[data-action='start']")
    page.wait_for_selector("#current[data-status='serving']")
    page.click("#intake-open")
    page.locator("[data-document='1']").wait_for()
    assert page.locator("#intake-address-field").is_hidden()
    page.fill("#intake-name", "张三丰")
    page.fill("#intake-id", "220103199001011234")
    for box in page.locator("#intake-documents input[type=checkbox]").all():
        box.check()
    page.select_option("#intake-delivery", "post")
    page.locator("#intake-address-field").wait_for(state="visible")
    page.fill("#intake-address", "吉林省长春市宽城区团山街道光明路88号")
    page.click("#intake-submit")
    result = page.locator("#intake-result")
    result.wait_for(state="visible")
    assert result.get_attribute("data-status") == "in_review"
    page.locator("#intake-printing").wait_for()  # window 1 has the demo's receipt printer
    assert "null" not in result.inner_text()
    page.screenshot(path="/tmp/counter-intake-post.png")
    number = result.get_attribute("data-number")
    case = requests.get(
        f"{url}/api/v1/cases/{number}", headers=login(url, "manager"), timeout=10
    ).json()["case"]
    assert case["delivery"] == "post" and case["address"] == "吉林省长春市****"


def test_the_pickup_clerk_posts_a_result_from_the_counter(lite_server, open_page):
    url = lite_server.url
    api = f"{url}/api/v1"
    ticket = requests.post(
        f"{api}/halls/kuancheng/tickets",
        json={"matter": "samr-02"},
        headers={"Authorization": "Bearer demo-kiosk-kuancheng"},
        timeout=10,
    ).json()["ticket"]
    clerk = login(url, "window2")
    for action in ("open", "call-next", "start"):
        assert requests.post(f"{api}/windows/2/{action}", headers=clerk, timeout=10).ok
    matter = requests.get(f"{api}/halls/kuancheng/matters", timeout=10).json()["matters"]
    entry = next(m for m in matter if m["code"] == "samr-02")
    checklist = requests.get(f"{api}/matters/{entry['id']}", timeout=10).json()["matter"]
    body = {
        "ticket": ticket["id"],
        "matter": "samr-02",
        "applicant": APPLICANT,
        "documents": [d["id"] for d in checklist["documents"] if d["required"]],
        "delivery": "post",
        "address": "吉林省长春市宽城区团山街道光明路88号",
    }
    case = requests.post(f"{api}/cases", json=body, headers=clerk, timeout=10).json()["case"]
    _decide(url, case["id"])

    page = open_page(f"{url}/counter/?hall=kuancheng", width=1366, height=768)
    page.fill("input[name=username]", "pickup")
    page.fill("input[name=password]", "demo123")
    page.click("#login-form button[type=submit]")
    page.click("[data-window='11']")
    page.wait_for_selector("#work:not([hidden])")
    page.click("#intake-open")  # no ticket served: the results to post
    row = page.locator(f"#post-cases li[data-case='{case['number']}']")
    row.wait_for()
    assert "吉林省长春市****" in row.inner_text() and "光明路" not in row.inner_text()
    assert "张*丰" in row.inner_text() and APPLICANT["name"] not in page.content()
    row.locator("button", has_text="查看完整地址").click()
    page.wait_for_selector(f"#post-cases li[data-case='{case['number']}'] >> text=光明路88号")
    row.locator("button.primary").click()  # no tracking number: refused
    page.wait_for_selector("#handover-error:not([hidden])")
    assert "运单号" in page.locator("#handover-error").inner_text()
    row.locator("input").fill("SF1234567890")
    row.locator("button.primary").click()
    page.wait_for_selector(f"#post-cases li[data-case='{case['number']}'][data-status='closed']")
    page.screenshot(path="/tmp/counter-post.png")
    done = requests.get(f"{api}/cases/{case['id']}", headers=login(url, "manager"), timeout=10)
    assert done.json()["case"]["status"] == "closed"
    assert done.json()["case"]["tracking_number"] == "SF1234567890"
