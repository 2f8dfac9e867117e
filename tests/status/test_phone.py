"""The phone queue (/m/<hall>) and its A4 poster: served without login, no personal data."""

import json

import pytest


def test_phone_page_lists_the_matters_with_people_waiting(lite_client):
    html = lite_client.get("/m/kuancheng").get_data(as_text=True)
    assert "手机取号" in html and "Take a ticket by phone" in html
    assert 'data-matter="samr-01"' in html
    assert "等候 0 人，约" in html  # the waiting count and the estimate, Chinese first
    assert "phone.js" in html
    # Pickup lines take no phone tickets: their tickets come with a case's result.
    assert 'data-queue="P"' not in html


def test_phone_page_in_a_hall_without_phone_tickets_says_so(lite_client):
    response = lite_client.get("/m/xinfa")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "本大厅仅支持现场取号机取号" in html
    assert 'data-take="' not in html.replace("data-take-url", "") and "phone.js" not in html


@pytest.mark.parametrize(
    "path", ["/m/nowhere", "/m/NOT_A_CODE!", "/m/nowhere/poster", "/m/x/qr.svg"]
)
def test_unknown_halls_are_not_found(lite_client, path):
    assert lite_client.get(path).status_code == 404


def test_poster_carries_the_halls_qr_code(lite_client):
    html = lite_client.get("/m/kuancheng/poster").get_data(as_text=True)
    assert "扫码取号" in html and "Scan to take a ticket" in html
    assert 'src="/m/kuancheng/qr.svg"' in html
    assert "http://localhost/m/kuancheng" in html
    qr = lite_client.get("/m/kuancheng/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert qr.get_data(as_text=True).lstrip().startswith("<?xml") or b"<svg" in qr.data


def test_a_phone_ticket_needs_no_token_and_opens_its_status_page(lite_client):
    answer = lite_client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"})
    assert answer.status_code == 201
    ticket = answer.json["ticket"]
    page = lite_client.get(ticket["status_url"].removeprefix("http://localhost"))
    assert page.status_code == 200 and ticket["number"] in page.get_data(as_text=True)
    refused = lite_client.post("/api/v1/halls/xinfa/tickets", json={"matter": "samr-01"})
    assert refused.status_code == 401


def test_counts_take_each_languages_plural_form(lite_client):
    def line(lang: str) -> str:
        html = lite_client.get(f"/m/kuancheng?lang={lang}").get_data(as_text=True)
        row = html.split('data-matter="re-01"', 1)[1]
        return row.split("data-wait>", 1)[1].split("</p>", 1)[0]

    assert "0 people waiting" in line("en")
    lite_client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "re-01"})
    assert "1 person waiting" in line("en")
    assert "等候 1 人" in line("zh") and "1 person waiting" in line("zh")
    lite_client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "re-01"})
    assert "2 people waiting" in line("en")


def test_the_browser_gets_each_languages_plural_forms(lite_client):
    html = lite_client.get("/m/kuancheng").get_data(as_text=True)
    strings = json.loads(html.split('id="strings">', 1)[1].split("</script>", 1)[0])
    assert strings["waiting_n"] == {
        "plural": [
            {"other": "等候 %(n)s 人"},
            {"one": "%(n)s person waiting", "other": "%(n)s people waiting"},
        ]
    }
    english = lite_client.get("/m/kuancheng?lang=en").get_data(as_text=True)
    strings = json.loads(english.split('id="strings">', 1)[1].split("</script>", 1)[0])
    assert strings["waiting_n"] == {
        "plural": [{"one": "%(n)s person waiting", "other": "%(n)s people waiting"}]
    }


def test_booking_pages_answer_in_both_languages_and_show_the_number_masked(lite_client):
    html = lite_client.get("/m/kuancheng").get_data(as_text=True)
    assert 'href="/m/kuancheng/book"' in html and "改天再来" in html
    form = lite_client.get("/m/kuancheng/book").get_data(as_text=True)
    assert "预约办事" in form and "Book an appointment" in form
    assert form.index("预约办事") < form.index("Book an appointment")
    assert 'value="re-01"' in form and 'value="pickup-01"' not in form  # pickup lines: no
    assert "book.js" in form and "<style" not in form and "style=" not in form
    english = lite_client.get("/m/kuancheng/book?lang=en").get_data(as_text=True)
    assert "Book an appointment" in english and "预约办事" not in english
    assert "本大厅暂不支持手机预约" in lite_client.get("/m/xinfa/book").get_data(as_text=True)

    slots = lite_client.get("/api/v1/halls/kuancheng/booking/slots?matter=re-01").json
    first = next(s for d in slots["days"] for s in d["slots"] if s["free"])
    made = lite_client.post(
        "/api/v1/halls/kuancheng/bookings",
        json={"matter": "re-01", "starts_at": first["starts_at"], "phone": "13800138000"},
    ).json["booking"]
    path = made["url"].split("://", 1)[1].split("/", 1)[1]
    page = lite_client.get(f"/{path}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert made["code"] in text and "138****8000" in text and "13800138000" not in text
    assert "签到码" in text and "Check-in code" in text and "booking.js" in text
    qr = lite_client.get(f"/{path}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    for missing in (
        "/b/not-a-real-booking-link-xxxx",
        "/b/x",
        "/b/not-a-real-booking-link-xx/qr.svg",
    ):
        assert lite_client.get(missing).status_code == 404
