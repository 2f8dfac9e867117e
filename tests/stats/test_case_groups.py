"""Case figures per queue, matter, window, staff member, department, hour and day, on SQLite
and PostgreSQL, against figures counted by hand (docs/stats.md, "Case figures").

Five cases of March 2026 (Mon 9 - Wed 11), long before the demo's own cases:

| case | matter (queue, dept) | window, clerk | received | deadline | then |
| A | hpf-01 | 1, window1 | 09 09:30 | 10 | decided 11 10:00 (late) |
| B | hpf-01 | 1, window1 | 09 14:10 | - | on the spot, decided 09 14:20, rated 5 |
| C | hrss-01 | 10, window2 | 05 09:15 | 09 | still open (overdue), rated 1 on 09 |
| D | hrss-01 | 10, window2 | 10 09:45 | 20 | returned 10 11:00, decided 10 16:00, 2 visits |
| E | hrss-01 | 10, window2 | 11 14:30 | - | refused 11 15:00 |
"""

import csv
import io

from hall import db
from hall.cases.models import CaseStatus, CaseStep
from hall.stats.models import Rating
from tests import factories
from tests.conftest import login
from tests.stats.test_case_figures import at, make_case

RANGE = "from=2026-03-09&to=2026-03-11"

FIELDS = (
    "carried_over",
    "received",
    "refused",
    "decided",
    "late",
    "open_overdue",
    "in_progress",
    "returned",
    "on_time_rate",
    "one_trip_rate",
    "on_the_spot_share",
    "mean_workdays_to_decision",
)

# Per matter (= its queue, department, window and clerk here), counted by hand.
HPF = (0, 2, 0, 2, 1, 0, 0, 0, 0.5, 1.0, 0.5, 1.0)
HRSS = (1, 2, 1, 1, 1, 1, 1, 1, 0.5, 0.0, 0.0, 0.0)
HOURS = {
    9: (1, 2, 0, 2, 2, 1, 1, 1, 0.3333, 0.5, 0.0, 1.0),  # A, C, D
    14: (0, 2, 1, 1, 0, 0, 0, 0, 1.0, 1.0, 0.5, 0.0),  # B, E
}
DAYS = {
    "2026-03-09": (1, 2, 0, 1, 0, 0, 2, 0, 1.0, 1.0, 0.5, 0.0),
    "2026-03-10": (2, 1, 0, 1, 1, 1, 2, 1, 0.5, 0.0, 0.0, 0.0),
    "2026-03-11": (2, 1, 1, 1, 2, 1, 1, 0, 0.0, 1.0, 0.0, 2.0),
}


def setup(app):
    with app.app_context(), db.unit_of_work() as s:
        hpf, hrss = factories.matter(s, "hpf-01"), factories.matter(s, "hrss-01")
        one, ten = factories.window(s, "1"), factories.window(s, "10")
        clerk1, clerk2 = factories.staff(s, "window1"), factories.staff(s, "window2")
        ready = CaseStatus.READY
        made = {}
        for name, matter, window, clerk, status, received, kw in (
            ("A", hpf, one, clerk1, ready, "03-09 09:30", dict(deadline="03-10", decided="03-11 10:00")),
            ("B", hpf, one, clerk1, ready, "03-09 14:10", dict(decided="03-09 14:20", spot=True)),
            ("C", hrss, ten, clerk2, CaseStatus.IN_REVIEW, "03-05 09:15", dict(deadline="03-09")),
            ("D", hrss, ten, clerk2, ready, "03-10 09:45", dict(deadline="03-20", decided="03-10 16:00", visits=2)),
            ("E", hrss, ten, clerk2, CaseStatus.REFUSED, "03-11 14:30", dict(refused="03-11 15:00")),
        ):  # fmt: skip
            case = make_case(s, 100 + len(made), matter, status, received, **kw)
            case.window_id, case.staff_id = window.id, clerk.id
            made[name] = case
        s.add(
            CaseStep(
                case_id=made["D"].id,
                action="task_return",
                at=at("03-10 11:00"),
                hall_id=hpf.hall_id,
            )
        )
        for name, score, when in (("B", 5, "03-09 14:25"), ("C", 1, "03-09 10:00")):
            case = made[name]
            matter = hpf if name == "B" else hrss
            s.add(
                Rating(
                    hall_id=case.hall_id,
                    subject="case",
                    case_id=case.id,
                    stage="intake",
                    matter_id=case.matter_id,
                    window_id=case.window_id,
                    staff_id=case.staff_id,
                    department_id=matter.department_id,
                    channel="evaluator",
                    at=at(when),
                    score=score,
                    reasons=["wait"] if score == 1 else [],
                    text="",
                    callback_note="",
                    outcome_note="",
                    appeal_note="",
                )
            )
        return {
            "queue": {hpf.queue_id: HPF, hrss.queue_id: HRSS},
            "matter": {hpf.id: HPF, hrss.id: HRSS},
            "department": {hpf.department_id: HPF, hrss.department_id: HRSS},
            "window": {one.id: HPF, ten.id: HRSS},
            "staff": {clerk1.id: HPF, clerk2.id: HRSS},
        }


