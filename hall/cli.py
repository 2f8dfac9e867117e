"""The `hall` command: init, serve, print-worker, user, device, printer, appointment, audit,
db, backup, restore, case, stats and simulate."""

import sys
from pathlib import Path

import click
from sqlalchemy import select

from hall import create_app, db, migrate
from hall.errors import HallError
from hall.printing.cli import print_worker, printer


def _app(**config):
    return create_app({k: v for k, v in config.items() if v is not None} or None)


@click.group()
def main() -> None:
    """OneWindow (一窗通) hub."""


@main.command()
@click.option(
    "--demo", is_flag=True, help="Add the demo halls, matters, windows, staff and devices."
)
def init(demo: bool) -> None:
    """Create or upgrade the schema, and optionally the demo data."""
    app = _app()
    migrate.upgrade(db.engine(app))
    click.echo(f"数据库已就绪 / database ready: {_safe_url(app.config['DATABASE_URL'])}")
    if demo:
        from hall import demo as demo_data

        try:
            with app.app_context(), db.unit_of_work() as session:
                logins = demo_data.create(session)
        except demo_data.NotADemoDatabase as err:
            raise click.ClickException(str(err)) from None
        if logins is None:
            click.echo("演示数据已存在 / demo data already present")
            logins = demo_data.LOGINS_TEXT
        click.echo(logins)


def _safe_url(url: str) -> str:
    # Never print a database password.
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--worker",
    type=click.Choice(["gevent", "threads"]),
    default="gevent",
    show_default=True,
    help="Serving model: gevent (a greenlet per connection) or threads (one per websocket).",
)
@click.option(
    "--threads",
    default=200,
    show_default=True,
    type=int,
    help="With --worker threads: worker threads; each open websocket holds one.",
)
@click.option(
    "--connections",
    default=2000,
    show_default=True,
    type=int,
    help="Open connections the process accepts (websockets and HTTP alike).",
)
@click.option(
    "--print-worker/--no-print-worker",
    default=None,
    help="Start `hall print-worker` as a child process [default: HALL_PRINT_WORKER, else yes].",
)
def serve(
    host: str, port: int, worker: str, threads: int, connections: int, print_worker: bool | None
) -> None:
    """Run the hub under gunicorn, with the print worker as a child process."""
    from hall import config
    from hall.server import run

    if print_worker is None:
        print_worker = config.load(None)["PRINT_WORKER"]
    _warn_demo()
    run(
        host=host,
        port=port,
        worker=worker,
        threads=threads,
        connections=connections,
        print_worker=print_worker,
    )


def _warn_demo() -> None:
    """Say loudly when the database still holds the demo's publicly known logins."""
    from hall import demo as demo_data

    try:
        app = _app()
        with app.app_context(), db.unit_of_work(readonly=True) as session:
            found = demo_data.present(session)
        db.engine(app).dispose()
    except Exception:  # no schema yet, or the database is away: gunicorn will say so
        return
    if found:
        bar = "!" * 78
        click.echo(
            f"{bar}\n警告 / WARNING: 数据库中仍有公开的演示账号和令牌 / this database still holds"
            " the demo's PUBLIC logins and tokens:\n  "
            + "\n  ".join(found)
            + "\n演示用途以外请勿使用;用 `hall user disable NAME` 和 `hall device revoke ID`"
            " 停用 / not for real use: disable them with `hall user disable NAME` and"
            f" `hall device revoke ID`.\n{bar}",
            err=True,
        )


@main.group()
def user() -> None:
    """Staff accounts."""


@user.command("disable")
@click.argument("username")
def user_disable(username: str) -> None:
    """Disable a staff account: its tokens end and its open sockets are cut at once."""
    from hall.admin import services as auth

    app = _app()
    try:
        with app.app_context(), db.unit_of_work() as session:
            staff = auth.disable_staff(session, username)
            click.echo(f"已停用 / disabled {staff.username}")
    except HallError as err:
        raise click.ClickException(err.message) from None


