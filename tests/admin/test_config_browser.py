"""The /admin/config page in a real headless Chromium against a real `hall serve`."""

import pytest
import requests
import yaml

from hall import create_app, db, demo, migrate
from tests.clients.test_a11y import serious
from tests.clients.test_browser import ARGS, CHROMIUM, CSP_WATCH, KIOSK_TOKEN, pick
from tests.conftest import LiveServer, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium missing (make system)"),
]
SHOTS = "/tmp/onewindow-shots"


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """One `hall serve` on a demo database for the module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('hub') / 'hall.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "PRINT_WORKER": False})
    migrate.upgrade(db.engine(app))
    with app.app_context(), db.unit_of_work() as session:
        demo.create(session)
    db.engine(app).dispose()
    server = LiveServer(url).start()
    yield server
    server.stop()


@pytest.fixture
def open_page(browser):
    """Pages in fresh Chinese-locale contexts, checked for CSP violations at the end."""
    contexts = []

    def open_(url: str, *, kiosk_token: str | None = None, width=1366, height=900):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
        if kiosk_token:
            context.add_init_script(
                f"localStorage.setItem('onewindow.kiosk.token', {kiosk_token!r})"
            )
        context.add_init_script(CSP_WATCH)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10000)
        page.goto(url)
        return page

    yield open_
    violations = [
        (page.url, v) for c in contexts for page in c.pages for v in page.evaluate("window.__csp")
    ]
    for context in contexts:
        context.close()
    assert not violations, violations


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
