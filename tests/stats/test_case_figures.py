"""Case figures from cases whose times the test sets exactly, on SQLite and PostgreSQL.

A week of March 2026, long before the demo's cases (made days before the clock's now)."""

from datetime import date, datetime

from sqlalchemy import select

from hall import db
from hall.admin.models import Department
from hall.cases.models import Case, CaseStatus, CaseStep, Task, TaskStatus
from tests import factories
from tests.conftest import login


def at(text: str) -> datetime:
    """A local time in the hall's zone (+08:00): 'MM-DD HH:MM' of 2026."""
    return datetime.fromisoformat(f"2026-{text[:5]}T{text[6:]}:00+08:00")


def make_case(
    s,
    n,
    matter,
    status,
    received,
    *,
    deadline=None,
    decided=None,
    refused=None,
    handed=None,
    visits=1,
    spot=False,
):
    case = Case(
        number=f"FIG{n:04d}",
        token=f"case-figures-{n:04d}-".ljust(43, "x"),
        hall_id=matter.hall_id,
        matter_id=matter.id,
        status=status,
        applicant_name_enc="x",
        applicant_id_enc="x",
        applicant_name_masked="张*",
        applicant_id_masked="2201**",
        received_at=at(received),
        decided_at=at(decided) if decided else None,
        refused_at=at(refused) if refused else None,
        handed_over_at=at(handed) if handed else None,
        deadline=date.fromisoformat(f"2026-{deadline}") if deadline else None,
        visits_count=visits,
        on_the_spot=spot,
    )
    s.add(case)
    s.flush()
    return case


def test_case_figures_of_a_known_week(client, app):
    with app.app_context(), db.unit_of_work() as s:
        matter = factories.matter(s, "samr-01")
        staff = factories.staff(s, "window1")
        one, two = s.scalars(select(Department).order_by(Department.id).limit(2)).all()
        done, ready = CaseStatus.CLOSED, CaseStatus.READY
        a = make_case(s, 1, matter, ready, "03-03 09:00", deadline="03-10", decided="03-11 10:00")
        s.add(
            Task(
                case_id=a.id,
                department_id=one.id,
                status=TaskStatus.APPROVED,
                created_at=at("03-03 09:00"),
                decided_at=at("03-11 10:00"),
                decided_by=staff.id,
            )
        )
        make_case(
            s,
            2,
            matter,
            done,
            "03-09 09:00",
            deadline="03-13",
            decided="03-10 15:00",
            handed="03-12 09:00",
            visits=2,
        )
        make_case(s, 3, matter, ready, "03-09 10:00", decided="03-09 10:10", spot=True)
        d = make_case(s, 4, matter, CaseStatus.IN_REVIEW, "03-04 09:00", deadline="03-11")
        s.add(
            Task(
                case_id=d.id,
                department_id=two.id,
                status=TaskStatus.PENDING,
                created_at=at("03-04 09:00"),
            )
        )
        make_case(s, 5, matter, CaseStatus.REFUSED, "03-10 09:00", refused="03-10 09:30")
        make_case(s, 6, matter, CaseStatus.IN_REVIEW, "03-12 09:00", deadline="03-23")
        make_case(s, 7, matter, done, "03-05 09:00", deadline="03-13", decided="03-06 09:00")
        h = make_case(s, 8, matter, CaseStatus.RETURNED, "03-11 09:00", deadline="03-20")
        s.add(
            CaseStep(
                case_id=h.id, action="task_return", at=at("03-12 11:00"), hall_id=matter.hall_id
            )
        )
        names = (one.code, two.code, staff.staff_no)
    manager = login(client, "manager")
    answer = client.get(
        "/api/v1/halls/kuancheng/stats?from=2026-03-09&to=2026-03-13", headers=manager
    )
    assert answer.status_code == 200, answer.json
    c = answer.json["cases"]
    assert (c["carried_over"], c["received"], c["refused"], c["decided"], c["handed_over"]) == (
        2,
        5,
        1,
        3,
        1,
    )
    # Late: A decided after its deadline, and D still open past its deadline.
    assert (c["late"], c["open_overdue"], c["returned"], c["in_progress"]) == (2, 1, 1, 3)
    assert c["on_time_rate"] == 0.5  # B and C on time, of A, B, C decided and D overdue
    assert c["one_trip_rate"] == 0.6667 and c["on_the_spot_share"] == 0.2
    # Working days to decision: A 6 (03-03 → 03-11, a weekend between), B 1, C 0.
    assert c["mean_workdays_to_decision"] == 2.33
    late_departments = sorted((g["name"], g["late"]) for g in c["late_by_department"])
    assert late_departments == sorted([(names[0], 1), (names[1], 1)])
    assert c["late_by_staff"] == [
        {"key": c["late_by_staff"][0]["key"], "name": names[2], "late": 1}
    ]
    # The week after: D is carried over and still late; nothing else moved.
    later = client.get(
        "/api/v1/halls/kuancheng/stats?from=2026-03-16&to=2026-03-20", headers=manager
    ).json["cases"]
    assert later["carried_over"] == 3 and later["late"] == 1 and later["decided"] == 0
    assert later["on_time_rate"] == 0.0
