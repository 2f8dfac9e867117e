"""The configuration as a file: export, validate, dry run, apply, prune, and its contract."""

import copy
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from hall import create_app, db, migrate
from hall.admin import config_file
from hall.admin.models import AuditEntry, Department, Device, Staff
from hall.cases.models import MatterGuide
from hall.queue.models import Matter, Queue, Ticket, Window
from tests.conftest import HALL_BIN, KIOSK, login

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "hall.yaml"


def export(app, hall=None) -> dict:
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        return config_file.export_config(session, hall)


def apply(app, data, prune=False) -> list[str]:
    with app.app_context(), db.unit_of_work() as session:
        changes, _events = config_file.apply(session, data, prune=prune)
    return changes


def hall_cli(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HALL_DATABASE_URL": url}
    env.pop("HALL_MESSAGE_QUEUE", None)
    return subprocess.run(
        [str(HALL_BIN), *args], env=env, capture_output=True, text=True, timeout=60
    )


def counts(app) -> dict[str, int]:
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Department, Queue, Window, Matter, MatterGuide, Staff, Device)
        }


def test_round_trip_on_the_demo(app):
    first = export(app)
    assert "password" not in json.dumps(first) and "token" not in json.dumps(first)
    assert apply(app, copy.deepcopy(first)) == []
    text = config_file.dumps(first)
    again = config_file.loads(text)
    assert apply(app, again) == []
    assert config_file.dumps(export(app)) == text
    # JSON is the same data.
    assert config_file.loads(config_file.dumps(first, "json"), "json") == first


def test_the_skeleton_of_the_contract(lite_app):
    data = export(lite_app)
    assert {d["code"] for d in data["departments"]} >= {"samr", "tax"}
    hall = next(h for h in data["halls"] if h["code"] == "kuancheng")
    assert {"code": "A", "name": "综合受理", "prefix": "A"}.items() <= hall["queues"][0].items()
    window = hall["windows"][0]
    assert (window["number"], window["queues"]) == ("1", ["A", "Z"])
    matter = next(m for m in hall["matters"] if m["code"] == "samr-02")
    assert matter["queue"] == "A" and matter["kind"] == "committed"
    assert matter["lead_department"] == "samr" and matter["checklist"][0]["name"]
    re01 = next(m for m in hall["matters"] if m["code"] == "re-01")
    assert re01["assisting_departments"] == ["tax"]
    assert {"kind": "kiosk", "name": "大厅取号机 1"}.items() <= hall["devices"][0].items()
    admin = next(s for s in data["staff"] if s["username"] == "admin")
    assert admin == {
        "username": "admin",
        "name": "系统管理员",
        "staff_no": "",
        "role": "admin",
        "hall": None,
        "department": None,
        "active": True,
    }
    # One hall: its staff and the staff without a hall, nobody of the other hall.
    one = export(lite_app, "xinfa")
    assert [h["code"] for h in one["halls"]] == ["xinfa"]
    names = {s["username"] for s in one["staff"]}
    assert {"street1", "admin", "bo-samr"} <= names and "window1" not in names


