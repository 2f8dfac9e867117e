"""One-window intake over REST: the whole path, the 行政许可法 rules and refused actions."""

from datetime import date, datetime

from sqlalchemy import select

from hall import db
from hall.calendar import Calendar
from hall.cases import services
from hall.cases.models import Case, CaseStep, Visit
from tests.cases.conftest import APPLICANT

# Nothing entered in the test databases: the package's days.
PACKAGE = Calendar()


def test_the_whole_path_intake_parallel_approvals_pickup_hand_over(desk):
    ticket = desk.serve("samr-04")
    answer = desk.take("samr-04", ticket=ticket["id"])
    assert answer.status_code == 201, answer.json
    case = answer.json["case"]
    assert case["status"] == "in_review"
    assert case["missing_documents"] == []
    assert case["deadline"] == PACKAGE.add_workdays(date(2026, 12, 2), 10).isoformat()
    assert case["notice_url"].endswith(f"/c/{case['receipt_code']}/notice")
    assert case["applicant"]["name"] == "张*丰"
    assert case["applicant"]["id_number"] == "2201**********1234"
    assert case["applicant"]["phone"] == "138****5678"
    desk.finish()

    full = desk.case(case["id"])
    assert {(t["department"], t["lead"]) for t in full["tasks"]} == {
        ("samr", True),
        ("medical", False),
    }
    samr, medical = desk.task(case["id"], "samr"), desk.task(case["id"], "medical")
    tasks = desk.get("/departments/samr/tasks", "bo-samr").json["tasks"]
    deadlines = [t["case"]["deadline"] for t in tasks]
    assert deadlines == sorted(deadlines)  # soonest first
    assert desk.inbox("samr")[case["number"]]["case"]["applicant"] == "张*丰"

    desk.later(hours=1)
    assert desk.act(samr, "claim", "bo-samr").status_code == 200
    done = desk.act(samr, "approve", "bo-samr")
    assert done.json["task"]["status"] == "approved"
    assert done.json["case"]["status"] == "in_review"  # the assisting department still works
    assert desk.act(medical, "claim", "bo-medical").status_code == 200
    ready = desk.act(medical, "approve", "bo-medical").json["case"]
    assert ready["status"] == "ready" and ready["decision"] == "approved"

    status = desk.get(f"/case-status/{case['receipt_code']}").json["case"]
    assert status["ready"] is True and status["status"] == "ready"

    desk.later(hours=20)
    pickup = desk.post(
        "/halls/kuancheng/pickup-tickets",
        json={"case": case["receipt_code"]},
        headers={"Authorization": "Bearer demo-kiosk-kuancheng"},
    )
    assert pickup.status_code == 201, pickup.json
    assert pickup.json["ticket"]["number"].startswith("Q")
    assert pickup.json["ticket"]["source"] == "pickup"
    wid = desk.window_id("11")
    assert desk.post(f"/windows/{wid}/open", "pickup").status_code == 200
    called = desk.post(f"/windows/{wid}/call-next", "pickup").json["ticket"]
    assert called["number"] == pickup.json["ticket"]["number"]
    desk.post(f"/windows/{wid}/start", "pickup")
    closed = desk.post(f"/cases/{case['id']}/hand-over", "pickup", json={"to": "张三丰"})
    assert closed.status_code == 200, closed.json
    closed = closed.json["case"]
    assert closed["status"] == "closed"
    assert closed["handed_to"] == "张*丰"
    assert closed["one_trip"] is True  # collecting the result is not a second trip for intake
    full = desk.case(case["id"])
    actions = [step["action"] for step in full["timeline"]]
    assert actions[:3] == ["received", "accepted", "routed"]
    assert actions[-1] == "handed_over"
    assert [v["purpose"] for v in full["visit_log"]] == ["intake", "pickup"]
    for key in ("received_at", "accepted_at", "decided_at", "ready_at", "handed_over_at"):
        assert full[key] is not None, key


