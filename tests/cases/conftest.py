"""A front desk, back office and pickup window driven over REST with a controlled clock."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from hall import clock, db
from hall.cases.models import Case
from tests import factories as f
from tests.conftest import KIOSK, login

# A Wednesday, 10:00 in Beijing: the street service point is open too.
T0 = datetime.fromisoformat("2026-12-02T02:00:00+00:00")


class Desk:
    """One hall's counters, back office and pickup window, one REST call per step."""

    def __init__(self, app, client, monkeypatch) -> None:
        self.app = app
        self.client = client
        self.now = T0
        self.tokens: dict[str, dict[str, str]] = {}
        self.opened: set[tuple[str, str]] = set()
        self.demo_cases = 0
        self.demo_cases = self.count_cases()  # the demo's own cases
        monkeypatch.setattr(clock, "now", lambda: self.now)

    def at(self, when: datetime) -> None:
        """Move the clock; logins made before have expired by then."""
        self.now = when
        self.tokens.clear()

    def later(self, **delta) -> None:
        """Move the clock forward."""
        self.at(self.now + timedelta(**delta))

    def auth(self, user: str) -> dict[str, str]:
        """The Authorization header of a demo user, logged in now."""
        if user not in self.tokens:
            self.tokens[user] = login(self.client, user)
        return self.tokens[user]

    def post(self, path: str, user: str | None = None, json=None, headers=None):
        """POST as a user (or with the given headers)."""
        headers = headers if headers is not None else (self.auth(user) if user else {})
        return self.client.post(f"/api/v1{path}", json=json or {}, headers=headers)

    def get(self, path: str, user: str | None = None):
        """GET as a user (or anonymously)."""
        return self.client.get(f"/api/v1{path}", headers=self.auth(user) if user else {})

    def window_id(self, number: str, hall: str = "kuancheng") -> int:
        with self.app.app_context(), db.unit_of_work(readonly=True) as s:
            return f.window(s, number, hall).id

    def serve(
        self, matter: str, window: str = "1", clerk: str = "window1", hall: str = "kuancheng"
    ) -> dict:
        """A kiosk ticket for the matter, called and started at the clerk's window."""
        kiosk = {"Authorization": f"Bearer demo-kiosk-{hall}"} if hall != "kuancheng" else KIOSK
        issued = self.post(f"/halls/{hall}/tickets", json={"matter": matter}, headers=kiosk)
        assert issued.status_code == 201, issued.json
        wid = self.window_id(window, hall)
        if (hall, window) not in self.opened:
            assert self.post(f"/windows/{wid}/open", clerk).status_code == 200
            self.opened.add((hall, window))
        called = self.post(f"/windows/{wid}/call-next", clerk).json["ticket"]
        assert called["number"] == issued.json["ticket"]["number"]
        assert self.post(f"/windows/{wid}/start", clerk).status_code == 200
        return called

    def finish(self, window: str = "1", clerk: str = "window1", hall: str = "kuancheng") -> None:
        """Finish the window's current ticket."""
        assert (
            self.post(f"/windows/{self.window_id(window, hall)}/finish", clerk).status_code == 200
        )

    def matter(self, code: str, hall: str = "kuancheng") -> dict:
        """The matter's catalogue entry."""
        with self.app.app_context(), db.unit_of_work(readonly=True) as s:
            matter_id = f.matter(s, code, hall).id
        return self.get(f"/matters/{matter_id}").json["matter"]

    def take(self, matter: str, *, documents="all", clerk="window1", ticket=None, **extra):
        """Register a case from the ticket being served; documents default to every required one."""
        entry = self.matter(matter, extra.pop("hall", "kuancheng"))
        if documents == "all":
            documents = [d["id"] for d in entry["documents"] if d["required"]]
        body = {
            "ticket": ticket,
            "matter": matter,
            "applicant": dict(APPLICANT),
            "documents": documents,
            **extra,
        }
        return self.post("/cases", clerk, json=body)

    def case(self, ref, user: str = "manager") -> dict:
        """The case as staff see it."""
        response = self.get(f"/cases/{ref}", user)
        assert response.status_code == 200, response.json
        return response.json["case"]

    def task(self, case_id, department: str) -> int:
        """The id of the case's task in a department."""
        tasks = self.case(case_id, "admin")["tasks"]
        return next(t["id"] for t in tasks if t["department"] == department)

    def act(self, task_id: int, action: str, user: str, **body):
        """A back-office step."""
        return self.post(f"/tasks/{task_id}/{action}", user, json=body)

    def count_cases(self) -> int:
        """Cases made since the demo's."""
        with self.app.app_context(), db.unit_of_work(readonly=True) as s:
            return s.scalar(select(func.count()).select_from(Case)) - self.demo_cases

    def inbox(self, department: str) -> dict[str, dict]:
        """A department's open tasks by case number."""
        tasks = self.get(f"/departments/{department}/tasks", f"bo-{department}").json["tasks"]
        return {t["case"]["number"]: t for t in tasks}


APPLICANT = {
    "kind": "person",
    "name": "张三丰",
    "id_number": "220103199001011234",
    "phone": "13812345678",
}


@pytest.fixture
def desk(app, client, monkeypatch) -> Desk:
    """The demo hall on each database backend, with a controlled clock."""
    return Desk(app, client, monkeypatch)