def test_a_broken_file_lists_every_error_with_its_path_and_changes_nothing(lite_app, tmp_path):
    data = export(lite_app)
    hall = data["halls"][0]
    hall["matters"][3]["queue"] = "X"  # unknown queue
    hall["matters"][4]["lead_department"] = "nope"  # unknown department
    hall["matters"][5]["code"] = hall["matters"][6]["code"]  # duplicate code
    hall["matters"][7]["time_limit_days"] = "three"  # wrong type
    hall["windows"][1]["number"] = "1"  # duplicate number
    hall["windows"][2]["queues"] = ["A", "Y"]  # unknown queue
    hall["hours"] = {"default": [["08:30", "25:00"]]}  # hours that do not parse
    hall["timezone"] = "Mars/Olympus"
    hall["queues"][1]["prefix"] = "A"  # duplicate prefix
    hall["colour"] = "blue"  # unknown key
    hall["devices"][0]["printer_options"] = {"paper": {"deep": [1]}}  # not a flat mapping
    data["staff"][0]["role"] = "king"
    data["departments"][1]["code"] = "samr"  # duplicate department
    path = tmp_path / "broken.yaml"
    path.write_text(config_file.dumps(data), encoding="utf-8")
    before = counts(lite_app)
    before_export = export(lite_app)

    result = hall_cli("config", "import", str(path), url=lite_app.config["DATABASE_URL"])

    assert result.returncode != 0
    errors = result.stderr
    for expected in (
        "halls[0].matters[3].queue: 未知队列 / unknown queue 'X'",
        "halls[0].matters[4].lead_department: 未知部门 / unknown department 'nope'",
        "halls[0].matters[6].code: 重复 / duplicate code",
        "halls[0].matters[7].time_limit_days: 应为非负整数",
        "halls[0].windows[1].number: 重复 / duplicate number '1'",
        "halls[0].windows[2].queues[1]: 未知队列 / unknown queue 'Y'",
        "halls[0].hours.default[0]: 时段无效",
        "halls[0].timezone: 未知时区",
        "halls[0].queues[1].prefix: 前缀重复",
        "halls[0].colour: 未知字段 / unknown key",
        "halls[0].devices[0].printer_options: 应为简单的键值映射",
        "staff[0].role: 未知角色 / unknown role 'king'",
        "departments[1].code: 重复 / duplicate code 'samr'",
        "nothing was changed",
    ):
        assert expected in errors, (expected, errors)
    assert counts(lite_app) == before
    assert export(lite_app) == before_export


def test_bad_syntax_and_extension_are_refused(lite_app, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("halls: [\n", encoding="utf-8")
    result = hall_cli("config", "import", str(bad), url=lite_app.config["DATABASE_URL"])
    assert result.returncode != 0 and "YAML" in result.stderr
    other = tmp_path / "hall.txt"
    other.write_text("{}", encoding="utf-8")
    result = hall_cli("config", "import", str(other), url=lite_app.config["DATABASE_URL"])
    assert result.returncode != 0 and ".yaml" in result.stderr


def test_dry_run_prints_the_changes_and_makes_none(lite_app, tmp_path):
    data = export(lite_app)
    data["halls"][0]["notice"] = "今日系统维护 | Maintenance today"
    data["halls"][0]["queues"].append({"code": "D", "name": "新队列", "prefix": "D"})
    path = tmp_path / "hall.json"
    path.write_text(config_file.dumps(data, "json"), encoding="utf-8")
    before = export(lite_app)
    url = lite_app.config["DATABASE_URL"]

    result = hall_cli("config", "import", str(path), "--dry-run", url=url)

    assert result.returncode == 0, result.stderr
    assert "~ hall kuancheng: notice" in result.stdout
    assert "+ queue kuancheng/D" in result.stdout
    assert "dry run: 2 change(s) not made" in result.stdout
    assert export(lite_app) == before
    applied = hall_cli("config", "import", str(path), url=url)
    assert applied.returncode == 0, applied.stderr
    assert "imported: 2 change(s)" in applied.stdout
    assert export(lite_app)["halls"][0]["notice"] == "今日系统维护 | Maintenance today"
    assert "no changes" in hall_cli("config", "import", str(path), url=url).stdout
    with lite_app.app_context(), db.unit_of_work(readonly=True) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.actor) == ("config.import", "cli")
        assert "+ queue kuancheng/D" in entry.after["changes"]