def figures(cases):
    return tuple(cases[f] for f in FIELDS)


def test_case_figures_per_group_match_the_hand_count(client, app):
    expected = setup(app)
    manager = login(client, "manager")

    def groups(by):
        answer = client.get(f"/api/v1/halls/kuancheng/stats?{RANGE}&by={by}", headers=manager)
        assert answer.status_code == 200, answer.json
        return answer.json, {g["key"]: g for g in answer.json["groups"]}

    report, _ = groups("hour")
    # The hall's total is the sum of the flows above.
    assert figures(report["cases"]) == (1, 4, 1, 3, 2, 1, 1, 1, 0.5, 0.6667, 0.25, 0.67)
    for by, want in expected.items():
        _, got = groups(by)
        for key, numbers in want.items():
            assert figures(got[key]["cases"]) == numbers, (by, key)
        ratings = [
            (got[k]["cases"]["ratings"]["count"], got[k]["cases"]["ratings"]["bad"]) for k in want
        ]
        assert ratings == [(1, 0), (1, 1)], by
    _, hours = groups("hour")
    for hour, numbers in HOURS.items():
        assert figures(hours[hour]["cases"]) == numbers, hour
    assert (
        hours[9]["cases"]["ratings"]["bad"] == 1
        and hours[14]["cases"]["ratings"]["good_rate"] == 1.0
    )
    by_day, days = groups("day")
    # The range's figures come from its days' with by=day: the same as any other way.
    assert figures(by_day["cases"]) == figures(report["cases"])
    assert sorted(days) == sorted(DAYS)
    for day, numbers in DAYS.items():
        assert figures(days[day]["cases"]) == numbers, day
        # A day's group is the figures of that day as a range of its own.
        alone = client.get(
            f"/api/v1/halls/kuancheng/stats?from={day}&to={day}", headers=manager
        ).json["cases"]
        assert figures(alone) == numbers, day
    assert days["2026-03-09"]["cases"]["ratings"] == {"count": 2, "good_rate": 0.5, "bad": 1}

    # The CSV holds the same case figures per group.
    text = client.get(
        f"/api/v1/halls/kuancheng/stats.csv?{RANGE}&by=matter", headers=manager
    ).data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[1]
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows[2:]}
    assert by_name["hpf-01"]["办件受理 / cases received"] == "2"
    assert by_name["hrss-01"]["办件逾期 / cases late"] == "1"
    assert by_name["hrss-01"]["按时办结率 / on-time rate"] == "0.5"
    assert by_name["合计 / total"]["办件办结 / cases decided"] == "3"


def test_a_clerk_with_cases_but_no_tickets_has_a_group(client, app):
    clerk1, clerk2 = setup(app)["staff"]
    manager = login(client, "manager")
    answer = client.get(f"/api/v1/halls/kuancheng/stats?{RANGE}&by=staff", headers=manager).json
    groups = {g["key"]: g for g in answer["groups"]}
    assert groups[clerk2]["tickets"]["issued"] == 0 and groups[clerk2]["tickets"]["wait_s"] == {
        "p50": None,
        "p90": None,
        "max": None,
    }
    assert groups[clerk2]["cases"]["received"] == 2 and groups[clerk2]["name"] != clerk2
