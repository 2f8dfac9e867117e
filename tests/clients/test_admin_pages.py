"""Issue 9 in a real Chromium against a real `hall serve`: the administration pages (refusal,
read-only managers, editing with the error beside the field) and device pairing end to end
(a device shows a code, an admin enters it, the device works), with a wrong and an expired code."""

from datetime import timedelta

import pytest
import requests
from sqlalchemy import create_engine, update

from admin import NAV
from hall import clock, demo
from hall.admin.models import DevicePairing
from tests.clients.test_browser import online, pick, wait_until
from tests.conftest import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium missing (make system)"),
]


def sign_in(page, username: str) -> None:
    page.wait_for_selector("#login:not([hidden])")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo.PASSWORD)
    page.click("#login-form button[type=submit]")


def admin_page(open_page, url: str, path: str, username: str = "admin"):
    page = open_page(f"{url}/admin/{path}", height=768)
    sign_in(page, username)
    page.wait_for_selector("#main:not([hidden])")
    page.wait_for_selector("#rows tr")
    return page


@pytest.mark.parametrize("username", ["window1", "pickup", "bo-samr"])
def test_every_admin_page_refuses_other_roles(hub, open_page, username):
    page = open_page(f"{hub.url}/admin/", height=768)
    sign_in(page, username)
    # The sign-in is kept only once its answer arrives: wait for it before leaving the page.
    page.wait_for_selector("#refused:not([hidden])")
    for name in NAV:
        page.goto(f"{hub.url}/admin/{name}")
        page.wait_for_selector("#refused:not([hidden])")
        assert "只有系统管理员可以打开管理页面" in page.text_content("#refused-reason")
        assert page.is_hidden("#main")


def test_a_manager_sees_their_hall_read_only(hub, open_page):
    page = admin_page(open_page, hub.url, "staff", "manager")
    assert page.is_visible("#readonly")
    assert page.locator("#add").is_hidden()
    assert page.locator("button.edit").count() == 0
    assert page.locator("#hall-select option").all_text_contents() == [
        "宽城区政务服务中心 (kuancheng)"
    ]


def test_editing_a_queue_shows_the_error_beside_the_field_then_saves(hub, open_page):
    page = admin_page(open_page, hub.url, "queues?hall=kuancheng")
    row = page.locator("#rows tr", has_text="综合受理").first
    row.locator("button.edit").click()
    form = page.locator("tr.slot form")
    form.locator("input[name=name]").fill("")
    form.locator("button[type=submit]").click()
    error = form.locator("[data-field=name] .field-error")
    error.wait_for(state="visible")
    assert "Length must be between 1 and 60" in error.text_content()
    assert form.locator("[data-field=prefix] .field-error").text_content() == ""

    form.locator("input[name=prefix]").fill("B")  # another queue's prefix
    form.locator("input[name=name]").fill("综合受理区")
    form.locator("button[type=submit]").click()
    form.locator("[data-field=prefix] .field-error").wait_for(state="visible")
    assert "本大厅已有此值" in form.locator("[data-field=prefix] .field-error").text_content()

    form.locator("input[name=prefix]").fill("A")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#saved:not([hidden])")
    page.wait_for_selector("#rows td[data-col=name]:text-is('综合受理区')")
    queues = requests.get(f"{hub.url}/api/v1/halls/kuancheng/queues", timeout=10).json()
    assert any(q["name"] == "综合受理区" for q in queues["queues"])


