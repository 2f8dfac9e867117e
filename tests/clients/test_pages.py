"""Client pages render bilingual shells; the voice, QR and tally endpoints check their input."""

import io
import shutil
import wave
from pathlib import Path

import pytest

from display import voice
from tests.conftest import KIOSK, login

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (make system)"
)


@pytest.fixture
def web(lite_app):
    """A test client of the hub on SQLite (the pages do not depend on the backend)."""
    return lite_app.test_client()


@pytest.mark.parametrize(
    ("path", "zh", "en"),
    [
        ("/kiosk/", "取号", "Take a ticket"),
        ("/counter/?hall=kuancheng", "呼叫下一位", "Call next"),
        ("/display/?hall=kuancheng", "正在呼叫", "Now calling"),
        ("/display/window/5", "5号 综合受理", "Please come to this window"),
        ("/board/?hall=kuancheng", "告警", "Alerts"),
    ],
)
def test_pages_are_chinese_first_then_english(web, path, zh, en):
    page = web.get(path, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert zh in page and en in page
    assert page.index("与服务器的连接已断开") < page.index("Connection lost")
    english = web.get(path + ("&" if "?" in path else "?") + "lang=en").get_data(as_text=True)
    assert "Connection lost, reconnecting…" in english
    assert "与服务器的连接已断开" not in english


def test_display_without_hall_offers_the_halls(web):
    page = web.get("/display/").get_data(as_text=True)
    assert "/display/?hall=kuancheng" in page and "/display/?hall=xinfa" in page


def test_display_of_unknown_hall_is_404(web):
    assert web.get("/display/?hall=nowhere").status_code == 404


def test_socket_io_client_is_served_with_its_licence(web):
    with web.get("/static/vendor/socket.io/socket.io.esm.min.js") as script:
        assert script.status_code == 200 and b"Socket.IO v4.8" in script.data
    with web.get("/static/vendor/socket.io/LICENSE") as licence:
        assert b"MIT" in licence.data


def test_qr_code_encodes_the_status_page(web):
    ticket = web.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    ).json["ticket"]
    token = ticket["status_url"].rsplit("/", 1)[1]
    svg = web.get(f"/kiosk/qr/{token}.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
    assert web.get("/kiosk/qr/not%20a%20token.svg").status_code == 404


def test_tally_counts_the_windows_day_for_staff_only(web):
    assert web.get("/counter/tally/1").status_code == 401
    staff = login(web, "window1")
    web.post("/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK)
    for action in ("open", "call-next", "start", "finish"):
        assert web.post(f"/api/v1/windows/1/{action}", headers=staff).status_code == 200
    tally = web.get("/counter/tally/1", headers=staff).json["tally"]
    assert tally["called"] == 1 and tally["served"] == 1 and tally["no_show"] == 0


def test_announcement_reads_numbers_digit_by_digit():
    assert voice.announcement_text("A023", "5") == "请 A 零 二 三 号,到 五 号窗口办理"
    assert voice.window_words("12") == "十二"
    assert voice.window_words("20") == "二十"
    assert voice.window_words("B2") == "B 二"


@needs_espeak
def test_voice_is_a_wav_with_chime_and_speech(web):
    response = web.get("/display/voice?number=A023&window=5")
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    with wave.open(io.BytesIO(response.data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        seconds = wav.getnframes() / wav.getframerate()
    assert 2.0 < seconds < 15.0  # chime (~1 s) and the sentence
    assert web.get("/display/voice?number=A023&window=5").data == response.data  # cached


@needs_espeak
def test_a_voice_flood_neither_runs_the_engine_nor_fills_disk_or_memory(lite_app, web):
    """Announcements are joined from a fixed set of clips rendered once; new ones are limited
    per address and the joined ones kept in memory within a bound."""
    lite_app.config["VOICE_LIMIT"] = "6 per minute"
    lite_app.config["VOICE_CACHE_BYTES"] = 400_000  # two or three announcements
    folder = Path(lite_app.instance_path) / "voice"
    before = set(folder.rglob("*"))
    answers = [web.get(f"/display/voice?number=A{n:03d}&window={n % 20 + 1}") for n in range(12)]
    statuses = [a.status_code for a in answers]
    assert statuses[:6] == [200] * 6
    assert set(statuses[6:]) == {429} and answers[6].json["error"]["code"] == "too_many_requests"
    assert answers[6].headers["Retry-After"]
    # The most recent ones are still held: asking again costs nothing and is not limited.
    assert web.get("/display/voice?number=A005&window=6").data == answers[5].data
    cache = lite_app.extensions["display.voice"]
    assert 0 < cache.size <= 400_000
    # On disk only the finite clip set, never a file per number and window.
    made = [f for f in set(folder.rglob("*")) - before if f.is_file()]
    assert all(f.parent.name == "clips" and f.stem in voice.CLIPS for f in made)
    assert len(list((folder / "clips").glob("*.pcm"))) <= len(voice.CLIPS)


def test_announcements_are_made_of_the_fixed_clip_set():
    names = voice.clip_names("AB023", "12", recall=True)
    assert names[:2] == ["word-recall", ","]
    assert "ten" in names and all(n == "," or n in voice.CLIPS for n in names)
    assert voice.clip_names("A1", "b2")[-3:] == ["letter-B", "digit-2", "word-window"]


@pytest.mark.parametrize(
    "query",
    [
        "number=a023&window=5",
        "number=A023;rm&window=5",
        "number=ABCDE1&window=5",
        "number=A123456&window=5",
        "number=A023&window=5%206",
        "number=A023&window=123456789",
        "number=A023",
        "window=5",
        "number=-v%20en&window=5",
    ],
)
def test_voice_refuses_anything_but_a_number_and_a_window(web, query):
    response = web.get(f"/display/voice?{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] in ("bad_number", "bad_window")