def test_correction_then_a_second_visit_moves_the_acceptance_date(desk):
    ticket = desk.serve("samr-02")
    entry = desk.matter("samr-02")
    required = [d["id"] for d in entry["documents"] if d["required"]]
    answer = desk.take(
        "samr-02",
        ticket=ticket["id"],
        documents=required[:1],
        missing_reasons={str(required[1]): "章程未签字 / not signed"},
    )
    case = answer.json["case"]
    assert answer.status_code == 201
    assert case["status"] == "awaiting_documents"
    assert [m["id"] for m in case["missing_documents"]] == required[1:]  # all of them at once
    assert case["missing_documents"][0]["reason"] == "章程未签字 / not signed"
    assert case["accepted_at"] is None and case["deadline"] is None
    desk.finish()

    desk.at(datetime.fromisoformat("2026-12-04T01:30:00+00:00"))
    second = desk.serve("samr-02")
    brought = desk.post(
        f"/cases/{case['id']}/documents",
        "window1",
        json={"ticket": second["id"], "documents": required[1:]},
    )
    assert brought.status_code == 200, brought.json
    accepted = brought.json["case"]
    assert accepted["status"] == "in_review"
    assert accepted["accepted_at"].startswith("2026-12-04")
    assert accepted["deadline"] == PACKAGE.add_workdays(date(2026, 12, 4), 3).isoformat()
    assert accepted["visits"] == 2 and accepted["one_trip"] is False


def test_a_return_for_correction_pauses_the_clock_and_is_never_overdue(desk, app):
    ticket = desk.serve("samr-02")
    case = desk.take("samr-02", ticket=ticket["id"]).json["case"]
    desk.finish()
    deadline = date.fromisoformat(case["deadline"])
    task = desk.task(case["id"], "samr")
    desk.act(task, "claim", "bo-samr")
    assert desk.act(task, "return", "bo-samr").json["error"]["code"] == "reason_required"
    back = desk.act(
        task,
        "return",
        "bo-samr",
        reason="股东签字不全 / signatures missing",
        documents=["补签的股东会决议 / signed resolution"],
    )
    assert back.status_code == 200
    assert back.json["case"]["status"] == "returned"
    assert back.json["case"]["clock"]["stopped"] is True

    # Far past the old deadline: waiting for the resident, so not overdue.
    desk.at(datetime.fromisoformat("2026-12-14T02:00:00+00:00"))
    assert desk.case(case["id"])["warning"] == ""
    with app.app_context(), db.unit_of_work() as s:
        assert [
            e for e in services.sweep_warnings(s, desk.now) if e.payload["case_id"] == case["id"]
        ] == []

    second = desk.serve("samr-02")
    resumed = desk.post(
        f"/cases/{case['id']}/documents", "window1", json={"ticket": second["id"]}
    ).json["case"]
    paused = PACKAGE.workdays_between(date(2026, 12, 2), date(2026, 12, 14))
    assert resumed["status"] == "in_review"
    assert resumed["clock"]["paused_days"] == paused
    assert resumed["deadline"] == PACKAGE.add_workdays(deadline, paused).isoformat()
    assert desk.act(task, "approve", "bo-samr").json["case"]["status"] == "ready"


def test_a_suspension_moves_the_deadline_by_the_working_days_suspended(desk):
    ticket = desk.serve("samr-02")
    case = desk.take("samr-02", ticket=ticket["id"]).json["case"]
    deadline = date.fromisoformat(case["deadline"])
    task = desk.task(case["id"], "samr")
    desk.act(task, "claim", "bo-samr")
    bad = desk.act(task, "suspend", "bo-samr", reason="x", procedure="party")
    assert bad.status_code == 400
    suspended = desk.act(
        task, "suspend", "bo-samr", reason="专家评审 / expert review", procedure="expert_review"
    )
    assert suspended.json["task"]["status"] == "suspended"
    assert desk.act(task, "approve", "bo-samr").json["error"]["code"] == "invalid_transition"
    desk.at(datetime.fromisoformat("2026-12-04T02:00:00+00:00"))  # Friday: two working days
    resumed = desk.act(task, "resume", "bo-samr").json["case"]
    assert resumed["clock"]["suspended_days"] == 2
    assert resumed["deadline"] == PACKAGE.add_workdays(deadline, 2).isoformat()
    steps = [
        s["detail"] for s in desk.case(case["id"])["timeline"] if s["action"] == "task_suspend"
    ]
    assert steps == ["expert_review: 专家评审 / expert review"]


