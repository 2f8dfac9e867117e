"""What the pages rely on from the hub: matter keywords and pinyin, transfer notes, priorities."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

from hall.queue.search import terms
from tests.conftest import KIOSK, login

CATALOGUE = Path(__file__).resolve().parents[2] / "hall/translations/zh/LC_MESSAGES/messages.po"


def test_search_terms_hold_the_name_keywords_and_their_pinyin():
    found = terms("有限责任公司设立登记", ["营业执照"])
    assert "yxzrgssldj" in found and "youxianzerengongsishelidengji" in found
    assert {"营业执照", "yingyezhizhao", "yyzz"} <= set(found)
    assert terms("", ["", " "]) == []


def test_a_character_with_several_readings_is_found_by_each():
    # Without pypinyin's phrase dictionary (56 MiB) every reading is indexed instead.
    found = terms("银行开户", ["重庆"])
    assert {"yhkh", "yxkh", "yinhangkaihu", "cq", "zq", "chongqing"} <= set(found)
    # The common reading comes first; a name full of polyphones stays bounded.
    assert found.index("yinxingkaihu") < found.index("yinhangkaihu")
    assert len(terms("长行重还乐朝单")) <= 1 + 2 * 12


def test_matters_carry_keywords_and_search_terms(client):
    matters = client.get("/api/v1/halls/kuancheng/matters").json["matters"]
    samr02 = next(m for m in matters if m["code"] == "samr-02")
    assert "营业执照" in samr02["keywords"]
    assert "yyzz" in samr02["search"]
    assert samr02["queue_name_en"]
    found = {m["code"] for m in matters if any("yyzz" in t for t in m["search"])}
    assert {"samr-01", "samr-02", "samr-03"} <= found


def test_a_walk_in_cannot_take_appointment_priority(client):
    refused = client.post(
        "/api/v1/halls/kuancheng/tickets",
        json={"matter": "samr-01", "priority": "appointment"},
        headers=KIOSK,
    )
    assert refused.status_code == 400
    assert refused.json["error"]["code"] == "bad_priority"
    assert "预约" in refused.json["error"]["message"]
    waiting = client.get("/api/v1/halls/kuancheng/queues").json["queues"]
    assert next(q["waiting"] for q in waiting if q["code"] == "A") == 0
    elderly = client.post(
        "/api/v1/halls/kuancheng/tickets",
        json={"matter": "samr-01", "priority": "elderly"},
        headers=KIOSK,
    )
    assert elderly.status_code == 201


def test_a_transfer_carries_a_note_to_the_receiving_window(client):
    staff = login(client, "window1")
    issued = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    ).json["ticket"]
    client.post("/api/v1/windows/1/open", headers=staff)
    client.post("/api/v1/windows/1/call-next", headers=staff)
    other = login(client, "window2")
    client.post("/api/v1/windows/2/open", headers=other)  # a closed window takes no transfers
    too_long = client.post(
        "/api/v1/windows/1/transfer", json={"window": 2, "note": "x" * 121}, headers=staff
    )
    assert too_long.status_code == 400
    moved = client.post(
        "/api/v1/windows/1/transfer", json={"window": 2, "note": "材料已初审"}, headers=staff
    )
    assert moved.status_code == 200
    assert moved.json["ticket"]["transfer_note"] == "材料已初审"
    called = client.post("/api/v1/windows/2/call-next", headers=other).json["ticket"]
    assert called["transfer_note"] == "材料已初审"
    # The resident's own view of the ticket carries no staff note.
    token = issued["status_url"].rsplit("/", 1)[1]
    assert "transfer_note" not in client.get(f"/api/v1/tickets/{token}").json["ticket"]


def test_chinese_strings_of_the_catalogue_use_full_width_punctuation():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    placeholder = re.compile(r"%\(\w+\)s")
    cjk = re.compile(r"[\u4e00-\u9fff]")
    wrong = [
        message.string
        for message in catalogue
        if message.id
        and isinstance(message.string, str)
        and cjk.search(message.string)
        and re.search(r"[,:;?!()]", placeholder.sub("", message.string))
    ]
    assert wrong == []
