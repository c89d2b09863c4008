"""The house's dependency rules hold, and the checker really catches a breach."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
QT_FREE = ("kiosk/flows", "kiosk/devices", "kiosk/store")


def run_lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env,
        capture_output=True, text=True, check=False, timeout=100,
    )  # fmt: skip


def copy_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for package in ("kiosk", "backoffice"):  # the root packages of pyproject's contracts
        shutil.copytree(REPO / package, tree / package,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copy(REPO / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_contract_holds_on_the_real_tree(tmp_path: Path) -> None:
    r = run_lint_imports(copy_tree(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "BROKEN" not in r.stdout


@pytest.mark.parametrize(
    ("where", "line", "contract"),
    [
        ("kiosk/ui/sneaky.py", "import cv2\n", "Only kiosk.devices touches hardware libraries"),
        ("kiosk/flows/sneaky.py", "import kiosk.ui\n", "Dependencies point one way"),
        ("kiosk/store/sneaky.py", "from PySide6 import QtCore\n", "The store knows no UI"),
        ("backoffice/sneaky.py", "import kiosk.flows\n", "The back office shares"),
    ],
)
def test_contract_fails_when_broken(tmp_path: Path, where: str, line: str, contract: str) -> None:
    tree = copy_tree(tmp_path)
    (tree / where).write_text(line, encoding="utf-8")
    r = run_lint_imports(tree)
    assert r.returncode != 0
    assert "BROKEN" in r.stdout and contract in r.stdout


def qtwidgets_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("PySide6.QtWidgets")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("PySide6.QtWidgets"):
                found.append(node.module)
            elif node.module == "PySide6":
                found += [f"PySide6.{a.name}" for a in node.names if a.name == "QtWidgets"]
    return found


@pytest.mark.parametrize("package", QT_FREE)
def test_no_widgets_below_the_ui(package: str) -> None:
    offenders = {
        str(p.relative_to(REPO)): hits
        for p in (REPO / package).rglob("*.py")
        if (hits := qtwidgets_imports(p))
    }
    assert offenders == {}


def test_widget_check_catches_every_spelling(tmp_path: Path) -> None:
    spellings = [
        "import PySide6.QtWidgets",
        "from PySide6 import QtWidgets",
        "from PySide6.QtWidgets import QLabel",
    ]
    for i, line in enumerate(spellings):
        p = tmp_path / f"m{i}.py"
        p.write_text(line + "\n", encoding="utf-8")
        assert qtwidgets_imports(p), line
