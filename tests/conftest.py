"""Shared fixtures. Qt runs offscreen; every test gets its own data dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private data dir so no test shares state with another or with a running kiosk."""
    d = tmp_path / "data"
    d.mkdir()
    return d