def test_prune_retires_what_is_in_use_and_deletes_what_is_not(app, client):
    # A ticket of samr-01 in queue A at window 1: they are in use. re-03 and window 12 are not.
    ticket = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    )
    assert ticket.status_code == 201, ticket.json
    headers = login(client, "window1")
    assert client.post("/api/v1/windows/1/open", headers=headers).status_code == 200
    assert client.post("/api/v1/windows/1/call-next", headers=headers).status_code == 200
    data = export(app)
    hall = data["halls"][0]
    hall["matters"] = [m for m in hall["matters"] if m["code"] not in ("samr-01", "re-03")]
    hall["windows"] = [w for w in hall["windows"] if w["number"] not in ("1", "12")]
    data["staff"] = [s for s in data["staff"] if s["username"] != "window12"]

    assert apply(app, copy.deepcopy(data)) == []  # without --prune nothing goes
    no_admin = copy.deepcopy(data)
    no_admin["staff"] = [s for s in no_admin["staff"] if s["role"] != "admin"]
    with pytest.raises(config_file.InvalidConfig, match="error"):
        apply(app, no_admin, prune=True)
    changes = apply(app, data, prune=True)

    assert "- matter kuancheng/samr-01 (retired: in use)" in changes
    assert "- matter kuancheng/re-03 (deleted)" in changes
    assert "- window kuancheng/1 (retired: in use)" in changes
    assert "- window kuancheng/12 (deleted)" in changes
    assert "- staff window12 (disabled)" in changes
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        samr01 = session.scalar(select(Matter).where(Matter.code == "samr-01", Matter.hall_id == 1))
        assert samr01 is not None and not samr01.active
        assert session.scalar(select(Ticket).where(Ticket.matter_id == samr01.id)) is not None
        assert (
            session.scalar(select(Matter).where(Matter.code == "re-03", Matter.hall_id == 1))
            is None
        )
        assert not session.scalar(
            select(Window).where(Window.number == "1", Window.hall_id == 1)
        ).active
        assert (
            session.scalar(select(Window).where(Window.number == "12", Window.hall_id == 1)) is None
        )
        assert not session.scalar(select(Staff).where(Staff.username == "window12")).active
    # Hidden from kiosks; the old ticket's history keeps its matter.
    matters = client.get("/api/v1/halls/kuancheng/matters").json["matters"]
    assert "samr-01" not in {m["code"] for m in matters}
    refused = client.post(
        "/api/v1/halls/kuancheng/tickets", json={"matter": "samr-01"}, headers=KIOSK
    )
    assert refused.status_code == 404
    # A retired window serves out its ticket, then cannot be opened again; a deleted one is gone.
    for action in ("start", "finish", "close"):
        assert client.post(f"/api/v1/windows/1/{action}", headers=headers).status_code == 200
    reopened = client.post("/api/v1/windows/1/open", headers=headers)
    assert reopened.status_code == 409 and reopened.json["error"]["code"] == "window_retired"
    assert client.post("/api/v1/windows/12/open", headers=headers).status_code == 404
    windows = client.get("/api/v1/halls/kuancheng/windows").json["windows"]
    numbers = {w["number"] for w in windows}
    assert "2" in numbers and "1" not in numbers and "12" not in numbers
    # The file round-trips again, and naming the matter again brings it back.
    assert apply(app, export(app), prune=True) == []
    data = export(app)
    data["halls"][0]["matters"].append(
        {"code": "samr-01", "name": "个体工商户设立登记", "queue": "A"}
    )
    changes = apply(app, data)
    assert "~ matter kuancheng/samr-01: reactivated" in changes


def test_a_changed_guide_gets_a_new_version(lite_app):
    data = export(lite_app)
    matter = next(m for m in data["halls"][0]["matters"] if m["code"] == "samr-02")
    matter["fee"] = "工本费 10 元 / 10 yuan"
    matter["checklist"].append({"name": "新材料", "name_en": "new document"})
    changes = apply(lite_app, data)
    assert any(
        line.startswith("~ matter kuancheng/samr-02: guide v1 -> v2 (fee, checklist)")
        for line in changes
    ), changes
    with lite_app.app_context(), db.unit_of_work(readonly=True) as session:
        m = session.scalar(select(Matter).where(Matter.code == "samr-02", Matter.hall_id == 1))
        versions = session.scalars(
            select(MatterGuide.version).where(MatterGuide.matter_id == m.id)
        ).all()
        assert sorted(versions) == [1, 2] and m.version == 2
    after = export(lite_app)
    item = next(m for m in after["halls"][0]["matters"] if m["code"] == "samr-02")["checklist"][-1]
    assert (item["id"], item["name"]) == (6, "新材料")
    assert apply(lite_app, after) == []


