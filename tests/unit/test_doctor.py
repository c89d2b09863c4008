"""`kiosk doctor` checks under this machine's real conditions (no camera, no printer, ...)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kiosk import cli
from kiosk.commands import doctor
from kiosk.commands.doctor import Finding, Machine
from kiosk.config import from_dict
from kiosk.devices.card.trust import DEMO_TABLE

TOKYO = timezone(timedelta(hours=9))


def machine(tmp_path: Path, dev: Path | None = None, **sections: dict) -> Machine:
    return Machine(from_dict(sections), tmp_path / "data", dev or tmp_path / "dev")


def test_disk_ok_in_a_fresh_data_dir(tmp_path: Path) -> None:
    f = doctor.check_disk(machine(tmp_path))
    assert f.status in ("ok", "warn"), f
    assert "MB free" in f.detail
    assert not (tmp_path / "data" / ".doctor-probe").exists()


def test_disk_fails_when_the_data_dir_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    m = Machine(from_dict({}), tmp_path / "file" / "data")
    f = doctor.check_disk(m)
    assert f.status == "fail"
    assert "not writable" in f.detail and f.fix


def test_clock_with_a_wrong_year_fails(tmp_path: Path) -> None:
    f = doctor.check_clock(machine(tmp_path), datetime(2001, 1, 1, tzinfo=TOKYO))
    assert f.status == "fail"
    assert "year" in f.detail and "ntp" in f.fix.lower()


def test_clock_outside_japan_time_warns(tmp_path: Path) -> None:
    f = doctor.check_clock(machine(tmp_path), datetime(2026, 4, 1, 9, 0, tzinfo=UTC_ZONE))
    assert f.status == "warn"
    assert "Asia/Tokyo" in f.fix


UTC_ZONE = timezone.utc  # noqa: UP017 - the name says what the test means


def test_clock_in_japan_time_is_not_a_failure(tmp_path: Path) -> None:
    f = doctor.check_clock(machine(tmp_path), datetime(2026, 4, 1, 9, 0, tzinfo=TOKYO))
    # ok, or warn when systemd says NTP is not synchronised on this machine
    assert f.status in ("ok", "warn")
    assert "UTC+0900" in f.detail


def test_no_camera_here_fails_a_real_site_and_warns_in_auto(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    off = doctor.check_camera(machine(tmp_path, site={"demo": "off"}))
    assert off.status == "fail" and "video0" in off.detail and "video" in off.fix
    auto = doctor.check_camera(machine(tmp_path, site={"demo": "auto"}))
    assert auto.status == "warn" and "demo" in auto.detail
    on = doctor.check_camera(machine(tmp_path, site={"demo": "on"}))
    assert on.status == "ok"


def test_a_device_node_that_is_no_camera_fails(tmp_path: Path) -> None:
    dev = tmp_path / "dev"
    dev.mkdir()
    (dev / "video7").write_bytes(b"")
    f = doctor.check_camera(machine(tmp_path, site={"demo": "off"}, camera={"device": 7}))
    assert f.status == "fail"
    assert "video7" in f.detail


def test_this_machine_has_no_camera(tmp_path: Path) -> None:
    m = Machine(from_dict({"site": {"demo": "off"}, "camera": {"device": 9}}), tmp_path)
    if Path("/dev/video9").exists():
        pytest.fail("this test assumes no /dev/video9 on the test machine")
    assert doctor.check_camera(m).status == "fail"


def test_printer_not_configured_warns_pdf_only(tmp_path: Path) -> None:
    f = doctor.check_printer(machine(tmp_path))
    assert f.status == "warn" and "PDF" in f.detail


def test_printer_configured_but_absent_fails_through_qt(tmp_path: Path) -> None:
    # The real QPrinterInfo: no CUPS queue by this name exists here.
    f = doctor.check_printer(machine(tmp_path, printer={"name": "kiosk-test-no-such-queue"}))
    assert f.status == "fail"
    assert "not found" in f.detail and "CUPS" in f.fix


def test_printer_present_is_ok(tmp_path: Path) -> None:
    m = machine(tmp_path, printer={"name": "counter"})
    assert doctor.check_printer(m, lambda: ["office", "counter"]).status == "ok"


def test_voice_engines_installed_here(tmp_path: Path) -> None:
    f = doctor.check_voice(machine(tmp_path))
    assert f.status != "fail", f  # Open JTalk and espeak-ng are installed on this machine
    assert "Open JTalk" in f.detail and "espeak-ng" in f.detail


def test_voice_off_needs_nothing(tmp_path: Path) -> None:
    assert doctor.check_voice(machine(tmp_path, ui={"voice": False})).status == "ok"


def test_trust_table_missing_at_a_real_site_fails(tmp_path: Path) -> None:
    f = doctor.check_trust_table(machine(tmp_path, site={"demo": "off"}))
    assert f.status == "fail" and "trust_table" in f.fix
    assert doctor.check_trust_table(machine(tmp_path, site={"demo": "on"})).status == "ok"


def test_demo_trust_table_at_a_real_site_fails(tmp_path: Path) -> None:
    m = machine(tmp_path, site={"demo": "off"}, card={"trust_table": str(DEMO_TABLE)})
    f = doctor.check_trust_table(m)
    assert f.status == "fail" and "demo" in f.detail


def test_unreadable_trust_table_fails_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "trust.toml"
    bad.write_text("issuer = 3\nversion = [", encoding="utf-8")
    f = doctor.check_trust_table(machine(tmp_path, card={"trust_table": str(bad)}))
    assert f.status == "fail" and str(bad) in f.detail


def test_a_crashing_check_is_a_failed_finding(tmp_path: Path) -> None:
    def check_broken(m: Machine) -> Finding:
        raise RuntimeError("driver fell over")

    def check_fine(m: Machine) -> Finding:
        return Finding("fine", "ok", "fine")

    got = doctor.run_checks(machine(tmp_path), [check_broken, check_fine])
    assert [(f.check, f.status) for f in got] == [("broken", "fail"), ("fine", "ok")]
    assert "driver fell over" in got[0].detail


def test_cli_json_is_one_object_and_exit_1_when_a_real_site_lacks_a_camera(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text('[site]\ndemo = "off"\n[camera]\ndevice = 9\n', encoding="utf-8")
    rc = cli.main(["--config", str(cfg), "--data-dir", str(tmp_path / "d"), "doctor", "--json"])
    out = capsys.readouterr().out
    doc = json.loads(out)  # exactly one object: a second line would not parse
    assert rc == 1 and doc["ok"] is False
    names = [c["check"] for c in doc["checks"]]
    assert names == [
        "pcscd", "readers", "camera", "printer", "voice", "disk", "clock", "trust-table",
        "rule-tables",
        "keys",
    ]  # fmt: skip
    camera = next(c for c in doc["checks"] if c["check"] == "camera")
    assert camera["status"] == "fail" and camera["fix"]
    keys = next(c for c in doc["checks"] if c["check"] == "keys")
    assert keys["status"] == "fail" and "beside the database" in keys["detail"]


def test_cli_text_names_every_failure_with_a_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text('[site]\ndemo = "off"\n[camera]\ndevice = 9\n', encoding="utf-8")
    rc = cli.main(["--config", str(cfg), "--data-dir", str(tmp_path / "d"), "doctor"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "[FAIL] camera" in out and "fix:" in out
    assert out.rstrip().endswith("not ready: fix the FAIL lines above")


@pytest.mark.parametrize(
    ("keys", "demo", "status", "says"),
    [
        ({"source": "file"}, "on", "ok", "demo mode"),
        ({"source": "file"}, "auto", "fail", "beside the database"),
        ({"source": "insecure-file", "dir": "DATA/keys"}, "off", "fail", "inside the data dir"),
        ({"source": "insecure-file", "dir": "KEYS"}, "off", "warn", "insecure-file"),
        ({"source": "tpm2", "dir": "KEYS"}, "off", "fail", "/dev/tpmrm0"),
        ({"source": "passphrase", "dir": "KEYS"}, "off", "fail", "kiosk keys init"),
    ],
)
def test_keys_check_reports_the_source_and_refuses_a_key_file_in_the_data_dir(
    tmp_path: Path, keys: dict[str, str], demo: str, status: str, says: str
) -> None:
    keys = {k: v.replace("DATA", str(tmp_path / "data")).replace("KEYS", str(tmp_path / "k"))
            for k, v in keys.items()}  # fmt: skip
    f = doctor.check_keys(machine(tmp_path, site={"demo": demo}, keys=keys))
    assert (f.status, says in f.detail + f.fix) == (status, True), f


def test_keys_check_fails_on_a_stray_key_file_next_to_sealed_keys(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "master.key").write_text("{}")
    keys = {"source": "passphrase", "dir": str(tmp_path / "k")}
    f = doctor.check_keys(machine(tmp_path, site={"demo": "off"}, keys=keys))
    assert f.status == "fail" and "plain key file lies in the data dir" in f.detail
