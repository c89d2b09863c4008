"""Build the madoguchi-kiosk .deb with dpkg-deb from the project's own files (`make package`).

The package installs:
  /opt/madoguchi-kiosk/app/      the project tree (kiosk/, assets/ with compiled .qm, docs/)
  /opt/madoguchi-kiosk/venv/     a venv on Debian's /usr/bin/python3.11 with the runtime
                                 dependencies from pyproject.toml; a relative .pth puts app/
                                 on sys.path, so the tree runs wherever it is extracted
  /usr/bin/madoguchi-kiosk       `kiosk` with the site's --config/--data-dir, as the kiosk user
  /usr/sbin/madoguchi-kiosk-resume
  /lib/systemd/system/madoguchi-kiosk.service, /etc/pam.d/madoguchi-kiosk
  /etc/madoguchi-kiosk/kiosk.toml (conffile; from assets/config.example.toml, demo off)
  /var/lib/madoguchi-kiosk/      (owner and modes set in postinst)

Why not pip-install the project wheel: `kiosk.paths.ASSETS` is the `assets/` folder beside the
`kiosk/` package, and the wheel carries no assets. The app tree keeps that layout.

Usage: python3 packaging/build_deb.py [--out dist] [--work build/deb]
Environment: PIP_FIND_LINKS / PIP_NO_INDEX are honoured by pip (offline builds from wheels).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent / "debian"
LOCK = Path(__file__).resolve().parent / "lock" / "runtime.txt"
NAME = "madoguchi-kiosk"
PREFIX = Path("/opt/madoguchi-kiosk")
SYSTEM_PYTHON = "/usr/bin/python3.11"
# What of the project goes into the app tree (relative to the project root).
APP_PARTS = ("kiosk", "assets", "docs", "pyproject.toml", "README.md")
SKIP_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def project() -> dict[str, object]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project_table = data["project"]
    assert isinstance(project_table, dict)
    return project_table


def architecture() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def depends() -> list[str]:
    """Runtime Depends from packaging/debian/depends.txt (comments and blank lines dropped)."""
    lines = (HERE / "depends.txt").read_text(encoding="utf-8").splitlines()
    return [x.split("#", 1)[0].strip() for x in lines if x.split("#", 1)[0].strip()]


def project_files() -> list[Path]:
    """The project's files (tracked or new, never git-ignored ones), relative to ROOT."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--",
             *APP_PARTS],
            cwd=ROOT, capture_output=True, check=True,
        ).stdout  # fmt: skip
        names = [Path(n) for n in out.decode().split("\0") if n]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: a source tarball
        names = []
        for part in APP_PARTS:
            p = ROOT / part
            names += [f.relative_to(ROOT) for f in ([p] if p.is_file() else p.rglob("*"))]
    return sorted(n for n in names if (ROOT / n).is_file() and not SKIP_PARTS & set(n.parts))


def run(cmd: list[str], **kw: object) -> None:
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, **kw)  # type: ignore[call-overload]


def site_packages(venv: Path) -> Path:
    return next(venv.glob("lib/python3.*/site-packages"))


def stage_app(stage: Path) -> Path:
    app = stage / PREFIX.relative_to("/") / "app"
    for rel in project_files():
        dest = app / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest)
    return app


def stage_venv(stage: Path, app: Path) -> Path:
    venv = stage / PREFIX.relative_to("/") / "venv"
    run([SYSTEM_PYTHON, "-m", "venv", str(venv)])
    py = str(venv / "bin" / "python")
    # Exactly the pinned, hash-checked runtime set (packaging/lock.sh): no dev tools, and a
    # tampered or substituted wheel stops the build.
    run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-compile", "--require-hashes", "-r", str(LOCK)])  # fmt: skip
    # Relative to site-packages: the tree runs from /opt and from a scratch extraction alike.
    site = site_packages(venv)
    (site / "madoguchi_kiosk.pth").write_text(os.path.relpath(app, site) + "\n", encoding="utf-8")
    # pip is for building: the kiosk never installs anything, and closed networks have no index.
    run([py, "-m", "pip", "uninstall", "--quiet", "--yes", "pip"])
    kiosk = venv / "bin" / "kiosk"
    kiosk.write_text(
        f"#!{PREFIX}/venv/bin/python\n"
        "import sys\n\nfrom kiosk.cli import main\n\n"
        'if __name__ == "__main__":\n    sys.exit(main())\n',
        encoding="utf-8",
    )
    kiosk.chmod(0o755)
    return venv


def fix_paths(stage: Path, venv: Path) -> None:
    """Venvs record their own path in script shebangs, activate scripts and pyvenv.cfg."""
    built = str(venv).encode()
    final = str(PREFIX / "venv").encode()
    for f in [*venv.joinpath("bin").iterdir(), venv / "pyvenv.cfg"]:
        if f.is_symlink() or not f.is_file():
            continue
        data = f.read_bytes()
        if built in data:
            f.write_bytes(data.replace(built, final))


def build_translations(venv: Path, app: Path) -> None:
    # From inside the staged app, so `-m` imports the staged kiosk, not the checkout's.
    run([str(venv / "bin" / "python"), "-m", "kiosk.ui.i18n_build"], cwd=app)


