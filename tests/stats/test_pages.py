"""The evaluator and open pages: bilingual shells, public figures without personal data."""

from tests.conftest import KIOSK, login


def test_evaluator_shell_is_bilingual_and_script_free(lite_client):
    page = lite_client.get("/evaluator/?hall=kuancheng&window=1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "非常满意" in html and "very satisfied" in html and "等候时间长" in html
    assert 'data-window="1"' in html and "evaluator.js" in html
    assert "onclick" not in html
    odd = lite_client.get("/evaluator/?hall=<script>&window=1;drop").get_data(as_text=True)
    assert 'data-hall=""' in odd and 'data-window=""' in odd


def test_open_page_shows_figures_and_no_personal_data(lite_client):
    staff = login(lite_client, "window1")
    ticket = lite_client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    ).json["ticket"]
    for action in ("open", "call-next", "start", "finish"):
        lite_client.post(f"/api/v1/windows/1/{action}", headers=staff)
    page = lite_client.get("/open/kuancheng")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "政务公开数据" in html and "Open figures" in html
    assert 'data-figure="served">1<' in html
    token = ticket["status_url"].rsplit("/", 1)[1]
    assert token not in html
    for private in ("window1", "大厅值班长", ticket["number"]):
        assert private not in html
    assert lite_client.get("/open/nowhere").status_code == 404
