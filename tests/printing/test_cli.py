"""`hall printer …` against a network printer played by a TCP listener."""

from click.testing import CliRunner

from hall.cli import main
from tests.printers.escpos_decode import qr_payloads, raster_images
from tests.printers.fake_printer import READY

from .conftest import add_kiosk, device, offline_url


def test_printer_test_prints_a_page_and_reports_status(printer):
    fake = printer(status=READY)

    result = CliRunner().invoke(main, ["printer", "test", fake.url, "--paper", "58", "--raster"])

    assert result.exit_code == 0, result.output
    assert "test page sent" in result.output
    assert "ready: 是 yes" in result.output
    data = fake.wait_for()
    assert qr_payloads(data) == ["ESC/POS TEST OK"]
    assert {width for width, _ in raster_images(data)} == {384}


def test_printer_test_reports_an_offline_printer():
    url, _ = offline_url()

    result = CliRunner().invoke(main, ["printer", "test", url, "--timeout", "0.5"])

    assert result.exit_code == 1
    assert "printer not reachable" in result.output


def test_printer_set_changes_a_devices_printer(lite_app, monkeypatch):
    device_id, _ = add_kiosk(lite_app, "dummy://")
    monkeypatch.setenv("HALL_DATABASE_URL", lite_app.config["DATABASE_URL"])

    result = CliRunner().invoke(
        main,
        ["printer", "set", str(device_id), "--url", "network://10.0.0.5:9100", "--paper", "58"],
    )

    assert result.exit_code == 0, result.output
    row = device(lite_app, device_id)
    assert row.printer_url == "network://10.0.0.5:9100"
    assert row.printer_options == {"paper_mm": 58}


def test_printer_set_puts_a_printer_on_a_windows_desk(lite_app, monkeypatch):
    device_id, _ = add_kiosk(lite_app, "dummy://")
    monkeypatch.setenv("HALL_DATABASE_URL", lite_app.config["DATABASE_URL"])
    placed = CliRunner().invoke(main, ["printer", "set", str(device_id), "--window", "3"])
    assert placed.exit_code == 0, placed.output
    assert device(lite_app, device_id).printer_options == {"window": "3"}
    taken = CliRunner().invoke(main, ["printer", "set", str(device_id), "--window", ""])
    assert taken.exit_code == 0, taken.output
    assert device(lite_app, device_id).printer_options == {}
