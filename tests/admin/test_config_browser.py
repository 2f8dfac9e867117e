"""The /admin/config page in a real headless Chromium against a real `hall serve`."""

import pytest
import requests
import yaml

from hall import demo
from tests.clients.test_a11y import serious
from tests.clients.test_browser import pick
from tests.conftest import CHROMIUM, KIOSK_TOKEN, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium missing (make system)"),
]
SHOTS = "/tmp/onewindow-shots"


def sign_in(page, username: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo.PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#main:not([hidden])")


def test_dry_run_then_apply_reaches_an_open_kiosk(hub, open_page, tmp_path):
    kiosk = open_page(f"{hub.url}/kiosk/", kiosk_token=KIOSK_TOKEN, width=1080, height=1920)
    kiosk.wait_for_selector("html[data-hub='online'][data-seq]")
    admin = login(hub.url, "admin")
    text = requests.get(f"{hub.url}/api/v1/config?hall=kuancheng", headers=admin, timeout=30).text
    data = yaml.safe_load(text)
    data["halls"][0]["matters"].append(
        {"code": "new-01", "name": "新设便民事项", "name_en": "A new matter", "queue": "A"}
    )
    data["halls"][0]["notice"] = "新的公告 | A new notice"
    path = tmp_path / "kuancheng.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    page = open_page(f"{hub.url}/admin/config")
    sign_in(page, "admin")
    page.set_input_files("#file", str(path))
    page.click("#dry-run")
    page.wait_for_selector("html[data-config-state='checked']")
    changes = page.locator("#changes li").all_inner_texts()
    assert "+ matter kuancheng/new-01" in changes
    assert any(c.startswith("~ hall kuancheng: notice") for c in changes)
    assert page.locator("#apply").is_enabled()
    assert serious(page) == [], "the dry run's changes"
    page.screenshot(path=f"{SHOTS}/admin-config-dry-run.png", full_page=True)
    # Nothing changed yet.
    matters = requests.get(f"{hub.url}/api/v1/halls/kuancheng/matters", timeout=10).json()
    assert "new-01" not in {m["code"] for m in matters["matters"]}

    page.click("#apply")
    page.wait_for_selector("html[data-config-state='applied']")
    assert "2" in page.inner_text("#summary")
    assert page.locator("#apply").is_disabled()
    page.screenshot(path=f"{SHOTS}/admin-config-applied.png", full_page=True)
    # The kiosk that was open all along offers the new matter without a reload.
    pick(kiosk, "new-01")

    # Errors are listed with their paths, and Apply stays off.
    page.fill(
        "#text", "halls:\n- code: kuancheng\n  name: x\n  matters: [{code: m, name: n, queue: X}]\n"
    )
    page.click("#dry-run")
    page.wait_for_selector("#errors li")
    errors = page.locator("#errors li").all_inner_texts()
    assert "halls[0].matters[0].queue: 未知队列 / unknown queue 'X'" in errors
    assert page.locator("#apply").is_disabled()
    assert serious(page) == [], "the errors"


def test_a_manager_is_refused_the_import(hub, open_page):
    page = open_page(f"{hub.url}/admin/config")
    sign_in(page, "manager")
    page.wait_for_selector("#refused:not([hidden])")
    assert "administrators" in page.inner_text("#refused")
    assert page.locator("#import-panel").is_hidden()
