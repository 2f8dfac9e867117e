"""`hall retention run`: residents' data in cases and ratings is anonymised after its period,
statistics keep their counts, the run is in the audit trail, which it never rewrites."""

from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import func, select, update

from hall import audit, clock, db
from hall.admin.models import AuditEntry
from hall.cases.models import Case, CaseStatus, CaseStep
from hall.cli import main
from hall.stats.models import Rating
from tests.conftest import login


def run(app, *args):
    env = {
        "HALL_DATABASE_URL": app.config["DATABASE_URL"],
        "HALL_SECRET_KEY": "test",
        "HALL_RETENTION_CASE_DAYS": "365",
        "HALL_RETENTION_RATING_DAYS": "180",
    }
    return CliRunner().invoke(main, ["retention", "run", *args], env=env)


def snapshot(app):
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        cases = {
            c.id: (
                c.status,
                c.applicant_name_enc,
                c.applicant_id_enc,
                c.applicant_phone_enc,
                c.applicant_name_masked,
            )
            for c in session.scalars(select(Case))
        }
        ratings = {
            r.id: (r.score, r.resident_name, r.text) for r in session.scalars(select(Rating))
        }
        steps = {s.id: s.detail for s in session.scalars(select(CaseStep))}
        trail = session.scalar(select(func.count()).select_from(AuditEntry))
    return cases, ratings, steps, trail


def test_retention_anonymises_old_cases_and_ratings_and_keeps_the_figures(app, client):
    now = clock.now()
    with app.app_context(), db.unit_of_work() as session:
        ids = session.scalars(select(Case.id).order_by(Case.id)).all()
        assert len(ids) >= 4
        old_closed, recent_closed, old_refused, open_case = ids[:4]
        ended = {
            old_closed: (CaseStatus.CLOSED, now - timedelta(days=400)),
            recent_closed: (CaseStatus.CLOSED, now - timedelta(days=10)),
            old_refused: (CaseStatus.REFUSED, now - timedelta(days=400)),
        }
        for case_id, (status, at) in ended.items():
            session.execute(
                update(Case)
                .where(Case.id == case_id)
                .values(
                    status=status,
                    closed_at=at if status == CaseStatus.CLOSED else None,
                    refused_at=at if status == CaseStatus.REFUSED else None,
                    applicant_phone_enc="sealed-phone",
                    handed_to_masked="张*",
                )
            )
            session.add(CaseStep(case_id=case_id, action="handed_over", at=at, detail="Q001 → 张*"))
        session.execute(
            update(Case)
            .where(Case.id == open_case)
            .values(status=CaseStatus.IN_REVIEW, closed_at=None, refused_at=None)
        )
        old = now - timedelta(days=200)
        given = [
            Rating(
                hall_id=1,
                channel="status",
                at=old,
                score=5,
                text="很好 13800001111",
                resident_name="李四",
            ),
            # An old 差评 whose follow-up is still open keeps what the resident said.
            Rating(hall_id=1, channel="status", at=old, score=1, text="太慢", resident_name="王五"),
            Rating(hall_id=1, channel="status", at=now, score=4, text="不错", resident_name="赵六"),
        ]
        session.add_all(given)
        session.flush()
        kept_bad, recent = given[1].id, given[2].id
        old_good = given[0].id
    manager = login(client, "manager")
    figures = client.get("/api/v1/halls/kuancheng/stats", headers=manager).json
    before = snapshot(app)

    dry = run(app, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "2 件办件" in dry.output and "1 条评价" in dry.output
    assert snapshot(app) == before  # a dry run changes nothing, not even the trail

    done = run(app)
    assert done.exit_code == 0, done.output
    cases, ratings, _, trail = snapshot(app)
    for case_id in (old_closed, old_refused):
        assert cases[case_id][1:] == ("", "", "", "***")
        assert cases[case_id][0] == before[0][case_id][0]
    for case_id in (recent_closed, open_case):
        assert cases[case_id] == before[0][case_id]
    assert ratings[old_good] == (5, None, "")
    assert ratings[kept_bad] == before[1][kept_bad]
    assert ratings[recent] == before[1][recent]
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        handed = session.scalars(
            select(CaseStep.detail).where(
                CaseStep.case_id.in_([old_closed, old_refused]), CaseStep.action == "handed_over"
            )
        ).all()
        assert handed and all("张" not in detail for detail in handed)
        assert session.scalar(
            select(CaseStep.detail).where(
                CaseStep.case_id == recent_closed, CaseStep.detail == "Q001 → 张*"
            )
        )
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.action == "retention.run"
        assert entry.after == {
            "cases": 2,
            "ratings": 1,
            "bookings": 0,
            "case_days": 365,
            "rating_days": 180,
        }
        assert audit.verify(session)[1] == []
    assert trail == before[3] + 1
    # The figures count the same cases and ratings.
    assert client.get("/api/v1/halls/kuancheng/stats", headers=manager).json == figures
    assert len(cases) == len(before[0]) and len(ratings) == len(before[1])

    again = run(app)
    assert again.exit_code == 0 and "0 件办件" in again.output and "0 条评价" in again.output