def test_partial_acceptance_sets_a_due_date_and_blocks_the_decision(desk):
    entry = desk.matter("hpf-01")
    assert entry["partial_allowed"] is True
    required = {d["name"]: d for d in entry["documents"] if d["required"]}
    non_core = next(d for d in required.values() if not d["core"])
    core = next(d for d in required.values() if d["core"])
    ticket = desk.serve("hpf-01")
    everything_but = lambda item: [d["id"] for d in required.values() if d is not item]  # noqa: E731
    refused = desk.take(
        "hpf-01", ticket=ticket["id"], documents=everything_but(core), outcome="partial"
    )
    assert refused.status_code == 409 and refused.json["error"]["code"] == "core_document_missing"
    answer = desk.take(
        "hpf-01", ticket=ticket["id"], documents=everything_but(non_core), outcome="partial"
    )
    case = answer.json["case"]
    assert case["status"] == "in_review"
    due = PACKAGE.sub_workdays(date.fromisoformat(case["deadline"]), 2)
    assert case["deferred_documents"][0]["id"] == non_core["id"]
    assert case["deferred_documents"][0]["due"] == max(date(2026, 12, 2), due).isoformat()
    task = desk.task(case["id"], "hpf")
    desk.act(task, "claim", "bo-hpf")
    blocked = desk.act(task, "approve", "bo-hpf")
    assert blocked.status_code == 409 and blocked.json["error"]["code"] == "documents_outstanding"
    desk.post(
        f"/cases/{case['id']}/documents",
        "window1",
        json={"ticket": ticket["id"], "documents": [non_core["id"]]},
    )
    assert desk.act(task, "approve", "bo-hpf").json["case"]["status"] == "ready"


def test_partial_acceptance_only_where_the_matter_allows_it(desk):
    ticket = desk.serve("samr-04")
    answer = desk.take("samr-04", ticket=ticket["id"], documents=[1], outcome="partial")
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "partial_not_allowed"
    assert desk.count_cases() == 0


def test_refusal_needs_a_reason_and_gives_its_notice(desk):
    ticket = desk.serve("samr-02")
    assert desk.take("samr-02", ticket=ticket["id"], outcome="refuse").json["error"]["code"] == (
        "reason_required"
    )
    answer = desk.take(
        "samr-02",
        ticket=ticket["id"],
        outcome="refuse",
        reason="不属于本机关职权范围 / outside this authority's remit",
    )
    case = answer.json["case"]
    assert case["status"] == "refused" and case["refused_at"]
    assert case["reason"].startswith("不属于本机关职权范围")
    page = desk.client.get(f"/c/{case['receipt_code']}/notice")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "不予受理通知书" in html and "行政复议" in html and "行政诉讼" in html
    assert case["number"] in html and "不属于本机关职权范围" in html


def test_on_the_spot_matters_are_decided_at_the_window(desk):
    ticket = desk.serve("tax-02")
    closed = desk.take("tax-02", ticket=ticket["id"]).json["case"]
    assert closed["status"] == "closed" and closed["kind"] == "on_the_spot"
    assert closed["decided_at"] == closed["accepted_at"] == closed["handed_over_at"]
    desk.finish()
    ticket = desk.serve("samr-01")
    made = desk.take("samr-01", ticket=ticket["id"]).json["case"]
    assert made["status"] == "ready"  # the licence is printed; collected at the pickup window


def test_a_deadline_across_national_day_and_a_make_up_workday(desk):
    # 2025: 1–8 October off; Sunday 28 September and Saturday 11 October are workdays.
    desk.at(datetime.fromisoformat("2025-09-28T02:00:00+00:00"))
    ticket = desk.serve("psb-02")
    case = desk.take("psb-02", ticket=ticket["id"]).json["case"]
    # Working days after 28 Sep: 29, 30 Sep, 9, 10, 11 Oct.
    assert case["deadline"] == "2025-10-11"


def test_a_case_taken_at_a_street_point_goes_to_the_department(desk):
    ticket = desk.serve("civil-02", window="1", clerk="street1", hall="xinfa")
    case = desk.take("civil-02", ticket=ticket["id"], clerk="street1", hall="xinfa").json["case"]
    assert case["hall"] == "xinfa"
    for department in ("civil", "hrss"):
        assert desk.inbox(department)[case["number"]]["case"]["hall"] == "xinfa"
    for department in ("civil", "hrss"):
        task = desk.task(case["id"], department)
        desk.act(task, "claim", f"bo-{department}")
        desk.act(task, "approve", f"bo-{department}")
    elsewhere = desk.post(
        "/halls/kuancheng/pickup-tickets",
        json={"case": case["number"]},
        headers={"Authorization": "Bearer demo-kiosk-kuancheng"},
    )
    assert elsewhere.status_code == 409
    assert elsewhere.json["error"]["code"] == "collect_elsewhere"
    assert "新发街道便民服务中心" in elsewhere.json["error"]["message"]