def test_the_example_makes_a_working_hall_from_a_fresh_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    assert hall_cli("init", url=url).returncode == 0
    result = hall_cli("config", "import", str(EXAMPLE), url=url)
    assert result.returncode == 0, result.stderr
    assert "+ hall nanguan" in result.stdout
    assert hall_cli("config", "import", str(EXAMPLE), url=url).stdout.strip().endswith("no changes")
    token = hall_cli("device", "token", "1", url=url)
    assert token.returncode == 0, token.stderr
    kiosk_token = token.stdout.strip().splitlines()[-1]
    passwd = hall_cli("user", "passwd", "nanguan-w1", "--password", "s3cret!", url=url)
    assert passwd.returncode == 0, passwd.stderr
    app = create_app({"DATABASE_URL": url, "TESTING": True, "PRINT_WORKER": False})
    client = app.test_client()
    # A staff member added by the file has no usable password until one is set.
    refused = client.post(
        "/api/v1/auth/token", json={"username": "nanguan-w2", "password": "anything"}
    )
    assert refused.status_code == 401
    body = {"matter": "samr-01"}
    issued = client.post(
        "/api/v1/halls/nanguan/tickets",
        json=body,
        headers={"Authorization": f"Bearer {kiosk_token}"},
    )
    # The example's hours may close the hall now; outside them the refusal names the hours.
    assert issued.status_code in (201, 409), issued.json
    if issued.status_code == 409:
        with app.app_context(), db.unit_of_work() as session:
            from hall.admin.models import Hall

            session.scalar(select(Hall).where(Hall.code == "nanguan")).hours = None
            session.scalar(select(Hall).where(Hall.code == "nanguan")).workdays_only = False
            from hall import cache

            cache.changed(session)
        issued = client.post(
            "/api/v1/halls/nanguan/tickets",
            json=body,
            headers={"Authorization": f"Bearer {kiosk_token}"},
        )
    assert issued.status_code == 201, issued.json
    assert issued.json["ticket"]["number"] == "A001"
    headers = login(client, "nanguan-w1", "s3cret!")
    assert client.post("/api/v1/windows/1/open", headers=headers).status_code == 200
    called = client.post("/api/v1/windows/1/call-next", headers=headers)
    assert called.json["ticket"]["number"] == "A001"
    db.engine(app).dispose()


def test_the_rest_routes_are_for_admins(client):
    assert client.get("/api/v1/config").status_code == 401
    window = login(client, "window1")
    manager = login(client, "manager")
    admin = login(client, "admin")
    assert client.get("/api/v1/config", headers=window).status_code == 403
    assert client.get("/api/v1/config?hall=kuancheng", headers=window).status_code == 403
    # A manager reads their own hall's file only.
    own = client.get("/api/v1/config?hall=kuancheng", headers=manager)
    assert own.status_code == 200 and own.mimetype == "application/yaml"
    assert [h["code"] for h in yaml.safe_load(own.text)["halls"]] == ["kuancheng"]
    assert client.get("/api/v1/config?hall=xinfa", headers=manager).status_code == 403
    assert client.get("/api/v1/config", headers=manager).status_code == 403
    whole = client.get("/api/v1/config?format=json", headers=admin)
    assert whole.status_code == 200 and len(whole.json["halls"]) == 2
    assert client.get("/api/v1/config?format=xml", headers=admin).status_code == 400
    body = {"text": whole.text, "format": "json", "dry_run": True, "prune": False}
    for who in (window, manager):
        refused = client.post("/api/v1/config/import", json=body, headers=who)
        assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert client.post("/api/v1/config/import", json=body).status_code == 401
    # The admin imports: a dry run, then the change; a broken file is 422 with its errors.
    data = whole.json
    data["halls"][0]["notice"] = "新公告"
    body["text"] = json.dumps(data, ensure_ascii=False)
    dry = client.post("/api/v1/config/import", json=body, headers=admin)
    assert dry.status_code == 200 and dry.json["errors"] == []
    assert len(dry.json["changes"]) == 1
    assert dry.json["changes"][0].startswith("~ hall kuancheng: notice '一窗受理")
    assert dry.json["changes"][0].endswith("-> '新公告'")
    assert client.get("/api/v1/halls/kuancheng").json["hall"]["notice"] != "新公告"
    done = client.post("/api/v1/config/import", json={**body, "dry_run": False}, headers=admin)
    assert done.status_code == 200 and len(done.json["changes"]) == 1
    assert client.get("/api/v1/halls/kuancheng").json["hall"]["notice"] == "新公告"
    with client.application.app_context(), db.unit_of_work(readonly=True) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.actor) == ("config.import", f"staff:{entry.staff_id} admin")
        assert entry.after["count"] == 1
    data["halls"][0]["matters"][0]["queue"] = "X"
    bad = {**body, "text": json.dumps(data), "dry_run": False}
    invalid = client.post("/api/v1/config/import", json=bad, headers=admin)
    assert invalid.status_code == 422
    assert invalid.json["errors"] == ["halls[0].matters[0].queue: 未知队列 / unknown queue 'X'"]
    assert invalid.json["error"]["code"] == "invalid_config"
    for junk in ({"text": 3}, {"text": "x", "format": "xml"}, {"text": "{}", "dry_run": "yes"}):
        assert client.post("/api/v1/config/import", json=junk, headers=admin).status_code == 400
    syntax = client.post(
        "/api/v1/config/import", json={"text": "a: [", "format": "yaml"}, headers=admin
    )
    assert syntax.status_code == 422 and syntax.json["errors"][0].startswith("YAML")
    for fmt, text in (("yaml", "[" * 20000), ("json", "[" * 20000 + "]" * 20000)):
        deep = client.post(
            "/api/v1/config/import", json={"text": text, "format": fmt}, headers=admin
        )
        assert deep.status_code == 422, deep.json