def compile_python(stage: Path) -> None:
    """Byte-compile as root would at /opt, with the final paths in tracebacks."""
    base = stage / PREFIX.relative_to("/")
    for d in base.rglob("__pycache__"):
        shutil.rmtree(d)
    # -x: PySide6 ships Jinja templates named *.tmpl.py, which are not Python.
    run([SYSTEM_PYTHON, "-m", "compileall", "-q", "-j", "0", "-x", r"\.tmpl\.py$",
         "-s", str(stage), "-p", "/",
         str(base / "app"), str(site_packages(base / "venv"))],
        stdout=subprocess.DEVNULL)  # fmt: skip


def site_config(dest: Path) -> None:
    """The site's settings: the annotated example with real devices and full screen."""
    text = (ROOT / "assets" / "config.example.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^demo = "auto"', 'demo = "off"', text, count=1)
    text = re.sub(r"(?m)^fullscreen = false", "fullscreen = true", text, count=1)
    header = (
        "# This kiosk's settings (package madoguchi-kiosk). Readable by the kiosk user only.\n"
        "# After editing: `madoguchi-kiosk doctor`, then `systemctl restart madoguchi-kiosk`.\n"
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(header + text, encoding="utf-8")


def stage_system(stage: Path) -> None:
    def put(src: Path, rel: str, mode: int) -> None:
        dest = stage / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        dest.chmod(mode)

    put(HERE / "madoguchi-kiosk.service", "lib/systemd/system/madoguchi-kiosk.service", 0o644)
    put(HERE / "pam", "etc/pam.d/madoguchi-kiosk", 0o644)
    put(HERE / "madoguchi-kiosk", "usr/bin/madoguchi-kiosk", 0o755)
    put(HERE / "madoguchi-kiosk-resume", "usr/sbin/madoguchi-kiosk-resume", 0o755)
    conf = stage / "etc/madoguchi-kiosk/kiosk.toml"
    site_config(conf)
    conf.chmod(0o640)
    conf.parent.chmod(0o750)
    data = stage / "var/lib/madoguchi-kiosk"
    data.mkdir(parents=True)
    data.chmod(0o700)
    docs = stage / "usr/share/doc" / NAME
    docs.mkdir(parents=True)
    if (ROOT / "docs" / "install.md").exists():
        shutil.copyfile(ROOT / "docs" / "install.md", docs / "install.md")


def control(stage: Path, version: str, arch: str) -> None:
    debian = stage / "DEBIAN"
    debian.mkdir()
    size_kb = sum(f.lstat().st_size for f in stage.rglob("*") if f.is_file()) // 1024 + 1
    summary = str(project().get("description", "kiosk"))
    (debian / "control").write_text(
        f"Package: {NAME}\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        "Maintainer: Madoguchi kiosk developers <kiosk@invalid>\n"
        f"Installed-Size: {size_kb}\n"
        f"Depends: {', '.join(depends())}\n"
        "Section: misc\n"
        "Priority: optional\n"
        f"Description: {summary}\n"
        " Boots a touchscreen into the kiosk full screen under the cage compositor, as the\n"
        " unprivileged user madoguchi, with a systemd watchdog. Includes its own Python\n"
        " environment in /opt/madoguchi-kiosk.\n",
        encoding="utf-8",
    )
    (debian / "conffiles").write_text(
        "/etc/madoguchi-kiosk/kiosk.toml\n/etc/pam.d/madoguchi-kiosk\n", encoding="utf-8"
    )
    for script in ("postinst", "prerm", "postrm"):
        shutil.copyfile(HERE / script, debian / script)
        (debian / script).chmod(0o755)
    sums = []
    for f in sorted(stage.rglob("*")):
        rel = f.relative_to(stage)
        if f.is_file() and not f.is_symlink() and rel.parts[0] != "DEBIAN":
            sums.append(f"{hashlib.md5(f.read_bytes()).hexdigest()}  {rel}\n")
    (debian / "md5sums").write_text("".join(sums), encoding="utf-8")


def build(out: Path, work: Path) -> Path:
    started = time.monotonic()
    version = str(project()["version"])
    arch = architecture()
    stage = work / f"{NAME}_{version}_{arch}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    stage.chmod(0o755)
    app = stage_app(stage)
    venv = stage_venv(stage, app)
    build_translations(venv, app)
    fix_paths(stage, venv)
    compile_python(stage)
    stage_system(stage)
    control(stage, version, arch)
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"{NAME}_{version}_{arch}.deb"
    run(["dpkg-deb", "--root-owner-group", "-Zzstd", "-z6", "--threads-max=2", "--build",
         str(stage), str(deb)])  # fmt: skip
    shutil.rmtree(stage)
    seconds = time.monotonic() - started
    print(f"{deb} ({deb.stat().st_size / 1e6:.1f} MB) in {seconds:.0f} s", file=sys.stderr)
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "deb")
    args = parser.parse_args(argv)
    if not Path(SYSTEM_PYTHON).exists():
        print(f"build_deb: {SYSTEM_PYTHON} is missing (apt install python3.11)", file=sys.stderr)
        return 1
    if shutil.which("dpkg-deb") is None:
        print("build_deb: dpkg-deb is missing (apt install dpkg)", file=sys.stderr)
        return 1
    print(build(args.out.resolve(), args.work.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
