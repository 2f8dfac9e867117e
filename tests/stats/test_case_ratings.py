"""一事一评: a case is rated at intake and at hand-over, once per stage and channel."""

from datetime import timedelta

from sqlalchemy import func, select

from hall import clock, db
from hall.cases.models import Case, CaseStatus
from hall.stats.models import Rating
from tests import factories
from tests.conftest import KIOSK, login

EVALUATOR = {"Authorization": "Bearer demo-evaluator-kuancheng"}


def make_case(app, n, *, handed=False, received_days_ago=0):
    now = clock.now()
    with app.app_context(), db.unit_of_work() as s:
        matter = factories.matter(s, "samr-01")
        staff = factories.staff(s, "window1")
        case = Case(
            number=f"RATE{n:04d}",
            token=f"case-rating-token-{n:04d}-".ljust(43, "y"),
            hall_id=matter.hall_id,
            matter_id=matter.id,
            status=CaseStatus.CLOSED if handed else CaseStatus.IN_REVIEW,
            applicant_name_enc="x",
            applicant_id_enc="x",
            applicant_name_masked="张*",
            applicant_id_masked="2201**",
            received_at=now - timedelta(days=received_days_ago),
            staff_id=staff.id,
            handed_over_at=now if handed else None,
            handed_over_by=staff.id if handed else None,
        )
        s.add(case)
        s.flush()
        return case.id, case.token


def count(app):
    with app.app_context(), db.unit_of_work(readonly=True) as s:
        return s.scalar(select(func.count(Rating.id)).where(Rating.case_id.is_not(None)))


def test_a_case_is_rated_at_intake_and_at_hand_over(app, client):
    case_id, token = make_case(app, 1)
    given = client.post(f"/api/v1/cases/{case_id}/rating", json={"score": 5}, headers=EVALUATOR)
    assert given.status_code == 201, given.json
    rating = given.json["rating"]
    assert (rating["subject"], rating["stage"], rating["channel"]) == (
        "case",
        "intake",
        "evaluator",
    )
    assert rating["gbt_code"] == 1 and rating["case_id"] == case_id
    # Not handed over yet: the hand-over cannot be rated.
    early = client.post(f"/api/v1/cases/{token}/rating", json={"score": 4, "stage": "handover"})
    assert early.status_code == 409 and early.json["error"]["code"] == "not_served"
    again = client.post(f"/api/v1/cases/{case_id}/rating", json={"score": 3}, headers=EVALUATOR)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_rated"
    # The status page adds its own rating of the intake (补充评价).
    added = client.post(f"/api/v1/cases/{token}/rating", json={"score": 4, "stage": "intake"})
    assert added.status_code == 201 and added.json["rating"]["added"] is True
    assert count(app) == 2
    handed_id, handed_token = make_case(app, 2, handed=True)
    bad = client.post(f"/api/v1/cases/{handed_token}/rating", json={"score": 1})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "reason_required"
    bad = client.post(
        f"/api/v1/cases/{handed_token}/rating", json={"score": 1, "reasons": ["slow"]}
    )
    assert bad.status_code == 201 and bad.json["rating"]["stage"] == "handover"
    assert bad.json["rating"]["gbt_code"] == 5
    # The 差评 of a case is followed up like a ticket's and shows on the manager's list.
    manager = login(client, "manager")
    listed = client.get("/api/v1/halls/kuancheng/ratings?bad=1", headers=manager).json["ratings"]
    assert any(r["case_id"] == handed_id for r in listed)
    done = client.post(
        f"/api/v1/ratings/{bad.json['rating']['id']}/follow-up",
        json={"callback": True, "outcome": "explained", "note": "已解释"},
        headers=manager,
    )
    assert done.status_code == 200 and done.json["rating"]["closed"] is True
    assert count(app) == 3
    today = clock.service_date(clock.now(), "Asia/Shanghai").isoformat()
    report = client.get(f"/api/v1/halls/kuancheng/stats?from={today}", headers=manager).json
    assert report["cases"]["ratings"] == {"count": 3, "good_rate": 0.6667, "bad": 1}


def test_case_ratings_refused_change_nothing(app, client):
    case_id, token = make_case(app, 3, received_days_ago=9)
    cases = [
        (f"/api/v1/cases/{case_id}/rating", {"score": 5}, None, 401, "bad_token"),
        (f"/api/v1/cases/{case_id}/rating", {"score": 5}, KIOSK, 403, "forbidden"),
        (f"/api/v1/cases/{token}/rating", {"score": 5}, None, 409, "rating_closed"),
        (f"/api/v1/cases/{token}/rating", {"score": 9}, None, 400, "validation_error"),
        (
            f"/api/v1/cases/{token}/rating",
            {"score": 5, "stage": "moon"},
            None,
            400,
            "validation_error",
        ),
        ("/api/v1/cases/999999/rating", {"score": 5}, EVALUATOR, 404, "case_not_found"),
        ("/api/v1/cases/RATE0003/rating", {"score": 5}, None, 404, "case_not_found"),
    ]
    for url, body, headers, status, code in cases:
        answer = client.post(url, json=body, headers=headers or {})
        assert answer.status_code == status, (url, body, answer.json)
        assert answer.json["error"]["code"] == code, (url, answer.json)
    assert count(app) == 0