def test_warnings_turn_yellow_then_red_with_the_clock(desk, app):
    ticket = desk.serve("samr-02")
    case = desk.take("samr-02", ticket=ticket["id"]).json["case"]
    deadline = date.fromisoformat(case["deadline"])  # three working days: Mon 7 Dec
    assert case["warning"] == ""
    with app.app_context(), db.unit_of_work() as s:
        row = s.get(Case, case["id"])
        levels = [
            services.warning_level(row, day, 1, PACKAGE)
            for day in (date(2026, 12, 3), date(2026, 12, 4), deadline, date(2026, 12, 8))
        ]
        assert levels == ["", "yellow", "yellow", "red"]
        moment = datetime.fromisoformat("2026-12-04T02:00:00+00:00")
        mine = lambda events: [e for e in events if e.payload["case_id"] == row.id]  # noqa: E731
        events = mine(services.sweep_warnings(s, moment))
        assert [(e.name, e.payload["warning"]) for e in events] == [("case.warning", "yellow")]
        assert mine(services.sweep_warnings(s, moment)) == []  # told once per change
        late = mine(services.sweep_warnings(s, datetime.fromisoformat("2026-12-08T02:00:00+00:00")))
        assert [e.payload["warning"] for e in late] == ["red"]
        assert ("/backoffice", f"department:{row.tasks[0].department_id}") in late[0].rooms
        assert not set(late[0].payload) & {"applicant", "name", "phone", "id_number"}
    desk.at(datetime.fromisoformat("2026-12-08T02:00:00+00:00"))
    assert desk.inbox("samr")[case["number"]]["case"]["warning"] == "red"


def test_refused_actions_change_nothing(desk):
    waiting = desk.post(
        "/halls/kuancheng/tickets",
        json={"matter": "samr-02"},
        headers={"Authorization": "Bearer demo-kiosk-kuancheng"},
    ).json["ticket"]
    # A case from a ticket the clerk is not serving.
    not_served = desk.take("samr-02", ticket=waiting["id"])
    assert not_served.status_code == 409
    assert not_served.json["error"]["code"] == "not_serving_ticket"
    wid = desk.window_id("1")
    desk.post(f"/windows/{wid}/open", "window1")
    served = desk.post(f"/windows/{wid}/call-next", "window1").json["ticket"]
    assert served["id"] == waiting["id"]
    desk.post(f"/windows/{wid}/start", "window1")
    other_clerk = desk.take("samr-02", ticket=served["id"], clerk="window2")
    assert other_clerk.json["error"]["code"] == "not_serving_ticket"
    assert desk.count_cases() == 0

    case = desk.take("samr-02", ticket=served["id"]).json["case"]
    task = desk.task(case["id"], "samr")
    # Another department's task.
    foreign = desk.act(task, "claim", "bo-tax")
    assert foreign.status_code == 403 and foreign.json["error"]["code"] == "other_department"
    # A window clerk may not decide.
    assert desk.act(task, "claim", "window1").status_code == 403
    # Handing over an unfinished case.
    early = desk.post(f"/cases/{case['id']}/hand-over", "pickup")
    assert early.status_code == 409 and early.json["error"]["code"] == "invalid_transition"
    # A pickup ticket for a case that is not ready, and for an unknown one.
    kiosk = {"Authorization": "Bearer demo-kiosk-kuancheng"}
    not_ready = desk.post(
        "/halls/kuancheng/pickup-tickets", json={"case": case["number"]}, headers=kiosk
    )
    assert not_ready.status_code == 409 and not_ready.json["error"]["code"] == "case_not_ready"
    unknown = desk.post("/halls/kuancheng/pickup-tickets", json={"case": "NOPE-1"}, headers=kiosk)
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "case_not_found"
    assert desk.post("/halls/kuancheng/pickup-tickets", json={"case": "x"}).status_code == 401
    # Approving a closed task.
    desk.act(task, "claim", "bo-samr")
    assert desk.act(task, "approve", "bo-samr").status_code == 200
    again = desk.act(task, "approve", "bo-samr")
    assert again.status_code == 409 and again.json["error"]["code"] == "invalid_transition"
    assert desk.act(99999, "claim", "bo-samr").json["error"]["code"] == "task_not_found"
    with desk.app.app_context(), db.unit_of_work(readonly=True) as s:
        steps = s.scalars(select(CaseStep.action).where(CaseStep.case_id == case["id"])).all()
        assert steps.count("task_approve") == 1