def test_the_page_is_a_static_shell(lite_client):
    page = lite_client.get("/admin/config")
    assert page.status_code == 200
    assert "<script>" not in page.text and "style=" not in page.text
    script = lite_client.get("/admin/config/static/admin/config.js")
    assert script.status_code == 200 and "dry_run" in script.text
    script.close()


def test_a_fresh_database_imports_the_example_and_exports_it_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "TESTING": True, "PRINT_WORKER": False})
    migrate.upgrade(db.engine(app))
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    with app.app_context(), db.unit_of_work() as session:
        assert config_file.validate(session, data) == []
    assert apply(app, data)
    exported = export(app)
    assert apply(app, exported) == [] and export(app) == exported
    db.engine(app).dispose()


BAD_SHAPES = [
    [],
    "text",
    {"halls": {}},
    {"halls": [{"code": 3}]},
    {
        "halls": [
            {"code": "h", "name": "n", "queues": [{"code": "A", "name": "a", "prefix": ["A"]}]}
        ]
    },
    {
        "halls": [
            {"code": "h", "name": "n", "windows": [{"number": "1", "name": "w", "queues": [{}]}]}
        ]
    },
    {
        "halls": [
            {"code": "h", "name": "n", "windows": [{"number": "1", "name": "w", "roles": [[]]}]}
        ]
    },
    {"halls": [{"code": "h", "name": "n", "matters": [{"code": "m", "name": "m", "queue": []}]}]},
    {"halls": [{"code": "h", "name": "n", "matters": [{"code": "m", "name": "m", "kind": {}}]}]},
    {"halls": [{"code": "h", "name": "n", "matters": [{"code": "m", "lead_department": []}]}]},
    {"halls": [{"code": "h", "matters": [{"code": "m", "assisting_departments": [{}]}]}]},
    {"halls": [{"code": "h", "matters": [{"code": "m", "checklist": [{"id": [1]}, 3]}]}]},
    {"halls": [{"code": "h", "hours": {"default": [[510, 990]], 7: []}}]},
    {"halls": [{"code": "h", "devices": [{"kind": [], "name": {}}, "x"]}]},
    {"staff": [{"username": "u", "role": [], "hall": {}, "department": 3}], "departments": [1]},
]


@pytest.mark.parametrize("bad", BAD_SHAPES)
def test_validation_never_raises(lite_app, bad):
    with lite_app.app_context(), db.unit_of_work(readonly=True) as session:
        assert config_file.validate(session, bad)
        with pytest.raises(config_file.InvalidConfig):
            config_file.plan(session, bad, prune=True)


