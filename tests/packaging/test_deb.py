"""The madoguchi-kiosk .deb: contents, service, permissions, maintainer scripts, and that the
installed tree runs.

The package is built once per test session (about a minute: the venv is pip-installed from
pyproject.toml) unless `$KIOSK_DEB` names one, or `dist/` holds one newer than every input.
It is extracted with `dpkg-deb -x` into a scratch root. The venv links to Debian's
/usr/bin/python3.11 and puts the app on sys.path through a *relative* .pth, so the scratch
copy runs as it would from /opt: we run its python on its `bin/kiosk` script (the script's
shebang names /opt/madoguchi-kiosk, which this machine does not have).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config import load

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
sys.path.insert(0, str(PACKAGING))
import build_deb  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

PREFIX = "opt/madoguchi-kiosk"
UNIT = "lib/systemd/system/madoguchi-kiosk.service"
# Runtime-only Depends that developer machines need not have (debian-packages.txt).
KIOSK_ONLY = {
    "python3.11",
    "cage",
    "libpam-systemd",
    "adduser",
    "libpcsclite1",
}


def _newest_input() -> float:
    return max(
        (REPO / f).stat().st_mtime
        for f in [*map(str, build_deb.project_files()), "pyproject.toml"]
        + [str(p.relative_to(REPO)) for p in PACKAGING.rglob("*") if p.is_file()]
    )


@pytest.fixture(scope="session")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("KIOSK_DEB")
    if given:
        return Path(given)
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    built = REPO / "dist" / f"madoguchi-kiosk_{version}_{build_deb.architecture()}.deb"
    if built.exists() and built.stat().st_mtime > _newest_input():
        return built
    out = tmp_path_factory.mktemp("deb")
    return build_deb.build(out, out / "work")


@pytest.fixture(scope="session")
def root(deb: Path) -> Iterator[Path]:
    # Not under pytest's 0700 tmp dirs: the kiosk user (here: nobody) must read it, as on a kiosk.
    r = Path(tempfile.mkdtemp(prefix="madoguchi-root-"))
    r.chmod(0o755)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(r)], check=True)
    yield r
    shutil.rmtree(r, ignore_errors=True)  # about a gigabyte


@pytest.fixture(scope="session")
def listing(deb: Path) -> dict[str, tuple[str, str]]:
    """path -> (mode string, owner/group) from `dpkg-deb -c`."""
    out = subprocess.run(
        ["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    entries = {}
    for line in out.splitlines():
        mode, owner, _size, _date, _time, name, *_ = [*line.split(None, 6), ""]
        entries[name.removeprefix("./").rstrip("/")] = (mode, owner)
    return entries


def field(deb: Path, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def unit_entries(text: str) -> dict[str, list[str]]:
    """systemd's key=value lines (keys may repeat), section names dropped."""
    entries: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            entries.setdefault(key.strip(), []).append(value.strip())
    return entries


# -- control ---------------------------------------------------------------------------------


def test_control_names_the_package_and_its_runtime(deb: Path) -> None:
    assert field(deb, "Package") == "madoguchi-kiosk"
    assert field(deb, "Version") == build_deb.project()["version"]
    depends = [d.strip().split()[0] for d in field(deb, "Depends").split(",")]
    for needed in (
        "pcscd",
        "cage",
        "fonts-noto-cjk",
        "tesseract-ocr-jpn",
        "espeak-ng",
        "python3.11",
        "libpam-systemd",
    ):
        assert needed in depends
    dev = (PACKAGING / "debian-packages.txt").read_text().split()
    assert [d for d in depends if d not in dev and d not in KIOSK_ONLY] == []


def test_conffiles_and_maintainer_scripts(deb: Path, tmp_path: Path) -> None:
    subprocess.run(["dpkg-deb", "-e", str(deb), str(tmp_path / "DEBIAN")], check=True)
    control = tmp_path / "DEBIAN"
    assert (control / "conffiles").read_text().split() == [
        "/etc/madoguchi-kiosk/kiosk.toml",
        "/etc/pam.d/madoguchi-kiosk",
    ]
    for script in ("postinst", "prerm", "postrm"):
        path = control / script
        assert path.stat().st_mode & 0o777 == 0o755
        subprocess.run(["sh", "-n", str(path)], check=True)  # parses as POSIX sh
    md5 = (control / "md5sums").read_text()
    assert f"  {UNIT}\n" in md5 and f"  {PREFIX}/venv/bin/kiosk\n" in md5


