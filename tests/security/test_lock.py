"""Pinned dependencies: every requirement of pyproject.toml is locked with hashes.

`packaging/lock.sh` writes the locks; this fails when a dependency is added without
re-locking, or when a development tool would ship in the kiosk's runtime venv.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "packaging" / "lock"


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _locked(path: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of a pip-compile --generate-hashes file."""
    out: dict[str, tuple[str, int]] = {}
    name = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", line)
        if m:
            name = m.group(1).lower().replace("_", "-")
            out[name] = (m.group(2), 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, n = out[name]
            out[name] = (version, n + 1)
    return out


def _project() -> dict[str, object]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_every_runtime_dependency_is_pinned_with_hashes() -> None:
    runtime = _locked(LOCK / "runtime.txt")
    assert runtime and all(n > 0 for _, n in runtime.values())
    for req in _project()["dependencies"]:  # type: ignore[attr-defined]
        assert _name(req) in runtime, f"{req} is not in packaging/lock/runtime.txt: run lock.sh"


def test_dev_tools_are_locked_apart_from_the_runtime() -> None:
    runtime, dev = _locked(LOCK / "runtime.txt"), _locked(LOCK / "dev.txt")
    extras = _project()["optional-dependencies"]  # type: ignore[index]
    me = _name(str(_project()["name"]))
    for req in extras["dev"]:  # type: ignore[index]
        name = _name(req)
        if name == me:  # "madoguchi-kiosk[backoffice]": that extra's requirements, in dev too
            extra = req.split("[", 1)[1].split("]", 1)[0]
            for sub in extras[extra]:  # type: ignore[index]
                assert _name(sub) in dev, f"{sub} is not in packaging/lock/dev.txt: run lock.sh"
            continue
        assert name in dev, f"{req} is not in packaging/lock/dev.txt: run lock.sh"
        assert name not in runtime, f"{name} would ship in the kiosk's venv"
    for name, (version, _) in runtime.items():  # one version of each package everywhere
        assert dev.get(name, (version, 0))[0] == version, name


def test_face_recognition_is_pinned_for_its_no_deps_install() -> None:
    locked = _locked(LOCK / "no-deps.txt")
    assert set(locked) == {"face-recognition"} and locked["face-recognition"][1] >= 1


def test_make_and_the_deb_install_from_the_locks() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r packaging/lock/dev.txt" in makefile
    assert "--require-hashes --no-deps -r packaging/lock/no-deps.txt" in makefile
    build = (REPO / "packaging" / "build_deb.py").read_text(encoding="utf-8")
    assert '"--require-hashes", "-r", str(LOCK)' in build and '"runtime.txt"' in build