@user.command("add")
@click.argument("username")
@click.option("--password", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["window", "backoffice", "pickup", "manager", "admin"]),
)
@click.option("--hall", "hall_code", default=None)
@click.option("--department", "department_code", default=None)
@click.option("--name", default="")
@click.option("--staff-no", default="")
def user_add(username, password, role, hall_code, department_code, name, staff_no) -> None:
    """Add a staff account."""
    from hall.admin import services as auth
    from hall.admin.models import Department
    from hall.queue import lookup

    app = _app()
    try:
        with app.app_context(), db.unit_of_work() as session:
            hall = lookup.hall_by_code(session, hall_code) if hall_code else None
            department = None
            if department_code:
                department = session.scalar(
                    select(Department).where(Department.code == department_code)
                )
                if department is None:
                    raise click.ClickException(
                        f"部门不存在 / no such department: {department_code}"
                    )
            staff = auth.add_staff(
                session,
                username,
                password,
                role,
                name=name,
                staff_no=staff_no,
                hall=hall,
                department=department,
            )
            click.echo(f"已添加 / added {staff.username} ({staff.role})")
    except HallError as err:
        raise click.ClickException(err.message) from None


@user.command("passwd")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_passwd(username: str, password: str) -> None:
    """Set a staff account's password (accounts made by `hall config import` have none)."""
    from hall.admin import services as auth

    app = _app()
    try:
        with app.app_context(), db.unit_of_work() as session:
            staff = auth.set_password(session, username, password)
            click.echo(f"已设置密码 / password set for {staff.username}")
    except HallError as err:
        raise click.ClickException(err.message) from None


@main.group()
def device() -> None:
    """Kiosks, displays, printers and evaluators."""


@device.command("add")
@click.argument("kind", type=click.Choice(["kiosk", "display", "printer", "evaluator"]))
@click.option("--hall", "hall_code", required=True)
@click.option("--name", default="")
@click.option("--printer", "printer_url", default=None, help="e.g. network://10.0.0.5:9100")
def device_add(kind, hall_code, name, printer_url) -> None:
    """Register a device; its token is printed alone on the last line."""
    from hall.admin import services as auth
    from hall.queue import lookup

    app = _app()
    try:
        with app.app_context(), db.unit_of_work() as session:
            hall = lookup.hall_by_code(session, hall_code)
            dev, token = auth.add_device(session, kind, hall, name=name, printer_url=printer_url)
            click.echo(f"已登记 / registered {dev.kind} #{dev.id} {dev.name} @ {hall.code}")
    except HallError as err:
        raise click.ClickException(err.message) from None
    click.echo(token)


@device.command("revoke")
@click.argument("device_id", type=click.IntRange(1, 2**31 - 1))
def device_revoke(device_id: int) -> None:
    """Revoke a device's token: it stops working at once, open sockets included."""
    from hall.admin import services as auth

    app = _app()
    try:
        with app.app_context(), db.unit_of_work() as session:
            dev = auth.revoke_device(session, device_id)
            click.echo(f"已吊销 / revoked {dev.kind} #{dev.id} {dev.name}")
    except HallError as err:
        raise click.ClickException(err.message) from None


@device.command("token")
@click.argument("device_id", type=click.IntRange(1, 2**31 - 1))
def device_token(device_id: int) -> None:
    """Give a device a new token (devices made by `hall config import` have none); the old
    one stops working. The token is printed alone on the last line."""
    from hall.admin import services as auth

    app = _app()
    try:
        with app.app_context(), db.unit_of_work() as session:
            dev, token = auth.reissue_token(session, device_id)
            click.echo(f"新令牌 / new token for {dev.kind} #{dev.id} {dev.name}")
    except HallError as err:
        raise click.ClickException(err.message) from None
    click.echo(token)


@main.group("config")
def config_group() -> None:
    """The hall's configuration as a file (YAML or JSON)."""


@config_group.command("export")
@click.option("--hall", "hall_code", default=None, help="Only this hall (and staff without one).")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml")
def config_export(hall_code: str | None, fmt: str) -> None:
    """Print the configuration: no tokens, no passwords, no residents' data."""
    from hall.admin import config_file

    app = _app()
    try:
        with app.app_context(), db.unit_of_work(readonly=True) as session:
            data = config_file.export_config(session, hall_code)
    except HallError as err:
        raise click.ClickException(err.message) from None
    click.echo(config_file.dumps(data, fmt), nl=False)