def test_pairing_a_kiosk_and_a_display_end_to_end(hub, open_page):
    url = hub.url
    kiosk = open_page(f"{url}/kiosk/", width=1080, height=1920)
    kiosk.wait_for_selector("#pairing:not([hidden])")
    code = kiosk.text_content("#pairing-code")
    assert len(code) == 6 and code.isdigit()
    assert kiosk.is_hidden("#setup-form")  # residents see no token field

    admin = admin_page(open_page, url, "devices")
    pair_form = admin.locator("#pair-form")
    wrong = "000000" if code != "000000" else "111111"
    pair_form.locator("input[name=code]").fill(wrong)
    pair_form.locator("button[type=submit]").click()
    error = pair_form.locator("[data-field=code] .field-error")
    error.wait_for(state="visible")
    assert "配对码错误" in error.text_content()

    pair_form.locator("input[name=code]").fill(code)
    pair_form.locator("select[name=kind]").select_option("kiosk")
    pair_form.locator("input[name=name]").fill("东门取号机")
    pair_form.locator("button[type=submit]").click()
    admin.wait_for_selector("#rows td[data-col=name]:text-is('东门取号机')")
    # The kiosk gets its token at once and works: a resident takes a ticket.
    kiosk.wait_for_selector(".category-tile")
    online(kiosk)
    assert kiosk.evaluate("localStorage.getItem('onewindow.kiosk.token')")
    pick(kiosk, "samr-01")
    kiosk.click("#take")
    kiosk.wait_for_selector("#ticket:not([hidden])")
    assert kiosk.text_content("#ticket-number").startswith("A")

    # A display's code expires before the admin enters it: a clear error, and the display
    # shows a fresh code by itself, which then works.
    display = open_page(f"{url}/display/", width=1920, height=1080)
    display.wait_for_selector("#pairing:not([hidden])")
    old = display.text_content("#pairing-code")
    engine = create_engine(hub.database_url)
    with engine.begin() as conn:
        conn.execute(
            update(DevicePairing)
            .where(DevicePairing.claimed_at.is_(None))
            .values(expires_at=clock.now() - timedelta(seconds=1))
        )
    engine.dispose()
    pair_form.locator("input[name=code]").fill(old)
    pair_form.locator("select[name=kind]").select_option("display")
    pair_form.locator("button[type=submit]").click()
    wait_until(
        admin,
        "document.querySelector('[data-field=code] .field-error').textContent.includes('已过期')",
    )
    wait_until(display, f"document.querySelector('#pairing-code').textContent !== '{old}'")
    fresh = display.text_content("#pairing-code")
    pair_form.locator("input[name=code]").fill(fresh)
    pair_form.locator("select[name=kind]").select_option("display")
    pair_form.locator("input[name=name]").fill("二楼大屏")
    pair_form.locator("button[type=submit]").click()
    display.wait_for_url("**/display/?hall=kuancheng")
    online(display)
    assert display.evaluate("localStorage.getItem('onewindow.display.token')")


def test_device_pages_keep_a_token_from_the_address_and_drop_it(hub, open_page):
    for path, key in (
        ("/display/?hall=kuancheng#token=demo-display-kuancheng", "onewindow.display.token"),
        (
            "/evaluator/?hall=kuancheng&window=1#token=demo-evaluator-kuancheng",
            "onewindow.evaluator.token",
        ),
        ("/kiosk/#token=demo-kiosk-kuancheng", "onewindow.kiosk.token"),
    ):
        page = open_page(f"{hub.url}{path}", height=768)
        wait_until(page, "location.hash === ''")
        assert "token" not in page.url
        assert page.evaluate(f"localStorage.getItem('{key}')").startswith("demo-")
        # The entry was replaced, not added: going back leaves the page (no entry with the token).
        page.go_back()
        assert "token" not in page.url


def test_a_guide_gets_a_new_version_and_staff_are_disabled_from_the_pages(hub, open_page):
    page = admin_page(open_page, hub.url, "matters?hall=kuancheng")
    row = page.locator("#rows tr", has_text="samr-02").first
    before = int(row.locator("td[data-col=version]").text_content())
    row.locator("[data-action=guide]").click()
    guide = page.locator("tr.slot .guide")
    guide.locator(".guide-history li").first.wait_for()
    guide.locator("input[name=fee]").fill("工本费 20 元")
    guide.locator("button[type=submit]").click()
    page.wait_for_selector("#saved:not([hidden])")
    row = page.locator("#rows tr", has_text="samr-02").first
    wait_until(
        page,
        "[...document.querySelectorAll('#rows tr')].some(r => r.textContent.includes('samr-02')"
        f" && r.querySelector('td[data-col=version]').textContent === '{before + 1}')",
    )
    row.locator("[data-action=guide]").click()
    assert "工本费 20 元" in page.locator("tr.slot .guide-history li").first.text_content()

    staff = admin_page(open_page, hub.url, "staff?hall=kuancheng")
    row = staff.locator("#rows tr", has_text="window9").first
    row.locator("[data-action=disable]").click()
    staff.click("tr.slot [data-confirm=disable]")
    staff.wait_for_selector("#saved:not([hidden])")
    row = staff.locator("#rows tr", has_text="window9").first
    row.locator("[data-action=enable]").wait_for()
    body = {"username": "window9", "password": demo.PASSWORD}
    assert requests.post(f"{hub.url}/api/v1/auth/token", json=body, timeout=10).status_code == 401
