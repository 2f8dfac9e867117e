"""`hall printer …` (try a printer, set a device's printer) and `hall print-worker`."""

import click

import printers
from hall.errors import HallError

PAPER = click.Choice(["58", "80"])


def _status_lines(status: printers.PrinterStatus) -> list[str]:
    cover = {None: "未知 unknown", True: "打开 open", False: "关闭 closed"}[status.cover_open]
    lines = [
        f"在线 online: {'是 yes' if status.online else '否 no'}",
        f"纸张 paper: {status.paper}",
        f"纸仓盖 cover: {cover}",
        f"可打印 ready: {'是 yes' if status.ready else '否 no'}",
    ]
    if status.error:
        lines.append(f"原因 reason: {status.error}")
    return lines


@click.group()
def printer() -> None:
    """Ticket printers (ESC/POS): test pages, status, a device's printer."""


@printer.command("test")
@click.argument("url")
@click.option("--paper", type=PAPER, default="80", show_default=True, help="Paper width in mm.")
@click.option("--raster", is_flag=True, help="Print text as an image (no Chinese font needed).")
@click.option("--timeout", type=float, default=2.0, show_default=True, help="Seconds to wait.")
def printer_test(url: str, paper: str, raster: bool, timeout: float) -> None:
    """Print a test page on the printer URL names and report its status."""
    try:
        status = printers.print_test_page(
            url, paper_mm=int(paper), raster_text=raster, timeout=timeout
        )
    except printers.PrinterError as err:
        raise click.ClickException(f"测试页未打印 / test page not printed: {err}") from None
    click.echo("测试页已发送 / test page sent")
    for line in _status_lines(status):
        click.echo(line)


@printer.command("status")
@click.argument("url")
@click.option("--timeout", type=float, default=2.0, show_default=True, help="Seconds to wait.")
def printer_status(url: str, timeout: float) -> None:
    """Ask the printer how it is (DLE EOT); exit status 1 when it is not ready."""
    status = printers.printer_status(url, timeout=timeout)
    for line in _status_lines(status):
        click.echo(line)
    if not status.ready:
        raise SystemExit(1)


@printer.command("set")
@click.argument("device_id", type=int)
@click.option("--url", default=None, help="Printer URL, e.g. network://10.0.0.5:9100.")
@click.option("--paper", type=PAPER, default=None, help="Paper width in mm.")
@click.option("--raster/--no-raster", default=None, help="Text as an image or in Chinese mode.")
@click.option(
    "--require-ready/--no-require-ready",
    default=None,
    help="Read DLE EOT status before each ticket (printers that answer it).",
)
@click.option(
    "--confirm",
    type=click.Choice(["auto", "on", "off"]),
    default=None,
    help="Ask DLE EOT status after each ticket (auto: where the printer answers).",
)
@click.option(
    "--window",
    default=None,
    help="The window (number) whose desk it stands on: case receipts print there; '' unsets.",
)
def printer_set(device_id, url, paper, raster, require_ready, confirm, window) -> None:
    """Set a device's printer and its options."""
    from hall import create_app, db
    from hall.admin.models import Device

    if url is not None:
        try:
            printers.parse_printer_url(url)
        except printers.PrinterError as err:
            raise click.ClickException(str(err)) from None
    app = create_app()
    try:
        with app.app_context(), db.unit_of_work() as session:
            device = session.get(Device, device_id)
            if device is None:
                raise click.ClickException(f"设备不存在 / no such device: {device_id}")
            options = dict(device.printer_options or {})
            changes = {"paper_mm": paper and int(paper), "raster_text": raster}
            changes["require_ready"] = require_ready
            changes["confirm"] = confirm
            changes["window"] = window
            options.update({k: v for k, v in changes.items() if v is not None})
            if options.get("window") == "":
                del options["window"]
            device.printer_options = options
            if url is not None:
                device.printer_url = url
            click.echo(f"{device.kind} #{device.id} {device.name}: {device.printer_url} {options}")
    except HallError as err:
        raise click.ClickException(err.message) from None


@click.command("print-worker")
def print_worker() -> None:
    """Run the print queue in this process until SIGTERM (`hall serve` starts one itself).

    Run it alone where `hall serve --no-print-worker` (or HALL_PRINT_WORKER=0) serves: on
    another machine with HALL_MESSAGE_QUEUE set, or under a supervisor of its own.
    """
    from hall.printing.worker import main

    main()
