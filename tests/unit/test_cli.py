from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import cli


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        cli.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "run" in out


def test_bad_config_exits_2_naming_the_key(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[site]\nrol = "clinic"\n', encoding="utf-8")
    rc = cli.main(["--config", str(bad), "--data-dir", str(data_dir), "run"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "site.rol" in err and str(bad) in err


def test_unknown_command_is_usage_error(data_dir: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "kiosk", "--data-dir", str(data_dir), "frobnicate"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert r.returncode == 2


def test_no_display_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    rc = cli.main(["--data-dir", str(data_dir)])
    assert rc == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "make run-xvfb" in err[0] and "--screenshot" in err[0]


def test_global_options_may_come_before_the_default_command() -> None:
    assert cli._global_args(["--data-dir", "/x", "--offscreen", "-v"]) == ["--data-dir", "/x", "-v"]
    assert cli._rest_args(["--data-dir", "/x", "--offscreen", "-v"]) == ["--offscreen"]