def test_prune_queues_departments_and_devices(lite_app):
    client = lite_app.test_client()
    original = export(lite_app)
    data = copy.deepcopy(original)
    hall = data["halls"][0]
    hall["queues"].append({"code": "D", "name": "临时队列", "prefix": "D"})
    hall["queues"].append({"code": "E", "name": "空队列", "prefix": "E"})
    hall["matters"].append({"code": "d-01", "name": "临时事项", "queue": "D"})
    hall["devices"].append({"kind": "kiosk", "name": "新取号机"})
    hall["devices"].append({"kind": "kiosk", "name": "新取号机", "printer": "dummy://"})
    data["departments"].append({"code": "newdept", "name": "新部门"})
    changes = apply(lite_app, data)
    assert "+ queue kuancheng/D" in changes and "+ department newdept" in changes
    # Two devices of one kind and name are told apart by their order.
    twice = export(lite_app)["halls"][0]["devices"][-2:]
    assert [d["printer"] for d in twice] == [None, "dummy://"]
    assert apply(lite_app, export(lite_app)) == []
    ticket = client.post("/api/v1/halls/kuancheng/tickets", json={"matter": "d-01"}, headers=KIOSK)
    assert ticket.status_code == 201 and ticket.json["ticket"]["number"] == "D001"

    changes = apply(lite_app, copy.deepcopy(original), prune=True)

    assert set(changes) == {
        "- matter kuancheng/d-01 (retired: in use)",
        "- queue kuancheng/D (retired: in use)",
        "- queue kuancheng/E (deleted)",
        "- device kuancheng/kiosk 新取号机 (deleted)",
        "- department newdept (deleted)",
    }
    assert changes.count("- device kuancheng/kiosk 新取号机 (deleted)") == 2
    assert export(lite_app) == original
    queues = client.get("/api/v1/halls/kuancheng/queues").json["queues"]
    assert "D" not in {q["code"] for q in queues}
    # The ticket keeps its queue and matter.
    status = client.get(f"/api/v1/tickets/{ticket.json['ticket']['id']}", headers=KIOSK)
    assert status.status_code == 200 and status.json["ticket"]["number"] == "D001"


def test_the_calendar_round_trips_and_prunes_only_the_years_it_names(app):
    refs = app.extensions["hall.cache"]
    data = export(app)
    assert data["calendar"] == []
    # Illustrative days (a YAML date unquoted, as an admin would type it), not the official ones.
    text = config_file.dumps(data) + (
        "- {date: 2027-02-08, workday: false, name: 春节}\n"
        "- {date: '2027-02-20', workday: true, name: 春节调休上班}\n"
        "- {date: '2028-01-03', workday: false}\n"
    )
    text = text.replace("calendar: []\n", "calendar:\n")
    changes = apply(app, config_file.loads(text))
    assert changes == [
        "+ calendar 2027-02-08 holiday 春节",
        "+ calendar 2027-02-20 workday 春节调休上班",
        "+ calendar 2028-01-03 holiday",
    ]
    assert not refs.calendar().is_workday(config_file.holidays.parse_day("2027-02-08"))
    exported = export(app)
    assert exported["calendar"][0] == {"date": "2027-02-08", "workday": False, "name": "春节"}
    assert apply(app, copy.deepcopy(exported), prune=True) == []
    # A file naming 2027 only: pruning removes 2027's other days and leaves 2028 alone.
    only = {
        **exported,
        "calendar": [{"date": "2027-02-08", "workday": False, "name": "春节(改)"}],
    }
    with app.app_context(), db.unit_of_work() as session:
        dry = config_file.plan(session, copy.deepcopy(only), prune=True)
    assert dry == [
        "~ calendar 2027-02-08: name '春节' -> '春节(改)'",
        "- calendar 2027-02-20 (deleted)",
    ]
    assert apply(app, only, prune=True) == dry
    assert [d["date"] for d in export(app)["calendar"]] == ["2027-02-08", "2028-01-03"]
    assert refs.calendar().source(2028) == "table"


@pytest.mark.parametrize(
    ("calendar", "where"),
    [
        ("2027-02-08", "calendar"),
        ([{"date": "2027-02-30", "workday": False}], "calendar[0].date"),
        ([{"date": "1999-01-01", "workday": False}], "calendar[0].date"),
        ([{"date": "2027-02-08", "workday": "no"}], "calendar[0].workday"),
        ([{"date": "2027-02-08", "workday": False, "name": "长" * 41}], "calendar[0].name"),
        ([{"date": "2027-02-08", "workday": False, "when": 1}], "calendar[0].when"),
        (
            [{"date": "2027-02-08", "workday": False}, {"date": "2027-02-08", "workday": True}],
            "calendar[1].date",
        ),
        (["2027-02-08"], "calendar[0]"),
    ],
)
def test_a_bad_calendar_is_refused_with_its_path(lite_app, calendar, where):
    data = {**export(lite_app), "calendar": calendar}
    with lite_app.app_context(), db.unit_of_work(readonly=True) as session:
        errors = config_file.validate(session, data)
    assert errors and all(e.startswith(where) for e in errors), errors