@config_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Print the changes without making them.")
@click.option(
    "--prune", is_flag=True, help="Remove what the file no longer names (retire what is in use)."
)
def config_import(file: str, dry_run: bool, prune: bool) -> None:
    """Validate the whole file, then apply it in one transaction and print what changed."""
    from pathlib import Path

    from hall.admin import config_file
    from hall.printing.channels import worker_publisher

    try:
        fmt = config_file.format_of(file)
        data = config_file.loads(Path(file).read_text(encoding="utf-8-sig"), fmt)
    except (ValueError, UnicodeDecodeError) as err:
        raise click.ClickException(str(err)) from None
    app = _app()
    try:
        with app.app_context(), db.unit_of_work() as session:
            if dry_run:
                changes, events = config_file.plan(session, data, prune=prune), []
            else:
                changes, events = config_file.apply(session, data, prune=prune)
    except config_file.InvalidConfig as err:
        for line in err.errors:
            click.echo(line, err=True)
        raise click.ClickException(
            f"配置文件有 {len(err.errors)} 处错误,未做任何改动 / "
            f"{len(err.errors)} error(s) in the file; nothing was changed"
        ) from None
    except HallError as err:
        raise click.ClickException(err.message) from None
    for line in changes:
        click.echo(line)
    if events:
        with app.app_context():
            worker_publisher(app)(events)
    if not changes:
        click.echo("没有改动 / no changes")
    elif dry_run:
        click.echo(f"预演:{len(changes)} 项改动未执行 / dry run: {len(changes)} change(s) not made")
    else:
        click.echo(f"已导入 / imported: {len(changes)} change(s)")


@main.group("calendar")
def calendar_group() -> None:
    """Working days: the holiday arrangement entered by the admins over the package."""


@calendar_group.command("status")
def calendar_status() -> None:
    """Print what covers each year and the first day nothing covers; exit 1 when that day is
    within 60 days (for a monitoring check)."""
    from hall import cache
    from hall.admin import holidays

    app = _app()
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        days = cache.of(session).calendar()
        status = holidays.coverage_json(days, holidays.today())
        entered = {year: len(days.entered(int(year))) for year in status["years"]}
    names = {"table": "录入 / entered", "package": "chinesecalendar", "none": "无 / none"}
    for year, source in status["years"].items():
        count = f" ({entered[year]} days)" if source == "table" else ""
        click.echo(f"{year}: {names[source]}{count}")
    first = status["uncovered_from"]
    click.echo(f"未覆盖自 / uncovered from: {first or '-'}")
    if status["warning"]:
        click.echo(status["warning"], err=True)
        raise SystemExit(1)


@main.group("audit")
def audit_group() -> None:
    """The audit trail (留痕)."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Check the hash chain: any edited, deleted or reordered entry is reported, with where."""
    from hall import audit

    app = _app()
    with app.app_context(), db.unit_of_work(readonly=True) as session:
        count, problems = audit.verify(session)
    for problem in problems:
        click.echo(
            f"第 {problem.position} 条 (id {problem.id}) / entry {problem.position} "
            f"(id {problem.id}): {problem.reason}",
            err=True,
        )
    if problems:
        raise click.ClickException(
            f"审计记录被改动 / the audit trail was tampered with: {len(problems)} problem(s)"
        )
    click.echo(f"审计记录完好 / audit trail intact: {count} entries")


@main.group("db")
def db_group() -> None:
    """The database: roles for running the hub."""