# -- permissions -----------------------------------------------------------------------------


def test_directory_and_file_modes(listing: dict[str, tuple[str, str]]) -> None:
    assert listing["etc/madoguchi-kiosk"][0] == "drwxr-x---"
    assert listing["etc/madoguchi-kiosk/kiosk.toml"][0] == "-rw-r-----"
    assert listing["var/lib/madoguchi-kiosk"][0] == "drwx------"
    assert listing[UNIT][0] == "-rw-r--r--"
    assert listing["usr/bin/madoguchi-kiosk"][0] == "-rwxr-xr-x"
    assert listing[f"{PREFIX}/venv/bin/kiosk"][0] == "-rwxr-xr-x"


def test_everything_belongs_to_root_and_nothing_is_writable_by_others(
    listing: dict[str, tuple[str, str]],
) -> None:
    assert {owner for _, owner in listing.values()} == {"root/root"}
    world_writable = [
        p for p, (mode, _) in listing.items() if mode[8] == "w" and not mode.startswith("l")
    ]
    setuid = [p for p, (mode, _) in listing.items() if mode[3] in "sS" or mode[6] in "sS"]
    assert world_writable == [] and setuid == []


def postinst_calls(deb: Path, tmp_path: Path, *args: str, user_exists: bool) -> list[str]:
    """Run the real postinst with the system tools it calls replaced by recorders."""
    subprocess.run(["dpkg-deb", "-e", str(deb), str(tmp_path / "ctl")], check=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls"
    for tool in ("adduser", "chown", "chmod", "mkdir", "systemctl"):
        (bin_dir / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >> {log}\n')
        (bin_dir / tool).chmod(0o755)
    # getent: the kiosk user exists or not; groups video and audio exist here
    (bin_dir / "getent").write_text(
        "#!/bin/sh\n"
        f'case "$2" in madoguchi) {"exit 0" if user_exists else "exit 2"};; '
        "video|audio) exit 0;; *) exit 2;; esac\n"
    )
    (bin_dir / "getent").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    subprocess.run(["sh", str(tmp_path / "ctl" / "postinst"), *args], env=env, check=True)
    return log.read_text().splitlines() if log.exists() else []


def test_postinst_creates_the_user_and_sets_owners_and_modes(deb: Path, tmp_path: Path) -> None:
    calls = postinst_calls(deb, tmp_path, "configure", "", user_exists=False)
    assert calls[0].startswith("adduser --system --group --home /var/lib/madoguchi-kiosk")
    assert calls[0].endswith(" madoguchi")
    assert "adduser --quiet madoguchi video" in calls
    assert "adduser --quiet madoguchi render" not in calls  # no such group on this machine
    for expected in (
        "chown root:madoguchi /etc/madoguchi-kiosk",
        "chmod 0750 /etc/madoguchi-kiosk",
        "chown madoguchi:madoguchi /var/lib/madoguchi-kiosk",
        "chmod 0700 /var/lib/madoguchi-kiosk",
    ):
        assert expected in calls
    # /etc/madoguchi-kiosk/kiosk.toml and master.key are absent on this machine: not touched
    assert not any("master.key" in c or "kiosk.toml" in c for c in calls)
    if Path("/run/systemd/system").is_dir():
        assert "systemctl enable --now pcscd.socket" in calls
        assert "systemctl enable madoguchi-kiosk.service" in calls
    else:  # a container without systemd: nothing is enabled or started
        assert not any(c.startswith("systemctl") for c in calls)


def test_postinst_on_upgrade_keeps_the_existing_user(deb: Path, tmp_path: Path) -> None:
    calls = postinst_calls(deb, tmp_path, "configure", "0.0.9", user_exists=True)
    assert not any(c.startswith("adduser --system") for c in calls)
    assert "chmod 0700 /var/lib/madoguchi-kiosk" in calls


def test_the_key_file_is_made_private_when_present() -> None:
    # Present only on a kiosk that has run; the branch is checked by reading the script.
    text = (PACKAGING / "debian" / "postinst").read_text()
    assert re.search(r'chmod 0600 "\$DATA_DIR/master.key"', text)


# -- the service -----------------------------------------------------------------------------


def test_service_runs_cage_as_the_kiosk_user_with_a_watchdog(root: Path) -> None:
    e = unit_entries((root / UNIT).read_text())
    assert e["User"] == ["madoguchi"] and e["Group"] == ["madoguchi"]
    assert e["Type"] == ["notify"] and e["NotifyAccess"] == ["all"]
    assert e["Restart"] == ["always"]
    assert int(e["WatchdogSec"][0]) > 0
    assert e["PAMName"] == ["madoguchi-kiosk"] and (root / "etc/pam.d/madoguchi-kiosk").exists()
    assert "pcscd.socket" in " ".join(e["Wants"])
    assert "!/run/madoguchi-kiosk/admin-stop" in e["ConditionPathExists"]
    assert e["RuntimeDirectoryPreserve"] == ["yes"]
    env = dict(v.split("=", 1) for v in e["Environment"])
    assert env["QT_QPA_PLATFORM"] == "wayland"
    assert env["QT_WAYLAND_DISABLE_WINDOWDECORATION"] == "1"  # no title bar to drag or close


def test_cage_command_line_is_locked_down(root: Path) -> None:
    (exec_start,) = unit_entries((root / UNIT).read_text())["ExecStart"]
    argv = exec_start.split()
    assert argv[0] == "/usr/bin/cage"
    cage_opts = argv[1 : argv.index("--")]
    assert "-s" not in cage_opts  # -s would allow switching to another VT (a way out)
    assert "-d" in cage_opts  # no decorations
    kiosk = argv[argv.index("--") + 1 :]
    assert kiosk == [
        f"/{PREFIX}/venv/bin/kiosk",
        "--config",
        "/etc/madoguchi-kiosk/kiosk.toml",
        "--data-dir",
        "/var/lib/madoguchi-kiosk",
        "run",
    ]
    assert (root / kiosk[0].lstrip("/")).is_file()


def test_systemd_accepts_the_unit(root: Path) -> None:
    # cage is in debian-packages.txt so that ExecStart's binary exists for this check.
    done = subprocess.run(
        ["systemd-analyze", "verify", str(root / UNIT)], capture_output=True, text=True
    )
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert complaints == []
    assert done.returncode == 0


PROBE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QRasterWindow

app = QGuiApplication(sys.argv)
window = QRasterWindow()
window.showFullScreen()

def report():
    m, s = window.frameMargins(), app.primaryScreen().size()
    print(app.platformName(), window.width(), window.height(), s.width(), s.height(),
          m.left() + m.top() + m.right() + m.bottom(), flush=True)
    app.quit()

QTimer.singleShot(1000, report)
sys.exit(app.exec())
"""


def test_packaged_qt_fills_the_screen_under_cage(root: Path) -> None:
    # The service's cage line and environment, on wlroots' headless backend (no DRM here).
    (exec_start,) = unit_entries((root / UNIT).read_text())["ExecStart"]
    cage_argv = exec_start.split()[: exec_start.split().index("--") + 1]
    probe = root / "tmp" / "probe.py"
    probe.parent.mkdir(exist_ok=True)
    probe.write_text(PROBE)
    probe.chmod(0o644)
    runtime = Path(tempfile.mkdtemp(prefix="madoguchi-xdg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # cage refuses to run as root; the service runs it as madoguchi
        os.chown(runtime, 65534, 65534)
        as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    unit_env = dict(v.split("=", 1) for v in unit_entries((root / UNIT).read_text())["Environment"])
    env = {
        **unit_env,
        "PATH": "/usr/bin:/bin",
        "HOME": str(runtime),
        "XDG_RUNTIME_DIR": str(runtime),
        "WLR_BACKENDS": "headless",
        "WLR_RENDERER": "pixman",
    }
    try:
        done = subprocess.run(
            [*as_user, *cage_argv, str(root / PREFIX / "venv/bin/python"), str(probe)],
            env=env,
            cwd=runtime,
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
    # cage exits 0 whatever its client did: a probe that failed printed nothing.
    assert done.returncode == 0 and len(done.stdout.split()) == 6, done.stderr[-3000:]
    platform, width, height, screen_w, screen_h, frame = done.stdout.split()
    assert platform == "wayland"
    assert (width, height) == (screen_w, screen_h) and int(width) > 0  # full screen
    assert frame == "0"  # no title bar or borders


def test_shipped_settings_are_a_real_site(root: Path) -> None:
    settings = load(root / "etc/madoguchi-kiosk/kiosk.toml")
    assert settings.site.demo == "off"
    assert settings.ui.fullscreen is True


# -- the installed tree runs -----------------------------------------------------------------


def installed(root: Path, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    venv = root / PREFIX / "venv"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
    }
    return subprocess.run(
        [str(venv / "bin/python"), str(venv / "bin/kiosk"), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_kiosk_help_runs_from_the_installed_tree(root: Path, tmp_path: Path) -> None:
    done = installed(root, "--help", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    for command in ("run", "doctor", "outbox"):
        assert command in done.stdout


def test_the_installed_tree_imports_itself_not_the_checkout(root: Path, tmp_path: Path) -> None:
    venv = root / PREFIX / "venv"
    code = (
        "import kiosk, kiosk.paths, cv2, dlib, smartcard, PySide6.QtGui, numpy; "
        "print(kiosk.__file__); print(kiosk.paths.ASSETS)"
    )
    done = subprocess.run(
        [str(venv / "bin/python"), "-c", code],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    module, assets = done.stdout.split()
    assert Path(module).is_relative_to(root / PREFIX / "app")
    assert (Path(assets) / "i18n" / "build").is_dir()  # compiled translations shipped


def test_doctor_from_the_installed_tree_speaks_json(root: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text('[site]\ndemo = "on"\n[ui]\nvoice = false\n')
    done = installed(
        root,
        "--config",
        str(cfg),
        "--data-dir",
        str(tmp_path / "data"),
        "doctor",
        "--json",
        tmp_path=tmp_path,
    )
    assert done.returncode in (0, 1), done.stderr
    doc = json.loads(done.stdout)
    assert {c["check"] for c in doc["checks"]} >= {"pcscd", "camera", "disk", "clock"}


def test_no_build_paths_leak_into_the_venv(root: Path) -> None:
    venv = root / PREFIX / "venv"
    cfg = (venv / "pyvenv.cfg").read_text()
    assert "home = /usr/bin" in cfg
    leaks = []
    for f in (venv / "bin").iterdir():
        if f.is_file() and not f.is_symlink():
            text = f.read_bytes()
            if text.startswith(b"#!") and not text.startswith(f"#!/{PREFIX}/venv/bin/".encode()):
                leaks.append(f.name)
            if b"/work/" in text or b"/build/deb/" in text or b"/tmp/" in text:
                leaks.append(f.name)
    assert leaks == []
    assert os.readlink(venv / "bin/python3.11").startswith("/usr/bin/python3")


def test_pycache_names_the_installed_paths(root: Path) -> None:
    import marshal

    pyc = next((root / PREFIX / "app/kiosk/__pycache__").glob("cli.*.pyc"))
    code = marshal.loads(pyc.read_bytes()[16:])
    assert code.co_filename == f"/{PREFIX}/app/kiosk/cli.py"


def test_no_pip_in_the_kiosk_venv(root: Path) -> None:
    venv = root / PREFIX / "venv"
    assert not list(venv.glob("lib/python3.*/site-packages/pip"))
    assert stat.S_IMODE((root / PREFIX / "venv/bin/kiosk").stat().st_mode) == 0o755


# -- offline bundle --------------------------------------------------------------------------


def test_offline_bundle_lists_the_depends_closure(deb: Path) -> None:
    done = subprocess.run(
        [str(PACKAGING / "offline-bundle.sh"), "--list", str(deb)],
        capture_output=True,
        text=True,
        check=True,
    )
    names = set(done.stdout.split())
    direct = {d.strip().split()[0] for d in field(deb, "Depends").split(",")}
    assert direct <= names
    assert {"libccid", "libwlroots10", "libc6"} <= names  # pulled in by pcscd and cage


def test_admin_commands_parse_and_point_at_the_site(root: Path) -> None:
    for tool in ("usr/bin/madoguchi-kiosk", "usr/sbin/madoguchi-kiosk-resume"):
        subprocess.run(["sh", "-n", str(root / tool)], check=True)
    wrapper = (root / "usr/bin/madoguchi-kiosk").read_text()
    assert f"/{PREFIX}/venv/bin/kiosk" in wrapper
    assert "--config /etc/madoguchi-kiosk/kiosk.toml" in wrapper
    assert "runuser -u madoguchi" in wrapper  # root's runs must not leave root-owned data files
    resume = (root / "usr/sbin/madoguchi-kiosk-resume").read_text()
    assert "rm -f /run/madoguchi-kiosk/admin-stop" in resume
