"""Screenshots of every client page for docs/screenshots/, taken from a live demo hub.

Usage: .venv/bin/python scripts/screenshots.py [--url http://127.0.0.1:5000] [--admin]
(--admin: only the administration pages and the pairing screens.)
Without --url it starts its own `hall serve` on a fresh demo database in a temporary folder.
The hall is put in a lived-in state first: tickets taken, windows opened, numbers called.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
HALL_BIN = Path(sys.executable).parent / "hall"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KIOSK_TOKEN = "demo-kiosk-kuancheng"
PASSWORD = "demo123"


def serve_demo(folder: str) -> tuple[subprocess.Popen, str]:
    """Start `hall serve` on a fresh demo database; return the process and its URL."""
    env = {**os.environ, "HALL_DATABASE_URL": f"sqlite:///{folder}/hall.sqlite3"}
    subprocess.run([str(HALL_BIN), "init", "--demo"], env=env, check=True, capture_output=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [str(HALL_BIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if requests.get(f"{url}/api/v1/halls", timeout=2).ok:
                return process, url
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("hall serve did not start")


def token(url: str, username: str) -> dict[str, str]:
    """A staff member's Authorization header."""
    body = requests.post(
        f"{url}/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=10
    ).json()
    return {"Authorization": f"Bearer {body['token']}"}


def stage(url: str) -> None:
    """Take tickets, open windows and call numbers, so the screens have something to show."""
    kiosk = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    matters = ["samr-01", "samr-02", "tax-02", "re-01", "hrss-01", "medical-02", "zixun-01"]
    for i in range(24):
        priority = "elderly" if i % 9 == 4 else None
        requests.post(
            f"{url}/api/v1/halls/kuancheng/tickets",
            json={"matter": matters[i % len(matters)], "priority": priority},
            headers=kiosk,
            timeout=10,
        )
    for n in (1, 2, 3, 5, 6, 8, 10):
        staff = token(url, f"window{n}")
        requests.post(f"{url}/api/v1/windows/{n}/open", headers=staff, timeout=10)
        requests.post(f"{url}/api/v1/windows/{n}/call-next", headers=staff, timeout=10)
        if n in (1, 6):
            requests.post(f"{url}/api/v1/windows/{n}/start", headers=staff, timeout=10)
    staff = token(url, "window4")
    requests.post(f"{url}/api/v1/windows/4/open", headers=staff, timeout=10)
    requests.post(
        f"{url}/api/v1/windows/4/pause", json={"reason": "休息 / Break"}, headers=staff, timeout=10
    )
    # Window 2 calls its number again: the display marks the recall (再次呼叫).
    requests.post(f"{url}/api/v1/windows/2/recall", headers=token(url, "window2"), timeout=10)