@db_group.command("grant-app-role")
@click.argument("role")
@click.option(
    "--password",
    default=None,
    envvar="HALL_APP_ROLE_PASSWORD",
    help="Set the role's password (better from HALL_APP_ROLE_PASSWORD than on the command "
    "line; none: PostgreSQL authenticates the role otherwise, e.g. peer).",
)
def db_grant_app_role(role: str, password: str | None) -> None:
    """Create or update ROLE, the hub's least-privilege PostgreSQL role (run as the owner).

    The owner runs `hall init` (migrations); the hub runs as ROLE: SELECT, INSERT, UPDATE and
    DELETE on the ordinary tables, only SELECT and INSERT on audit_log, USAGE on sequences.
    Run it again after every upgrade.
    """
    from sqlalchemy.engine import make_url

    from hall import roles

    app = _app()
    engine = db.engine(app)
    try:
        done = roles.grant_app_role(engine, role, password)
    except HallError as err:
        raise click.ClickException(err.message) from None
    finally:
        engine.dispose()
    verb = "已创建 / created" if done.created else "已更新 / updated"
    click.echo(f"{verb} role {done.role} (schema {done.schema})")
    click.echo(
        f"  {len(done.tables)} tables: SELECT, INSERT, UPDATE, DELETE; "
        f"{', '.join(done.append_only)}: SELECT, INSERT only; "
        f"{done.sequences} sequences: USAGE, SELECT"
    )
    url = make_url(app.config["DATABASE_URL"]).set(username=role, password=None)
    click.echo("运行服务时使用 / run the hub with:")
    click.echo(f"HALL_DATABASE_URL={url.render_as_string(hide_password=False)}")


@main.command("backup")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write [default: hall-backup-<UTC time> in the current folder].",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "sqlite", "pg_dump", "portable"]),
    default="auto",
    show_default=True,
    help="auto: SQLite's online backup, or pg_dump where installed, else portable JSON lines.",
)
def backup_command(output: Path | None, fmt: str) -> None:
    """Take a consistent backup of the database while the hub runs."""
    from datetime import UTC, datetime

    from hall import backup

    app = _app()
    engine = db.engine(app)
    try:
        chosen = backup.choose_format(engine, fmt)
        if output is None:
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            output = Path(f"hall-backup-{stamp}{backup.SUFFIX[chosen]}")
        backup.backup(engine, output, chosen)
    except HallError as err:
        raise click.ClickException(err.message) from None
    finally:
        engine.dispose()
    size = output.stat().st_size
    click.echo(f"已备份 / backed up ({chosen}, {size} bytes): {output}")


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that already holds rows.")
def restore_command(source: Path, force: bool) -> None:
    """Restore a backup into the database (stop the hub first)."""
    from hall import backup

    app = _app()
    engine = db.engine(app)
    try:
        fmt = backup.restore(engine, source, force=force)
    except HallError as err:
        raise click.ClickException(err.message) from None
    finally:
        engine.dispose()
    click.echo(f"已恢复 / restored ({fmt}): {source}")


@main.group("retention")
def retention_group() -> None:
    """Retention of residents' personal data."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would be anonymised; change nothing.")
def retention_run(dry_run: bool) -> None:
    """Anonymise residents' data in cases and ratings past their retention period."""
    from hall import retention

    app = _app()
    case_days = int(app.config["RETENTION_CASE_DAYS"])
    rating_days = int(app.config["RETENTION_RATING_DAYS"])
    try:
        with app.app_context(), db.unit_of_work(readonly=dry_run) as session:
            done = retention.run(
                session,
                case_days,
                rating_days,
                dry_run=dry_run,
                booking_days=int(app.config["BOOKING_RETENTION_DAYS"]),
            )
    finally:
        db.engine(app).dispose()
    verb = "将匿名化 / would anonymise" if dry_run else "已匿名化 / anonymised"
    click.echo(
        f"{verb}: {done.cases} 件办件 / cases (>{case_days} 天 / days after they ended),"
        f" {done.ratings} 条评价 / ratings (>{rating_days} 天 / days),"
        f" {done.bookings} 个预约的手机号 / bookings' phone numbers"
    )


main.add_command(printer)
main.add_command(print_worker)


@main.group()
def appointment() -> None:
    """Appointments (预约)."""