def test_bad_input_is_refused_with_the_error_shape(desk):
    ticket = desk.serve("samr-02")
    cases = [
        ({"applicant": {**APPLICANT, "id_number": "12345"}}, "validation_error"),
        ({"applicant": {**APPLICANT, "kind": "robot"}}, "validation_error"),
        ({"applicant": {**APPLICANT, "phone": "call me"}}, "validation_error"),
        ({"applicant": {**APPLICANT, "name": "张" * 101}}, "validation_error"),
        ({"documents": ["one"]}, "validation_error"),
        ({"documents": [9999]}, "unknown_document"),
        ({"outcome": "maybe"}, "validation_error"),
        ({"surprise": 1}, "validation_error"),
    ]
    for extra, code in cases:
        body = {
            "ticket": ticket["id"],
            "matter": "samr-02",
            "applicant": dict(APPLICANT),
            "documents": [1],
            **extra,
        }
        answer = desk.post("/cases", "window1", json=body)
        assert answer.status_code == 400, (extra, answer.json)
        assert answer.json["error"]["code"] == code, extra
    company = {"kind": "company", "name": "长春某某科技有限公司", "id_number": "91220101MA14IIII0O"}
    answer = desk.post(
        "/cases",
        "window1",
        json={"ticket": ticket["id"], "matter": "samr-02", "applicant": company},
    )
    assert answer.status_code == 400  # not a valid unified social credit code
    missing_matter = desk.post(
        "/cases",
        "window1",
        json={"ticket": ticket["id"], "matter": "no-such", "applicant": APPLICANT},
    )
    assert missing_matter.status_code == 404
    assert desk.post("/cases", json={}).status_code == 400
    assert (
        desk.post(
            "/cases", headers={}, json={"ticket": 1, "matter": 1, "applicant": APPLICANT}
        ).status_code
        == 401
    )
    assert desk.get("/cases/999999", "manager").json["error"]["code"] == "case_not_found"
    assert desk.count_cases() == 0


def test_personal_data_is_encrypted_and_never_public(desk, app):
    ticket = desk.serve("samr-02")
    case = desk.take("samr-02", ticket=ticket["id"]).json["case"]
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        raw = s.execute(select(Case.__table__).where(Case.id == case["id"])).mappings().one()
        dump = " ".join(str(v) for v in raw.values())
        visits = s.scalars(select(Visit).where(Visit.case_id == case["id"])).all()
    for secret in (APPLICANT["id_number"], APPLICANT["phone"], APPLICANT["name"]):
        assert secret not in dump
    assert len(visits) == 1
    public = [
        desk.client.get("/api/v1/halls/kuancheng/snapshot").get_data(as_text=True),
        desk.client.get(f"/api/v1/case-status/{case['receipt_code']}").get_data(as_text=True),
        desk.client.get(f"/c/{case['receipt_code']}").get_data(as_text=True),
        desk.client.get(f"/api/v1/tickets/{ticket['id']}").get_data(as_text=True),
    ]
    for text in public:
        for secret in (APPLICANT["id_number"], APPLICANT["phone"], "张三丰", "张*丰", "2201**"):
            assert secret not in text
    # Staff outside the case see nothing of it.
    assert desk.get(f"/cases/{case['id']}", "bo-tax").json["error"]["code"] == "other_department"
    assert desk.get(f"/cases/{case['id']}", "street1").json["error"]["code"] == "other_hall"
    assert desk.get(f"/cases/{case['id']}", "bo-samr").status_code == 200


def test_guides_are_versioned_and_cases_keep_theirs(desk):
    before = desk.matter("samr-02")
    ticket = desk.serve("samr-02")
    old = desk.take("samr-02", ticket=ticket["id"]).json["case"]
    documents = [
        *before["documents"],
        {"name": "法定代表人任职文件", "required": True, "core": False},
    ]
    changed = desk.client.put(
        f"/api/v1/matters/{before['id']}/guide",
        json={"documents": documents, "time_limit_days": 2},
        headers=desk.auth("manager"),
    )
    assert changed.status_code == 200, changed.json
    after = changed.json["matter"]
    assert after["version"] == before["version"] + 1
    assert [v["version"] for v in after["versions"]] == [before["version"], after["version"]]
    assert after["documents"][-1]["id"] == max(d["id"] for d in before["documents"]) + 1
    listed = desk.get("/halls/kuancheng/matters").json["matters"]
    mirrored = next(m for m in listed if m["code"] == "samr-02")
    assert mirrored["version"] == after["version"] and mirrored["time_limit_days"] == 2
    assert mirrored["kind"] == "committed"
    assert mirrored["documents"][-1] == "法定代表人任职文件"
    assert desk.case(old["id"])["guide_version"] == before["version"]
    refused = desk.client.put(
        f"/api/v1/matters/{before['id']}/guide", json={"fee": "1"}, headers=desk.auth("window1")
    )
    assert refused.status_code == 403
    too_long = desk.client.put(
        f"/api/v1/matters/{before['id']}/guide",
        json={"time_limit_days": 99, "statutory_limit_days": 20},
        headers=desk.auth("manager"),
    )
    assert too_long.json["error"]["code"] == "bad_time_limit"