def shoot(url: str) -> None:
    """Open each page in headless Chromium and save a PNG of it."""
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        def page(width: int, height: int, storage: str = ""):
            context = browser.new_context(
                viewport={"width": width, "height": height}, locale="zh-CN"
            )
            if storage:
                context.add_init_script(storage)
            return context.new_page()

        storage = f"localStorage.setItem('onewindow.kiosk.token', '{KIOSK_TOKEN}')"
        kiosk = page(1080, 1920, storage)
        kiosk.goto(f"{url}/kiosk/")
        kiosk.wait_for_selector(".category-tile")
        kiosk.screenshot(path=OUT / "kiosk-home.png")
        kiosk.click("[data-category='企业开办']")
        kiosk.wait_for_selector(".matter-card")
        kiosk.screenshot(path=OUT / "kiosk-category.png")
        kiosk.click("[data-matter='samr-02']")
        kiosk.wait_for_selector("#matter:not([hidden])")
        kiosk.screenshot(path=OUT / "kiosk-matter.png")
        kiosk.click("#take")
        kiosk.wait_for_selector("#ticket:not([hidden])")
        kiosk.wait_for_timeout(1500)
        kiosk.screenshot(path=OUT / "kiosk-ticket.png")
        kiosk.click("#done")
        kiosk.click("#keyboard-toggle")
        for letter in "YYZZ":
            kiosk.click(f"[data-letter='{letter}']")
        kiosk.screenshot(path=OUT / "kiosk-search.png")

        large = page(1080, 1920, storage)
        large.goto(f"{url}/kiosk/")
        large.wait_for_selector(".category-tile")
        large.click("#large-text")
        large.screenshot(path=OUT / "kiosk-large-home.png")
        large.click("[data-category='不动产']")
        large.wait_for_selector(".matter-card")
        large.screenshot(path=OUT / "kiosk-large-category.png")
        large.click(".matter-card")
        large.wait_for_selector("#matter:not([hidden])")
        large.click("input[name=priority][value=elderly]")
        large.screenshot(path=OUT / "kiosk-large-matter.png")
        large.click("#take")
        large.wait_for_selector("#ticket:not([hidden])")
        large.wait_for_timeout(1500)
        large.screenshot(path=OUT / "kiosk-large-ticket.png")

        checkin = page(1080, 1920, storage)
        checkin.goto(f"{url}/kiosk/")
        checkin.wait_for_selector(".category-tile")
        checkin.click("#checkin-open")
        for key in "K7M2":
            checkin.click(f"[data-key='{key}']")
        checkin.screenshot(path=OUT / "kiosk-checkin.png")

        unset = page(1080, 1920)
        unset.goto(f"{url}/kiosk/")
        unset.wait_for_selector("#setup:not([hidden])")
        unset.screenshot(path=OUT / "kiosk-not-set-up.png")

        phone = page(390, 844)
        phone.goto(f"{url}/m/kuancheng")
        phone.wait_for_selector("[data-take]")
        phone.screenshot(path=OUT / "phone.png")
        # A resident takes a ticket on the phone and says they will be late (others behind).
        phone.click("[data-take='hrss-01']")
        phone.wait_for_url("**/s/**")
        phone.wait_for_selector("html[data-hub='online']")
        for _ in range(3):
            requests.post(
                f"{url}/api/v1/halls/kuancheng/tickets",
                json={"matter": "hrss-01"},
                headers={"Authorization": f"Bearer {KIOSK_TOKEN}"},
                timeout=10,
            )
        phone.click("#late")
        phone.wait_for_selector("#own-result:not([hidden])")
        phone.wait_for_timeout(500)
        phone.screenshot(path=OUT / "phone-status.png")

        # Booking a later day at 360 px: a matter, its first free time, a number; then the
        # booking's own page with its check-in code, QR and the number masked.
        book = page(360, 780)
        book.goto(f"{url}/m/kuancheng/book")
        book.select_option("#book-matter", "re-01")
        book.locator(".slot:not(.full)").first.click()
        book.fill("#book-phone", "138 0013 8000")
        book.evaluate(
            "window.scrollBy(0, document.querySelector('#book-matter')"
            ".getBoundingClientRect().top - 90)"
        )
        book.screenshot(path=OUT / "phone-booking.png")
        book.click("#book-submit")
        book.wait_for_url("**/b/**")
        book.wait_for_timeout(300)
        book.screenshot(path=OUT / "phone-booking-done.png")

        poster = page(794, 1123)  # A4 at 96 dpi
        poster.goto(f"{url}/m/kuancheng/poster")
        poster.wait_for_selector("#poster-qr")
        poster.wait_for_timeout(300)
        poster.screenshot(path=OUT / "poster.png")

        # Before the counter below calls: the board's latest call is window 2's recall.
        display = page(1920, 1080)
        display.goto(f"{url}/display/?hall=kuancheng")
        display.wait_for_selector("#latest[data-number]:not([data-number=''])")
        display.wait_for_timeout(500)
        display.screenshot(path=OUT / "display-board.png")

        portrait = page(1080, 1920)
        portrait.goto(f"{url}/display/?hall=kuancheng&layout=portrait")
        portrait.wait_for_selector("#latest[data-number]:not([data-number=''])")
        portrait.wait_for_timeout(500)
        portrait.screenshot(path=OUT / "display-portrait.png")

        screen = page(1280, 720)
        screen.goto(f"{url}/display/window/1")
        screen.wait_for_selector("#screen-number[data-number]:not([data-number=''])")
        screen.screenshot(path=OUT / "display-window.png")

        counter = page(1366, 768)
        counter.goto(f"{url}/counter/?hall=kuancheng")
        counter.fill("input[name=username]", "window12")
        counter.fill("input[name=password]", PASSWORD)
        counter.click("#login-form button[type=submit]")
        counter.click("[data-window='12']")
        counter.wait_for_selector("#work:not([hidden])")
        counter.click("[data-action='call_next']")
        counter.wait_for_selector("#current[data-number]:not([data-number=''])")
        counter.wait_for_timeout(800)
        counter.screenshot(path=OUT / "counter.png")
        counter.keyboard.press("t")
        counter.wait_for_selector("#transfer-dialog[open]")
        counter.check("#transfer-to-window")
        counter.fill("#transfer-note", "材料已初审")
        counter.screenshot(path=OUT / "counter-transfer.png")

        board = page(1600, 1000)
        board.goto(f"{url}/board/?hall=kuancheng")
        board.fill("input[name=username]", "manager")
        board.fill("input[name=password]", PASSWORD)
        board.click("#login-form button[type=submit]")
        board.wait_for_selector("#main:not([hidden])")
        board.wait_for_timeout(500)
        board.screenshot(path=OUT / "board.png")
        browser.close()


ADMIN_PAGES = ("halls", "queues", "matters", "windows", "staff", "devices", "printers", "audit")


def shoot_admin(url: str) -> None:
    """The administration pages at 1366x768, and the pairing code on a device without a token."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{url}/admin/")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        for name in ADMIN_PAGES:
            page.goto(f"{url}/admin/{name}?hall=kuancheng")
            page.wait_for_selector("#rows tr")
            page.wait_for_timeout(300)
            page.screenshot(path=OUT / f"admin-{name}.png")
        page.goto(f"{url}/admin/queues?hall=kuancheng")
        page.wait_for_selector("#rows button.edit")
        page.click("#rows button.edit")
        page.fill("tr.slot input[name=name]", "")
        page.click("tr.slot button[type=submit]")
        page.wait_for_selector("tr.slot .field-error:not(:empty)")
        page.screenshot(path=OUT / "admin-queue-error.png")

        kiosk = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="zh-CN")
        shown = kiosk.new_page()
        shown.goto(f"{url}/kiosk/")
        shown.wait_for_selector("#pairing:not([hidden])")
        shown.screenshot(path=OUT / "kiosk-pairing.png")
        display = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        shown = display.new_page()
        shown.goto(f"{url}/display/")
        shown.wait_for_selector("#pairing:not([hidden])")
        shown.screenshot(path=OUT / "display-pairing.png")
        browser.close()


def main() -> None:
    """Stage a demo hall and take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running hub with the demo data (default: start one)")
    parser.add_argument("--admin", action="store_true", help="only the administration pages")
    args = parser.parse_args()
    take = shoot_admin if args.admin else shoot
    if args.url:
        stage(args.url)
        take(args.url)
        return
    with tempfile.TemporaryDirectory() as folder:
        process, url = serve_demo(folder)
        try:
            stage(url)
            take(url)
        finally:
            process.terminate()
            process.wait(10)
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