@appointment.command("add")
@click.option("--hall", "hall_code", required=True)
@click.option("--matter", required=True, help="matter code or id")
@click.option(
    "--at",
    "starts_at",
    required=True,
    help="local time in the hall's zone, e.g. '2026-11-30 09:30'",
)
def appointment_add(hall_code: str, matter: str, starts_at: str) -> None:
    """Book a slot; the code to give the resident is printed alone on the last line."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from hall.queue import appointments, lookup

    app = _app()
    try:
        with app.app_context(), db.unit_of_work() as session:
            hall = lookup.hall_by_code(session, hall_code)
            try:
                local = datetime.fromisoformat(starts_at)
            except ValueError:
                raise click.ClickException(
                    "时间格式应为 YYYY-MM-DD HH:MM / time must be YYYY-MM-DD HH:MM"
                ) from None
            if local.tzinfo is None:
                local = local.replace(tzinfo=ZoneInfo(hall.timezone))
            booked = appointments.book(session, hall, matter, local, None)
            click.echo(f"已预约 / booked {booked.matter.name} {local:%Y-%m-%d %H:%M} @ {hall.code}")
            code = booked.code
    except HallError as err:
        raise click.ClickException(err.message) from None
    click.echo(code)


@main.group("case")
def case_group() -> None:
    """Cases (办件)."""


@case_group.command("sweep")
def case_sweep() -> None:
    """Recompute the cases' deadline warnings; publish case.warning for each change."""
    from hall.cases import services as case_services
    from hall.events import publish

    app = _app()
    with app.app_context():
        with db.unit_of_work() as session:
            events = case_services.sweep_warnings(session)
        publish(events)
    click.echo(f"预警变化 / warnings changed: {len(events)}")


@main.group("stats")
def stats_group() -> None:
    """Statistics (统计)."""


@stats_group.command("rollup")
@click.option("--hall", "hall_code", required=True)
@click.option("--from", "start", default=None, help="YYYY-MM-DD (default: 400 days ago)")
@click.option("--to", "end", default=None, help="YYYY-MM-DD (default: yesterday)")
def stats_rollup(hall_code: str, start: str | None, end: str | None) -> None:
    """Roll the closed days of a range up again from the stored step times."""
    from datetime import date, timedelta

    from hall import clock
    from hall.queue import lookup
    from hall.stats import rollup

    app = _app()
    try:
        with app.app_context(), db.unit_of_work() as session:
            hall = lookup.hall_by_code(session, hall_code)
            today = clock.service_date(clock.now(), hall.timezone)
            last = date.fromisoformat(end) if end else today - timedelta(days=1)
            first = date.fromisoformat(start) if start else last - timedelta(days=400)
            days = rollup.rebuild(session, hall, first, last)
    except (HallError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    finally:
        db.engine(app).dispose()
    click.echo(f"已汇总 / days rolled up: {days}")


@main.command()
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="the running hub")
@click.option("--hall", "hall_code", default="kuancheng", show_default=True)
@click.option("--speed", default=60.0, show_default=True, help="simulated seconds per real second")
@click.option("--per-hour", default=40.0, show_default=True, help="arrivals in an average hour")
@click.option("--hours", default=9, show_default=True, type=click.IntRange(1, 9))
@click.option("--windows", default="1,2,3,4", show_default=True, help="window numbers to staff")
@click.option("--password", default="demo123", show_default=True, help="the clerks' password")
@click.option("--seed", default=7, show_default=True, type=int)
@click.option(
    "--priority", default=0.08, show_default=True, help="share of arrivals with a priority class"
)
@click.option("--bad", default=0.06, show_default=True, help="share of ratings that are 差评")
def simulate(
    url, hall_code, speed, per_hour, hours, windows, password, seed, priority, bad
) -> None:
    """Play a hall day against a running hub (arrivals by hour, priority tickets, window
    actions over the /counter socket, no-shows, transfers, cases, ratings and the follow-up
    of each 差评), faster than real time, so the board and the reports fill."""
    from hall.stats import simulate as sim

    day = sim.Day(
        url=url,
        hall=hall_code,
        speed=max(1.0, speed),
        per_hour=per_hour,
        hours=tuple(sim.PROFILE)[:hours],
        windows=tuple(w.strip() for w in windows.split(",") if w.strip()),
        password=password,
        seed=seed,
        priority=min(1.0, max(0.0, priority)),
        bad=min(1.0, max(0.0, bad)),
    )
    try:
        sim.play(day, say=click.echo)
    except (RuntimeError, OSError) as err:
        raise click.ClickException(str(err)) from None


if __name__ == "__main__":
    sys.exit(main())