def test_an_extension_needs_a_manager_and_stays_within_the_statutory_bound(desk):
    ticket = desk.serve("samr-02")
    case = desk.take("samr-02", ticket=ticket["id"]).json["case"]
    deadline = date.fromisoformat(case["deadline"])
    body = {"days": 5, "reason": "需实地核查 / needs an on-site check"}
    assert desk.post(f"/cases/{case['id']}/extend", "window1", json=body).status_code == 403
    assert desk.post(f"/cases/{case['id']}/extend", "bo-samr", json=body).status_code == 403
    extended = desk.post(f"/cases/{case['id']}/extend", "manager", json=body).json["case"]
    assert extended["deadline"] == PACKAGE.add_workdays(deadline, 5).isoformat()
    assert extended["clock"]["extended_days"] == 5
    over = desk.post(f"/cases/{case['id']}/extend", "manager", json={**body, "days": 6})
    assert over.status_code == 409 and over.json["error"]["code"] == "extension_limit"
    assert desk.post(f"/cases/{case['id']}/extend", "manager", json={"days": 0}).status_code == 400
    steps = [s for s in desk.case(case["id"])["timeline"] if s["action"] == "extended"]
    assert len(steps) == 1 and steps[0]["staff"] == "大厅值班长"


ADDRESS = "吉林省长春市宽城区团山街道光明路88号3单元502室"


def test_a_result_by_post_is_handed_over_without_a_ticket_and_the_resident_is_told(
    desk, app, caplog
):
    ticket = desk.serve("samr-02")
    missing = desk.take("samr-02", ticket=ticket["id"], delivery="post")
    assert missing.status_code == 400 and missing.json["error"]["code"] == "address_required"
    case = desk.take("samr-02", ticket=ticket["id"], delivery="post", address=ADDRESS).json["case"]
    assert case["delivery"] == "post" and case["address"] == "吉林省长春市****"
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        raw = s.execute(select(Case.__table__).where(Case.id == case["id"])).mappings().one()
        assert ADDRESS not in " ".join(str(v) for v in raw.values())  # encrypted at rest
    task = desk.task(case["id"], "samr")
    desk.act(task, "claim", "bo-samr")
    with caplog.at_level("INFO", logger="hall.cases.notify"):
        assert desk.act(task, "approve", "bo-samr").json["case"]["status"] == "ready"
    told = [r.getMessage() for r in caplog.records if r.name == "hall.cases.notify"]
    assert len(told) == 1 and case["number"] in told[0] and "138****5678" in told[0]
    assert APPLICANT["phone"] not in told[0] and "张" not in told[0]
    kiosk = desk.post(
        "/halls/kuancheng/pickup-tickets",
        json={"case": case["number"]},
        headers={"Authorization": "Bearer demo-kiosk-kuancheng"},
    )
    assert kiosk.status_code == 409 and kiosk.json["error"]["code"] == "delivery_by_post"
    no_number = desk.post(f"/cases/{case['id']}/hand-over", "pickup", json={})
    assert no_number.status_code == 400 and no_number.json["error"]["code"] == "tracking_required"
    assert desk.case(case["id"])["status"] == "ready"
    posted = desk.post(f"/cases/{case['id']}/hand-over", "pickup", json={"tracking": "EMS1234"})
    assert posted.status_code == 200 and posted.json["case"]["status"] == "closed"
    assert posted.json["case"]["tracking_number"] == "EMS1234"
    full = desk.case(case["id"])
    assert full["visit_log"] == [
        {
            "purpose": "intake",
            "at": case["received_at"],
            "hall": "kuancheng",
            "ticket": ticket["number"],
        }
    ]
    assert "EMS1234" in full["timeline"][-1]["detail"]
    public = desk.get(f"/case-status/{case['receipt_code']}").json["case"]
    assert public["address"] == "吉林省长春市****" and public["tracking_number"] == "EMS1234"
    assert public["pickup_windows"] == []
    page = desk.client.get(f"/c/{case['receipt_code']}").get_data(as_text=True)
    assert ADDRESS not in page and "光明路" not in page


