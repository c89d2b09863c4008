"""A smoke of the coverage-guided fuzzing of the card parsers (tests/fuzz/card_parsers.py):
a fixed 2,000 inputs in every `make test`; `make fuzz` runs it for minutes (FUZZ_SECONDS).
Any crash fails the test with atheris's report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris")  # x86_64 wheels only (pyproject's dev extra says so)

REPO = Path(__file__).resolve().parents[3]
RUNS = 2_000


def test_card_parsers_survive_coverage_guided_fuzzing(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.card_parsers", str(tmp_path / "corpus"),
         f"-runs={RUNS}", f"-artifact_prefix={tmp_path}/", "-print_final_stats=1"],
        cwd=REPO, capture_output=True, text=True, timeout=110,
    )  # fmt: skip
    report = run.stderr[-4000:]
    assert run.returncode == 0, report
    assert list(tmp_path.glob("crash-*")) == [], report
    runs = next(int(line.split()[-1]) for line in run.stderr.splitlines()
                if line.startswith("stat::number_of_executed_units"))  # fmt: skip
    assert runs == RUNS, report  # it really ran every input
