"""The back-office workbench in headless Chromium against a real `hall serve`."""

import pytest
import requests

from tests.cases.conftest import APPLICANT
from tests.conftest import KIOSK, login

# The headless Chromium fixtures (browser, open_page) are in tests/conftest.py.
pytestmark = pytest.mark.browser


def _take_case(url: str) -> dict:
    """A clerk at window 1 takes a case in from the ticket being served (over REST)."""
    api = f"{url}/api/v1"
    ticket = requests.post(
        f"{api}/halls/kuancheng/tickets", json={"matter": "samr-02"}, headers=KIOSK, timeout=10
    ).json()["ticket"]
    clerk = login(url, "window1")
    for action in ("open", "call-next", "start"):
        assert requests.post(f"{api}/windows/1/{action}", headers=clerk, timeout=10).ok
    matter = next(
        m
        for m in requests.get(f"{api}/halls/kuancheng/matters", timeout=10).json()["matters"]
        if m["code"] == "samr-02"
    )
    checklist = requests.get(f"{api}/matters/{matter['id']}", timeout=10).json()["matter"][
        "documents"
    ]
    body = {
        "ticket": ticket["id"],
        "matter": "samr-02",
        "applicant": APPLICANT,
        "documents": [d["id"] for d in checklist if d["required"]],
    }
    answer = requests.post(f"{api}/cases", json=body, headers=clerk, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()["case"]


def test_department_staff_claim_and_approve_then_the_kiosk_gives_a_pickup_ticket(
    lite_server, open_page
):
    case = _take_case(lite_server.url)
    page = open_page(f"{lite_server.url}/backoffice/", width=1366, height=900)
    page.fill("input[name=username]", "bo-samr")
    page.fill("input[name=password]", "demo123")
    page.click("button[type=submit]")
    row = page.locator(f"tr[data-case='{case['number']}']")
    row.wait_for()
    assert "张*丰" in row.inner_text() and "张三丰" not in page.content()
    assert APPLICANT["id_number"] not in page.content()
    page.screenshot(path="/tmp/backoffice-inbox.png")
    row.locator("button[data-action=claim]").click()
    row.locator("button[data-action=approve]").wait_for()
    # A rejection without a reason is not sent.
    row.locator("button[data-action=reject]").click()
    page.locator("#reason-dialog").wait_for(state="visible")
    page.click("#reason-ok")
    assert page.locator("#reason-dialog").is_visible()
    page.click("#reason-cancel")
    row.locator("button[data-action=approve]").click()
    row.wait_for(state="detached")  # decided: it leaves the inbox
    api = f"{lite_server.url}/api/v1"
    status = requests.get(f"{api}/case-status/{case['receipt_code']}", timeout=10).json()["case"]
    assert status["status"] == "ready"
    pickup = requests.post(
        f"{api}/halls/kuancheng/pickup-tickets",
        json={"case": case["number"]},
        headers=KIOSK,
        timeout=10,
    )
    assert pickup.status_code == 201 and pickup.json()["ticket"]["number"].startswith("Q")
    page.screenshot(path="/tmp/backoffice-after.png")


def test_the_notice_prints_on_a4(lite_server, open_page):
    case = _take_case(lite_server.url)
    page = open_page(f"{lite_server.url}/c/{case['receipt_code']}/notice", width=900, height=1200)
    assert page.locator("h1").inner_text().startswith("受理通知书")
    page.screenshot(path="/tmp/notice-accepted.png", full_page=True)
    page.pdf(path="/tmp/notice-accepted.pdf", format="A4")


def test_a_clerk_registers_a_case_from_the_counter(lite_server, open_page):
    url = lite_server.url
    requests.post(
        f"{url}/api/v1/halls/kuancheng/tickets",
        json={"matter": "samr-02"},
        headers=KIOSK,
        timeout=10,
    )
    page = open_page(f"{url}/counter/?hall=kuancheng", width=1366, height=900)
    page.fill("input[name=username]", "window3")
    page.fill("input[name=password]", "demo123")
    page.click("#login-form button[type=submit]")
    page.click("[data-window='3']")
    page.wait_for_selector("#work:not([hidden])")
    # Without a ticket being served the dialog says why it cannot register anything.
    page.click("#intake-open")
    page.locator("#intake-error").wait_for(state="visible")
    page.click("#intake-cancel")
    page.click("[data-action='call_next']")
    page.wait_for_selector("#current[data-status='called']")
    page.click("[data-action='start']")
    page.wait_for_selector("#current[data-status='serving']")
    page.click("#intake-open")
    page.locator("[data-document='1']").wait_for()
    assert "有限责任公司设立登记" in page.locator("#intake-matter option:checked").inner_text()
    page.fill("#intake-name", "张三丰")
    page.fill("#intake-id", "220103199001011234")
    page.fill("#intake-phone", "13812345678")
    page.check("[data-document='1']")  # one document only: a one-time notice of the rest
    page.screenshot(path="/tmp/counter-intake.png")
    page.click("#intake-submit")
    result = page.locator("#intake-result")
    result.wait_for(state="visible")
    assert result.get_attribute("data-status") == "awaiting_documents"
    assert "公司章程" in result.inner_text()
    page.screenshot(path="/tmp/counter-intake-done.png")
    notice = page.get_attribute("#intake-notice", "href")
    html = requests.get(notice, timeout=10).text
    assert "一次性告知书" in html and "公司章程" in html


def test_the_kiosk_gives_a_pickup_ticket_for_a_decided_case(lite_server, open_page):
    case = _take_case(lite_server.url)
    api = f"{lite_server.url}/api/v1"
    officer = login(lite_server.url, "bo-samr")
    task = requests.get(f"{api}/cases/{case['id']}", headers=officer, timeout=10).json()["case"]
    task_id = task["tasks"][0]["id"]
    for action in ("claim", "approve"):
        assert requests.post(
            f"{api}/tasks/{task_id}/{action}", json={}, headers=officer, timeout=10
        ).ok
    kiosk = open_page(f"{lite_server.url}/kiosk/", kiosk_token="demo-kiosk-kuancheng")
    kiosk.click("#pickup-open")
    kiosk.fill("#pickup-case", "20990101019999")
    kiosk.click("#pickup-submit")
    kiosk.locator("#pickup-error").wait_for(state="visible")
    assert "办件不存在" in kiosk.text_content("#pickup-error")
    # A scanner types the receipt's status link.
    kiosk.fill("#pickup-case", case["status_url"])
    kiosk.click("#pickup-submit")
    kiosk.wait_for_selector("#ticket:not([hidden])")
    assert kiosk.text_content("#ticket-number").startswith("Q")
    # Neither the applicant's name (张三丰) nor its masked form: "张" alone is also a measure
    # word in the kiosk's own strings ("2 张票未打印").
    assert "张三丰" not in kiosk.content() and "张*丰" not in kiosk.content()
    kiosk.screenshot(path="/tmp/kiosk-pickup.png")
    # The pickup clerk calls the ticket and hands the result over from the counter.
    counter = open_page(f"{lite_server.url}/counter/?hall=kuancheng", width=1366, height=900)
    counter.fill("input[name=username]", "pickup")
    counter.fill("input[name=password]", "demo123")
    counter.click("#login-form button[type=submit]")
    counter.click("[data-window='11']")
    counter.wait_for_selector("#work:not([hidden])")
    counter.click("[data-action='call_next']")
    counter.wait_for_selector("#current[data-status='called']")
    counter.click("[data-action='start']")
    counter.wait_for_selector("#current[data-status='serving']")
    counter.click("#intake-open")
    counter.locator(f"#handover-cases [data-case='{case['number']}']").wait_for()
    counter.fill("#handover-to", "张三丰")
    counter.screenshot(path="/tmp/counter-handover.png")
    counter.click("#handover-submit")
    counter.wait_for_selector(
        f"#handover-cases [data-case='{case['number']}'][data-status='closed']"
    )
    closed = requests.get(f"{api}/case-status/{case['receipt_code']}", timeout=10).json()["case"]
    assert closed["status"] == "closed"


def test_the_board_shows_overdue_cases(lite_server, open_page):
    board = open_page(f"{lite_server.url}/board/?hall=kuancheng", width=1920, height=1080)
    board.fill("input[name=username]", "manager")
    board.fill("input[name=password]", "demo123")
    board.click("#login-form button[type=submit]")
    alert = board.locator("#alerts .alert.is-bad", has_text="已超期")
    alert.first.wait_for()
    assert "居住证办理" in alert.first.inner_text()  # the demo's overdue case
    board.screenshot(path="/tmp/board-cases.png")