def test_a_rejection_cancels_the_other_departments_tasks(desk):
    ticket = desk.serve("samr-04")
    case = desk.take("samr-04", ticket=ticket["id"]).json["case"]
    samr, medical = desk.task(case["id"], "samr"), desk.task(case["id"], "medical")
    desk.act(samr, "claim", "bo-samr")
    desk.act(medical, "claim", "bo-medical")
    assert desk.act(samr, "reject", "bo-samr").json["error"]["code"] == "reason_required"
    done = desk.act(samr, "reject", "bo-samr", reason="场所不符合食品安全要求 / premises unfit")
    assert done.json["case"]["status"] == "ready"
    assert done.json["case"]["decision"] == "rejected"
    tasks = {t["department"]: t["status"] for t in desk.case(case["id"])["tasks"]}
    assert tasks == {"samr": "rejected", "medical": "cancelled"}
    late = desk.act(medical, "approve", "bo-medical")
    assert late.status_code == 409 and late.json["error"]["code"] == "invalid_transition"


def test_the_cases_of_a_ticket(desk):
    ticket = desk.serve("samr-02")
    case = desk.take("samr-02", ticket=ticket["id"]).json["case"]
    found = desk.get(f"/cases?ticket={ticket['id']}", "window1").json["cases"]
    assert [c["number"] for c in found] == [case["number"]]
    assert desk.get("/cases?ticket=abc", "window1").status_code == 400
    assert desk.get("/cases?ticket=999999", "window1").json["error"]["code"] == "ticket_not_found"
    assert (
        desk.get(f"/cases?ticket={ticket['id']}", "street1").json["error"]["code"] == "other_hall"
    )
    assert desk.get(f"/cases?ticket={ticket['id']}").status_code == 401


def test_the_board_lists_cases_due_soon_and_overdue(desk):
    desk.at(datetime.fromisoformat("2027-06-01T02:00:00+00:00"))  # every demo case is late now
    cases = desk.get("/halls/kuancheng/case-warnings", "manager").json["cases"]
    assert cases and {c["warning"] for c in cases} == {"red"}
    assert [c["deadline"] for c in cases] == sorted(c["deadline"] for c in cases)
    assert not set(cases[0]) & {"applicant", "name", "phone", "id_number"}
    assert desk.get("/halls/kuancheng/case-warnings", "street1").status_code == 403
    assert desk.get("/halls/kuancheng/case-warnings").status_code == 401
    assert desk.get("/halls/nowhere/case-warnings", "manager").status_code == 404


def test_several_clock_stops_move_the_deadline_by_the_days_any_stop_was_open(desk):
    # Wednesday 2 Dec: the lead department holds a hearing; Friday 4 Dec the assisting one
    # returns the case for correction, so two stops overlap.
    ticket = desk.serve("samr-04")
    case = desk.take("samr-04", ticket=ticket["id"]).json["case"]
    desk.finish()
    deadline = date.fromisoformat(case["deadline"])
    samr, medical = desk.task(case["id"], "samr"), desk.task(case["id"], "medical")
    desk.act(samr, "claim", "bo-samr")
    hearing = desk.act(samr, "suspend", "bo-samr", reason="听证 / hearing", procedure="hearing")
    assert hearing.json["case"]["clock"]["stopped"] is True
    desk.at(datetime.fromisoformat("2026-12-04T02:00:00+00:00"))
    desk.act(medical, "claim", "bo-medical")
    back = desk.act(medical, "return", "bo-medical", reason="缺卫生许可 / permit", documents=["x"])
    assert back.status_code == 200, back.json
    assert back.json["case"]["status"] == "returned"

    desk.at(datetime.fromisoformat("2026-12-08T02:00:00+00:00"))  # Tuesday: the hearing ends
    resumed = desk.act(samr, "resume", "bo-samr").json["case"]
    assert resumed["clock"]["stopped"] is True  # the correction still stops it
    assert resumed["deadline"] == case["deadline"]

    desk.at(datetime.fromisoformat("2026-12-10T02:00:00+00:00"))  # Thursday: documents arrive
    second = desk.serve("samr-04")
    running = desk.post(
        f"/cases/{case['id']}/documents", "window1", json={"ticket": second["id"]}
    ).json["case"]
    stood = PACKAGE.workdays_between(date(2026, 12, 2), date(2026, 12, 10))
    assert running["clock"]["stopped"] is False
    assert running["clock"]["stopped_days"] == stood
    assert running["deadline"] == PACKAGE.add_workdays(deadline, stood).isoformat()
    hearing_days = PACKAGE.workdays_between(date(2026, 12, 2), date(2026, 12, 8))
    correction_days = PACKAGE.workdays_between(date(2026, 12, 4), date(2026, 12, 10))
    assert running["clock"]["suspended_days"] == hearing_days
    assert running["clock"]["paused_days"] == correction_days

    # A second procedure of the same department: an inspection, Thursday to Monday.
    desk.act(samr, "suspend", "bo-samr", reason="检验检测 / lab test", procedure="inspection")
    desk.at(datetime.fromisoformat("2026-12-14T02:00:00+00:00"))
    after = desk.act(samr, "resume", "bo-samr").json["case"]
    extra = PACKAGE.workdays_between(date(2026, 12, 10), date(2026, 12, 14))
    assert after["deadline"] == PACKAGE.add_workdays(deadline, stood + extra).isoformat()
    stops = desk.case(case["id"])["clock"]["stops"]
    assert [(s["kind"], s["days"], s["open"]) for s in stops] == [
        ("hearing", hearing_days, False),
        ("correction", correction_days, False),
        ("inspection", extra, False),
    ]
    assert stops[0]["reason"] == "听证 / hearing"
    assert stops[1]["started_at"].startswith("2026-12-04")
    assert stops[1]["ended_at"].startswith("2026-12-10")


