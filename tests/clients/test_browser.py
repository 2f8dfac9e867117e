"""The three clients in a real headless Chromium against a real `hall serve`."""

import time

import pytest
import requests
from sqlalchemy import select

from hall import create_app, db
from hall.admin.models import Hall, Staff
from hall.queue import services
from tests.conftest import CHROMIUM, KIOSK, KIOSK_TOKEN, login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium missing (make system)"),
]


def wait_until(page, expression: str, timeout: float = 10000) -> None:
    """Poll a page expression from the test (page.evaluate is not subject to the page's CSP,
    which forbids the eval that Playwright's wait_for_function needs)."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} ms: {expression}")
        time.sleep(0.05)


def pick(kiosk, code: str) -> None:
    """Find a matter on the kiosk by typing its code in the search box, and open it."""
    kiosk.fill("#search", code)
    kiosk.click(f"[data-matter='{code}']")
    kiosk.wait_for_selector("#matter:not([hidden])")


def online(page) -> None:
    """Wait until the page is connected and has its snapshot."""
    page.wait_for_selector("html[data-hub='online'][data-seq]")


def counter_at(open_page, url: str, username: str, window: int):
    """A counter page signed in and holding a window."""
    page = open_page(f"{url}/counter/?hall=kuancheng")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo123")
    page.click("#login-form button[type=submit]")
    page.click(f"[data-window='{window}']")
    page.wait_for_selector("#work:not([hidden])")
    return page


def waiting_in(url: str, queue: str) -> int:
    queues = requests.get(f"{url}/api/v1/halls/kuancheng/queues", timeout=10).json()["queues"]
    return next(q["waiting"] for q in queues if q["code"] == queue)


def test_kiosk_ticket_is_called_at_the_counter_and_shown_and_announced(hub, open_page):
    url = hub.url
    display = open_page(f"{url}/display/?hall=kuancheng", width=1920, height=1080)
    online(display)
    kiosk = open_page(f"{url}/kiosk/", kiosk_token=KIOSK_TOKEN, width=1080, height=1920)
    pick(kiosk, "samr-01")
    kiosk.click("#take")
    kiosk.wait_for_selector("#ticket:not([hidden])")
    assert kiosk.text_content("#ticket-number") == "A001"
    assert kiosk.get_attribute("#ticket-qr", "src").endswith(".svg")
    counter = counter_at(open_page, url, "window1", 1)
    counter.wait_for_selector("[data-queue='A'] [data-number='A001']")

    counter.keyboard.press("n")
    # Within 1 s of the hub's answer to the counter (the call is committed then), the display
    # shows it; measured from the answer so a loaded test machine's slow write is not counted.
    counter.wait_for_selector("#current[data-number='A001']")
    answered = time.monotonic()
    display.wait_for_selector("#latest[data-number='A001']", timeout=1000)
    assert time.monotonic() - answered < 1.0
    assert "1" in display.text_content("#latest-window")
    announcer = display.locator("#announcer")
    assert int(announcer.get_attribute("data-announced")) == 1
    assert announcer.get_attribute("data-last-announcement") == "A001→1"
    assert "flash" in display.get_attribute("#latest", "class")
    assert counter.get_attribute("#current", "data-status") == "called"

    counter.click("[data-action='recall']")
    wait_until(
        display, "document.querySelector('#announcer').dataset.announced === '2'", timeout=2000
    )
    counter.wait_for_selector("#current li[data-calls='2']")


def test_counter_shows_the_hubs_refusal(hub, open_page):
    counter = counter_at(open_page, hub.url, "window2", 2)
    counter.click("[data-action='recall']")
    error = counter.locator("#error")
    error.wait_for(state="visible")
    assert "窗口当前没有票号" in error.text_content()
    assert "the window has no current ticket" in error.text_content()


def test_counter_asks_for_the_password_again_and_keeps_its_window(hub, open_page):
    """Issue 11: the login ends (here: logged out elsewhere); the hub cuts the socket, the
    counter asks for the password, and after it the same window is in hand again."""
    counter = counter_at(open_page, hub.url, "window12", 12)
    counter.wait_for_selector("#window-name:not(:empty)")
    name = counter.text_content("#window-name")
    saved = counter.evaluate("JSON.parse(sessionStorage.getItem('onewindow.staff.login'))")
    token = saved["token"] if saved else None
    if token is None:  # the key's name is the page's business: find the saved login
        token = counter.evaluate(
            "Object.values(sessionStorage).map(v => { try { return JSON.parse(v).token } "
            "catch { return null } }).find(Boolean)"
        )
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.post(f"{hub.url}/api/v1/auth/logout", headers=headers, timeout=10).ok
    counter.wait_for_selector("#login:not([hidden])")
    assert "重新登录" in counter.text_content("#login-form [role=alert]")
    assert counter.input_value("input[name=username]") == "window12"
    counter.fill("input[name=password]", "demo123")
    counter.click("#login-form button[type=submit]")
    counter.wait_for_selector("#work:not([hidden])")
    assert counter.text_content("#window-name") == name
    state = requests.get(f"{hub.url}/api/v1/windows/12", timeout=10).json()
    assert state["window"]["status"] == "open"


def test_display_catches_up_after_losing_the_hub(lite_server, lite_app, open_page):
    url = lite_server.url
    display = open_page(f"{url}/display/?hall=kuancheng", width=1920, height=1080)
    online(display)
    lite_server.stop()
    display.wait_for_selector("#hub-banner:not([hidden])")
    assert "正在重连" in display.text_content("#hub-banner")
    assert display.get_attribute("html", "data-hub") == "offline"

    # While the display is cut off, a ticket is taken and called (straight in the database).
    with lite_app.app_context(), db.unit_of_work() as session:
        hall = session.scalar(select(Hall).where(Hall.code == "kuancheng"))
        staff = session.scalar(select(Staff).where(Staff.username == "window3"))
        services.issue(session, hall, "samr-01")
        services.open_window(session, 3, staff)
        services.call_next(session, 3, staff)

    lite_server.start()
    display.wait_for_selector("#latest[data-number='A001']", timeout=15000)
    display.wait_for_selector("#hub-banner", state="hidden")
    assert display.get_attribute("#announcer", "data-last-announcement") == "A001→3"
    assert display.locator("[data-window='3'] .window-current").text_content() == "A001"


def test_kiosk_double_tap_takes_one_ticket(hub, open_page):
    kiosk = open_page(f"{hub.url}/kiosk/", kiosk_token=KIOSK_TOKEN)
    pick(kiosk, "hrss-02")
    kiosk.eval_on_selector("#take", "b => { b.click(); b.click(); b.click(); }")
    kiosk.wait_for_selector("#ticket:not([hidden])")
    kiosk.wait_for_timeout(300)
    assert waiting_in(hub.url, "C") == 1
    # The demo kiosk's printer is the escpos Dummy: the page follows the job to "printed".
    kiosk.wait_for_selector("#print-state[data-state='printed']")


def test_kiosk_without_a_printer_says_so_at_once(hub, open_page):
    from hall.admin import services as auth

    app = create_app({"DATABASE_URL": hub.env["HALL_DATABASE_URL"], "PRINT_WORKER": False})
    with app.app_context(), db.unit_of_work() as session:
        hall = session.scalar(select(Hall).where(Hall.code == "kuancheng"))
        _, token = auth.add_device(session, "kiosk", hall, name="无打印机取号机")
    db.engine(app).dispose()
    kiosk = open_page(f"{hub.url}/kiosk/", kiosk_token=token)
    pick(kiosk, "zixun-01")
    kiosk.click("#take")
    kiosk.wait_for_selector("#print-state[data-state='none']")
    assert "本机不打印号票" in kiosk.text_content("#print-state")


def test_kiosk_without_a_token_says_so_and_staff_set_it_up_by_a_long_press(hub, open_page):
    kiosk = open_page(f"{hub.url}/kiosk/", width=1080, height=1920)
    kiosk.wait_for_selector("#setup:not([hidden])")
    assert "设备未启用，请联系工作人员" in kiosk.text_content("#not-set-up")
    # Residents see neither a token field nor a command line.
    assert not kiosk.is_visible("#setup-token")
    assert "hall device" not in kiosk.inner_text("body")
    kiosk.click("#not-set-up")  # a short tap does nothing
    assert not kiosk.is_visible("#setup-token")
    box = kiosk.locator("#not-set-up h1").bounding_box()
    kiosk.mouse.move(box["x"] + 20, box["y"] + 20)
    kiosk.mouse.down()
    kiosk.wait_for_selector("#setup-token", state="visible", timeout=5000)
    kiosk.mouse.up()
    kiosk.fill("#setup-token", "wrong-token")
    kiosk.click("#setup-form button[type=submit]")
    kiosk.wait_for_selector("#setup-error:not([hidden])")
    assert "设备令牌无效" in kiosk.text_content("#setup-error")
    kiosk.fill("#setup-token", KIOSK_TOKEN)
    kiosk.click("#setup-form button[type=submit]")
    kiosk.wait_for_selector("#home:not([hidden]) .category-tile")
    assert KIOSK_TOKEN not in kiosk.url
    assert kiosk.evaluate("localStorage.getItem('onewindow.kiosk.token')") == KIOSK_TOKEN


def test_kiosk_asks_still_there_on_a_guide_before_going_home(hub, open_page):
    kiosk = open_page(f"{hub.url}/kiosk/", kiosk_token=KIOSK_TOKEN, width=1080, height=1920)
    kiosk.wait_for_selector(".category-tile")
    kiosk.clock.install()
    kiosk.click("#large-text")
    pick(kiosk, "zixun-01")
    assert "large-text" in kiosk.get_attribute("html", "class")
    # A resident reading a guide is not sent home after 20 s, nor after a minute.
    kiosk.clock.run_for(60000)
    assert kiosk.is_visible("#matter")
    assert not kiosk.is_visible("#still-there")
    kiosk.clock.run_for(31000)
    kiosk.wait_for_selector("#still-there[open]")
    assert "还在吗" in kiosk.text_content("#still-there")
    assert "秒后返回首页" in kiosk.text_content("#still-there-count")
    kiosk.click("#still-here")  # still reading: the guide stays
    assert kiosk.is_visible("#matter")
    assert "large-text" in kiosk.get_attribute("html", "class")
    kiosk.clock.run_for(91000 + 16000)
    kiosk.wait_for_selector("#home:not([hidden])")
    assert not kiosk.is_visible("#still-there")
    assert "large-text" not in (kiosk.get_attribute("html", "class") or "")


def test_window_screen_shows_number_and_staff(hub, open_page):
    url = hub.url
    requests.post(
        f"{url}/api/v1/halls/kuancheng/tickets", json={"matter": "re-01"}, headers=KIOSK, timeout=10
    )
    screen = open_page(f"{url}/display/window/6", width=1280, height=720)
    online(screen)
    counter = counter_at(open_page, url, "window6", 6)
    screen.wait_for_selector("#screen-staff:has-text('KC006')")
    counter.click("[data-action='call_next']")
    screen.wait_for_selector("#screen-number[data-number='B001']", timeout=2000)
    assert "杨帆" in screen.text_content("#screen-staff")


def test_kiosk_checks_in_an_appointment_by_code(hub, open_page):
    from datetime import timedelta

    from hall import clock
    from hall.queue import appointments

    app = create_app({"DATABASE_URL": hub.env["HALL_DATABASE_URL"], "PRINT_WORKER": False})
    with app.app_context(), db.unit_of_work() as session:
        hall = session.scalar(select(Hall).where(Hall.code == "kuancheng"))
        code = appointments.book(
            session, hall, "civil-01", clock.now() + timedelta(minutes=10), None
        ).code
    db.engine(app).dispose()
    kiosk = open_page(f"{hub.url}/kiosk/", kiosk_token=KIOSK_TOKEN, width=1080, height=1920)
    online(kiosk)
    kiosk.click("#checkin-open")
    kiosk.wait_for_selector("#checkin:not([hidden])")
    for key in "ZZZZZZZZ":
        kiosk.click(f"[data-key='{key}']")
    kiosk.click("#checkin-submit")
    kiosk.wait_for_selector("#checkin-error:not([hidden])")
    assert "预约码无效" in kiosk.text_content("#checkin-error")
    kiosk.fill("#checkin-code", "")
    for key in code:
        kiosk.click(f"[data-key='{key}']")
    kiosk.click("#checkin-submit")
    kiosk.wait_for_selector("#ticket:not([hidden])")
    assert kiosk.text_content("#ticket-number").startswith("Z")


def test_board_publishes_a_notice_that_the_display_shows(hub, open_page):
    display = open_page(f"{hub.url}/display/?hall=kuancheng", width=1920, height=1080)
    online(display)
    board = open_page(f"{hub.url}/board/?hall=kuancheng", width=1366, height=900)
    board.fill("input[name=username]", "manager")
    board.fill("input[name=password]", "demo123")
    board.click("#login-form button[type=submit]")
    board.wait_for_selector("#main:not([hidden])")
    board.fill("#notice-text", "下午 14:00 起不动产窗口暂停 / real estate paused from 14:00")
    board.click("#notice-form button[type=submit]")
    board.wait_for_selector("#notice-status:has-text('已发布')")
    wait_until(
        display,
        "document.getElementById('notice').textContent.includes('不动产窗口暂停')",
        timeout=2000,
    )


def test_kiosk_and_counter_reprint_a_ticket(hub, open_page):
    kiosk = open_page(f"{hub.url}/kiosk/", kiosk_token=KIOSK_TOKEN, width=1080, height=1920)
    pick(kiosk, "medical-02")
    kiosk.click("#take")
    kiosk.wait_for_selector("#print-state[data-state='printed']")
    number = kiosk.text_content("#ticket-number")
    # The kiosk prints its last ticket once more.
    kiosk.click("#reprint")
    wait_until(
        kiosk,
        "document.getElementById('print-state').dataset.state === 'printed'"
        " && !document.getElementById('reprint').hidden",
    )
    # Counter staff reprint a waiting ticket from the list.
    counter = counter_at(open_page, hub.url, "window9", 9)
    row = f"[data-queue='C'] [data-number='{number}']"
    counter.wait_for_selector(row)
    counter.click(f"{row} button.reprint")
    counter.wait_for_selector("#info:not([hidden])")
    assert "已重新发送到打印机" in counter.text_content("#info")
    from hall.queue.models import PrintJob, Ticket

    app = create_app({"DATABASE_URL": hub.env["HALL_DATABASE_URL"], "PRINT_WORKER": False})
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        jobs = session.scalars(
            select(PrintJob.reprint)
            .join(Ticket, Ticket.id == PrintJob.ticket_id)
            .where(Ticket.number == number)
            .order_by(PrintJob.id)
        ).all()
    db.engine(app).dispose()
    assert jobs == [False, True, True]  # the first print, the kiosk's and the counter's


class Wire:
    """What a page sends and receives: Socket.IO frames and HTTP requests, counted."""

    def __init__(self, page) -> None:
        self.sent: list[str] = []
        self.received: list[str] = []
        self.requests: list[str] = []
        page.on("websocket", self._socket)
        page.on("request", lambda request: self.requests.append(request.url))

    def _socket(self, ws) -> None:
        ws.on("framesent", lambda payload: self.sent.append(str(payload)))
        ws.on("framereceived", lambda payload: self.received.append(str(payload)))

    def asked_for_snapshot(self) -> int:
        """`snapshot` requests the page sent (a Socket.IO message, e.g. 42/counter,3["snapshot",{}])."""
        return sum(1 for f in self.sent if f.startswith("42/") and '["snapshot"' in f)

    def snapshots_pushed(self) -> int:
        """Snapshots the hub sent on connect."""
        return sum(1 for f in self.received if f.startswith("42/") and '["snapshot"' in f)

    def fetched(self, part: str) -> int:
        return sum(1 for url in self.requests if part in url)


def test_counter_and_board_follow_events_without_asking_for_snapshots(lite_server, open_page):
    url = lite_server.url
    counter = open_page(f"{url}/counter/?hall=kuancheng")
    counter_wire = Wire(counter)
    counter.fill("input[name=username]", "window7")
    counter.fill("input[name=password]", "demo123")
    counter.click("#login-form button[type=submit]")
    counter.click("[data-window='7']")
    counter.wait_for_selector("#work:not([hidden])")
    board = open_page(f"{url}/board/?hall=kuancheng")
    board_wire = Wire(board)
    board.fill("input[name=username]", "manager")
    board.fill("input[name=password]", "demo123")
    board.click("#login-form button[type=submit]")
    board.wait_for_selector("#main:not([hidden])")
    online(counter)
    online(board)
    assert board.text_content("[data-window='7'] .win-status").startswith("开放")
    b_count = "#queues tr[data-queue='B'] td:nth-child(2)"
    matters = requests.get(f"{url}/api/v1/halls/kuancheng/matters", timeout=10).json()["matters"]
    re01 = next(m["name"] for m in matters if m["code"] == "re-01")

    # A resident takes a ticket at a kiosk: both pages list it from the event alone.
    started = time.monotonic()
    issued = requests.post(
        f"{url}/api/v1/halls/kuancheng/tickets", json={"matter": "re-01"}, headers=KIOSK, timeout=10
    ).json()["ticket"]
    row = f"[data-queue='B'] [data-number='{issued['number']}']"
    counter.wait_for_selector(row, timeout=2000)
    wait_until(board, f"document.querySelector(\"{b_count}\").textContent === '1'")
    listed_s = time.monotonic() - started
    wait_until(counter, f'document.querySelector("{row} .row-matter").textContent === {re01!r}')
    assert counter.get_attribute("[data-queue='B'] .count", "data-count") == "1"

    # The counter calls, serves and finishes it.
    counter.click("[data-action='call_next']")
    counter.wait_for_selector(f"#current[data-number='{issued['number']}']")
    counter.wait_for_selector(row, state="detached")
    board.wait_for_selector(f"[data-window='7'] .win-current:has-text('{issued['number']}')")
    wait_until(board, f"document.querySelector(\"{b_count}\").textContent === '0'")
    counter.click("[data-action='start']")
    counter.wait_for_selector("#current[data-status='serving']")
    board.wait_for_selector("[data-window='7'] .win-current:has-text('办理中')")
    counter.click("[data-action='finish']")
    counter.wait_for_selector("#current[data-status='idle']")
    board.wait_for_selector("[data-window='7'] .win-current:text-is('—')")

    # Another window opens and calls the next ticket of the same queue (over REST): the
    # counter's list and the board follow that window's events too.
    other = requests.post(
        f"{url}/api/v1/halls/kuancheng/tickets", json={"matter": "re-01"}, headers=KIOSK, timeout=10
    ).json()["ticket"]
    other_row = f"[data-queue='B'] [data-number='{other['number']}']"
    counter.wait_for_selector(other_row)
    staff = login(url, "window5")
    requests.post(f"{url}/api/v1/windows/5/open", headers=staff, timeout=10)
    called = requests.post(f"{url}/api/v1/windows/5/call-next", headers=staff, timeout=10)
    assert called.json()["ticket"]["number"] == other["number"]
    counter.wait_for_selector(other_row, state="detached")
    board.wait_for_selector(f"[data-window='5'] .win-current:has-text('{other['number']}')")
    assert counter.text_content("#current-number") == "—"

    counter.wait_for_timeout(600)  # the old pages asked for a snapshot 250-400 ms after events
    for name, wire in (("counter", counter_wire), ("board", board_wire)):
        assert wire.snapshots_pushed() == 1, name
        assert wire.asked_for_snapshot() == 0, (name, [f for f in wire.sent if "snapshot" in f])
    # Nor does the counter read its window or the hall over REST after the events.
    assert counter_wire.fetched("/api/v1/windows/") == 0
    assert counter_wire.fetched("/matters") == 1
    assert listed_s < 2.0
