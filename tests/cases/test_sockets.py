"""The /backoffice namespace: the inbox first, then case events in the department's room."""

import json

from hall.extensions import socketio
from tests.cases.conftest import APPLICANT


def connect(app, namespace, auth, flask_client):
    client = socketio.test_client(
        app, namespace=namespace, auth=auth, flask_test_client=flask_client
    )
    return client


def test_department_staff_follow_their_inbox_and_nothing_private_is_sent(desk, app):
    bo = desk.auth("bo-samr")["Authorization"].split()[1]
    samr = connect(app, "/backoffice", {"token": bo}, desk.client)
    tax = connect(
        app, "/backoffice", {"token": desk.auth("bo-tax")["Authorization"].split()[1]}, desk.client
    )
    display = connect(app, "/display", {"hall": "kuancheng"}, desk.client)
    first = samr.get_received("/backoffice")
    assert first[0]["name"] == "snapshot"
    assert first[0]["args"][0]["departments"][0]["code"] == "samr"
    tax.get_received("/backoffice")
    display.get_received("/display")

    ticket = desk.serve("samr-02")
    case = desk.take("samr-02", ticket=ticket["id"]).json["case"]
    events = samr.get_received("/backoffice")
    accepted = [e["args"][0] for e in events if e["name"] == "case.accepted"]
    assert [a["number"] for a in accepted] == [case["number"]]
    assert tax.get_received("/backoffice") == []  # another department's room
    assert not [e for e in display.get_received("/display") if e["name"].startswith("case.")]
    text = str(events)
    for secret in (APPLICANT["name"], APPLICANT["id_number"], APPLICANT["phone"], "张*丰"):
        assert secret not in text
    ack = samr.emit("snapshot", {}, namespace="/backoffice", callback=True)
    assert ack["ok"] is True
    numbers = [t["case"]["number"] for t in ack["snapshot"]["departments"][0]["tasks"]]
    assert case["number"] in numbers


def test_a_window_clerk_cannot_join_the_back_office(desk, app):
    clerk = desk.auth("window1")["Authorization"].split()[1]
    client = connect(app, "/backoffice", {"token": clerk}, desk.client)
    assert not client.is_connected("/backoffice")
    anonymous = connect(app, "/backoffice", {"token": "forged"}, desk.client)
    assert not anonymous.is_connected("/backoffice")


def test_the_residents_case_page_hears_each_change_and_nothing_private(desk, app):
    hub = socketio
    ticket = desk.serve("samr-02")
    case = desk.take("samr-02", ticket=ticket["id"]).json["case"]
    refused = hub.test_client(app, namespace="/case", auth={"case": "guessed-code-0000000"})
    assert not refused.is_connected("/case")
    by_number = hub.test_client(app, namespace="/case", auth={"case": case["number"]})
    assert not by_number.is_connected("/case")  # a case number is no receipt code
    phone = hub.test_client(app, namespace="/case", auth={"case": case["receipt_code"]})
    assert phone.is_connected("/case")
    [first] = phone.get_received("/case")
    assert first["name"] == "snapshot"
    assert first["args"][0]["case"]["status"] == "in_review"
    task = desk.task(case["id"], "samr")
    desk.act(task, "claim", "bo-samr")
    desk.act(task, "approve", "bo-samr")
    nudges = [e for e in phone.get_received("/case") if e["name"] == "case.changed"]
    assert [n["args"][0]["status"] for n in nudges] == ["in_review", "ready"]
    again = phone.emit("snapshot", {}, namespace="/case", callback=True)
    assert again["ok"] is True and again["snapshot"]["case"]["status"] == "ready"
    odd = phone.emit("hand_over", {}, namespace="/case", callback=True)
    assert odd["error"]["code"] == "unknown_event"
    text = json.dumps([nudges, again], ensure_ascii=False)
    for secret in (APPLICANT["name"], "张*丰", APPLICANT["id_number"], APPLICANT["phone"]):
        assert secret not in text
    # Another case's changes do not reach this phone.
    desk.finish()
    other = desk.serve("samr-02")
    desk.take("samr-02", ticket=other["id"])
    assert phone.get_received("/case") == []