def test_every_case_step_by_staff_is_in_the_audit_trail(desk, app):
    from hall import audit
    from hall.admin.models import AuditEntry

    ticket = desk.serve("samr-02")
    case = desk.take("samr-02", ticket=ticket["id"]).json["case"]
    task = desk.task(case["id"], "samr")
    desk.act(task, "claim", "bo-samr")
    desk.act(task, "approve", "bo-samr")
    desk.post(f"/cases/{case['id']}/extend", "manager", json={"days": 1, "reason": "x"})
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        rows = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.target == f"case:{case['id']} {case['number']}")
            .order_by(AuditEntry.id)
        ).all()
        trail = [(r.action, r.actor.split()[-1], (r.before or {}).get("status")) for r in rows]
        assert trail == [
            ("case.received", "window1", None),
            ("case.accepted", "window1", "awaiting_documents"),
            ("case.task_claim", "bo-samr", "in_review"),
            ("case.task_approve", "bo-samr", "in_review"),
            ("case.decided", "bo-samr", None),
        ]
        assert rows[3].after["task_status"] == "approved"
        assert rows[-1].after["status"] == "ready"
        assert all(r.hall_id == desk_hall(s) for r in rows)
        assert rows[0].window_id is not None
        _count, problems = audit.verify(s)
        assert problems == []
        text = " ".join(str([r.before, r.after]) for r in rows)
        assert APPLICANT["name"] not in text and APPLICANT["id_number"] not in text


def desk_hall(session) -> int:
    from hall.admin.models import Hall

    return session.scalar(select(Hall.id).where(Hall.code == "kuancheng"))


def test_the_pickup_window_lists_what_to_post_and_reads_the_address_in_full_once(desk, app):
    from hall.admin.models import AuditEntry

    ticket = desk.serve("samr-02")
    case = desk.take("samr-02", ticket=ticket["id"], delivery="post", address=ADDRESS).json["case"]
    assert desk.get("/halls/kuancheng/post-cases", "pickup").json["cases"] == []  # not decided
    task = desk.task(case["id"], "samr")
    desk.act(task, "claim", "bo-samr")
    desk.act(task, "approve", "bo-samr")
    listed = desk.get("/halls/kuancheng/post-cases", "pickup").json["cases"]
    assert [c["number"] for c in listed] == [case["number"]]
    assert listed[0]["address"] == "吉林省长春市****"
    assert desk.get("/halls/kuancheng/post-cases", "bo-samr").status_code == 403
    assert desk.get("/halls/kuancheng/post-cases", "street1").status_code == 403
    assert desk.get(f"/cases/{case['id']}/address", "window1").status_code == 403
    full = desk.get(f"/cases/{case['id']}/address", "pickup")
    assert full.status_code == 200 and full.json["address"] == ADDRESS
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        reads = s.scalars(select(AuditEntry).where(AuditEntry.action == "case.address_read")).all()
        assert len(reads) == 1 and reads[0].actor.endswith("pickup")
        assert ADDRESS not in str(reads[0].after)
    desk.post(f"/cases/{case['id']}/hand-over", "pickup", json={"tracking": "SF0001"})
    assert desk.get("/halls/kuancheng/post-cases", "pickup").json["cases"] == []
    ticket2 = desk.serve("samr-02", window="2", clerk="window2")
    other = desk.take("samr-02", ticket=ticket2["id"], clerk="window2").json["case"]
    wrong = desk.get(f"/cases/{other['id']}/address", "pickup")
    assert wrong.status_code == 409 and wrong.json["error"]["code"] == "not_by_post"
