"""`kiosk doctor` against the real pcscd, whose only readers here are vpcd's virtual ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.commands import doctor
from kiosk.commands.doctor import Machine
from kiosk.config import from_dict
from kiosk.devices.card.pcscd import PcscDaemon

pytestmark = pytest.mark.pcscd


def machine(tmp_path: Path, **sections: dict) -> Machine:
    return Machine(from_dict(sections), tmp_path)


def test_pcscd_running_is_ok(pcscd: PcscDaemon, tmp_path: Path) -> None:
    f = doctor.check_pcscd(machine(tmp_path))
    assert f.status == "ok" and "running" in f.detail


def test_only_virtual_readers_fail_a_real_site(pcscd: PcscDaemon, tmp_path: Path) -> None:
    f = doctor.check_readers(machine(tmp_path, site={"demo": "off"}))
    assert f.status == "fail"
    assert "real: none" in f.detail and "virtual: 2" in f.detail
    assert "pcsc_scan" in f.fix


def test_virtual_readers_serve_demo_mode(pcscd: PcscDaemon, tmp_path: Path) -> None:
    assert doctor.check_readers(machine(tmp_path, site={"demo": "on"})).status == "ok"
    assert doctor.check_readers(machine(tmp_path, site={"demo": "auto"})).status == "warn"


def test_a_configured_reader_that_is_absent_fails(pcscd: PcscDaemon, tmp_path: Path) -> None:
    m = machine(tmp_path, site={"demo": "on"}, card={"reader": "ACS ACR39U 00 00"})
    f = doctor.check_readers(m)
    assert f.status == "fail" and "ACS ACR39U" in f.detail
