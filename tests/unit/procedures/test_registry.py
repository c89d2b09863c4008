"""Procedures are plugins: found through the registry, named nowhere else in the kiosk."""

from __future__ import annotations

import ast
from pathlib import Path

from kiosk.config import ALL_PROCEDURES
from kiosk.flows.procedures import registry

KIOSK = Path(__file__).resolve().parents[3] / "kiosk"
NAMES = {"insurance", "risai", "higai", "support-check"}
# The settings sit below `flows` (the store imports them): they keep their own list, held
# equal to the registry's below, and the site kinds' defaults.
ALLOWED = {KIOSK / "config.py"}


def test_the_registry_knows_every_procedure_the_settings_may_offer() -> None:
    assert registry.IDS == ALL_PROCEDURES
    assert set(registry.IDS) == NAMES
    for procedure_id, procedure in registry.PROCEDURES.items():
        assert procedure.id == procedure_id
        assert procedure.label_id == f"ui.service.{procedure_id}"


def _literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in NAMES
    ]


def test_no_procedure_is_named_outside_its_plugin() -> None:
    found = [
        f"{path.relative_to(KIOSK.parent)}:{line}: {value!r}"
        for path in sorted(KIOSK.rglob("*.py"))
        if (KIOSK / "flows" / "procedures") not in path.parents and path not in ALLOWED
        for line, value in _literals(path)
    ]
    assert found == []


def test_the_check_finds_a_procedure_named_in_code(tmp_path: Path) -> None:
    leak = tmp_path / "leak.py"
    leak.write_text('if procedure in ("risai", "higai"):\n    pass\n', encoding="utf-8")
    assert _literals(leak) == [(1, "risai"), (1, "higai")]
